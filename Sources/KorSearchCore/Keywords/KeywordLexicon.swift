import Crypto
import Foundation

/// Words the keyword terms keep whole: company names, accounts (계정과목), product names — a user dictionary.
///
/// Inside a Hangul run, a dictionary word (the longest one starting there, read left to right) is one term of
/// its own, and no bigram crosses its edges: with `한빛전자` in the dictionary, `한빛전자의` gives `한빛전자 의`
/// instead of `한빛 빛전 전자 자의`, so a query for `전자` no longer finds it and `한빛전자` finds exactly it. The
/// same dictionary applies to passages (when their terms are derived) and queries; the index records it
/// (`keyword_dictionary`), and changing it derives every passage's terms again, without re-embedding.
///
/// File format (`korsearch index --dictionary FILE`): UTF-8, one word per line, Hangul syllables only, at least
/// two; blank lines and lines starting with `#` are skipped.
public struct KeywordDictionary: Sendable, Equatable {
    /// The words, sorted, each once.
    public let words: [String]
    /// The words by their first syllable, as scalars, longest first.
    private let byFirst: [Unicode.Scalar: [[Unicode.Scalar]]]

    /// No words: bigrams everywhere.
    public static let empty = KeywordDictionary(checked: [])

    public static func == (a: KeywordDictionary, b: KeywordDictionary) -> Bool { a.words == b.words }

    /// A dictionary of these words.
    /// - Throws: `KorSearchError` `.invalidArgument` naming a word that is not two or more Hangul syllables.
    public init(words: [String]) throws {
        for word in words { try KeywordDictionary.check(word, at: nil, in: nil) }
        self.init(checked: words)
    }

    /// A dictionary read from its file's text; `source` names the file in messages.
    /// - Throws: `KorSearchError` `.invalidArgument` naming the line of a word that is not two or more Hangul
    ///   syllables.
    public init(parsing text: String, source: String) throws {
        var words: [String] = []
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let word = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if word.isEmpty || word.hasPrefix("#") { continue }
            try KeywordDictionary.check(word, at: number + 1, in: source)
            words.append(word)
        }
        self.init(checked: words)
    }

    private init(checked words: [String]) {
        self.words = Array(Set(words.map { $0.precomposedStringWithCanonicalMapping })).sorted()
        var byFirst: [Unicode.Scalar: [[Unicode.Scalar]]] = [:]
        for word in self.words {
            let scalars = Array(word.unicodeScalars)
            byFirst[scalars[0], default: []].append(scalars)
        }
        self.byFirst = byFirst.mapValues { $0.sorted { $0.count > $1.count } }
    }

    private static func check(_ word: String, at line: Int?, in source: String?) throws {
        let scalars = Array(word.precomposedStringWithCanonicalMapping.unicodeScalars)
        guard scalars.count >= 2, scalars.allSatisfy(KeywordTerms.isHangul) else {
            let place = line.map { " (\(source ?? "dictionary") line \($0))" } ?? ""
            throw KorSearchError(
                .invalidArgument,
                "dictionary word \"\(word)\"\(place) is not two or more Hangul syllables; Latin words and numbers are already kept whole")
        }
    }

    /// The file text that records it: one word per line.
    public var text: String { words.map { $0 + "\n" }.joined() }

    /// What identifies it where an index records the dictionary its terms were derived with: empty for no
    /// words, else the first 16 hex digits of the SHA-256 of `text`.
    public var fingerprint: String {
        words.isEmpty ? "" : String(SHA256.hash(data: Data(text.utf8)).hexString.prefix(16))
    }

    /// The length of the longest word starting at `start` and ending by `end`, if any.
    func longestWord(in scalars: [Unicode.Scalar], at start: Int, end: Int) -> Int? {
        guard let candidates = byFirst[scalars[start]] else { return nil }
        for word in candidates where start + word.count <= end && scalars[start ..< start + word.count].elementsEqual(word) {
            return word.count
        }
        return nil
    }
}

