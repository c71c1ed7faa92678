import Foundation

/// Hancom HWP 5.0 (`.hwp`): the OLE compound file's `FileHeader` (its flags), `DocInfo` (paragraph shapes
/// and styles, for headings) and `BodyText/SectionN` streams (raw deflate when the header says compressed),
/// read as HWP's record tree. Paragraph text is `PARA_TEXT` (UTF-16LE with control characters); a table
/// control (`tbl `) becomes a table block with its cells placed by their addresses and spans (a table inside a
/// cell a table block of its own after it, captioned by that cell's text); text boxes,
/// footnotes and endnotes become paragraphs after the paragraph that holds them; page headers, footers and
/// hidden comments are left out. Distribution documents (배포용) are read from their encrypted `ViewText`
/// sections (`HWPDistribution`); password-protected and DRM documents are skipped with that reason.
struct HWPReader: DocumentReader {
    let type = "hwp"
    let name = "Hancom (HWP 5.0)"
    let extensions = ["hwp"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        if file.data.starts(with: Array("HWP Document File V3".utf8)) {
            throw DocumentFailure("HWP 3.0 document (the format before HWP 5.0, not read): save it as HWP 5.0 or HWPX")
        }
        let compound = try CompoundFile(file, format: "HWP")
        guard let headerBytes = try compound.stream(["FileHeader"]), let header = HWPFileHeader(headerBytes) else {
            throw DocumentFailure("not an HWP 5.0 document (no HWP FileHeader)")
        }
        if header.passwordProtected { throw DocumentFailure("password-protected HWP document") }
        if header.drm { throw DocumentFailure("DRM-protected HWP document") }
        // A distribution document's sections are in ViewText, each encrypted before it is inflated.
        let body = header.distribution ? "ViewText" : "BodyText"
        func stream(_ path: [String]) throws -> [UInt8]? {
            guard var bytes = try compound.stream(path) else { return nil }
            if header.distribution, path.first == body { bytes = try HWPDistribution.decrypt(bytes) }
            return header.compressed ? try compound.inflate(bytes, path) : bytes
        }
        let styles = try stream(["DocInfo"]).map { try HWPStyles($0) } ?? HWPStyles()
        let sections = compound.children([body])
            .compactMap { name in name.hasPrefix("Section") ? Int(name.dropFirst("Section".count)) : nil }
            .sorted()
        guard !sections.isEmpty else {
            throw DocumentFailure(
                header.distribution
                    ? "damaged HWP distribution document (배포용 문서): no ViewText/Section streams"
                    : "not an HWP 5.0 document (no BodyText/Section streams)")
        }
        var text = HWPBody(styles: styles, budget: file.budget)
        for section in sections {
            if let bytes = try stream([body, "Section\(section)"]) { try text.read(section: bytes) }
        }
        let title = (try? compound.stream(["\u{05}HwpSummaryInformation"])).flatMap { $0.flatMap(HWPSummary.title) }
        return DocumentContent(blocks: text.finish(), metadata: DocumentMetadata(title: title))
    }
}

/// The 256-byte `FileHeader` stream: the signature, version and property flags.
struct HWPFileHeader {
    let version: UInt32
    let flags: UInt32

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 40, bytes.starts(with: Array("HWP Document File".utf8)) else { return nil }
        version = HWPBytes.u32(bytes, 32)
        flags = HWPBytes.u32(bytes, 36)
    }

    var compressed: Bool { flags & 1 != 0 }
    var passwordProtected: Bool { flags & (1 << 1) != 0 }
    var distribution: Bool { flags & (1 << 2) != 0 }
    /// DRM (bit 4) or certificate DRM (bit 10).
    var drm: Bool { flags & (1 << 4) != 0 || flags & (1 << 10) != 0 }
}

/// Little-endian reads that give 0 past the end instead of trapping (a short record reads as zeros).
enum HWPBytes {
    static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        guard at >= 0, at + 2 <= bytes.count else { return 0 }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    /// UTF-16LE text of `count` code units at `at` (invalid units become U+FFFD).
    static func utf16(_ bytes: [UInt8], _ at: Int, count: Int) -> String {
        guard count > 0, at >= 0, at + 2 * count <= bytes.count else { return "" }
        let units = (0 ..< count).map { u16(bytes, at + 2 * $0) }
        return String(decoding: units, as: UTF16.self)
    }
}

