import Foundation

/// A PDF page's words where poppler placed them (`pdftotext -bbox-layout`), and the tables found in them.
///
/// PDF has no tables, only glyphs at positions, so rows and columns are found from the words' boxes:
/// words on one baseline make a visual row, split into cells where the gap between words is wider than a
/// space can be (about a line's height); a run of such rows whose cells line up in columns, with a column of
/// numbers, is a table. Two columns of prose line up too, but they hold no column of numbers, and their lines
/// are long: they stay paragraphs. Everything else is read in poppler's reading order (flows), as plain
/// `pdftotext` prints it.
struct PDFLayout {
    /// A word and its horizontal extent.
    struct Word {
        var text: String
        var x0: Double
        var x1: Double
    }

    /// A line as poppler found it: its box, its words, and the flow (reading-order group) it belongs to.
    struct Line {
        var x0 = 0.0, y0 = 0.0, x1 = 0.0, y1 = 0.0
        var words: [Word] = []
        var flow = 0
        var height: Double { y1 - y0 }

        /// The words joined by their gaps: a space where there is one, none where the glyphs touch (PDFs that
        /// Hancom's and others' exporters write place punctuation, parentheses and quotes as words of their own
        /// right against their neighbours: `탄소중립ㆍ녹색성장`, `(이하 “탄소중립기본계획”이라 함)`). A space is at
        /// least a tenth of a line's height wide in any font; a gap under a twelfth of it is none.
        var text: String {
            var result = ""
            var previous: Word?
            for word in words {
                if let previous, word.x0 - previous.x1 >= height / 12 { result += " " }
                result += word.text
                previous = word
            }
            return result
        }
    }

    /// One page's lines in reading order.
    struct Page {
        var lines: [Line] = []

