import Foundation

/// Headings found by their numbering, for documents whose format (or author) marks none by style: Korean
/// reports, filings, forms and contracts number their headings (`제1장`, `Ⅰ.`, `1.`, `1.1`, `가.`, `(1)`, `①`,
/// `제3조(이자)`) far more often than they use heading styles.
///
/// A line is a numbered heading when it starts with one of those numberings, is short (at most
/// `maxHeadingCharacters`), and does not read as a sentence (it does not end as Korean sentences end, `다`,
/// `.`, `?`, nor with a colon), nor as a table of contents' line (dot leaders) or a row of figures. An
/// article's number and title (`제3조(이자)`) is a heading even when the article's text follows on its line;
/// the text becomes the paragraph under it. Two or more lines of the same numbering in a row with nothing
/// between them are a list, not headings.
///
/// Levels follow the usual order of Korean numbering: 편 > 장 > 절 > 관 > 조 > `Ⅰ.` > `1.` > `1.1` > `가.` >
/// `1)` > `가)` > `(1)` > `(가)` > `①`, counted among the kinds the document uses (a report numbered `Ⅰ.`,
/// `1.`, `가.` has levels 1, 2, 3).
enum NumberedHeadings {
    /// Longer lines are text, not headings (the numbering not counted).
    static let maxHeadingCharacters = 60

    /// A numbering kind, in the order of precedence above.
    enum Kind: Int, Comparable {
        case part, chapter, section, subsection, article, roman, number, dotted, letter, numberParen, letterParen, parenNumber,
            parenLetter, circled

        static func < (left: Kind, right: Kind) -> Bool { left.rawValue < right.rawValue }
    }

    /// The blocks with numbered headings made headings, where `blocks` hold no heading already (a document
    /// with heading styles keeps its own). Paragraphs are split at the heading lines they hold; tables are
    /// left alone.
    static func infer(_ blocks: [DocumentBlock]) -> [DocumentBlock] {
        guard !blocks.contains(where: { if case .heading = $0.kind { true } else { false } }) else { return blocks }
        // Every line of every paragraph, with what it would be as a heading.
        enum Item {
            case line(String, page: Int?, ocr: Bool, heading: (kind: Kind, title: String, rest: String?)?)
            case paragraphEnd
            case other(DocumentBlock)
        }
        var items: [Item] = []
        for block in blocks {
            guard case .paragraph = block.kind else {
                items.append(.other(block))
                continue
            }
            for line in block.text.split(separator: "\n", omittingEmptySubsequences: true) {
                items.append(.line(String(line), page: block.page, ocr: block.ocr, heading: candidate(String(line))))
            }
            items.append(.paragraphEnd)
        }
        // A table of contents: a candidate followed by a line with dot leaders (`Ⅱ. 사업 추진계획` above
        // `1. 추진전략 ······ 4`) is one of its titles, not a heading.
        func besideContents(_ index: Int) -> Bool {
            var next = index + 1
            while next < items.count, case .paragraphEnd = items[next] { next += 1 }
            if next < items.count, case .line(let text, _, _, _) = items[next] { return hasLeaders(text) }
            return false
        }
        // A run of two or more candidates of one kind, nothing between them, is a list.
        var accepted = [Bool](repeating: false, count: items.count)
        var index = 0
        while index < items.count {
            guard case .line(_, _, _, let heading?) = items[index] else {
                index += 1
                continue
            }
            var end = index + 1
            while end < items.count {
                if case .paragraphEnd = items[end] { end += 1; continue }
                guard case .line(_, _, _, let next?) = items[end], next.kind == heading.kind, next.rest == nil, heading.rest == nil else { break }
                end += 1
            }
            let run = items[index ..< end].filter { if case .line = $0 { true } else { false } }.count
            if run == 1 || heading.kind <= .article { accepted[index] = true }
            // Articles (제N조) in a row are each a heading; for the other kinds the run is a list.
            if heading.kind <= .article {
                for later in index ..< end { if case .line = items[later] { accepted[later] = true } }
            }
            index = end
        }
        for index in items.indices where accepted[index] && besideContents(index) { accepted[index] = false }
        let used = Set(
            items.indices.compactMap { index -> Kind? in
                guard accepted[index], case .line(_, _, _, let heading?) = items[index] else { return nil }
                return heading.kind
            }
        ).sorted()
        guard !used.isEmpty else { return blocks }
        var result: [DocumentBlock] = []
        // The paragraph being gathered: its lines, its page, and whether OCR read any of them.
        var lines: [String] = []
        var linesPage: Int?
        var linesOCR = false
        func flush() {
            if !lines.isEmpty {
                var paragraph = DocumentBlock.paragraph(lines.joined(separator: "\n"), page: linesPage)
                paragraph.ocr = linesOCR
                result.append(paragraph)
            }
            lines = []
            linesOCR = false
        }
        for (index, item) in items.enumerated() {
            switch item {
            case .other(let block):
                flush()
                result.append(block)
            case .paragraphEnd:
                flush()
            case .line(let text, let page, let ocr, let heading):
                if accepted[index], let heading, let level = used.firstIndex(of: heading.kind) {
                    flush()
                    var block = DocumentBlock.heading(heading.title, level: level + 1, page: page)
                    block.ocr = ocr
                    result.append(block)
                    if let rest = heading.rest {
                        lines = [rest]
                        linesPage = page
                        linesOCR = ocr
                    }
                } else {
                    if lines.isEmpty { linesPage = page }
                    lines.append(text)
                    linesOCR = linesOCR || ocr
                }
            }
        }
        flush()
        return result
    }