/// One record of an HWP stream: its tag, its level in the record tree, and where its payload is.
struct HWPRecord {
    static let paraShape = 25, style = 26
    static let paraHeader = 66, paraText = 67, ctrlHeader = 71, listHeader = 72, table = 77

    let tag: Int
    let level: Int
    let payload: Range<Int>
}

/// The records of a stream in order, with one record of lookahead: a record's children are the records after
/// it with a deeper level.
struct HWPRecords {
    let bytes: [UInt8]
    private var offset = 0
    private var peeked: HWPRecord?

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The next record without consuming it; nil at the end.
    mutating func peek() throws -> HWPRecord? {
        if peeked == nil, offset < bytes.count {
            // Header: tag (10 bits), level (10 bits), size (12 bits); size 0xFFF means a 32-bit size follows.
            guard offset + 4 <= bytes.count else { throw DocumentFailure("damaged HWP file: a record is cut off") }
            let header = HWPBytes.u32(bytes, offset)
            var start = offset + 4
            var size = Int(header >> 20)
            if size == 0xFFF {
                guard start + 4 <= bytes.count else { throw DocumentFailure("damaged HWP file: a record is cut off") }
                size = Int(HWPBytes.u32(bytes, start))
                start += 4
            }
            guard size <= bytes.count - start else { throw DocumentFailure("damaged HWP file: a record runs past its stream") }
            peeked = HWPRecord(tag: Int(header & 0x3FF), level: Int((header >> 10) & 0x3FF), payload: start ..< start + size)
            offset = start + size
        }
        return peeked
    }

    /// The next record, consumed.
    mutating func next() throws -> HWPRecord? {
        let record = try peek()
        peeked = nil
        return record
    }

    /// The next record if it is a child of a record at `level` (deeper than it), consumed.
    mutating func child(of level: Int) throws -> HWPRecord? {
        guard let record = try peek(), record.level > level else { return nil }
        return try next()
    }

    /// Consumes every record below one at `level`.
    mutating func skipChildren(of level: Int) throws {
        while try child(of: level) != nil {}
    }

    func payload(_ record: HWPRecord) -> [UInt8] { Array(bytes[record.payload]) }
}

/// What `DocInfo` says that headings need: each paragraph shape's outline level and each style's name.
struct HWPStyles {
    /// Per paragraph shape id: the outline level (1-based) when its paragraph head is an outline (개요).
    private var shapeLevels: [Int?] = []
    /// Per style id: the heading level its name gives (`개요 1`, `제목 2`, `Heading 3`, `Outline 1`).
    private var styleLevels: [Int?] = []

    init() {}

    init(_ docInfo: [UInt8]) throws {
        var records = HWPRecords(docInfo)
        while let record = try records.next() {
            let payload = records.payload(record)
            switch record.tag {
            case HWPRecord.paraShape:
                let properties = HWPBytes.u32(payload, 0)
                let head = (properties >> 23) & 3  // 0 none, 1 outline, 2 numbering, 3 bullet
                shapeLevels.append(head == 1 ? Int((properties >> 25) & 7) + 1 : nil)
            case HWPRecord.style:
                let localLength = Int(HWPBytes.u16(payload, 0))
                let local = HWPBytes.utf16(payload, 2, count: localLength)
                let englishAt = 2 + 2 * localLength
                let english = HWPBytes.utf16(payload, englishAt + 2, count: Int(HWPBytes.u16(payload, englishAt)))
                styleLevels.append(HWPStyles.headingLevel(styleName: local) ?? HWPStyles.headingLevel(styleName: english))
            default: break
            }
        }
    }

