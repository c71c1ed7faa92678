import Foundation
import KorEncoder
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore

/// The keyword terms of a text and the highlights of a query in it (their use in ranking is tested in
/// KorSearchTests' KeywordRankingTests).
final class KeywordTermsTests: XCTestCase {
    func testWholeWordsAndStemsBesideBigrams() {
        XCTAssertEqual(KeywordTerms.terms("육아휴직을"), ["육아", "아휴", "휴직", "직을", "육아휴직을", "육아휴직"])
        XCTAssertEqual(KeywordTerms.terms("금리"), ["금리", "금리"], "a two-syllable word's whole form is its bigram")
        XCTAssertEqual(KeywordTerms.terms("증가하였다"), ["증가", "가하", "하였", "였다", "증가하였다", "증가"])
        XCTAssertEqual(KeywordTerms.terms("원 SK 1,350.5"), ["원", "sk", "1350.5"])
        // The closed list: longest ending first; a stem keeps two syllables.
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
}