/// Other names for the same thing — abbreviations, short company names, synonyms, English tickers — that a
/// query is widened by: a query holding one form of a group also looks for the group's other forms (their
/// terms join the query's, any may match), and the hits mark them.
///
/// A form matches a query where the query's words are the form's words, the last one possibly followed by a
/// particle or ending (`삼전의` matches `삼전`; `삼전자` does not). Applied at query time only: changing the list
/// needs no new terms. korsearch has a default list of common finance terms and company short names
/// (`KeywordAliases.defaults`); the index's own list (`korsearch index --aliases FILE`) adds to it, and
/// a group sharing a form with another joins it.
///
/// File format: UTF-8, one group per line, its forms separated by commas (`삼성전자, 삼전, Samsung
/// Electronics`); blank lines and lines starting with `#` are skipped; a line `!no-defaults` leaves the default
/// list out.
public struct KeywordAliases: Sendable, Equatable {
    /// The groups, each two forms or more, as written.
    public let groups: [[String]]
    /// Whether the default list is left out.
    public let withoutDefaults: Bool

    /// No aliases of its own (the defaults still apply).
    public static let none = KeywordAliases(groups: [], withoutDefaults: false)

    /// A list of these groups.
    public init(groups: [[String]], withoutDefaults: Bool = false) {
        self.groups = groups
        self.withoutDefaults = withoutDefaults
    }

