import Foundation

/// A tolerant scanner of tag markup — HTML, and DART's document "XML", which is often not well-formed (bare
/// `&`, `<` in text, undeclared entities): text and tags in order, as a browser reads them. A `<` not
/// followed by a letter, `/`, `!` or `?` is text (`부채비율 < 100%`); comments are skipped; a CDATA section is
/// text; the content of raw-text elements (`script`, `style`) is skipped whole. Linear in the input: the next
/// `>` is searched for once per stretch of text.
enum MarkupScanner {
    /// A tag: its lowercased name (letters, digits, `-`, `_`, `:`), whether it closes, and its raw inside
    /// (attributes, with the leading `/` of an end tag and any trailing `/`).
    struct Tag {
        var name: String
        var isEnd: Bool
        var inside: String
        /// Whether it is written self-closing (`<br/>`).
        var selfClosing: Bool { inside.hasSuffix("/") }

        /// An attribute's value (any case of its name; quoted or not), or nil.
        func attribute(_ name: String) -> String? {
            guard
                let range = inside.range(
                    of: #"(^|\s)"# + name + #"\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)"#, options: [.regularExpression, .caseInsensitive])
            else { return nil }
            let assignment = inside[range]
            guard let equals = assignment.firstIndex(of: "=") else { return nil }
            let value = assignment[assignment.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            return value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }

        /// A `colspan`/`rowspan`-like attribute as a count (1 when absent or not a number).
        func span(_ name: String) -> Int {
            guard let value = attribute(name), let count = Int(value.prefix { $0.isNumber }.prefix(5)) else { return 1 }
            return max(count, 1)
        }
    }

    /// Calls `text` with each text scalar and `tag` with each tag, in order.
    static func scan(_ scalars: [Unicode.Scalar], rawTextElements: Set<String> = [], text: (Unicode.Scalar) -> Void, tag: (Tag) -> Void) {
        var index = 0
        var nextClose = -1
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "<" else {
                text(scalar)
                index += 1
                continue
            }
            if matches(scalars, index, "<!--") {
                index = find(scalars, from: index + 4, "-->").map { $0 + 3 } ?? scalars.count
                continue
            }
            if matches(scalars, index, "<![CDATA[") {
                let end = find(scalars, from: index + 9, "]]>") ?? scalars.count
                for inner in scalars[(index + 9) ..< end] { text(inner) }
                index = min(end + 3, scalars.count)
                continue
            }
            let next = index + 1 < scalars.count ? scalars[index + 1] : " "
            guard next.properties.isAlphabetic && next.isASCII || next == "/" || next == "!" || next == "?" else {
                text(scalar)
                index += 1
                continue
            }
            if nextClose < index { nextClose = scalars[index...].firstIndex(of: ">") ?? Int.max }
            guard nextClose != Int.max else { text(scalar); index += 1; continue }
            let close = nextClose
            let inside = String(String.UnicodeScalarView(scalars[(index + 1) ..< close]))
            index = close + 1
            let isEnd = inside.hasPrefix("/")
            let name = inside.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ":" }.lowercased()
            if name.isEmpty { continue }
            let found = Tag(name: name, isEnd: isEnd, inside: inside)
            tag(found)
            if !isEnd, !found.selfClosing, rawTextElements.contains(name) {
                // Raw text: skip straight past the closing tag.
                let closing = Array("</\(name)".unicodeScalars)
                var search = index
                while search < scalars.count, !matchesIgnoringCase(scalars, search, closing) { search += 1 }
                index = scalars[search...].firstIndex(of: ">").map { $0 + 1 } ?? scalars.count
                tag(Tag(name: name, isEnd: true, inside: "/" + name))
            }
        }
    }

    private static func matches(_ scalars: [Unicode.Scalar], _ index: Int, _ text: String) -> Bool {
        matchesIgnoringCase(scalars, index, Array(text.unicodeScalars))
    }

    private static func matchesIgnoringCase(_ scalars: [Unicode.Scalar], _ index: Int, _ pattern: [Unicode.Scalar]) -> Bool {
        guard index + pattern.count <= scalars.count else { return false }
        for (offset, expected) in pattern.enumerated() {
            let actual = scalars[index + offset]
            if actual != expected, String(actual).lowercased() != String(expected).lowercased() { return false }
        }
        return true
    }

    private static func find(_ scalars: [Unicode.Scalar], from start: Int, _ text: String) -> Int? {
        let pattern = Array(text.unicodeScalars)
        var index = start
        while index + pattern.count <= scalars.count {
            if scalars[index] == pattern[0], Array(scalars[index ..< index + pattern.count]) == pattern { return index }
            index += 1
        }
        return nil
    }
}
