import Foundation
import KorEncoder
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore

/// The keyword terms of a text and the highlights of a query in it (their use in ranking is tested in
/// KorSearchTests' KeywordRankingTests).
final class KeywordTermsTests: XCTestCase {
    func testHangulAsBigramsOnly() {
        XCTAssertEqual(KeywordTerms.terms("육아휴직을"), ["육아", "아휴", "휴직", "직을"])
        XCTAssertEqual(KeywordTerms.terms("금리"), ["금리"], "a two-syllable word is its one bigram, counted once")
        XCTAssertEqual(KeywordTerms.terms("증가하였다 전 세계"), ["증가", "가하", "하였", "였다", "전", "세계"])
        XCTAssertEqual(KeywordTerms.terms("원 SK 1,350.5"), ["원", "sk", "1350.5"])
        // The closed list of endings (what highlights strip): longest ending first; a stem keeps two syllables.
        let stems: [(String, String?)] = [
            ("한국은행은", "한국은행"), ("금리는", "금리"), ("전년보다", "전년"), ("비율이다", "비율"),
            ("발표한다", "발표"), ("관리하는", "관리"), ("국가", nil), ("평가", nil), ("위한", nil),
            ("영업이익", nil), ("은행", nil), ("서울에서부터", "서울"),
        ]
        for (word, stem) in stems { XCTAssertEqual(KoreanEndings.stem(of: word), stem, word) }
    }

    func testAmountsWithKoreanUnitsAreOneTerm() throws {
        func amounts(_ text: String) -> [String] { KeywordTerms.amounts(Array(text.unicodeScalars)).map(\.term) }
        XCTAssertEqual(amounts("매출 1조 3,200억 원"), ["원1320000000000"])
        XCTAssertEqual(amounts("매출 13,200억원"), ["원1320000000000"], "written differently, the same amount")
        XCTAssertEqual(amounts("3천억 원과 1.5조원"), ["원300000000000", "원1500000000000"])
        XCTAssertEqual(amounts("2,000만 원, 5백만원"), ["원20000000", "원5000000"])
        XCTAssertEqual(amounts("3천명 2024년 3,100원 12.5%"), [], "no 만, 억 or 조: plain numbers")
        XCTAssertEqual(amounts("1억 2억"), ["원100000000", "원200000000"], "a unit not smaller than the one before starts another amount")
        XCTAssertTrue(KeywordTerms.terms("1조 3,200억 원").contains("원1320000000000"))
        let text = Array("총 1조 3,200억 원을".unicodeScalars)
        let range = try XCTUnwrap(KeywordTerms.amounts(text).first?.range)
        XCTAssertEqual(String(String.UnicodeScalarView(text[range])), "1조 3,200억 원")
    }

    func testHighlightsMarkExactlyWhatMatched() {
        func marked(_ text: String, _ query: String) -> [String] {
            let characters = Array(text)
            return Snippet.markedRanges(characters, query: query).map { String(characters[$0]) }
        }
        XCTAssertEqual(marked("2023년 3분기 영업이익 3", "3"), ["3", "3"], "the 3 of 3분기 and the last, never the 3 inside 2023")
        XCTAssertEqual(marked("운전자본이 늘고 한빛전자의 매출", "전자"), ["전자"], "not inside 운전자본; the end of 한빛전자")
        XCTAssertEqual(marked("육아휴직 제도와 휴직을 신청", "육아휴직을"), ["육아휴직"])
        XCTAssertEqual(marked("기준금리를 동결하고 금리는", "금리"), ["금리", "금리"])
        XCTAssertEqual(marked("매출 13,200억원 달성", "1조 3,200억 원"), ["13,200억원"])
        XCTAssertEqual(marked("SK하이닉스와 sk", "SK"), ["SK", "sk"])
        XCTAssertEqual(Snippet.excerpt("운전자본 증가와 한빛전자 실적", query: "전자"), "운전자본 증가와 한빛**전자** 실적")
    }