        /// The page without a chart's axis labels: four or more numbers that step evenly from zero, evenly spaced —
        /// across one line (`0 50 100 150`, `0.0 20.0 40.0 60.0`) or down a column of lines with one right edge
        /// (`200 / 150 / 100 / 50 / 0`). Beside a table they were read into it as a column or a row of figures; on
        /// their own they say nothing without the chart. A line left without words goes.
        func droppingChartAxes() -> Page {
            var dropped = Set<[Int]>()  // [line, word]
            // Each word's number, where it is one (read once).
            let numbers: [[Double?]] = lines.map { line in
                line.words.map { word in
                    let text = word.text.hasSuffix("%") ? String(word.text.dropLast()) : word.text
                    guard text.range(of: #"^-?[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?$"#, options: .regularExpression) != nil else { return nil }
                    return Double(text.replacingOccurrences(of: ",", with: ""))
                }
            }
            // Values and positions that step evenly, zero among the values.
            func isAxis(_ values: [Double], _ positions: [Double]) -> Bool {
                guard values.count >= 4, values.contains(0) else { return false }
                let step = values[1] - values[0], gap = positions[1] - positions[0]
                guard step != 0, gap != 0 else { return false }
                return zip(values, values.dropFirst()).allSatisfy { abs(($1 - $0) - step) <= abs(step) * 1e-6 }
                    && zip(positions, positions.dropFirst()).allSatisfy { abs(($1 - $0) - gap) <= abs(gap) / 4 }
            }
            // Across a row (the lines on one baseline: poppler may set each tick a line of its own): runs of
            // numbers, left to right.
            var rows: [[Int]] = []
            for index in lines.indices.sorted(by: { lines[$0].y0 < lines[$1].y0 }) {
                let center = (lines[index].y0 + lines[index].y1) / 2
                if let last = rows.last?.first, abs((lines[last].y0 + lines[last].y1) / 2 - center) < lines[last].height / 2 {
                    rows[rows.count - 1].append(index)
                } else {
                    rows.append([index])
                }
            }
            for row in rows {
                let words = row.flatMap { lineIndex in lines[lineIndex].words.indices.map { (line: lineIndex, word: $0) } }
                    .sorted { lines[$0.line].words[$0.word].x0 < lines[$1.line].words[$1.word].x0 }
                var run: [Int] = []
                // A run of numbers may hold several axes side by side (`0 50 100 150 0.0 20.0 40.0`): each longest
                // even stretch is tried.
                func word(_ position: Int) -> Word { lines[words[position].line].words[words[position].word] }
                func number(_ position: Int) -> Double? { numbers[words[position].line][words[position].word] }
                func close() {
                    let values = run.map { number($0)! }, centers = run.map { (word($0).x0 + word($0).x1) / 2 }
                    var start = 0
                    while start + 1 < run.count {
                        var end = start + 1
                        let step = values[end] - values[start]
                        while end + 1 < run.count, abs(values[end + 1] - values[end] - step) <= abs(step) * 1e-6 { end += 1 }
                        if isAxis(Array(values[start ... end]), Array(centers[start ... end])) {
                            for position in run[start ... end] { dropped.insert([words[position].line, words[position].word]) }
                            start = end + 1
                        } else {
                            start += 1
                        }
                    }
                    run = []
                }
                for position in words.indices {
                    if number(position) != nil { run.append(position) } else { close() }
                }
                close()
            }
            // Down a column: numbers whose right edges line up, top to bottom.
            var byEdge: [Int: [(line: Int, word: Int)]] = [:]
            for (lineIndex, line) in lines.enumerated() {
                for (wordIndex, word) in line.words.enumerated() where numbers[lineIndex][wordIndex] != nil {
                    byEdge[Int((word.x1 / 2).rounded()), default: []].append((lineIndex, wordIndex))
                }
            }
            for column in byEdge.values where column.count >= 4 {
                let sorted = column.sorted { lines[$0.line].y0 < lines[$1.line].y0 }
                let values = sorted.map { numbers[$0.line][$0.word]! }
                let centers = sorted.map { (lines[$0.line].y0 + lines[$0.line].y1) / 2 }
                if isAxis(values, centers), values.first! > values.last! { for cell in sorted { dropped.insert([cell.line, cell.word]) } }
            }
            guard !dropped.isEmpty else { return self }
            var page = self
            page.lines = lines.enumerated().compactMap { lineIndex, line in
                var line = line
                line.words = line.words.enumerated().filter { !dropped.contains([lineIndex, $0.offset]) }.map(\.element)
                guard let first = line.words.first, let last = line.words.last else { return nil }
                (line.x0, line.x1) = (first.x0, last.x1)
                return line
            }
            return page
        }

        /// The page without the page-number lines (`- 3 -`, `12`) among the two highest and the two lowest
        /// lines on it: a number printed in the header or footer area. A line that is only a number anywhere
        /// else (a figure, a numbered paragraph) stays.
        func droppingPageNumbers() -> Page {
            let edges = TextNormalizer.pageEdges(lines.indices.sorted { lines[$0].y0 < lines[$1].y0 })
            var page = self
            page.lines = lines.indices.filter { !edges.contains($0) || !TextNormalizer.isPageNumber(TextNormalizer.collapseSpaces(lines[$0].text)) }
                .map { lines[$0] }
            return page
        }
    }

    /// What a page becomes: running text (lines, a blank line between flows) and tables, in reading order.
    enum Piece: Equatable {
        case text(String)
        case table(DocumentTable)
    }

    /// The pages of `pdftotext -bbox-layout` output (XHTML that poppler writes: one `<page>` per page, `<flow>`,
    /// `<block>`, `<line>` and `<word>` elements with `xMin`/`yMin`/`xMax`/`yMax` attributes).
    static func pages(_ data: Data) -> [Page] {
        var pages: [Page] = []
        var flow = 0
        var line: Line?
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var index = 0
            while let open = find(UInt8(ascii: "<"), in: bytes, from: index) {
                guard let close = find(UInt8(ascii: ">"), in: bytes, from: open) else { break }
                let tag = UnsafeBufferPointer(rebasing: bytes[(open + 1) ..< close])
                index = close + 1
                if starts(tag, "page ") || (tag.count == 4 && starts(tag, "page")) {
                    pages.append(Page())
                } else if starts(tag, "flow") {
                    flow += 1
                } else if starts(tag, "line ") {
                    line = Line(x0: number("xMin", tag), y0: number("yMin", tag), x1: number("xMax", tag), y1: number("yMax", tag), flow: flow)
                } else if starts(tag, "/line") {
                    if let finished = line, !finished.words.isEmpty, !pages.isEmpty { pages[pages.count - 1].lines.append(finished) }
                    line = nil
                } else if starts(tag, "word ") {
                    let end = find(UInt8(ascii: "<"), in: bytes, from: index) ?? bytes.count
                    let text = unescape(String(decoding: UnsafeBufferPointer(rebasing: bytes[index ..< end]), as: UTF8.self))
                    index = end
                    if !text.isEmpty { line?.words.append(Word(text: text, x0: number("xMin", tag), x1: number("xMax", tag))) }
                }
            }
        }
        return pages
    }

