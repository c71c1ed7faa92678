/// The terms of the keyword index, the same for passages and queries. Korean attaches particles to words
/// (`금리가`, `금리를`, `금리`), and most finance words are two syllables, so Hangul runs are indexed as
/// overlapping syllable bigrams (`금리가` → `금리 리가`; a lone syllable as itself); Latin words are
/// lowercased whole; numbers are kept whole without thousands separators (`1,350.5` → `1350.5`).
public enum KeywordTerms {
    /// The terms of a text, in order, separated by spaces (the form stored in the FTS5 index).
    public static func terms(_ text: String) -> [String] {
        var terms: [String] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if isHangul(scalar) {
                var end = index
                while end < scalars.count, isHangul(scalars[end]) { end += 1 }
                if end - index == 1 {
                    terms.append(String(scalar))
                } else {
                    for start in index ..< end - 1 { terms.append(String(scalars[start]) + String(scalars[start + 1])) }
                }
                index = end
            } else if isDigit(scalar) {
                var number = String.UnicodeScalarView()
                var end = index
                while end < scalars.count {
                    if isDigit(scalars[end]) {
                        number.append(scalars[end])
                    } else if (scalars[end] == "," || scalars[end] == "."), end + 1 < scalars.count, isDigit(scalars[end + 1]),
                              !number.isEmpty {
                        if scalars[end] == "." { number.append(".") }
                    } else {
                        break
                    }
                    end += 1
                }
                terms.append(String(number))
                index = end
            } else if scalar.properties.isAlphabetic {
                var word = String.UnicodeScalarView()
                var end = index
                while end < scalars.count, scalars[end].properties.isAlphabetic, !isHangul(scalars[end]) {
                    word.append(scalars[end])
                    end += 1
                }
                terms.append(String(word).lowercased())
                index = end
            } else {
                index += 1
            }
        }
        return terms
    }

    /// Hangul syllables and compatibility jamo.
    static func isHangul(_ scalar: Unicode.Scalar) -> Bool {
        (0xAC00 ... 0xD7A3).contains(scalar.value) || (0x3131 ... 0x318E).contains(scalar.value)
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("0" ... "9").contains(scalar)
    }
}