    /// The proximity bonus is the documented formula: for each two neighbouring query words, the best
    /// min(idf) / (1 + gap) over their terms standing in order within three characters.
    func testProximityBonusIsTheFormula() {
        let idf = ["펀드": 2.0, "규모": 3.0, "순자": 4.0, "자산": 5.0]
        let query = KeywordProximity.queryWords("펀드 규모", idf: idf)
        XCTAssertEqual(query, [["펀드"], ["규모"]])
        func bonus(_ text: String) -> Double { KeywordProximity.bonus(query: query, passage: KeywordTerms.placedWords(text), idf: idf) }
        XCTAssertEqual(bonus("펀드규모"), 2.0, "gap 0: min(2, 3) / 1")
        XCTAssertEqual(bonus("이 펀드 규모는"), 1.0, "gap 1")
        XCTAssertEqual(bonus("펀드의 규모"), 2.0 / 3, "gap 2 (펀드 ends at 2, 규모 starts at 4)")
        XCTAssertEqual(bonus("펀드 실적 규모"), 0, "gap 4: not together")
        XCTAssertEqual(bonus("규모 펀드"), 0, "out of the query's order")
        XCTAssertEqual(bonus("펀드 실적 규모, 펀드 규모"), 1.0, "the best occurrence counts")
        // Three words: two pairs; a word with no searched term is skipped, so its neighbours pair up.
        let three = KeywordProximity.queryWords("펀드 규모 순자산", idf: idf)
        XCTAssertEqual(three, [["펀드"], ["규모"], ["순자", "자산"]])
        XCTAssertEqual(KeywordProximity.bonus(query: three, passage: KeywordTerms.placedWords("펀드 규모 순자산"), idf: idf), 1.0 + 3.0 / 2)
        let skipping = KeywordProximity.queryWords("펀드 및 규모", idf: idf)
        XCTAssertEqual(KeywordProximity.bonus(query: skipping, passage: KeywordTerms.placedWords("펀드 규모"), idf: idf), 1.0)
        XCTAssertEqual(KeywordProximity.bonus(query: [["펀드", "규모"]], passage: KeywordTerms.placedWords("펀드규모"), idf: idf), 0, "one word: no pair")
        XCTAssertEqual(
            KeywordTerms.placedWords("SK 1,350원"),
            [[KeywordTerms.Placed(term: "sk", start: 0, end: 2)], [.init(term: "1350", start: 3, end: 8)], [.init(term: "원", start: 8, end: 9)]])
    }

    /// A user dictionary's words are one term each, the longest starting at each place, and no bigram crosses
    /// their edges; its file is checked line by line.
    func testDictionaryWordsStayWhole() throws {
        let dictionary = try KeywordDictionary(parsing: "# 회사\n한빛\n한빛전자\n\n  영업이익 \n", source: "dictionary.txt")
        XCTAssertEqual(dictionary.words, ["영업이익", "한빛", "한빛전자"])
        XCTAssertEqual(KeywordTerms.terms("한빛전자의 운전자본", dictionary: dictionary), ["한빛전자", "의", "운전", "전자", "자본"])
        XCTAssertEqual(KeywordTerms.terms("한빛은행 영업이익률", dictionary: dictionary), ["한빛", "은행", "영업이익", "률"])
        XCTAssertEqual(KeywordTerms.terms("한빛전자", dictionary: .empty), ["한빛", "빛전", "전자"])
        XCTAssertEqual(
            KeywordTerms.placedWords("새한빛전자", dictionary: dictionary),
            [[.init(term: "새", start: 0, end: 1), .init(term: "한빛전자", start: 1, end: 5)]])
        XCTAssertEqual(KeywordDictionary.empty.fingerprint, "")
        XCTAssertEqual(dictionary.fingerprint.count, 16)
        XCTAssertEqual(try KeywordDictionary(parsing: dictionary.text, source: "again"), dictionary, "its text reads back")
        XCTAssertEqual(try KeywordDictionary(words: ["한빛전자"]).words, ["한빛전자"])
        XCTAssertEqual(try KeywordDictionary(parsing: "한빛\r\n한빛전자\r\n", source: "crlf").words, ["한빛", "한빛전자"], "Windows line ends")
        XCTAssertEqual(try KeywordAliases(parsing: "삼성, 삼전\r\n한빛, 한빛전자\r\n", source: "crlf").groups.count, 2)
        for (bad, line) in [("한빛\nSK\n", 2), ("가\n", 1), ("한빛 전자\n", 1)] {
            XCTAssertThrowsError(try KeywordDictionary(parsing: bad, source: "d.txt")) { error in
                XCTAssertTrue("\(error)".contains("d.txt line \(line)"), "\(error)")
            }
        }
    }