    /// The level a style's name gives a heading, or nil for other styles.
    static func headingLevel(styleName: String) -> Int? {
        let name = styleName.trimmingCharacters(in: .whitespaces)
        guard let match = name.range(of: #"^(개요|제목|Heading|Outline)\s*[1-9]$"#, options: [.regularExpression, .caseInsensitive]) else { return nil }
        return Int(String(name[match].last!))
    }

    /// The heading level of a paragraph of a shape and a style, or nil for body text.
    func headingLevel(shape: Int, style: Int) -> Int? {
        if style < styleLevels.count, let level = styleLevels[style] { return level }
        if shape < shapeLevels.count, let level = shapeLevels[shape] { return level }
        return nil
    }
}

/// The body sections read into blocks, in order.
struct HWPBody {
    let styles: HWPStyles
    private var blocks: [DocumentBlock] = []
    private var pending: [String] = []

    /// Paragraph text and what its controls hold, in reading order.
    private enum Piece {
        case text(String)
        /// A table, then the tables inside its cells (each captioned by the cell it sits in).
        case table([DocumentTable])
        /// Paragraphs of a text box, footnote or endnote.
        case notes([String])
    }

    /// One paragraph: its pieces and heading level.
    private struct Paragraph {
        var pieces: [Piece] = []
        var headingLevel: Int?

        /// Its text with tables flattened and notes left out: a caption's text.
        var flatText: String {
            pieces.map { piece -> String in
                switch piece {
                case .text(let text): text
                case .table(let tables): " " + tables.map(\.flatText).joined(separator: " ") + " "
                case .notes: ""
                }
            }.joined()
        }

        /// Its text without tables or notes: a cell's own text (the tables in it are tables of their own).
        var ownText: String {
            pieces.map { piece -> String in
                if case .text(let text) = piece { text } else { "" }
            }.joined()
        }
    }

    /// The reading's budget: text gathered, table cells, and how deep controls nest (deeper than
    /// `maxNesting`, a table in a table in a table ..., they are left out).
    private let budget: ReadingBudget

    init(styles: HWPStyles, budget: ReadingBudget = ReadingBudget()) {
        self.styles = styles
        self.budget = budget
    }

    /// Reads one `BodyText/SectionN` stream.
    mutating func read(section: [UInt8]) throws {
        var records = HWPRecords(section)
        while let record = try records.next() {
            guard record.tag == HWPRecord.paraHeader else { try records.skipChildren(of: record.level); continue }
            add(try paragraph(record, &records, nesting: 0))
        }
    }

    /// The blocks of every section read.
    mutating func finish() -> [DocumentBlock] {
        flush()
        return blocks
    }

    private mutating func flush() {
        if !pending.isEmpty { blocks += OfficeArchive.blocks(pending) }
        pending = []
    }

    private mutating func add(_ paragraph: Paragraph) {
        var text = ""
        func endText() {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            text = ""
            guard !trimmed.isEmpty else { return }
            if let level = paragraph.headingLevel, trimmed.count <= 200, !trimmed.contains("\n") {
                flush()
                blocks.append(.heading(TextNormalizer.collapseSpaces(trimmed), level: level))
            } else {
                pending.append(trimmed)
            }
        }
        for piece in paragraph.pieces {
            switch piece {
            case .text(let part): text += part
            case .table(let tables):
                endText()
                flush()
                for table in tables { DocumentBlock.append(table, to: &blocks) }
            case .notes(let notes):
                endText()
                pending += notes
            }
        }
        endText()
    }

    /// Reads a paragraph whose `PARA_HEADER` is `header`, with its text and its controls' contents.
    private func paragraph(_ header: HWPRecord, _ records: inout HWPRecords, nesting: Int) throws -> Paragraph {
        let head = records.payload(header)
        var paragraph = Paragraph()
        paragraph.headingLevel = styles.headingLevel(shape: Int(HWPBytes.u16(head, 8)), style: head.count > 10 ? Int(head[10]) : 0)
        var text: [HWPText.Piece] = []
        var controls: [Piece?] = []
        while let record = try records.child(of: header.level) {
            switch record.tag {
            case HWPRecord.paraText where record.level == header.level + 1:
                try budget.gather(record.payload.count / 2)
                text += HWPText.pieces(records.payload(record))
            case HWPRecord.ctrlHeader where record.level == header.level + 1:
                controls.append(try control(record, &records, nesting: nesting))
            default:
                try records.skipChildren(of: record.level)
            }
        }
        // Each extended control character stands for the next control header, in order.
        var nextControl = 0
        for piece in text {
            switch piece {
            case .text(let string): paragraph.pieces.append(.text(string))
            case .control:
                if nextControl < controls.count, let content = controls[nextControl] { paragraph.pieces.append(content) }
                nextControl += 1
            }
        }
        for content in controls.dropFirst(nextControl).compactMap({ $0 }) { paragraph.pieces.append(content) }
        return paragraph
    }

