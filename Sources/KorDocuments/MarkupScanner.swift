import Foundation

/// A tolerant scanner of tag markup — HTML, and DART's document "XML", which is often not well-formed (bare
/// `&`, `<` in text, undeclared entities): text and tags in order, as a browser reads them. A `<` not
/// followed by a letter, `/`, `!` or `?` is text (`부채비율 < 100%`); comments are skipped; a CDATA section is
/// text; the content of raw-text elements (`script`, `style`) is skipped whole. Linear in the input: the next
/// `>` is searched for once per stretch of text.
package enum MarkupScanner {
    /// A tag: its lowercased name (letters, digits, `-`, `_`, `:`), whether it closes, and its raw inside
    /// (attributes, with the leading `/` of an end tag and any trailing `/`).
    package struct Tag {
        package var name: String
        package var isEnd: Bool
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

    /// Calls `text` with each text scalar and `tag` with each tag, in order; stops at the first error either
    /// throws. Works on the markup's UTF-8 in place (no copy of the text).
    package static func scan(
        _ markup: String, rawTextElements: Set<String> = [], text: (Unicode.Scalar) throws -> Void, tag: (Tag) throws -> Void
    ) rethrows {
        var markup = markup
        try markup.withUTF8 { bytes in try scan(bytes, rawTextElements: rawTextElements, text: text, tag: tag) }
    }

    private static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, rawTextElements: Set<String>, text: (Unicode.Scalar) throws -> Void, tag: (Tag) throws -> Void
    ) rethrows {
        let less = UInt8(ascii: "<"), greater = UInt8(ascii: ">")
        var index = 0
        var nextClose = -1
        /// Sends the scalars of `range` as text.
        func emit(_ range: Range<Int>) throws {
            var at = range.lowerBound
            while at < range.upperBound {
                let (scalar, length) = decode(bytes, at)
                try text(scalar)
                at += length
            }
        }
        while index < bytes.count {
            guard bytes[index] == less else {
                // Text up to the next `<`, in one run.
                var end = index + 1
                while end < bytes.count, bytes[end] != less { end += 1 }
                try emit(index ..< end)
                index = end
                continue
            }
            if matches(bytes, index, "<!--") {
                index = find(bytes, from: index + 4, "-->").map { $0 + 3 } ?? bytes.count
                continue
            }
            if matches(bytes, index, "<![CDATA[") {
                let end = find(bytes, from: index + 9, "]]>") ?? bytes.count
                try emit((index + 9) ..< end)
                index = min(end + 3, bytes.count)
                continue
            }
            let next = index + 1 < bytes.count ? bytes[index + 1] : UInt8(ascii: " ")
            let isLetter = (UInt8(ascii: "a") ... UInt8(ascii: "z")).contains(next | 0x20)
            guard isLetter || next == UInt8(ascii: "/") || next == UInt8(ascii: "!") || next == UInt8(ascii: "?") else {
                try text("<")
                index += 1
                continue
            }
            if nextClose < index {
                nextClose = index
                while nextClose < bytes.count, bytes[nextClose] != greater { nextClose += 1 }
                if nextClose == bytes.count { nextClose = Int.max }
            }
            guard nextClose != Int.max else { try text("<"); index += 1; continue }
            let close = nextClose
            let inside = String(decoding: UnsafeBufferPointer(rebasing: bytes[(index + 1) ..< close]), as: UTF8.self)
            index = close + 1
            let isEnd = inside.hasPrefix("/")
            let name = inside.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ":" }.lowercased()
            if name.isEmpty { continue }
            let found = Tag(name: name, isEnd: isEnd, inside: inside)
            try tag(found)
            if !isEnd, !found.selfClosing, rawTextElements.contains(name) {
                // Raw text: skip straight past the closing tag.
                let closing = "</" + name
                var search = index
                while search < bytes.count, !matches(bytes, search, closing) { search += 1 }
                while search < bytes.count, bytes[search] != greater { search += 1 }
                index = min(search + 1, bytes.count)
                try tag(Tag(name: name, isEnd: true, inside: "/" + name))
            }
        }
    }

    /// The scalar whose UTF-8 starts at `index` (the bytes are a Swift string's: valid UTF-8), and its length.
    @inline(__always)
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> (Unicode.Scalar, Int) {
        let lead = UInt32(bytes[index])
        if lead < 0x80 { return (Unicode.Scalar(UInt8(lead)), 1) }
        let length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        var value = lead & (0xFF >> (length + 1))
        for offset in 1 ..< length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    /// Whether the ASCII `pattern` is at `index`, in any case.
    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int, _ pattern: String) -> Bool {
        var at = index
        for expected in pattern.utf8 {
            guard at < bytes.count else { return false }
            let actual = bytes[at]
            let folded = (UInt8(ascii: "A") ... UInt8(ascii: "Z")).contains(actual) ? actual | 0x20 : actual
            let wanted = (UInt8(ascii: "A") ... UInt8(ascii: "Z")).contains(expected) ? expected | 0x20 : expected
            guard folded == wanted else { return false }
            at += 1
        }
        return true
    }

    /// Where the ASCII `pattern` next starts at or after `start`, or nil.
    private static func find(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ pattern: String) -> Int? {
        let first = pattern.utf8.first!
        var index = start
        while index < bytes.count {
            if bytes[index] == first, matches(bytes, index, pattern) { return index }
            index += 1
        }
        return nil
    }
}