    /// The numbering patterns, each with its kind; tried in order (the first that matches).
    private static let patterns: [(Kind, NSRegularExpression)] =
        ([

            (.part, #"^제\s?\d{1,3}\s?편(\s|$)"#), (.chapter, #"^제\s?\d{1,3}\s?장(\s|$)"#), (.section, #"^제\s?\d{1,3}\s?절(\s|$)"#),
            (.subsection, #"^제\s?\d{1,3}\s?관(\s|$)"#), (.article, #"^제\s?\d{1,4}\s?조(의\s?\d{1,2})?(\s|\(|$)"#),
            (.roman, #"^([ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ]{1,3}|(XII|XI|X|IX|VIII|VII|VI|V|IV|III|II|I))\.?\s"#),
            (.dotted, #"^\d{1,2}\.\d{1,2}(\.\d{1,2})?\.?\s"#), (.number, #"^\d{1,2}\.\s"#), (.letter, #"^[가-하]\.\s"#),
            (.numberParen, #"^\d{1,2}\)\s"#), (.letterParen, #"^[가-하]\)\s"#), (.parenNumber, #"^\(\d{1,2}\)\s?"#),
            (.parenLetter, #"^\([가-하]\)\s?"#), (.circled, #"^[①-⑳]\s?"#),
        ] as [(Kind, String)]).map { ($0.0, try! NSRegularExpression(pattern: $0.1)) }

    /// An article's number and parenthesized title at a line's start: `제3조(이자)`, `제 12 조 (기한의 이익 상실)`.
    private static let articleTitle = try! NSRegularExpression(pattern: #"^제\s?\d{1,4}\s?조(의\s?\d{1,2})?\s?\([^()]{1,30}\)"#)

    /// What `line` is as a heading: its numbering's kind, the heading's text, and (for an article whose text
    /// follows its title on the line) that text; nil when it is not a heading.
    static func candidate(_ line: String) -> (kind: Kind, title: String, rest: String?)? {
        let text = line.trimmingCharacters(in: .whitespaces)
        // Every numbering starts with 제, a parenthesis, a Roman or Arabic digit, a circled number or a syllable.
        guard let first = text.unicodeScalars.first,
            "제(IVX".unicodeScalars.contains(first) || first.properties.numericType != nil || (0xAC00 ... 0xD7A3).contains(first.value)
        else { return nil }
        let range = NSRange(text.startIndex..., in: text)
        guard
            let (kind, match) = patterns.lazy.compactMap({ kind, pattern in
                pattern.firstMatch(in: text, options: .anchored, range: range).map { (kind, $0) }
            }).first
        else { return nil }
        if kind == .article, let title = articleTitle.firstMatch(in: text, options: .anchored, range: range),
            let end = Range(title.range, in: text)
        {
            let rest = text[end.upperBound...].trimmingCharacters(in: .whitespaces)
            return (kind, String(text[..<end.upperBound]), rest.isEmpty ? nil : rest)
        }
        guard let numbering = Range(match.range, in: text) else { return nil }
        let body = text[numbering.upperBound...].trimmingCharacters(in: .whitespaces)
        guard body.count <= maxHeadingCharacters, body.contains(where: \.isLetter), !readsAsText(body) else { return nil }
        return (kind, text, nil)
    }

    /// Dot leaders, as a table of contents sets them between an entry and its page.
    private static func hasLeaders(_ text: String) -> Bool {
        text.contains("···") || text.contains("…") || text.contains("....") || text.contains("ㆍㆍㆍ") || text.contains("‥")
    }

    /// A sentence's ending, a colon, dot leaders, or mostly figures: text, not a heading's title.
    private static func readsAsText(_ body: String) -> Bool {
        if let last = body.last, ".?!:;,。".contains(last) || body.hasSuffix("다") { return true }
        if hasLeaders(body) { return true }
        let letters = body.filter(\.isLetter).count
        let digits = body.filter(\.isNumber).count
        return digits > letters
    }
}