    /// Reads a control whose `CTRL_HEADER` is `header`: a table, the paragraphs of a text box or note, or
    /// nothing (section and column definitions, headers, footers, fields, ...).
    private func control(_ header: HWPRecord, _ records: inout HWPRecords, nesting: Int) throws -> Piece? {
        let id = HWPText.controlID(HWPBytes.u32(records.payload(header), 0))
        guard ["tbl ", "gso ", "fn  ", "en  "].contains(id), budget.nests(nesting + 1) else {
            try records.skipChildren(of: header.level)
            return nil
        }
        if id == "tbl " { return try table(header, &records, nesting: nesting) }
        // Text boxes (inside the drawing object's records), footnotes, endnotes: every paragraph below.
        var notes: [String] = []
        while let record = try records.child(of: header.level) {
            if record.tag == HWPRecord.paraHeader {
                let text = try paragraph(record, &records, nesting: nesting + 1).flatText
                if !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { notes.append(text) }
            }
        }
        return notes.isEmpty ? nil : .notes(notes)
    }

    /// Reads a table control: the caption list (before the `TABLE` record), then one `LIST_HEADER` per cell
    /// with its address and spans, each followed by the cell's paragraphs.
    private func table(_ header: HWPRecord, _ records: inout HWPRecords, nesting: Int) throws -> Piece? {
        struct Cell { var column = 0, row = 0, columnSpan = 1, rowSpan = 1, text = "" }
        var cells: [Cell] = []
        var inside: [DocumentTable] = []
        var caption = ""
        var sawTable = false
        var repeatsHeader = false
        while let record = try records.child(of: header.level) {
            switch record.tag {
            case HWPRecord.table:
                sawTable = true
                repeatsHeader = HWPBytes.u32(records.payload(record), 0) & (1 << 2) != 0
                try records.skipChildren(of: record.level)
            case HWPRecord.listHeader:
                if sawTable {
                    let list = records.payload(record)
                    cells.append(
                        Cell(
                            column: Int(HWPBytes.u16(list, 8)), row: Int(HWPBytes.u16(list, 10)),
                            columnSpan: max(1, Int(HWPBytes.u16(list, 12))), rowSpan: max(1, Int(HWPBytes.u16(list, 14)))))
                }
                try records.skipChildren(of: record.level)
            case HWPRecord.paraHeader:
                let read = try paragraph(record, &records, nesting: nesting + 1)
                if !sawTable {
                    caption += (caption.isEmpty ? "" : " ") + read.flatText
                } else if !cells.isEmpty {
                    cells[cells.count - 1].text += " " + read.ownText
                    // A table in a cell is a table of its own after this one, captioned by the cell's text.
                    for case .table(let tables) in read.pieces {
                        guard var first = tables.first else { continue }
                        let place = TextNormalizer.collapseSpaces(cells[cells.count - 1].text)
                        if first.caption == nil, !place.isEmpty { first.caption = String(place.prefix(120)) }
                        inside += [first] + tables.dropFirst()
                    }
                }
            default:
                try records.skipChildren(of: record.level)
            }
        }
        // Cells row by row, left to right: the builder places spans on the grid.
        let builder = TableBuilder(budget: budget)
        let byRow = Dictionary(grouping: cells, by: \.row)
        for row in byRow.keys.sorted() {
            builder.startRow()
            for cell in byRow[row]!.sorted(by: { $0.column < $1.column }) {
                try builder.startCell(header: false, columnSpan: cell.columnSpan, rowSpan: cell.rowSpan)
                builder.append(cell.text)
                builder.endCell()
            }
        }
        let trimmedCaption = TextNormalizer.collapseSpaces(caption)
        if !trimmedCaption.isEmpty { builder.caption = trimmedCaption }
        guard var built = try builder.build() else { return inside.isEmpty ? nil : .table(inside) }
        // HWP marks no header cells the way markup does: a table's header is its first row (rows, when the
        // first row's cells span several), as Korean financial tables put it.
        let firstRowSpan = byRow[byRow.keys.min() ?? 0]?.map(\.rowSpan).max() ?? 1
        let headerRows = repeatsHeader ? max(1, firstRowSpan) : firstRowSpan
        built.headerRows = built.rows.count > headerRows ? headerRows : 0
        return .table([built] + inside)
    }
}

/// `PARA_TEXT`: UTF-16LE code units where 0-31 are control characters, some one unit long, the rest eight.
enum HWPText {
    enum Piece {
        case text(String)
        /// An extended control character: it stands for the paragraph's next control header.
        case control(UInt16)
    }

