import Foundation

/// The terms of the keyword index, the same for passages and queries.
///
/// - Hangul runs as overlapping syllable bigrams (`금리가` → `금리 리가`; a lone syllable as itself): Korean
///   attaches particles to words and compounds them (`기준금리를`), and bigrams find a word inside both.
///   Nothing else is derived from Hangul: whole words and their stems (rules version 2) were measured to cost
///   answers on paraphrased questions over real documents — a rare inflected form (`경우에는`) weighs far more
///   in BM25 than the content bigrams a paraphrase shares — and to add nothing on the team's questions
///   (`Scripts/bench/keyword_ablations.py`; the table is in the Benchmarks article).
/// - Latin words lowercased whole; numbers whole without thousands separators (`1,350.5` → `1350.5`).
/// - Amounts with Korean units (`1조 3,200억 원`, `13,200억원`, `3천억`) also as one amount term: `원` and the
///   amount in digits (`원1320000000000`), so differently written equal amounts match.
package enum KeywordTerms {
    /// The version of these rules, recorded by both stores (`keyword_terms`): an index whose terms were
    /// derived by other rules has them derived again when it is next opened for writing.
    package static let version = 3

    /// The terms of a text, in order; a dictionary's words stay whole (`KeywordDictionary`).
    package static func terms(_ text: String, dictionary: KeywordDictionary = .empty) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var terms: [String] = []
        for token in tokens(scalars) {
            switch token.kind {
            case .hangul where !dictionary.words.isEmpty:
                terms += hangulTerms(scalars, token.range, dictionary: dictionary).map(\.term)
            case .hangul:
                let run = scalars[token.range]
                if run.count == 1 {
                    terms.append(token.term)
                    continue
                }
                for start in run.indices.dropLast() { terms.append(string(scalars[start ... start + 1])) }
            case .number, .latin:
                terms.append(token.term)
            }
        }
        terms += amounts(scalars).map(\.term)
        return terms
    }

    /// How many bigrams a term stands for, its weight in a query: a dictionary word of n syllables n − 1 (the
    /// bigrams it keeps whole), any other term 1.
    package static func units(_ term: String) -> Double {
        let scalars = term.unicodeScalars
        guard scalars.count > 2, scalars.allSatisfy(isHangul) else { return 1 }
        return Double(scalars.count - 1)
    }

    /// A query's terms with their weights: its own, each weighing the bigrams it stands for (`units`), and its
    /// aliases' terms, scaled down so that an alias weighs no more in all than the form the query wrote (and
    /// none of its terms more than when asked for itself): widening never outweighs what was asked. A term both
    /// asked and widened to keeps the larger weight.
    package static func weighted(_ query: String, dictionary: KeywordDictionary, aliases: [KeywordAliases.Match]) -> [String: Double] {
        var weights: [String: Double] = [:]
        func add(_ term: String, _ weight: Double) { weights[term] = max(weights[term] ?? 0, weight) }
        for term in terms(query, dictionary: dictionary) { add(term, units(term)) }
        for match in aliases {
            let asked = terms(match.form, dictionary: dictionary).map(units).reduce(0, +)
            for alias in match.aliases {
                let widened = terms(alias, dictionary: dictionary)
                let total = widened.map(units).reduce(0, +)
                guard total > 0, asked > 0 else { continue }
                for term in widened { add(term, units(term) * min(1, asked / total)) }
            }
        }
        return weights
    }

    /// A term where it stands in a text: its range in Unicode scalars.
    package struct Placed: Equatable, Sendable {
        package var term: String
        package var start: Int
        package var end: Int
    }

    /// The terms of a Hangul run, each where it stands: the dictionary's words whole (the longest starting at
    /// each place, read left to right), and between them overlapping bigrams, or a lone syllable as itself.
    static func hangulTerms(_ scalars: [Unicode.Scalar], _ run: Range<Int>, dictionary: KeywordDictionary) -> [Placed] {
        var placed: [Placed] = []
        func bigrams(_ piece: Range<Int>) {
            if piece.count == 1 { placed.append(Placed(term: string(scalars[piece]), start: piece.lowerBound, end: piece.upperBound)) }
            for start in piece.dropLast() { placed.append(Placed(term: string(scalars[start ... start + 1]), start: start, end: start + 2)) }
        }
        var at = run.lowerBound, pieceStart = run.lowerBound
        while at < run.upperBound {
            if !dictionary.words.isEmpty, let length = dictionary.longestWord(in: scalars, at: at, end: run.upperBound) {
                bigrams(pieceStart ..< at)
                placed.append(Placed(term: string(scalars[at ..< at + length]), start: at, end: at + length))
                at += length
                pieceStart = at
            } else {
                at += 1
            }
        }
        bigrams(pieceStart ..< run.upperBound)
        return placed
    }

    /// The terms of a text word by word (a Hangul run's terms, a number, a Latin word), each where it stands.
    /// Amount terms are not placed: they stand for several words.
    package static func placedWords(_ text: String, dictionary: KeywordDictionary = .empty) -> [[Placed]] {
        let scalars = Array(text.unicodeScalars)
        return tokens(scalars).map { token in
            token.kind == .hangul
                ? hangulTerms(scalars, token.range, dictionary: dictionary)
                : [Placed(term: token.term, start: token.range.lowerBound, end: token.range.upperBound)]
        }
    }

    /// A run of one kind of characters in a text, where it is (in Unicode scalars) and its term.
    struct Token {
        enum Kind { case hangul, number, latin }
        var kind: Kind
        var range: Range<Int>
        /// Numbers without separators, Latin words lowercased, Hangul as written.
        var term: String
    }

    /// The Hangul runs, numbers and Latin words of a text, in order.
    static func tokens(_ scalars: [Unicode.Scalar]) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if isHangul(scalar) {
                var end = index
                while end < scalars.count, isHangul(scalars[end]) { end += 1 }
                tokens.append(Token(kind: .hangul, range: index ..< end, term: string(scalars[index ..< end])))
                index = end
            } else if isDigit(scalar) {
                let (number, end) = self.number(scalars, from: index)
                tokens.append(Token(kind: .number, range: index ..< end, term: number))
                index = end
            } else if scalar.properties.isAlphabetic {
                var end = index
                while end < scalars.count, scalars[end].properties.isAlphabetic, !isHangul(scalars[end]) { end += 1 }
                tokens.append(Token(kind: .latin, range: index ..< end, term: string(scalars[index ..< end]).lowercased()))
                index = end
            } else {
                index += 1
            }
        }
        return tokens
    }

    /// A string of scalars, written as UTF-8 at once (bigram terms are made millions of times; building them
    /// through `String.UnicodeScalarView` cost a fifth of a write).
    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var count = 0
        for scalar in scalars { count += UTF8.width(scalar) }
        return String(unsafeUninitializedCapacity: count) { buffer in
            var at = 0
            for scalar in scalars {
                UTF8.encode(scalar) { byte in
                    buffer[at] = byte
                    at += 1
                }
            }
            return at
        }
    }

    /// The number starting at `start`: digits, with `,` separators dropped and one `.` kept when digits
    /// follow them; and where it ends.
    private static func number(_ scalars: [Unicode.Scalar], from start: Int) -> (String, Int) {
        var number = String.UnicodeScalarView()
        var end = start
        while end < scalars.count {
            if isDigit(scalars[end]) {
                number.append(scalars[end])
            } else if scalars[end] == "," || scalars[end] == ".", end + 1 < scalars.count, isDigit(scalars[end + 1]), !number.isEmpty {
                if scalars[end] == "." { number.append(".") }
            } else {
                break
            }
            end += 1
        }
        return (String(number), end)
    }

    /// The amount terms of a text and where each amount is written: each run of numbers with Korean units
    /// (`1조 3,200억 원`), as `원` and the amount in whole digits. Runs without 만, 억 or 조 are plain numbers
    /// and give none.
    static func amounts(_ scalars: [Unicode.Scalar]) -> [(term: String, range: Range<Int>)] {
        var amounts: [(term: String, range: Range<Int>)] = []
        var index = 0
        while index < scalars.count {
            guard isDigit(scalars[index]), index == 0 || !isDigit(scalars[index - 1]) && scalars[index - 1] != "," && scalars[index - 1] != "." else {
                index += 1
                continue
            }
            // Groups of a number and a unit, each unit smaller than the one before: 1조 3,200억 (5천만) 원.
            var total = Decimal(0), at = index, spanEnd = index, groups = 0, lastUnit = Decimal.greatestFiniteMagnitude, sawLarge = false
            while at < scalars.count, isDigit(scalars[at]) {
                let (text, afterNumber) = number(scalars, from: at)
                guard let value = Decimal(string: text), let (unit, large, afterUnit) = unit(scalars, from: afterNumber), unit < lastUnit else {
                    break
                }
                total += value * unit
                lastUnit = unit
                sawLarge = sawLarge || large
                groups += 1
                at = afterUnit
                spanEnd = afterUnit
                // The next group may follow a space.
                var next = at
                while next < scalars.count, scalars[next] == " " { next += 1 }
                guard next < scalars.count, isDigit(scalars[next]) else { break }
                at = next
            }
            if groups > 0, sawLarge, total >= 1 {
                var rounded = Decimal(), source = total
                NSDecimalRound(&rounded, &source, 0, .plain)
                // A 원 written after the amount belongs to it.
                var end = spanEnd
                var next = spanEnd
                while next < scalars.count, scalars[next] == " " { next += 1 }
                if next < scalars.count, scalars[next] == "원" { end = next + 1 }
                amounts.append(("원" + "\(rounded)", index ..< end))
            }
            index = max(at, index + 1)
        }
        return amounts
    }

    /// A Korean unit right after a number (a space between allowed): 십, 백, 천 optionally before 만, 억 or 조,
    /// or one of those alone; its value, whether it holds 만/억/조, and where it ends.
    private static func unit(_ scalars: [Unicode.Scalar], from start: Int) -> (Decimal, Bool, Int)? {
        var at = start
        while at < scalars.count, scalars[at] == " " { at += 1 }
        let small: [Unicode.Scalar: Decimal] = ["십": 10, "백": 100, "천": 1000]
        let large: [Unicode.Scalar: Decimal] = ["만": 10_000, "억": 100_000_000, "조": 1_000_000_000_000]
        var value = Decimal(1)
        var found = false, isLarge = false
        if at < scalars.count, let multiplier = small[scalars[at]] { value = multiplier; at += 1; found = true }
        if at < scalars.count, let multiplier = large[scalars[at]] { value *= multiplier; at += 1; found = true; isLarge = true }
        guard found else { return nil }
        return (value, isLarge, at)
    }

    /// Hangul syllables and compatibility jamo.
    static func isHangul(_ scalar: Unicode.Scalar) -> Bool {
        (0xAC00 ... 0xD7A3).contains(scalar.value) || (0x3131 ... 0x318E).contains(scalar.value)
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("0" ... "9").contains(scalar)
    }
}

