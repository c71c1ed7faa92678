import Foundation

/// HTML (`.html`, `.htm`): the visible text, `<h1>`–`<h6>` as headings, `<title>` as the title; a page that
/// declares EUC-KR or CP949 is decoded as CP949.
struct HTMLReader: DocumentReader {
    let type = "html"
    let name = "HTML"
    let extensions = ["html", "htm"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let legacy = ["euc-kr", "cp949", "ks_c_5601-1987", "x-windows-949"].contains(HTMLText.declaredCharset(file.data) ?? "")
        let decoded = try file.text(preferringCP949: legacy)
        let extracted = try HTMLText.extract(decoded.text, budget: file.budget)
        var blocks: [DocumentBlock] = []
        for segment in extracted.segments {
            switch segment {
            case .text(let text):
                blocks += DocumentContent.paragraphs(of: text)
            case .table(let table):
                DocumentBlock.append(table, to: &blocks)
            case .heading(let level, let text):
                blocks.append(.heading(text, level: level))
            }
        }
        return DocumentContent(blocks: blocks, metadata: DocumentMetadata(title: extracted.title), encoding: decoded.encoding)
    }
}

/// The visible text of an HTML page: no script, style or comments; entities decoded; block elements as line
/// breaks; tables as tables (rows of cells, `<th>` and `<thead>` rows as headers, `colspan` and `rowspan`
/// placed on the grid with a merged cell's text stored once (`TableBuilder`), `<caption>`); the `<title>` kept
/// apart.
package enum HTMLText {
    /// Running text or a table, in page order.
    enum Segment {
        case text(String)
        case table(DocumentTable)
        /// An `<h1>`–`<h6>` outside tables: its level and text.
        case heading(level: Int, text: String)
    }

    /// What a page holds.
    struct Extracted {
        var title: String?
        var segments: [Segment]
        /// Everything as one text (tables as their stored lines).
        var text: String {
            segments.map { segment in
                switch segment {
                case .text(let text): text
                case .table(let table): "\n" + table.text + "\n"
                case .heading(_, let text): "\n" + text + "\n"
                }
            }.joined()
        }
    }

    private static let blockElements: Set<String> = [
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
        "article", "header", "footer", "nav", "aside", "blockquote", "pre", "hr", "dl", "dt", "dd", "figure",
        "figcaption", "main", "form", "fieldset", "address", "caption", "thead", "tbody", "tfoot",
    ]
    private static let cellElements: Set<String> = ["td", "th"]
    private static let hiddenElements: Set<String> = ["script", "style", "noscript", "template", "head", "svg"]

    /// The declared charset of a page (`<meta charset>` or `content="...; charset=..."`), lowercased.
    static func declaredCharset(_ data: Data) -> String? {
        let head = String(decoding: data.prefix(4096), as: UTF8.self).lowercased()
        guard let range = head.range(of: "charset=") else { return nil }
        let rest = head[range.upperBound...].drop { $0 == "\"" || $0 == "'" || $0 == " " }
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return name.isEmpty ? nil : String(name)
    }

    /// Extracts title and visible text, within `budget`: the text gathered counted as it is read, tables
    /// nested deeper than `maxNesting` read as text of the cell that holds them.
    static func extract(_ html: String, budget: ReadingBudget = ReadingBudget()) throws -> Extracted {
        var text = String.UnicodeScalarView()
        var segments: [Segment] = []
        var tables: [TableBuilder] = []
        var flattenedTables = 0  // tables opened inside the deepest one read as a table
        var inHead = false
        var caption: String.UnicodeScalarView?
        var title: String?
        var hiddenDepth: [String] = []
        var inTitle = false
        var titleText = String.UnicodeScalarView()
        var heading: (level: Int, text: String.UnicodeScalarView)?

        func append(_ scalar: Unicode.Scalar) throws {
            try budget.gather(1)
            if inTitle { titleText.append(scalar); return }
            guard hiddenDepth.isEmpty else { return }
            if caption != nil { caption!.append(scalar); return }
            if heading != nil { heading!.text.append(scalar); return }
            if let table = tables.last {
                table.append(String(scalar))  // outside a cell: ignored, as browsers show no text there
            } else {
                text.append(scalar)
            }
        }

        func flushText() {
            segments.append(.text(String(text)))
            text = String.UnicodeScalarView()
        }

        func table(_ tag: MarkupScanner.Tag) throws -> Bool {
            if flattenedTables > 0 {
                // Inside a table too deep to read as one: its markup separates words of the cell that holds it.
                if tag.name == "table" { flattenedTables += tag.isEnd ? -1 : 1 }
                if ["table", "tr", "td", "th", "caption"].contains(tag.name) { tables.last?.append(" ") }
                return ["table", "tr", "td", "th", "caption", "thead", "tbody", "tfoot"].contains(tag.name)
            }
            switch (tag.name, tag.isEnd) {
            case ("table", false):
                guard budget.nests(tables.count + 1) else {
                    flattenedTables = 1
                    tables.last?.append(" ")
                    return true
                }
                if tables.isEmpty { flushText() }
                let builder = TableBuilder(budget: budget)
                builder.transform = decodeEntities
                tables.append(builder)
            case ("table", true):
                guard let builder = tables.popLast() else { return true }
                guard let built = try builder.build() else { return true }
                if let outer = tables.last { outer.append(" " + built.flatText + " ") } else { segments.append(.table(built)) }
            case ("thead", _): inHead = !tag.isEnd
            case ("tr", false): tables.last?.startRow(header: inHead)
            case ("tr", true): tables.last?.endCell()
            case ("td", false), ("th", false):
                try tables.last?.startCell(header: tag.name == "th", columnSpan: tag.span("colspan"), rowSpan: tag.span("rowspan"))
            case ("td", true), ("th", true): tables.last?.endCell()
            case ("caption", false): if !tables.isEmpty { caption = String.UnicodeScalarView() }
            case ("caption", true):
                if let text = caption { tables.last?.caption = decodeEntities(String(text)) }
                caption = nil
            default:
                return false
            }
            return true
        }

        try MarkupScanner.scan(html, rawTextElements: ["script", "style"], text: append) { tag in
            let name = tag.name
            if name == "title" {
                if tag.isEnd {
                    inTitle = false
                    let found = String(titleText).trimmingCharacters(in: .whitespacesAndNewlines)
                    if title == nil, !found.isEmpty { title = decodeEntities(found) }
                } else if !tag.selfClosing {
                    inTitle = true
                    titleText = String.UnicodeScalarView()
                }
                return
            }
            if hiddenElements.contains(name) {
                if tag.isEnd {
                    if let last = hiddenDepth.lastIndex(of: name) { hiddenDepth.removeSubrange(last...) }
                } else if !tag.selfClosing {
                    hiddenDepth.append(name)
                }
                return
            }
            if !tables.isEmpty || name == "table", try table(tag) { return }
            if tables.isEmpty, name.count == 2, name.first == "h", let level = Int(name.dropFirst()), (1 ... 6).contains(level) {
                if !tag.isEnd, !tag.selfClosing, heading == nil {
                    flushText()
                    heading = (level, String.UnicodeScalarView())
                } else if tag.isEnd, let open = heading {
                    heading = nil
                    let text = TextNormalizer.collapseSpaces(decodeEntities(String(open.text)))
                    if !text.isEmpty { segments.append(.heading(level: open.level, text: text)) }
                }
                return
            }
            if blockElements.contains(name) {
                try append(tables.isEmpty ? "\n" : " ")
            } else if cellElements.contains(name), !tag.isEnd {
                try append(" ")
            }
        }
        // An unclosed table still gives what it holds.
        while let builder = tables.popLast() {
            if let built = try builder.build() { segments.append(.table(built)) }
        }
        flushText()
        if let open = heading {
            let text = TextNormalizer.collapseSpaces(decodeEntities(String(open.text)))
            if !text.isEmpty { segments.append(.heading(level: open.level, text: text)) }
        }
        return Extracted(
            title: title,
            segments: segments.compactMap { segment in
                guard case .text(let raw) = segment else { return segment }
                let body = decodeEntities(raw)
                // Source whitespace inside a line is not meaningful in HTML: collapse it, keep the block breaks.
                let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map {
                    $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
                }
                let text = lines.joined(separator: "\n")
                return text.isEmpty ? nil : .text(text)
            })
    }

    private static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "middot": "·", "hellip": "…",
        "ndash": "–", "mdash": "—", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "copy": "©",
        "reg": "®", "trade": "™", "times": "×", "divide": "÷", "plusmn": "±", "percnt": "%", "won": "₩",
        "yen": "¥", "euro": "€", "pound": "£", "cent": "¢", "bull": "•", "rarr": "→", "larr": "←",
        "uarr": "↑", "darr": "↓", "deg": "°", "sup2": "²", "sup3": "³", "frac12": "½", "laquo": "«", "raquo": "»",
    ]

    /// Replaces `&name;`, `&#123;` and `&#x1F4C8;` with their characters; unknown entities stay as written.
    package static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var result = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            result += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semicolon = after.prefix(12).firstIndex(of: ";") {
                let name = String(after[..<semicolon])
                var replacement: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    replacement = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
                } else if name.hasPrefix("#") {
                    replacement = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
                } else {
                    replacement = namedEntities[name]
                }
                if let replacement {
                    result += replacement
                    rest = after[after.index(after: semicolon)...]
                    continue
                }
            }
            result += "&"
            rest = after
        }
        return result + rest
    }
}