    /// A list read from its file's text; `source` names the file in messages.
    /// - Throws: `KorSearchError` `.invalidArgument` naming the line of a group with fewer than two forms or a
    ///   form with nothing to search for.
    public init(parsing text: String, source: String) throws {
        var groups: [[String]] = []
        var withoutDefaults = false
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed == "!no-defaults" {
                withoutDefaults = true
                continue
            }
            let forms = trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard forms.count >= 2 else {
                throw KorSearchError(
                    .invalidArgument, "aliases line \(number + 1) of \(source) has \(forms.count) form; write two or more, separated by commas")
            }
            for form in forms where KeywordTerms.tokens(Array(form.unicodeScalars)).isEmpty {
                throw KorSearchError(.invalidArgument, "aliases line \(number + 1) of \(source): \"\(form)\" has no letters or digits to search for")
            }
            groups.append(forms)
        }
        self.init(groups: groups, withoutDefaults: withoutDefaults)
    }

    /// The file text that records it.
    public var text: String {
        (withoutDefaults ? "!no-defaults\n" : "") + groups.map { $0.joined(separator: ", ") + "\n" }.joined()
    }

    /// The default list: common finance terms and the short names of large listed companies.
    public static let defaults: KeywordAliases = {
        let list = """
            삼성전자, 삼전, Samsung Electronics
            SK하이닉스, 하이닉스, 하닉, SK hynix
            LG에너지솔루션, 엘지에너지솔루션, LG엔솔, 엔솔
            삼성바이오로직스, 삼바, 삼성바이오
            현대자동차, 현대차, Hyundai Motor
            기아자동차, 기아, Kia
            LG전자, 엘지전자
            LG화학, 엘지화학
            삼성SDI, 삼성에스디아이
            포스코홀딩스, 포스코, POSCO
            NAVER, 네이버
            카카오뱅크, 카뱅
            한국전력공사, 한국전력, 한전, KEPCO
            KB금융지주, KB금융
            신한금융지주, 신한지주, 신한금융
            셀트리온, Celltrion
            한국은행, 한은, Bank of Korea
            금융감독원, 금감원
            금융위원회, 금융위
            공정거래위원회, 공정위
            한국거래소, KRX
            유가증권시장, 코스피, KOSPI
            코스닥, KOSDAQ
            영업이익, 영업손익
            당기순이익, 순이익, 당기순손익
            매출액, 매출
            자기주식, 자사주
            자기자본이익률, ROE
            총자산이익률, ROA
            주당순이익, EPS
            주가수익비율, PER
            주가순자산비율, PBR
            상각전영업이익, EBITDA
            잉여현금흐름, FCF
            순이자마진, NIM
            전환사채, CB
            신주인수권부사채, BW
            기업공개, IPO
            현금및현금성자산, 현금성자산
            전년동기대비, 전년 동기 대비, YoY
            """
        // The list is the team's, checked by the tests; it cannot fail to parse.
        return try! KeywordAliases(parsing: list, source: "the default list")
    }()

    /// A form that matched a query and the other forms of its group the query was widened by.
    public struct Match: Codable, Sendable, Equatable {
        /// The form as the query wrote it (the list's spelling).
        public var form: String
        /// The group's other forms.
        public var aliases: [String]

        public init(form: String, aliases: [String]) {
            self.form = form
            self.aliases = aliases
        }
    }

    /// The groups in effect: the defaults unless left out, then these; groups sharing a form (compared by its
    /// words: case, spacing and punctuation aside) joined.
    public var effective: [[String]] {
        var merged: [(keys: Set<[String]>, forms: [String])] = []
        for group in (withoutDefaults ? [] : KeywordAliases.defaults.groups) + groups {
            var keys = Set(group.map(KeywordAliases.words))
            var forms = group
            let joining = merged.indices.filter { !merged[$0].keys.isDisjoint(with: keys) }
            for index in joining.reversed() {
                keys.formUnion(merged[index].keys)
                forms = merged[index].forms + forms
                merged.remove(at: index)
            }
            var seen = Set<[String]>()
            merged.append((keys, forms.filter { seen.insert(KeywordAliases.words($0)).inserted }))
        }
        return merged.map(\.forms)
    }

    /// The effective groups made ready for matching queries (a searcher makes it once).
    public var matcher: Matcher { Matcher(effective) }

    /// Finds the forms of the effective groups in queries.
    public struct Matcher: Sendable {
        /// Each group's forms with their tokens.
        private let groups: [[(form: String, tokens: [KeywordTerms.Token])]]
        /// The groups having a form whose first word is the key: a query is only compared with the groups
        /// one of its words (or a Hangul word's start, before an ending) can begin.
        private let groupsByFirstWord: [String: [Int]]

        init(_ groups: [[String]]) {
            self.groups = groups.map { $0.map { ($0, KeywordTerms.tokens(Array($0.unicodeScalars))) } }
            var byFirstWord: [String: [Int]] = [:]
            for (number, group) in self.groups.enumerated() {
                for first in Set(group.compactMap { $0.tokens.first?.term }) { byFirstWord[first, default: []].append(number) }
            }
            groupsByFirstWord = byFirstWord
        }

        /// The groups with a form in the query, each as the form found and the group's other forms, in the
        /// order the forms stand in the query.
        public func matches(in query: String) -> [Match] {
            let tokens = KeywordTerms.tokens(Array(query.unicodeScalars))
            var candidates = Set<Int>()
            for token in tokens {
                candidates.formUnion(groupsByFirstWord[token.term] ?? [])
                if token.kind == .hangul {
                    // A one-word form may stand with an ending after it (삼전의): every start of the word.
                    var prefix = ""
                    for character in token.term.dropLast() {
                        prefix.append(character)
                        candidates.formUnion(groupsByFirstWord[prefix] ?? [])
                    }
                }
            }
            return candidates.sorted().compactMap { number -> (at: Int, group: Int, match: Match)? in
                let group = groups[number]
                for (form, wanted) in group {
                    guard let at = Matcher.position(of: wanted, in: tokens) else { continue }
                    let key = wanted.map(\.term)
                    return (at, number, Match(form: form, aliases: group.filter { $0.tokens.map(\.term) != key }.map(\.form)))
                }
                return nil
            }.sorted { ($0.at, $0.group) < ($1.at, $1.group) }.map(\.match)
        }

        /// Where a form's words first stand in the query's tokens, in order, the last possibly followed by an
        /// ending; nil when they do not.
        private static func position(of wanted: [KeywordTerms.Token], in tokens: [KeywordTerms.Token]) -> Int? {
            guard !wanted.isEmpty, tokens.count >= wanted.count else { return nil }
            return (0 ... tokens.count - wanted.count).first { start in
                zip(wanted, tokens[start ..< start + wanted.count]).enumerated().allSatisfy { index, pair in
                    let (form, query) = pair
                    if form.term == query.term { return true }
                    // The last word may carry a particle or ending: 삼전의, 영업이익은.
                    guard index == wanted.count - 1, form.kind == .hangul, query.kind == .hangul, query.term.hasPrefix(form.term) else {
                        return false
                    }
                    return KoreanEndings.endings.contains(String(query.term.dropFirst(form.term.count)))
                }
            }
        }
    }

    /// A form's words as the keyword terms see them: Hangul runs, numbers and lowercased Latin words.
    static func words(_ form: String) -> [String] {
        KeywordTerms.tokens(Array(form.unicodeScalars)).map(\.term)
    }
}
