/// A short excerpt of a passage around the query's terms, with the terms marked: what a person reads in a
/// results list.
public enum Snippet {
    /// Up to `width` characters of `text`, centred on the first match of the query's keyword terms, with
    /// every match marked (`**…**`, or bold on a terminal).
    public static func excerpt(_ text: String, query: String, width: Int = 240, bold: Bool = false) -> String {
        excerpt(text, highlights: highlights(in: text, query: query), width: width, bold: bold)
    }

    /// Up to `width` characters (Unicode scalars) of `text`, starting about a third of the width before the
    /// first highlight, with the highlights (a hit's `highlights`) marked; `escape` is applied to the text
    /// between the marks (the CLI's escaping of control characters), never to the marks. The cuts fall between
    /// words (at whitespace within a quarter of the width of where the width alone would cut), so an excerpt
    /// never starts or ends inside a number or a Hangul word (`…24년` of `2024년`, `16.2…` of `16.2%`); only
    /// a stretch without whitespace that long is cut where it must be. With `lines` the text's line breaks are
    /// kept (a table's rows stay rows; blank lines are dropped), else the excerpt is one line.
    public static func excerpt(
        _ text: String, highlights marks: [Range<Int>], width: Int = 240, bold: Bool = false, lines: Bool = false,
        escape: (String) -> String = { $0 }
    ) -> String {
        let scalars = Array(text.unicodeScalars)
        let first = marks.first?.lowerBound ?? 0
        var start = max(0, first - width / 3)
        var end = min(scalars.count, start + width)
        start = max(0, end - width)
        let slack = max(8, width / 4)
        func isSpace(_ index: Int) -> Bool { scalars[index].properties.isWhitespace }
        // Forward to the next word's start (never past the first highlight).
        if start > 0, !isSpace(start - 1) {
            let limit = min(scalars.count, start + slack, marks.isEmpty ? scalars.count : max(start, first))
            if let space = (start ..< limit).first(where: isSpace) { start = space }
        }
        while start < end, isSpace(start) { start += 1 }
        // Back to the end of the last whole word (never into a highlight that starts before the cut).
        if end < scalars.count, !isSpace(end) {
            let floor = max(start, end - slack, marks.filter { $0.lowerBound < end }.map(\.upperBound).max().map { min($0, end) } ?? start)
            if let space = (floor ..< end).reversed().first(where: isSpace) { end = space }
        }
        while end > start, isSpace(end - 1) { end -= 1 }
        func piece(_ range: Range<Int>) -> String {
            var view = String.UnicodeScalarView()
            var blank = false
            for scalar in scalars[range] {
                let isBreak = scalar == "\n" || scalar == "\r"
                if isBreak && lines {
                    if !blank { view.append("\n") }
                    blank = true
                    continue
                }
                blank = false
                view.append(isBreak ? " " : scalar)
            }
            return String(view).split(separator: "\n", omittingEmptySubsequences: false).map { escape(String($0)) }.joined(separator: "\n")
        }
        var out = start > 0 ? "…" : ""
        var index = start
        let (open, close) = bold ? ("\u{1B}[1m", "\u{1B}[0m") : ("**", "**")
        for range in marks where range.upperBound > start && range.lowerBound < end {
            let lower = max(range.lowerBound, start, index), upper = min(range.upperBound, end)
            if lower >= upper { continue }
            if lower > index { out += piece(index ..< lower) }
            out += open + piece(lower ..< upper) + close
            index = upper
        }
        if index < end { out += piece(index ..< end) }
        return out + (end < scalars.count ? "…" : "")
    }

    /// The stretches of `text` that match the query's words (`markedRanges`), as `[start, end)` offsets in
    /// Unicode scalars: what a hit's `highlights` say, and what every front end marks.
    public static func highlights(in text: String, query: String) -> [Range<Int>] {
        highlights(in: text, words: QueryWords(query))
    }

    /// `highlights(in:query:)` with the query's words worked out already (a search marks each of its hits).
    static func highlights(in text: String, words: QueryWords) -> [Range<Int>] {
        if words.isEmpty { return [] }
        // Most passages are Hangul, Latin, digits and punctuation, where every scalar is a character of its
        // own: then the scalars are the characters, without breaking the text into grapheme clusters.
        let textScalars = Array(text.unicodeScalars)
        if textScalars.allSatisfy(isCharacterByItself) {
            var scalars: [Unicode.Scalar] = [], owner: [Int] = []
            scalars.reserveCapacity(textScalars.count)
            owner.reserveCapacity(textScalars.count)
            for (index, scalar) in textScalars.enumerated() { appendLowercased(scalar, owner: index, &scalars, &owner) }
            return markedRanges(scalars, owner: owner, characters: textScalars.count, words: words)
        }
        let characters = Array(text)
        let ranges = markedRanges(characters, words: words)
        if ranges.isEmpty { return [] }
        // Scalar offset of each character's start.
        var offsets = [Int](repeating: 0, count: characters.count + 1)
        for (index, character) in characters.enumerated() { offsets[index + 1] = offsets[index] + character.unicodeScalars.count }
        return ranges.map { offsets[$0.lowerBound] ..< offsets[$0.upperBound] }
    }

