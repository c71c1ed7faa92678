import Foundation

/// DART filings (`.zip` as OpenDART's document download delivers them, or a bare `.xml`): the dart4.xsd
/// markup, read tolerantly (DART's "XML" is often not well-formed). `SECTION-n` elements nest and their `TITLE`s
/// become headings of that depth (to `DocumentLimits.maxNesting`); `P` and `PGBRK` break paragraphs; `TABLE` (`THEAD`,
/// `TR`, `TH`, `TD`/`TE`/`TU`, `COLSPAN`/`ROWSPAN`) becomes a table block; the summary, the table of
/// contents and images are left out. `COMPANY-NAME` (`AREGCIK`), `DOCUMENT-NAME` (`ACODE`) and the cover's
/// `TU` period values go to the metadata.
///
/// A zip is one document: the main body (`{rcept_no}.xml`) first, then each attachment (`{rcept_no}_NNNNN.xml`,
/// e.g. an audit report) headed by its own document name. A zip or XML file without DART markup is skipped
/// with that reason.
struct DARTReader: DocumentReader {
    let type = "dart"
    let name = "DART filing (zip, XML)"
    let extensions = ["zip", "xml"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        if file.url.pathExtension.lowercased() == "xml" {
            let (text, _) = try DARTMarkup.decode(file.data)
            guard DARTMarkup.isDART(text) else {
                throw DocumentFailure("not a DART filing (XML other than DART's document markup is not read)")
            }
            var markup = DARTMarkup(rceptNo: DARTMarkup.rceptNo(file.url.lastPathComponent), budget: file.budget)
            try markup.read(text, attachment: false)
            return markup.content()
        }
        let archive = try OfficeArchive(file, format: "zip")
        let entries = archive.paths.filter { $0.lowercased().hasSuffix(".xml") && !$0.hasSuffix("/") }
        // The main body has no `_NNNNN` suffix; attachments follow in their numbers' order.
        let ordered = entries.filter { !isAttachment($0) }.sorted() + entries.filter(isAttachment).sorted()
        var markup = DARTMarkup(
            rceptNo: entries.lazy.compactMap { DARTMarkup.rceptNo(($0 as NSString).lastPathComponent) }.first
                ?? DARTMarkup.rceptNo(file.url.lastPathComponent), budget: file.budget)
        var read = 0
        for entry in ordered {
            // The inflated bytes are let go once decoded: a large document is held once, as text.
            guard let text = try archive.read(entry).flatMap({ try? DARTMarkup.decode($0).text }), DARTMarkup.isDART(text) else { continue }
            try markup.read(text, attachment: read > 0)
            read += 1
        }
        guard read > 0 else { throw DocumentFailure("not a DART filing (the zip holds no DART document XML)") }
        return markup.content()
    }

    private func isAttachment(_ path: String) -> Bool {
        (path as NSString).lastPathComponent.contains("_")
    }
}

/// The reading of one filing's markup documents into blocks and metadata.
struct DARTMarkup {
    private var blocks: [DocumentBlock] = []
    private var metadata = DocumentMetadata()
    private let budget: ReadingBudget

    init(rceptNo: String?, budget: ReadingBudget = ReadingBudget()) {
        self.budget = budget
        metadata.rceptNo = rceptNo
        if let rceptNo {
            // The first eight digits of a receipt number are its filing date.
            let digits = Array(rceptNo)
            metadata.filed = "\(String(digits[0 ..< 4]))-\(String(digits[4 ..< 6]))-\(String(digits[6 ..< 8]))"
        }
    }

    /// A DART receipt number (14 digits, starting with a plausible date) at the start of a file name.
    static func rceptNo(_ name: String) -> String? {
        guard let match = name.range(of: #"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{6}(?!\d)"#, options: .regularExpression) else {
            return nil
        }
        return String(name[match])
    }

    /// The bytes as text: the encoding the XML declaration names (EUC-KR is read as CP949), else detected.
    static func decode(_ data: Data) throws -> (text: String, encoding: String) {
        let head = String(decoding: data.prefix(200), as: UTF8.self).lowercased()
        let legacy = ["euc-kr", "cp949", "ks_c_5601-1987", "x-windows-949"].contains {
            head.contains("encoding=\"\($0)\"") || head.contains("encoding='\($0)'")
        }
        switch TextDecoding.decode(data, preferring: legacy ? .cp949 : nil) {
        case .success(let decoded): return (decoded.text, decoded.encoding.rawValue)
        case .failure: throw DocumentFailure("not text in UTF-8, UTF-16 or EUC-KR")
        }
    }

    /// Whether a text is DART document markup: a `DOCUMENT` root with DART's own elements.
    static func isDART(_ text: String) -> Bool {
        let head = text.prefix(20_000).uppercased()
        return head.contains("<DOCUMENT") && (head.contains("<DOCUMENT-NAME") || head.contains("<COMPANY-NAME") || head.contains("<SECTION-"))
    }

    /// Elements whose content is not body text.
    private static let hidden: Set<String> = ["summary", "toc", "extraction", "image", "img", "formula-version", "document-header-info"]