    /// Aliases: the file format, a form found with a particle after its last word (never inside a longer word),
    /// several words and Latin forms, groups sharing a form joined, and the default list.
    func testAliasesMatchTheQuerysWords() throws {
        let aliases = try KeywordAliases(parsing: "# 약어\n삼성전자, 삼성\n영업손익, 영업이익, OP\n", source: "aliases.txt")
        let matcher = aliases.matcher
        XCTAssertEqual(
            matcher.matches(in: "삼전의 영업이익은"),
            [.init(form: "삼전", aliases: ["삼성전자", "Samsung Electronics", "삼성"]), .init(form: "영업이익", aliases: ["영업손익", "OP"])],
            "the default group and the file's sharing 삼성전자 joined")
        XCTAssertEqual(matcher.matches(in: "삼전자 부품"), [], "not inside another word")
        XCTAssertEqual(matcher.matches(in: "SAMSUNG electronics 실적").map(\.form), ["Samsung Electronics"])
        XCTAssertEqual(matcher.matches(in: "전년 동기 대비 증가").map(\.form), ["전년 동기 대비"])
        XCTAssertEqual(try KeywordAliases(parsing: "!no-defaults\n삼성, 삼전\n", source: "a").matcher.matches(in: "삼전 실적").map(\.aliases), [["삼성"]])
        XCTAssertEqual(try KeywordAliases(parsing: aliases.text, source: "again"), aliases, "its text reads back")
        for (bad, message) in [("삼성전자\n", "line 1 of a.txt has 1 form"), ("# x\n삼성, --\n", "line 2 of a.txt: \"--\" has no letters")] {
            XCTAssertThrowsError(try KeywordAliases(parsing: bad, source: "a.txt")) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
        // The default list: every group two forms or more, every form searchable, no form in two groups.
        let defaults = KeywordAliases.defaults.groups
        XCTAssertGreaterThan(defaults.count, 30)
        let keys = defaults.flatMap { $0.map(KeywordAliases.words) }
        XCTAssertEqual(Set(keys).count, keys.count)
        XCTAssertTrue(keys.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.count > 1 } }, "no one-letter word to match everything")
        XCTAssertEqual(KeywordAliases.none.effective, defaults)
    }

    /// The proximity stage's fast placement of the wanted terms finds exactly what placing every term and keeping
    /// the wanted ones finds, on random Korean, number and Latin text, with and without a dictionary.
    func testFastPlacementsEqualPlacingEveryTerm() throws {
        var random = SplitMix(state: 20261207)
        let pieces = ["펀드", "규모", "의", " ", "순자산", "1,350", "원", "SK", "하이닉스", "가", ".", "기준가", "펀드규모", "  "]
        let dictionary = try KeywordDictionary(words: ["펀드규모", "하이닉스"])
        for _ in 0 ..< 300 {
            let text = (0 ..< Int.random(in: 1 ... 12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let query = (0 ..< Int.random(in: 1 ... 4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined(separator: " ")
            for lexicon in [KeywordDictionary.empty, dictionary] {
                let wanted = Set(KeywordTerms.terms(query, dictionary: lexicon))
                var expected: [String: [KeywordTerms.Placed]] = [:]
                for word in KeywordTerms.placedWords(text, dictionary: lexicon) {
                    for term in word where wanted.contains(term.term) { expected[term.term, default: []].append(term) }
                }
                let found = KeywordProximity.placements(of: wanted, in: text, dictionary: lexicon)
                XCTAssertEqual(
                    found.mapValues { $0.sorted { $0.start < $1.start } }, expected.mapValues { $0.sorted { $0.start < $1.start } },
                    "\(text) / \(query)")
            }
        }
    }
}