    /// Whether a scalar is sure to be a whole character wherever it stands: printable ASCII, Hangul
    /// syllables, CJK ideographs and the common punctuation blocks (none of them joins a neighbour into one
    /// grapheme cluster). Line breaks are left out because `\r\n` is one character; conjoining jamo, combining
    /// marks (the ideographic and Hangul tone marks U+302A–302F among CJK punctuation), joiners and variation
    /// selectors because they join.
    private static func isCharacterByItself(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20 ... 0x7E, 0xAC00 ... 0xD7A3, 0x3130 ... 0x318F, 0x4E00 ... 0x9FFF, 0x2010 ... 0x2027, 0x2030 ... 0x205E,
            0x3000 ... 0x3029, 0x3030 ... 0x303F, 0xFF01 ... 0xFF5E, 0x00A0 ... 0x02FF, 0x2460 ... 0x24FF, 0x2160 ... 0x217F, 0x2190 ... 0x22FF,
            0x25A0 ... 0x25FF:
            return true
        default:
            return false
        }
    }

    /// Appends a scalar lowercased (a mapping may be several scalars), each owned by character `owner`.
    private static func appendLowercased(_ scalar: Unicode.Scalar, owner index: Int, _ scalars: inout [Unicode.Scalar], _ owner: inout [Int]) {
        if scalar.value < 0x80 || (0xAC00 ... 0xD7A3).contains(scalar.value) {
            scalars.append(scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value + 0x20)! : scalar)
            owner.append(index)
        } else if scalar.properties.changesWhenLowercased {
            for lower in scalar.properties.lowercaseMapping.unicodeScalars {
                scalars.append(lower)
                owner.append(index)
            }
        } else {
            scalars.append(scalar)
            owner.append(index)
        }
    }

    /// A query's words as marking compares them, worked out once per query: its numbers, Latin words and
    /// amounts (matched whole), and its Hangul words with their stems (the cores) as scalars. A Hangul token
    /// is made of syllables and compatibility jamo only, each one scalar and one character, so comparing
    /// scalars is comparing the words.
    struct QueryWords {
        /// Terms matched whole: numbers, lowercased Latin words, amounts.
        let exact: Set<String>
        /// The Hangul words and their stems.
        let cores: [[Unicode.Scalar]]
        /// The first scalar of every core: a text's word can only be marked if it holds one of them.
        let coreStarts: Set<Unicode.Scalar>
        /// Whether the query has an amount (`1조 2천억 원`) to look for in a text.
        let hasAmounts: Bool

        init(_ query: String) {
            let queryScalars = Array(query.unicodeScalars)
            let tokens = KeywordTerms.tokens(queryScalars)
            let amounts = KeywordTerms.amounts(queryScalars).map(\.term)
            exact = Set(tokens.filter { $0.kind != .hangul }.map(\.term) + amounts)
            hasAmounts = !amounts.isEmpty
            let words = tokens.filter { $0.kind == .hangul }.map(\.term)
            cores = Set(words.flatMap { [$0] + [KoreanEndings.stem(of: $0)].compactMap { $0 } }).sorted().map { Array($0.unicodeScalars) }
            coreStarts = Set(cores.compactMap(\.first))
        }

        var isEmpty: Bool { exact.isEmpty && cores.isEmpty }
    }

    /// Ranges of characters that match the query's words: numbers, Latin words and amounts whole (`3` never
    /// inside `2023`); a Hangul word where the query's word, or its stem (`KoreanEndings`), is the whole
    /// word, its start or its stem's end — so `금리` marks the 금리 of `기준금리를` and `육아휴직을` marks
    /// `육아휴직`, but `전자` is not marked inside `운전자본`, nor `휴직` of `휴직을` for a query `육아휴직을`.
    static func markedRanges(_ characters: [Character], query: String) -> [Range<Int>] {
        markedRanges(characters, words: QueryWords(query))
    }

    static func markedRanges(_ characters: [Character], words: QueryWords) -> [Range<Int>] {
        if words.isEmpty { return [] }
        // The text's scalars, lowercased, and the character each belongs to.
        var scalars: [Unicode.Scalar] = [], owner: [Int] = []
        scalars.reserveCapacity(characters.count)
        owner.reserveCapacity(characters.count)
        for (index, character) in characters.enumerated() {
            for scalar in character.unicodeScalars { appendLowercased(scalar, owner: index, &scalars, &owner) }
        }
        return markedRanges(scalars, owner: owner, characters: characters.count, words: words)
    }

    /// `markedRanges` over lowercased scalars, each owned by one of `characters` characters.
    private static func markedRanges(_ scalars: [Unicode.Scalar], owner: [Int], characters count: Int, words: QueryWords) -> [Range<Int>] {
        var marked = [Bool](repeating: false, count: count)
        func mark(_ range: Range<Int>) { for index in range { marked[owner[index]] = true } }
        for token in KeywordTerms.tokens(scalars) {
            switch token.kind {
            case .number, .latin:
                if words.exact.contains(token.term) { mark(token.range) }
            case .hangul:
                let word = scalars[token.range]
                if !word.contains(where: words.coreStarts.contains) { continue }
                let start = token.range.lowerBound
                let stem = word.prefix(KoreanEndings.stemLength(of: word) ?? word.count)
                for core in words.cores {
                    if word.elementsEqual(core) {
                        mark(token.range)
                    } else if stem.elementsEqual(core) {
                        mark(start ..< start + stem.count)
                    } else if core.count >= 2, word.starts(with: core) {
                        mark(start ..< start + core.count)
                    } else if core.count >= 2, stem.count >= core.count, stem.suffix(core.count).elementsEqual(core) {
                        mark(start + stem.count - core.count ..< start + stem.count)
                    }
                }
            }
        }
        if words.hasAmounts {
            for amount in KeywordTerms.amounts(scalars) where words.exact.contains(amount.term) { mark(amount.range) }
        }
        var ranges: [Range<Int>] = []
        var index = 0
        while index < marked.count {
            if marked[index] {
                var end = index
                while end < marked.count, marked[end] { end += 1 }
                ranges.append(index ..< end)
                index = end
            } else {
                index += 1
            }
        }
        return ranges
    }
}
