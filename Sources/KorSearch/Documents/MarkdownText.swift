import Foundation

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