/// Korean particles (조사) and common predicate endings (어미) that follow a word, as a closed list: what
/// `KeywordTerms` strips from a Hangul word to find its stem. Longest first; a stem keeps at least two
/// syllables (`국가`, `평가` stay whole).
package enum KoreanEndings {
    /// The list, longest endings first.
    package static let endings: [String] = {
        let particles = [
            "에서부터", "으로부터", "에게서는", "이라는", "이라고", "이라면", "이라서", "이므로", "에게서", "한테서", "으로서", "으로써",
            "에서는", "에서도", "에서의", "으로는", "으로도", "으로의", "에게는", "까지는", "까지의", "부터는", "보다는", "만으로",
            "와는", "과는", "와도", "과도", "와의", "과의", "에는", "에도", "에의", "에서", "에게", "한테", "으로", "로는", "로도",
            "로서", "로써", "로의", "만큼", "마다", "부터", "까지", "조차", "마저", "처럼", "보다", "이나", "이란", "이며", "이고",
            "이다", "이요", "라는", "라고", "이든", "든지", "밖에",
            "은", "는", "이", "가", "을", "를", "의", "에", "와", "과", "도", "만", "로", "나", "며", "란", "께",
        ]
        let endings = [
            "하였습니다", "되었습니다", "했습니다", "됐습니다", "하였으며", "되었으며", "하겠습니다", "합니다", "됩니다", "입니다",
            "하였다", "되었다", "했으며", "됐으며", "하였고", "되었고", "했다", "됐다", "한다", "된다", "하는", "되는", "하고",
            "되고", "하며", "되며", "하여", "되어", "해서", "돼서", "하면", "되면", "하지", "되지", "할", "될", "한", "된",
        ]
        return (particles + endings).sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }()

    /// The endings as Unicode scalars (Hangul syllables are one scalar each in NFC), longest first.
    private static let endingScalars: [[Unicode.Scalar]] = endings.map { Array($0.unicodeScalars) }

    /// The word without the longest ending it has, when at least two syllables remain; nil otherwise.
    package static func stem(of word: String) -> String? {
        let scalars = Array(word.unicodeScalars)
        return stemLength(of: scalars[...]).map { String(String.UnicodeScalarView(scalars.prefix($0))) }
    }

    /// The length in scalars of `stem(of:)` of a word given as its scalars; nil when it has no ending.
    static func stemLength(of scalars: ArraySlice<Unicode.Scalar>) -> Int? {
        for ending in endingScalars where scalars.count - ending.count >= 2 && scalars.suffix(ending.count).elementsEqual(ending) {
            return scalars.count - ending.count
        }
        return nil
    }
}