    /// The text and extended controls of a `PARA_TEXT` payload.
    static func pieces(_ payload: [UInt8]) -> [Piece] {
        var pieces: [Piece] = []
        var units: [UInt16] = []
        func flush() {
            if !units.isEmpty { pieces.append(.text(String(decoding: units, as: UTF16.self))) }
            units = []
        }
        var index = 0
        let count = payload.count / 2
        while index < count {
            let unit = HWPBytes.u16(payload, 2 * index)
            guard unit < 32 else { units.append(unit); index += 1; continue }
            switch unit {
            case 10: units.append(0x0A); index += 1  // line break
            case 24: units.append(0x2D); index += 1  // hyphen
            case 30, 31: units.append(0x20); index += 1  // non-breaking, fixed-width space
            case 0, 13, 25 ... 29: index += 1  // unusable, paragraph end, reserved
            case 9: units.append(0x09); index += 8  // tab (inline)
            case 4 ... 8, 19, 20: index += 8  // other inline controls
            default:  // extended: 1-3, 11-12, 14-18, 21-23
                flush()
                pieces.append(.control(unit))
                index += 8
            }
        }
        flush()
        return pieces
    }

    /// A control id (`MAKE_4CHID('t','b','l',' ')`) as its four characters.
    static func controlID(_ value: UInt32) -> String {
        String(decoding: [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) }, as: UTF8.self)
    }
}

/// The title in `\005HwpSummaryInformation`, an OLE property set (property 2, a string).
enum HWPSummary {
    static func title(_ bytes: [UInt8]) -> String? {
        // Header (28 bytes) then the first section's FMTID (16) and offset.
        guard bytes.count >= 48, HWPBytes.u16(bytes, 0) == 0xFFFE else { return nil }
        let section = Int(HWPBytes.u32(bytes, 44))
        let count = Int(HWPBytes.u32(bytes, section + 4))
        guard section > 0, section < bytes.count, count < 1000 else { return nil }
        for index in 0 ..< count {
            let entry = section + 8 + 8 * index
            guard HWPBytes.u32(bytes, entry) == 2 else { continue }
            let at = section + Int(HWPBytes.u32(bytes, entry + 4))
            let length = Int(HWPBytes.u32(bytes, at + 4))
            let text: String
            switch HWPBytes.u32(bytes, at) {
            case 31:  // VT_LPWSTR: characters, with a terminating NUL
                text = HWPBytes.utf16(bytes, at + 8, count: min(length, (bytes.count - at - 8) / 2))
            case 30:  // VT_LPSTR: bytes in the set's code page; only UTF-8 is taken
                guard at + 8 + length <= bytes.count, let decoded = String(validating: bytes[(at + 8) ..< (at + 8 + length)], as: UTF8.self) else {
                    return nil
                }
                text = decoded
            default: return nil
            }
            let title = TextNormalizer.collapseSpaces(text.replacingOccurrences(of: "\0", with: ""))
            return title.isEmpty ? nil : title
        }
        return nil
    }
}
