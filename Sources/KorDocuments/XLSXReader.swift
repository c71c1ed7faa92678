import Foundation

/// Excel (`.xlsx`): every sheet a table block captioned by the sheet's name, its cells as they display
/// (shared strings, inline strings, numbers in their number format where it is a plain one: thousands
/// separators, decimals, percentages, parenthesized negatives, dates), a merged cell's text stored once (in
/// its first row, and in the rows below only where it labels them), the top rows up to the last row a merge
/// spans down to marked as headers. A single-cell first row that spans the table is its title: a unit line when it names a
/// unit (`단위`), the caption otherwise.
struct XLSXReader: DocumentReader {
    let type = "xlsx"
    let name = "Excel (XLSX)"
    let extensions = ["xlsx", "xlsm"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let archive = try OfficeArchive(file, format: type)
        guard let workbook = try archive.read("xl/workbook.xml") else {
            throw DocumentFailure("not an Excel workbook (no xl/workbook.xml)")
        }
        let targets = try OfficeArchive.relationshipTargets(archive, "xl/_rels/workbook.xml.rels", base: "xl/")
        let budget = archive.reading
        let strings = try sharedStrings(archive)
        let formats = try NumberFormats(archive)
        var blocks: [DocumentBlock] = []
        for (name, relationship) in try sheets(workbook) {
            guard let path = targets[relationship], let data = try archive.read(path) else { continue }
            if let table = try table(data, name: name, strings: strings, formats: formats, budget: budget) {
                blocks.append(.table(table))
            }
        }
        return DocumentContent(blocks: blocks, metadata: DocumentMetadata(title: try archive.title()))
    }

    /// Sheet names and relationship ids, in workbook order.
    private func sheets(_ workbook: Data) throws -> [(String, String)] {
        var sheets: [(String, String)] = []
        let events = XMLEvents()
        events.start = { name, attributes in
            if XMLEvents.localName(name) == "sheet", let sheetName = attributes["name"],
                let id = attributes["r:id"] ?? attributes.first(where: { $0.key.hasSuffix(":id") })?.value
            {
                sheets.append((sheetName, id))
            }
        }
        try OfficeArchive.parse(workbook, events)
        return sheets
    }

    /// The shared strings, each the text of its runs (phonetic runs left out).
    private func sharedStrings(_ archive: OfficeArchive) throws -> [String] {
        guard let data = try archive.read("xl/sharedStrings.xml") else { return [] }
        var strings: [String] = []
        var current = ""
        var inText = false
        var inPhonetic = false
        let events = XMLEvents(budget: archive.reading)
        events.start = { name, _ in
            switch XMLEvents.localName(name) {
            case "si": current = ""
            case "t": inText = true
            case "rPh": inPhonetic = true
            default: break
            }
        }
        events.end = { name in
            switch XMLEvents.localName(name) {
            case "si": strings.append(current)
            case "t": inText = false
            case "rPh": inPhonetic = false
            default: break
            }
        }
        events.text = { if inText && !inPhonetic { current += $0 } }
        try OfficeArchive.parse(data, events)
        return strings
    }

