import KorSearchCore
import XCTest

/// DART sections to their standard codes by title, whatever their numbering, and the `section` filter's forms.
final class DARTSectionsTests: XCTestCase {
    func testSectionsAreCodedByTheirTitles() {
        XCTAssertEqual(DARTSections.code(of: "II. 사업의 내용 > 1. 사업의 개요"), "II-1")
        XCTAssertEqual(DARTSections.code(of: "Ⅱ. 사업의 내용 > 2. 주요 제품 및 서비스 > 가. 주요 제품"), "II-2", "full-width numerals, a heading below")
        XCTAssertEqual(DARTSections.code(of: "III. 재무에 관한 사항 > 3. 연결재무제표 주석"), "III-3")
        XCTAssertEqual(DARTSections.code(of: "III. 재무에 관한 사항 > 4. 재무제표"), "III-4", "not 연결재무제표")
        XCTAssertEqual(DARTSections.code(of: "IV. 우발부채 등에 관한 사항 > 1. PF 대출 지급보증"), "XI-2", "numbered otherwise, coded by title")
        XCTAssertEqual(DARTSections.code(of: "I. 회사의 개요 > 1. 회사의 개요"), "I-1", "a sub-section named as its part")
        XCTAssertEqual(DARTSections.code(of: "I. 회사의 개요"), "I")
        XCTAssertEqual(DARTSections.code(of: "II. 사업의 내용 > 9. 회사가 붙인 항목"), "II")
        XCTAssertNil(DARTSections.code(of: "주 요 사 항 보 고 서"))
        XCTAssertNil(DARTSections.code(of: nil))
        XCTAssertEqual(DARTSections.code(of: "【 전문가의 확인 】 > XII. 상세표"), "XII")
    }

    func testTheSectionFilterTakesCodesTitlesAndTitlePrefixes() {
        XCTAssertEqual(DARTSections.Selector("ii"), .code("II"))
        XCTAssertEqual(DARTSections.Selector(" III-2 "), .code("III-2"))
        XCTAssertEqual(DARTSections.Selector("사업의 내용"), .code("II"))
        XCTAssertEqual(DARTSections.Selector("우발부채 등에 관한 사항"), .code("XI-2"))
        XCTAssertEqual(DARTSections.Selector("PF 대출"), .title("pf대출"))
        XCTAssertNil(DARTSections.Selector("  "))
        let code = DARTSections.Selector("II")!
        XCTAssertTrue(code.matches("II. 사업의 내용 > 1. 사업의 개요"))
        XCTAssertFalse(code.matches("III. 재무에 관한 사항 > 1. 요약재무정보"), "III is not under II")
        XCTAssertFalse(code.matches(nil))
        XCTAssertTrue(DARTSections.Selector("PF 대출")!.matches("IV. 우발부채 등에 관한 사항 > 1. PF 대출 지급보증"))
        XCTAssertFalse(DARTSections.Selector("대출")!.matches("IV. 우발부채 등에 관한 사항 > 1. PF 대출 지급보증"), "a title's beginning")
    }
}