    /// The page as running text and tables, in reading order. A unit line (`(단위: 억원)`) right above a table
    /// becomes the table's unit.
    static func pieces(of page: Page) -> [Piece] {
        let tables = PDFTableFinder(page.lines).tables()
        var tableOfLine: [Int: Int] = [:]
        for (number, table) in tables.enumerated() {
            for line in table.lines { tableOfLine[line] = number }
        }
        var pieces: [Piece] = []
        var text: [String] = []
        var emitted = Set<Int>()
        var lastFlow: Int?
        func flush() {
            if !text.isEmpty { pieces.append(.text(text.joined(separator: "\n"))) }
            text = []
        }
        for (index, flow) in readingOrder(page.lines, tableLines: Set(tableOfLine.keys)) {
            let line = page.lines[index]
            if let number = tableOfLine[index] {
                guard emitted.insert(number).inserted else { continue }
                var table = tables[number].table
                if let last = text.last.map(TextNormalizer.collapseSpaces), DocumentTable.isUnitLine(last) {
                    table.unit = last
                    text.removeLast()
                }
                flush()
                pieces.append(.table(table))
                lastFlow = nil
                continue
            }
            if let lastFlow, lastFlow != flow { text.append("") }
            text.append(line.text)
            lastFlow = flow
        }
        flush()
        return pieces
    }

    /// The lines' reading order, each with its flow: poppler's, except where it reads two columns of prose
    /// across, a line of the left column then the line beside it in the right (which it does when every line is
    /// a flow of its own): those are read column by column, each column one flow. Tables' lines stay where they
    /// are and end such a run.
    static func readingOrder(_ lines: [Line], tableLines: Set<Int>) -> [(index: Int, flow: Int)] {
        var order: [(index: Int, flow: Int)] = []
        var nextFlow = (lines.map(\.flow).max() ?? 0) + 1
        var index = 0
        while index < lines.count {
            if let run = columns(lines, from: index, tableLines: tableLines) {
                order += run.left.map { ($0, nextFlow) } + run.right.map { ($0, nextFlow + 1) }
                nextFlow += 2
                index = run.end
            } else {
                order.append((index, lines[index].flow))
                index += 1
            }
        }
        return order
    }

    /// Two columns of prose read across, from line `start` on: its line and the next side by side on one
    /// baseline, then lines each wholly left or wholly right of the gutter between them, going down on each side.
    /// A run counts when each side has three lines or more and most of them are long (prose, not a form's labels
    /// and values, which read right across).
    private static func columns(_ lines: [Line], from start: Int, tableLines: Set<Int>) -> (left: [Int], right: [Int], end: Int)? {
        guard start + 1 < lines.count, !tableLines.contains(start), !tableLines.contains(start + 1) else { return nil }
        let first = lines[start], second = lines[start + 1]
        let height = max(first.height, second.height)
        guard height > 0, second.x0 > first.x1 + height / 2, abs(second.y0 - first.y0) < height / 2 else { return nil }
        var left = [start], right = [start + 1]
        var leftEnd = first.x1, rightStart = second.x0
        var end = start + 2
        while end < lines.count, !tableLines.contains(end) {
            let line = lines[end]
            let fitsLeft = line.x1 < rightStart && line.y0 >= lines[left.last!].y0
            let fitsRight = line.x0 > leftEnd && line.y0 >= lines[right.last!].y0
            if fitsLeft == fitsRight { break }  // across the gutter, inside it, or going back up
            if fitsLeft {
                left.append(end)
                leftEnd = max(leftEnd, line.x1)
            } else {
                right.append(end)
                rightStart = min(rightStart, line.x0)
            }
            end += 1
        }
        func prose(_ side: [Int]) -> Bool {
            side.count >= 3 && side.filter { lines[$0].x1 - lines[$0].x0 >= 10 * lines[$0].height }.count * 5 >= side.count * 3
        }
        return prose(left) && prose(right) ? (left, right, end) : nil
    }

    // MARK: Reading poppler's XHTML

