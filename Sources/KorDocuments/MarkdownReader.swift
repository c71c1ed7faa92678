import Foundation

/// Markdown (`.md`, `.markdown`): the reading text, ATX headings (`#` to `######`) as headings, the first `#`
/// heading as the title.
struct MarkdownReader: DocumentReader {
    let type = "md"
    let name = "Markdown"
    let extensions = ["md", "markdown"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let decoded = try file.allText()
        var blocks: [DocumentBlock] = []
        var text: [Substring] = []
        var fenced = false
        func flush() {
            if !text.isEmpty { blocks += DocumentContent.paragraphs(of: MarkdownText.plain(text.joined(separator: "\n"))) }
            text = []
        }
        for line in decoded.text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { fenced.toggle() }
            if !fenced, let heading = MarkdownText.heading(line) {
                flush()
                blocks.append(.heading(heading.text, level: heading.level))
            } else {
                text.append(line)
            }
        }
        flush()
        return DocumentContent(blocks: blocks, metadata: DocumentMetadata(title: title(decoded.text)), encoding: decoded.encoding)
    }

    private func title(_ text: String) -> String? {
        for line in text.split(separator: "\n", maxSplits: 50) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("# ") { return String(trimmed.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}

/// The reading text of Markdown: heading marks, emphasis, inline code ticks, link and image syntax removed;
/// list items, tables and paragraphs kept as lines.
enum MarkdownText {
    /// An ATX heading line's level and text (its marks and closing `#`s removed), or nil.
    static func heading<S: StringProtocol>(_ line: S) -> (level: Int, text: String)? {
        let line = String(line)
        guard let marks = line.range(of: #"^\s{0,3}#{1,6}(\s+|$)"#, options: .regularExpression) else { return nil }
        let level = line[marks].filter { $0 == "#" }.count
        var text = String(line[marks.upperBound...])
        if let closing = text.range(of: #"\s+#+\s*$"#, options: .regularExpression) { text.removeSubrange(closing) }
        text = TextNormalizer.collapseSpaces(plain(text))
        return text.isEmpty ? nil : (level, text)
    }

    /// `[text](url)` as `text` and `![alt](url)` as `alt`, in one pass over the line (the regular expressions
    /// this replaces backtracked over a line of unclosed `[`: 100,000 of them took minutes).
    static func withoutLinks(_ line: String) -> String {
        let scalars = Array(line.unicodeScalars)
        guard scalars.contains("[") else { return line }
        // Where the next `]` and `)` are, from each position: found once, from the end.
        var nextBracket = [Int](repeating: scalars.count, count: scalars.count + 1)
        var nextParen = nextBracket
        for index in stride(from: scalars.count - 1, through: 0, by: -1) {
            nextBracket[index] = scalars[index] == "]" ? index : nextBracket[index + 1]
            nextParen[index] = scalars[index] == ")" ? index : nextParen[index + 1]
        }
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let image = scalars[index] == "!" && index + 1 < scalars.count && scalars[index + 1] == "["
            let open = image ? index + 1 : index
            if scalars[open] == "[" {
                let close = nextBracket[open + 1]
                if close + 1 < scalars.count, scalars[close + 1] == "(", image || close > open + 1 {
                    let end = nextParen[close + 2]
                    if end < scalars.count {
                        result.append(contentsOf: scalars[(open + 1) ..< close])
                        index = end + 1
                        continue
                    }
                }
            }
            result.append(scalars[index])
            index += 1
        }
        return String(result)
    }

    static func plain(_ markdown: String) -> String {
        markdown.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var text = String(line)
            // "## Heading" → "Heading"
            if let range = text.range(of: #"^\s{0,3}#{1,6}\s+"#, options: .regularExpression) { text.removeSubrange(range) }
            text = withoutLinks(text)
            text = text.replacingOccurrences(of: #"(\*\*|__)(.+?)\1"#, with: "$2", options: .regularExpression)
            text = text.replacingOccurrences(of: #"`([^`]+)`"#, with: "$1", options: .regularExpression)
            return text
        }.joined(separator: "\n")
    }
}