    /// One sheet as a table, or nil when it holds no cell with text; within the reading's budget (cells counted
    /// as they are read, the grid and the merged areas before they are laid out, columns past `maxTableColumns`
    /// left out with a note).
    private func table(_ data: Data, name: String, strings: [String], formats: NumberFormats, budget: ReadingBudget) throws -> DocumentTable? {
        var cells: [[Int: String]] = []  // by row index from 0, then column index from 0
        var rowIndex: [Int: Int] = [:]  // sheet row number -> index in `cells`
        var merges: [(rows: ClosedRange<Int>, columns: ClosedRange<Int>)] = []
        var reference = "", cellType = "", style = 0
        var value = "", inValue = false, inInline = false
        var row = 0, nextColumn = 0
        let events = XMLEvents(budget: budget)
        events.start = { element, attributes in
            switch XMLEvents.localName(element) {
            case "row":
                row = Int(attributes["r"] ?? "") ?? (row + 1)
                nextColumn = 0
            case "c":
                reference = attributes["r"] ?? ""
                cellType = attributes["t"] ?? "n"
                style = Int(attributes["s"] ?? "") ?? 0
                value = ""
            case "v": inValue = true
            case "is": inInline = true
            case "t" where inInline: inValue = true
            case "mergeCell":
                if let area = attributes["ref"].flatMap(XLSXReader.area) {
                    events.attempt { try budget.layOut(rows: 1, columns: 1) }
                    merges.append(area)
                }
            default: break
            }
        }
        events.end = { element in
            switch XMLEvents.localName(element) {
            case "v": inValue = false
            case "t" where inInline: inValue = false
            case "is": inInline = false
            case "c":
                let column = XLSXReader.cellReference(reference)?.column ?? nextColumn
                nextColumn = column + 1
                let shown: String
                switch cellType {
                case "s": shown = Int(value).flatMap { strings.indices.contains($0) ? strings[$0] : nil } ?? ""
                case "inlineStr", "str": shown = value
                case "b": shown = value == "1" ? "TRUE" : "FALSE"
                case "e": shown = value
                default: shown = Double(value).map { formats.display($0, style: style) } ?? value
                }
                let text = TextNormalizer.collapseSpaces(shown)
                if !text.isEmpty {
                    events.attempt { try budget.layOut(rows: 1, columns: 1) }
                    let index =
                        rowIndex[row]
                        ?? {
                            cells.append([:]); rowIndex[row] = cells.count - 1; return cells.count - 1
                        }()
                    cells[index][column] = text
                }
            default: break
            }
        }
        events.text = { if inValue { value += $0 } }
        try OfficeArchive.parse(data, events)
        if cells.isEmpty { return nil }

        // Rows in sheet order, columns from the first used to the last.
        let order = rowIndex.keys.sorted()
        let usedColumns = cells.flatMap(\.keys)
        let first = usedColumns.min()!
        var last = usedColumns.max()!
        if last - first >= budget.limits.maxTableColumns {
            budget.note(
                "sheet \(name) is wider than \(budget.limits.maxTableColumns) columns; the columns past them were left out (DocumentLimits.maxTableColumns)"
            )
            last = first + budget.limits.maxTableColumns - 1
        }
        try budget.layOut(rows: order.count, columns: last - first + 1)
        var grid = order.map { number in (first ... last).map { cells[rowIndex[number]!][$0] ?? "" } }
        // A first row that is one text across the whole width (one merged cell): the table's title.
        let width = last - first + 1
        let titled =
            grid.count > 1 && last > first && !grid[0][0].isEmpty
            && (Set(grid[0]).count == 1
                || merges.contains { $0.rows.lowerBound == order[0] && $0.columns.lowerBound <= first && $0.columns.upperBound >= last })
        // A merged area's text is stored once: in its first row, spanning its columns; in the rows below that it
        // spans only where it labels the row (left of every cell the row has of its own), as `TableBuilder` stores
        // merged cells of the other formats. (Each position the area covers is counted against the budget.)
        var stored: [[DocumentTable.Cell?]] = grid.map { $0.map { DocumentTable.Cell($0) } }
        var labels: [(row: Int, column: Int, last: Int, text: String)] = []
        var headerRows = 1
        for merge in merges {
            let top = XLSXReader.firstIndex(order, after: merge.rows.lowerBound - 1)
            guard top < order.count, order[top] == merge.rows.lowerBound else { continue }
            let origin = merge.columns.lowerBound - first
            guard origin >= 0, origin < width else { continue }
            let text = grid[top][origin]
            let bottom = XLSXReader.firstIndex(order, after: merge.rows.upperBound)
            let columns = origin ... min(merge.columns.upperBound - first, width - 1)
            try budget.layOut(rows: bottom - top, columns: columns.count)
            stored[top][origin] = DocumentTable.Cell(text, columnSpan: columns.count, rowSpan: bottom - top)
            for column in columns.dropFirst() { stored[top][column] = nil }
            for index in (top + 1) ..< max(top + 1, bottom) {
                for column in columns { stored[index][column] = nil }
                labels.append((index, origin, columns.upperBound, text))
            }
            if top <= headerRows {
                headerRows = max(headerRows, bottom)
            }
        }
        let firstOwn = stored.map { row in row.firstIndex { $0.map { !$0.text.isEmpty } ?? false } ?? width }
        for label in labels where !label.text.isEmpty && label.last < firstOwn[label.row] {
            stored[label.row][label.column] = DocumentTable.Cell(label.text)
        }
        var caption: String? = name
        var unit: String?
        if titled {
            let title = grid[0][0]
            if title.contains("단위") { unit = title } else { caption = name + " — " + title }
            stored.removeFirst()
            grid.removeFirst()
            headerRows = max(1, headerRows - 1)
        }
        return DocumentTable(
            rows: stored.map { $0.compactMap { $0 } }, headerRows: min(headerRows, grid.count),
            caption: caption, unit: unit)
    }

    /// The index of the first of the sorted `numbers` greater than `number`.
    private static func firstIndex(_ numbers: [Int], after number: Int) -> Int {
        var low = 0, high = numbers.count
        while low < high {
            let middle = (low + high) / 2
            if numbers[middle] <= number { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// `B12` as a 1-based row and 0-based column.
    static func cellReference(_ text: String) -> (row: Int, column: Int)? {
        var column = 0
        var digits = ""
        for character in text.uppercased() {
            if let ascii = character.asciiValue, (65 ... 90).contains(ascii), digits.isEmpty {
                column = column * 26 + Int(ascii - 64)
                if column > 20_000 { return nil }
            } else if character.isASCII, character.isNumber {
                digits.append(character)
            } else {
                return nil
            }
        }
        guard column > 0, let row = Int(digits), row > 0 else { return nil }
        return (row, column - 1)
    }

    /// `A1:C3` as row and column ranges.
    static func area(_ text: String) -> (rows: ClosedRange<Int>, columns: ClosedRange<Int>)? {
        let corners = text.split(separator: ":").map(String.init)
        guard corners.count == 2, let from = cellReference(corners[0]), let to = cellReference(corners[1]),
            from.row <= to.row, from.column <= to.column
        else { return nil }
        return (from.row ... to.row, from.column ... to.column)
    }
}