    private static func find(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress,
            let found = memchr(base + start, Int32(byte), bytes.count - start)
        else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    private static func starts(_ tag: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard tag.count >= count, let base = tag.baseAddress else { return false }
        return memcmp(base, prefix.utf8Start, count) == 0
    }

    /// The number in `name="…"` inside a tag (poppler writes plain decimals), or 0.
    private static func number(_ name: StaticString, _ tag: UnsafeBufferPointer<UInt8>) -> Double {
        let count = name.utf8CodeUnitCount
        guard let base = tag.baseAddress, tag.count > count + 2 else { return 0 }
        var index = 0
        while index + count + 2 <= tag.count {
            if memcmp(base + index, name.utf8Start, count) == 0, tag[index + count] == UInt8(ascii: "="), tag[index + count + 1] == UInt8(ascii: "\"")
            {
                var at = index + count + 2
                var value = 0.0, scale = 0.0, negative = false
                if at < tag.count, tag[at] == UInt8(ascii: "-") { negative = true; at += 1 }
                while at < tag.count {
                    let byte = tag[at]
                    if byte >= 48, byte <= 57 {
                        if scale == 0 { value = value * 10 + Double(byte - 48) } else { value += Double(byte - 48) * scale; scale /= 10 }
                    } else if byte == UInt8(ascii: "."), scale == 0 {
                        scale = 0.1
                    } else {
                        break
                    }
                    at += 1
                }
                return negative ? -value : value
            }
            index += 1
        }
        return 0
    }

    /// XML's five entities and numeric references, as poppler escapes word text.
    private static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var result = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            result += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semicolon) <= 10 else {
                result += "&"
                rest = rest[rest.index(after: amp)...]
                continue
            }
            let name = rest[rest.index(after: amp) ..< semicolon]
            let named: [Substring: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'"]
            if let value = named[name] {
                result += value
            } else if name.hasPrefix("#"), let code = name.hasPrefix("#x") ? UInt32(name.dropFirst(2), radix: 16) : UInt32(name.dropFirst()),
                let scalar = Unicode.Scalar(code)
            {
                result.unicodeScalars.append(scalar)
            } else {
                result += rest[amp ... semicolon]
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return result + rest
    }
}

/// Finds tables among a page's lines (see `PDFLayout`).
struct PDFTableFinder {
    /// A found table and the page's lines it was made of.
    struct Found {
        var table: DocumentTable
        var lines: Set<Int>
    }

    /// A cell candidate: words of one visual row closer together than a cell gap.
    private struct Segment {
        var x0: Double, x1: Double
        var text: String
        var lines: Set<Int>
    }

    /// Words on one baseline, left to right, cut into segments.
    private struct Row {
        var y0: Double, y1: Double
        var segments: [Segment]
        var center: Double { (y0 + y1) / 2 }
    }

    private let lines: [PDFLayout.Line]

    /// Table cells are short; a cell-sized piece longer than this (the median of a table's) is prose.
    private static let longestCell = 30

    init(_ lines: [PDFLayout.Line]) {
        self.lines = lines
    }

    /// The tables, top to bottom.
    func tables() -> [Found] {
        let rows = visualRows()
        var found: [Found] = []
        var start = 0
        while start < rows.count {
            guard rows[start].segments.count >= 2 else { start += 1; continue }
            // A run of rows with several cells, each close below the one before; a row of one short cell (a group
            // label, a wrapped cell) between two of them too, but not a line of prose.
            var end = start + 1
            while end < rows.count {
                let gap = rows[end].y0 - rows[end - 1].y1
                let height = max(rows[end - 1].y1 - rows[end - 1].y0, 1)
                let continues =
                    rows[end].segments.count >= 2
                    || (rows[end].segments[0].text.count <= Self.longestCell && end + 1 < rows.count && rows[end + 1].segments.count >= 2)
                guard gap <= 2.5 * height, continues else { break }
                end += 1
            }
            if let table = table(Array(rows[start ..< end])) {
                found.append(table)
                start = end
            } else {
                start += 1
            }
        }
        return found
    }

