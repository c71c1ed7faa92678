/// How many terminal columns text takes, as terminals draw it (the East Asian width of Unicode's UAX #11):
/// Hangul, CJK and full-width forms two columns, combining marks and zero-width characters none, the rest
/// one. Progress lines are fitted by it: counting characters, a Hangul path overflowed the line and every
/// redraw left a stale row.
public enum DisplayWidth {
    /// Columns `text` takes.
    public static func of(_ text: some StringProtocol) -> Int {
        text.unicodeScalars.reduce(0) { $0 + of($1) }
    }

    /// Columns one scalar takes: 0, 1 or 2.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value == 0 || value < 0x20 || (0x7F ..< 0xA0).contains(value) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if (0x1160 ... 0x11FF).contains(value) || (0xD7B0 ... 0xD7FF).contains(value) { return 0 }  // Hangul jamo vowels, finals
        return isWide(value) ? 2 : 1
    }

    private static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100 ... 0x115F,  // Hangul jamo initials
            0x2E80 ... 0x303E, 0x3041 ... 0x33FF,  // CJK radicals, punctuation, kana, compatibility jamo
            0x3400 ... 0x4DBF, 0x4E00 ... 0x9FFF,  // CJK ideographs
            0xA000 ... 0xA4CF, 0xA960 ... 0xA97F,  // Yi, Hangul jamo extended-A
            0xAC00 ... 0xD7A3,  // Hangul syllables
            0xF900 ... 0xFAFF, 0xFE30 ... 0xFE4F,  // CJK compatibility
            0xFF00 ... 0xFF60, 0xFFE0 ... 0xFFE6,  // full-width forms
            0x1F300 ... 0x1F64F, 0x1F900 ... 0x1F9FF,  // emoji
            0x20000 ... 0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// `text` cut to at most `columns` columns: the start and the end kept, `…` between them (a path keeps its
    /// folder's start and its file name). Text that fits is returned as it is.
    public static func shortened(_ text: String, toColumns columns: Int) -> String {
        if of(text) <= columns { return text }
        if columns <= 0 { return "" }
        if columns == 1 { return "…" }
        let room = columns - 1
        let head = prefix(text, columns: room / 3)
        var tail: [Unicode.Scalar] = []
        var used = of(head)
        for scalar in text.unicodeScalars.reversed() {
            let width = of(scalar)
            if used + width > room { break }
            tail.append(scalar)
            used += width
        }
        var result = head + "…"
        result.unicodeScalars.append(contentsOf: tail.reversed())
        return result
    }

    /// `text` cut at its end to at most `columns` columns.
    public static func prefix(_ text: String, columns: Int) -> String {
        var result = String.UnicodeScalarView()
        var used = 0
        for scalar in text.unicodeScalars {
            let width = of(scalar)
            if used + width > columns { break }
            result.append(scalar)
            used += width
        }
        return String(result)
    }
}
