import Foundation

/// Markdown (`.md`, `.markdown`): the reading text, the first `#` heading as the title.
struct MarkdownReader: DocumentReader {
    let type = "md"
    let name = "Markdown"
    let extensions = ["md", "markdown"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let decoded = try file.text()
        return DocumentContent(blocks: DocumentContent.paragraphs(of: MarkdownText.plain(decoded.text)),
                               metadata: DocumentMetadata(title: title(decoded.text)), encoding: decoded.encoding)
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
    static func plain(_ markdown: String) -> String {
        markdown.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var text = String(line)
            // "## Heading" → "Heading"
            if let range = text.range(of: #"^\s{0,3}#{1,6}\s+"#, options: .regularExpression) { text.removeSubrange(range) }
            text = text.replacingOccurrences(of: #"!\[([^\]]*)\]\([^)]*\)"#, with: "$1", options: .regularExpression)
            text = text.replacingOccurrences(of: #"\[([^\]]+)\]\([^)]*\)"#, with: "$1", options: .regularExpression)
            text = text.replacingOccurrences(of: #"(\*\*|__)(.+?)\1"#, with: "$2", options: .regularExpression)
            text = text.replacingOccurrences(of: #"`([^`]+)`"#, with: "$1", options: .regularExpression)
            return text
        }.joined(separator: "\n")
    }
}