    /// Lines grouped into visual rows by vertical overlap, each row's words cut into segments at wide gaps.
    private func visualRows() -> [Row] {
        let order = lines.indices.sorted { lines[$0].y0 + lines[$0].y1 < lines[$1].y0 + lines[$1].y1 }
        var groups: [[Int]] = []
        for index in order {
            let line = lines[index]
            if let last = groups.last, let first = last.first {
                let y0 = last.map { lines[$0].y0 }.min()!, y1 = last.map { lines[$0].y1 }.max()!
                let overlap = min(y1, line.y1) - max(y0, line.y0)
                if overlap >= 0.5 * min(line.height, lines[first].height) {
                    groups[groups.count - 1].append(index)
                    continue
                }
            }
            groups.append([index])
        }
        return groups.map { group in
            // Each line cut at wide gaps; pieces of different lines that overlap across (a cell's wrapped lines,
            // set beside a vertically centred neighbour) are one cell, read top to bottom.
            var segments: [Segment] = []
            for index in group.sorted(by: { lines[$0].y0 < lines[$1].y0 }) {
                for piece in Self.pieces(of: lines[index], line: index) {
                    if let at = segments.firstIndex(where: { $0.x0 < piece.x1 && piece.x0 < $0.x1 }) {
                        segments[at].text += " " + piece.text
                        segments[at].x0 = min(segments[at].x0, piece.x0)
                        segments[at].x1 = max(segments[at].x1, piece.x1)
                        segments[at].lines.insert(index)
                    } else {
                        segments.append(piece)
                    }
                }
            }
            return Row(y0: group.map { lines[$0].y0 }.min()!, y1: group.map { lines[$0].y1 }.max()!, segments: segments.sorted { $0.x0 < $1.x0 })
        }
    }

    /// A line's words cut where the gap is wider than a space can be: a space is a quarter of the line's
    /// height or so; cells sit at least twice that apart.
    private static func pieces(of line: PDFLayout.Line, line index: Int) -> [Segment] {
        var pieces: [Segment] = []
        for word in line.words.sorted(by: { $0.x0 < $1.x0 }) {
            if var last = pieces.last, word.x0 - last.x1 < 0.45 * max(line.height, 1) {
                last.text += " " + word.text
                last.x1 = max(last.x1, word.x1)
                pieces[pieces.count - 1] = last
            } else {
                pieces.append(Segment(x0: word.x0, x1: word.x1, text: word.text, lines: [index]))
            }
        }
        return pieces
    }

    /// Whether a cell holds an amount, a ratio or a count: `1,234`, `(1,234)`, `△5.2`, `-8.4%`, `12.5배`, `-`.
    static func isNumeric(_ text: String) -> Bool {
        text.range(
            of: #"^[△▲▽▼+\-−(]?\s*[0-9][0-9,]*(\.[0-9]+)?\)?\s*(%|%p|배|원|억원|조원|만원|천원|백만원|주|명|개|건|bp)?\)?$"#,
            options: .regularExpression) != nil || ["-", "–", "—"].contains(text)
    }