    /// Reads one document of the filing; an attachment starts with its document name as a heading and its
    /// sections one level below it. Within the reading's budget: text counted as it is gathered, tables and
    /// sections nested deeper than `maxNesting` read as text and at that depth.
    mutating func read(_ markup: String, attachment: Bool) throws {
        var text = ""
        var sectionDepth = 0
        var hiddenDepth = 0
        var capture: (element: String, text: String)?
        var tables: [TableBuilder] = []
        var flattenedTables = 0  // tables opened inside the deepest one read as a table
        var headerRows = false
        let base = attachment ? 1 : 0

        func flush() {
            guard !text.isEmpty else { return }
            blocks += DocumentContent.paragraphs(of: DARTMarkup.clean(text))
            text = ""
        }
        let budget = budget
        try MarkupScanner.scan(
            markup,
            text: { scalar in
                guard hiddenDepth == 0 else { return }
                try budget.gather(1)
                let character: Unicode.Scalar = scalar == "\n" || scalar == "\r" || scalar == "\t" ? " " : scalar
                if capture != nil {
                    capture!.text.unicodeScalars.append(character)
                } else if let table = tables.last {
                    table.append(String(character))
                } else {
                    text.unicodeScalars.append(character)
                }
            }
        ) { tag in
            let name = tag.name
            if DARTMarkup.hidden.contains(name) {
                if !tag.selfClosing { hiddenDepth = max(0, hiddenDepth + (tag.isEnd ? -1 : 1)) }
                return
            }
            guard hiddenDepth == 0 else { return }
            if flattenedTables > 0, ["table", "thead", "tr", "th", "td", "te", "tu"].contains(name) {
                // Inside a table too deep to read as one: its markup separates words of the cell that holds it.
                if name == "table" { flattenedTables += tag.isEnd ? -1 : 1 }
                tables.last?.append(" ")
                return
            }
            switch name {
            case "document-name", "company-name", "title", "cover-title":
                if !tag.isEnd {
                    if name == "company-name", metadata.corpCode == nil {
                        metadata.corpCode = tag.attribute("aregcik").flatMap { $0.isEmpty ? nil : $0 }
                    }
                    if name == "document-name", !attachment, metadata.reportCode == nil { metadata.reportCode = tag.attribute("acode") }
                    if tables.isEmpty { capture = (name, "") }
                    return
                }
                guard let captured = capture, captured.element == name else { return }
                capture = nil
                let value = TextNormalizer.collapseSpaces(DARTMarkup.clean(captured.text))
                guard !value.isEmpty else { return }
                switch name {
                case "company-name": if metadata.company == nil { metadata.company = value }
                case "document-name":
                    if attachment {
                        flush()
                        blocks.append(.heading(value, level: 1))
                    } else if metadata.reportType == nil {
                        metadata.reportType = value
                    }
                case "title":
                    flush()
                    blocks.append(.heading(value, level: min(max(1, sectionDepth) + base, budget.limits.maxNesting)))
                default:  // the cover's title, letter-spaced as printed (사 업 보 고 서)
                    flush()
                    blocks += DocumentContent.paragraphs(of: value)
                }
            case _ where name.hasPrefix("section-"):
                flush()
                sectionDepth = max(0, sectionDepth + (tag.isEnd ? -1 : 1))
                if !tag.isEnd { _ = budget.nests(sectionDepth) }
            case "p", "pgbrk", "cover", "body", "library", "part":
                if tables.isEmpty { flush() } else { tables.last?.append(" ") }
            case "br":
                if tables.isEmpty { text += "\n" } else { tables.last?.append(" ") }
            case "table":
                if !tag.isEnd {
                    guard budget.nests(tables.count + 1) else {
                        flattenedTables = 1
                        tables.last?.append(" ")
                        return
                    }
                    if tables.isEmpty { flush() }
                    let builder = TableBuilder(budget: budget)
                    builder.transform = DARTMarkup.clean
                    tables.append(builder)
                } else if let builder = tables.popLast(), let built = try builder.build() {
                    if let outer = tables.last { outer.append(" " + built.flatText + " ") } else { DocumentBlock.append(built, to: &blocks) }
                }
            case "thead": headerRows = !tag.isEnd
            case "tr": if tag.isEnd { tables.last?.endCell() } else { tables.last?.startRow(header: headerRows) }
            case "th", "td", "te", "tu":
                guard let table = tables.last else { return }
                if tag.isEnd {
                    table.endCell()
                } else {
                    try table.startCell(header: name == "th", columnSpan: tag.span("colspan"), rowSpan: tag.span("rowspan"))
                    if name == "tu", !attachment, let unit = tag.attribute("aunit"), let value = tag.attribute("aunitvalue") {
                        record(unit: unit, value: value)
                    }
                }
            default: break
            }
        }
        while let builder = tables.popLast() {
            if let built = try builder.build() { DocumentBlock.append(built, to: &blocks) }
        }
        flush()
    }

    /// The cover's period cells: `PERIODFROM`/`PERIODTO` (`20240101`) as dates.
    private mutating func record(unit: String, value: String) {
        let digits = value.filter(\.isNumber)
        guard digits.count == 8 else { return }
        let date = "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))"
        switch unit.uppercased() {
        case "PERIODFROM", "PERIODFROM2": if metadata.periodFrom == nil { metadata.periodFrom = date }
        case "PERIODTO", "PERIODTO2": if metadata.periodTo == nil { metadata.periodTo = date }
        default: break
        }
    }

    /// The blocks and metadata read; the title is the company and the document name (`한빛전자㈜ 반기보고서`).
    func content() -> DocumentContent {
        var metadata = metadata
        metadata.title = [metadata.company, metadata.reportType].compactMap { $0 }.joined(separator: " ")
        if metadata.title?.isEmpty == true { metadata.title = nil }
        return DocumentContent(blocks: blocks, metadata: metadata)
    }

    /// Entities decoded (DART's `&cr;` is a line break).
    static func clean(_ text: String) -> String {
        HTMLText.decodeEntities(text.replacingOccurrences(of: "&cr;", with: "\n"))
    }
}
