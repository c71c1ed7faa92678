/// Splits Korean (and mixed) text into sentences: after `다.` `요.` `음.` `함.` `임.` and any other letter
/// followed by a period, after `?` `!` `…` `。`, and at line breaks — but never inside numbers and dates such
/// as `1,350.5`, `2024. 3. 15.` or list numbers like `1.`.
enum SentenceSplitter {
    /// Sentence ranges as offsets into `scalars`, trimmed of surrounding whitespace, in order, non-empty.
    static func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var sentences: [Range<Int>] = []
        var start = 0
        func emit(_ end: Int) {
            var lower = start, upper = end
            while lower < upper, scalars[lower].properties.isWhitespace { lower += 1 }
            while upper > lower, scalars[upper - 1].properties.isWhitespace { upper -= 1 }
            if lower < upper { sentences.append(lower ..< upper) }
            start = end
        }
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\n" {
                emit(index)
                index += 1
                continue
            }
            if isTerminator(scalar) {
                // Take the rest of a run of terminators and closing quotes or brackets.
                var end = index + 1
                while end < scalars.count, isTerminator(scalars[end]) || isCloser(scalars[end]) { end += 1 }
                let atBoundary = end == scalars.count || scalars[end].properties.isWhitespace
                if atBoundary, !(scalar == "." && index > 0 && isDigit(scalars[index - 1])) {
                    emit(end)
                }
                index = end
                continue
            }
            index += 1
        }
        emit(scalars.count)
        return sentences
    }

    private static func isTerminator(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "." || scalar == "?" || scalar == "!" || scalar == "…" || scalar == "。" || scalar == "？" || scalar == "！"
    }

    private static func isCloser(_ scalar: Unicode.Scalar) -> Bool {
        "\"'”’)]」』〉》".unicodeScalars.contains(scalar)
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.numericType != nil && scalar.value < 0x2460  // ASCII and full-width digits, not ①
    }
}