    /// The rows as a table, or nil when they are not one.
    private func table(_ run: [Row]) -> Found? {
        guard run.filter({ $0.segments.count >= 2 }).count >= 2 else { return nil }
        // Columns: the union of the cells' extents, taken from the rows with the most cells first; a cell over
        // several columns spans them.
        var columns: [(x0: Double, x1: Double)] = []
        func overlapping(_ segment: Segment) -> [Int] { columns.indices.filter { columns[$0].x0 <= segment.x1 && segment.x0 <= columns[$0].x1 } }
        for row in run.sorted(by: { $0.segments.count > $1.segments.count }) {
            for segment in row.segments {
                let overlapping = overlapping(segment)
                if overlapping.isEmpty {
                    columns.append((segment.x0, segment.x1))
                } else if overlapping.count == 1 {
                    columns[overlapping[0]] = (min(columns[overlapping[0]].x0, segment.x0), max(columns[overlapping[0]].x1, segment.x1))
                }
            }
        }
        columns.sort { $0.x0 < $1.x0 }
        guard columns.count >= 2 else { return nil }
        // Place each segment: the columns it overlaps (it spans them), in order.
        var grid: [[(text: String, span: Int)?]] = []
        var used = Set<Int>()
        for row in run {
            var cells = [(text: String, span: Int)?](repeating: nil, count: columns.count)
            var covered = Set<Int>()
            for segment in row.segments {
                let overlapping = overlapping(segment)
                guard let first = overlapping.first, !covered.contains(first) else { return nil }
                cells[first] = (segment.text, overlapping.count)
                covered.formUnion(overlapping)
                used.formUnion(segment.lines)
            }
            grid.append(cells)
        }
        func hasAmount(_ cells: [(text: String, span: Int)?]) -> Bool { cells.contains { $0.map { Self.isNumeric($0.text) } ?? false } }
        // A table of numbers: some column after the first holds mostly amounts. Prose in columns does not.
        let numericColumn = (1 ..< columns.count).contains { column in
            let texts = grid.compactMap { $0[column]?.text }
            let numbers = texts.filter(Self.isNumeric).count
            return numbers >= 2 && numbers * 2 >= texts.count
        }
        let lengths = grid.flatMap { $0.compactMap { $0?.text.count } }.sorted()
        guard numericColumn, lengths[lengths.count / 2] <= Self.longestCell else { return nil }
        // A row without amounts set closer below the row above than rows are apart is part of it: a cell's
        // wrapped line, or a label centred over two rows. (One cell is measured from the line just above it,
        // several from the row's first line, so a header row under a centred label stays a row.)
        let multiple = run.filter { $0.segments.count >= 2 }
        let pitches = zip(multiple.dropFirst(), multiple).map { $0.center - $1.center }.sorted()
        let pitch = pitches.isEmpty ? 0 : pitches[pitches.count / 2]
        // A label's first line set just above its row's amounts (the amounts centred on a wrapped label)
        // moves down into that row.
        var moved = Set<Int>()
        for index in grid.indices.dropLast() {
            let cells = grid[index].indices.filter { grid[index][$0] != nil }
            guard cells.count == 1, let column = cells.first, let cell = grid[index][column], !Self.isNumeric(cell.text),
                hasAmount(grid[index + 1]),
                run[index + 1].center - run[index].center < 0.8 * pitch,
                index == 0 || run[index].center - run[index - 1].center >= 0.8 * pitch
            else { continue }
            grid[index + 1][column] = grid[index + 1][column].map { (cell.text + " " + $0.text, $0.span) } ?? cell
            moved.insert(index)
        }
        var rows: [[(text: String, span: Int)?]] = []
        var rowStart = 0.0
        for (index, cells) in grid.enumerated() where !moved.contains(index) {
            let count = cells.compactMap({ $0 }).count
            let above = count == 1 ? run[max(index - 1, 0)].center : rowStart
            if !rows.isEmpty, !hasAmount(cells), count < columns.count, run[index].center - above < 0.8 * pitch {
                for column in cells.indices {
                    guard let cell = cells[column] else { continue }
                    if let above = rows[rows.count - 1][column] {
                        rows[rows.count - 1][column] = (above.text + " " + cell.text, above.span)
                    } else {
                        rows[rows.count - 1][column] = cell
                    }
                }
                continue
            }
            rows.append(cells)
            rowStart = run[index].center
        }
        // Header rows: those at the top without amounts (at most three, never every row).
        var headerRows = 0
        while headerRows < min(3, rows.count - 1),
            !rows[headerRows].dropFirst().contains(where: { $0.map { Self.isNumeric($0.text) && !Self.isYear($0.text) } ?? false })
        {
            headerRows += 1
        }
        // As the other readers store tables (`TableBuilder`): a spanning cell's text once, over the columns it
        // covers; a header cell left empty under a header above it takes that label where it labels the row (left
        // of every cell the row has of its own: a label over two header rows).
        var laid: [[(text: String, column: Int, span: Int)]] = rows.map { cells in
            var row: [(text: String, column: Int, span: Int)] = []
            var column = 0
            while column < cells.count {
                let cell = cells[column] ?? (text: "", span: 1)
                let span = min(max(cell.span, 1), cells.count - column)
                row.append((cell.text, column, span))
                column += span
            }
            return row
        }
        for index in 0 ..< headerRows where index > 0 {
            let firstOwn = laid[index].first { !$0.text.isEmpty }?.column ?? Int.max
            for (position, cell) in laid[index].enumerated() where cell.text.isEmpty && cell.column < firstOwn {
                if let above = laid[index - 1].first(where: { $0.column <= cell.column && cell.column < $0.column + $0.span }) {
                    laid[index][position].text = above.text
                }
            }
        }
        let table = DocumentTable(
            rows: laid.map { $0.map { DocumentTable.Cell($0.text, columnSpan: $0.span) } }, headerRows: headerRows)
        return Found(table: table, lines: used)
    }

    /// `2024` or `2024년`: a column header, not an amount.
    private static func isYear(_ text: String) -> Bool {
        text.range(of: #"^(19|20)[0-9]{2}년?$"#, options: .regularExpression) != nil
    }
}
