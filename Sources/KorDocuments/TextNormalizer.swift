import Foundation

/// Cleans extracted text into what is stored and chunked: NFC, `\n` line ends, hard line wraps joined back
/// into paragraphs, runs of spaces collapsed. Paragraphs are separated by one blank line. Page-number lines
/// (`- 3 -`, `12`) are dropped only where a page's edge puts them (`droppingPageNumbers(_:)`): a paragraph
/// that is only a number is text anywhere else.
enum TextNormalizer {
    /// The normalized text of one page or document.
    static func normalize(_ raw: String) -> String {
        paragraphs(raw).joined(separator: "\n\n")
    }

    /// The normalized paragraphs of one page or document, in order, none empty.
    static func paragraphs(_ raw: String) -> [String] {
        let unified = raw.precomposedStringWithCanonicalMapping
            .replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\r", with: "\n")
        var paragraphs: [String] = []
        var current = ""
        for rawLine in unified.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = collapseSpaces(rawLine)
            if line.isEmpty {
                if !current.isEmpty { paragraphs.append(current); current = "" }
                continue
            }
            if current.isEmpty {
                current = line
            } else if endsSentenceOrBlock(current) || startsBlock(line) {
                // A line that ends a sentence, or a list item / heading that starts one: keep the break.
                current += "\n" + line
            } else {
                current += joiner(current, line) + line
            }
        }
        if !current.isEmpty { paragraphs.append(current) }
        return paragraphs
    }

    /// Collapses spaces, tabs and other blank characters into one space; trims both ends.
    static func collapseSpaces<S: StringProtocol>(_ line: S) -> String {
        var result = ""
        var pendingSpace = false
        for character in line {
            if character.isWhitespace || character == "\u{00A0}" || character == "\u{3000}" {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(character)
            }
        }
        return result
    }

    /// The lines at a page's edges, where its number is printed (the header and footer areas): the first two and
    /// the last two of `ordered`, a page's lines top to bottom.
    static func pageEdges(_ ordered: [Int]) -> Set<Int> {
        Set(ordered.prefix(2) + ordered.suffix(2))
    }

    /// The lines of one page without the page-number lines at its edges (`pageEdges` of its non-blank lines).
    static func droppingPageNumbers(_ lines: [String]) -> [String] {
        let edges = pageEdges(lines.indices.filter { !lines[$0].trimmingCharacters(in: .whitespaces).isEmpty })
        return lines.indices.filter { !edges.contains($0) || !isPageNumber(collapseSpaces(lines[$0])) }.map { lines[$0] }
    }

    /// Text of pages separated by form feeds (what `pdftotext` writes) without the page-number lines at each
    /// page's edges; text without form feeds is returned as it is.
    static func droppingPageNumbers(pages raw: String) -> String {
        guard raw.contains("\u{0C}") else { return raw }
        return raw.split(separator: "\u{0C}", omittingEmptySubsequences: false).map { page in
            droppingPageNumbers(page.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)).joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    /// `3`, `- 3 -`, `– 12 –`, `3 / 10`, `p. 3`, `3쪽`, `페이지 3`: a line that only numbers the page. A bare
    /// number of four digits (a year) is kept; with dashes around it, it is a page number.
    static func isPageNumber(_ line: String) -> Bool {
        let core = line.trimmingCharacters(in: CharacterSet(charactersIn: "-–—·.() "))
        if core.isEmpty { return false }
        if core.allSatisfy(\.isNumber), line.count <= 12, core.count <= (core.count == line.count ? 3 : 4) { return true }
        let patterns = [#"^\d{1,4}\s*/\s*\d{1,4}$"#, #"^(p\.?|page|페이지)\s*\d{1,4}$"#, #"^\d{1,4}\s*(쪽|페이지)$"#]
        return patterns.contains { core.range(of: $0, options: [.regularExpression, .caseInsensitive]) != nil }
    }

    private static func endsSentenceOrBlock(_ text: String) -> Bool {
        guard let last = text.last else { return true }
        if ".?!…:;。".contains(last) { return true }
        // A closing quote or bracket right after sentence punctuation.
        if "\"'”’)]」』".contains(last), text.count >= 2 {
            let before = text[text.index(text.endIndex, offsetBy: -2)]
            return ".?!…。".contains(before)
        }
        return false
    }

    private static func startsBlock(_ line: String) -> Bool {
        guard let first = line.first else { return false }
        if "#-*•·▶▷■□◆◇○●※①②③④⑤⑥⑦⑧⑨⑩|>".contains(first) { return true }
        return line.range(of: #"^(\d{1,3}[.)]|[가-하][.)]|\(\d{1,3}\)|제\s?\d+\s?[조장절항])\s"#, options: .regularExpression) != nil
    }

    /// Lines of a wrapped paragraph join with a space; a line broken inside a Latin word joined at a hyphen.
    private static func joiner(_ current: String, _ next: String) -> String {
        if current.hasSuffix("-"), let before = current.dropLast().last, before.isLetter, before.isASCII,
            let first = next.first, first.isLowercase
        {
            return ""
        }
        return " "
    }
}
