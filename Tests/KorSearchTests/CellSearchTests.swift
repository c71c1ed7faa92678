import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore
@testable import KorSearchEmbedded

/// What the readers' tables are for: a cell found by search together with its row and column headers, for each
/// format that has tables (the readers' own tests are in KorDocumentsTests).
final class CellSearchTests: XCTestCase {
    private let folder = TestPaths.fixtures.appendingPathComponent("documents")
    private var filing: URL { folder.appendingPathComponent("20240814000123.zip") }
    private var report: URL { folder.appendingPathComponent("report.hwp") }

    /// A keyword search for a cell's value finds the passage with its row label and column header; every
    /// piece of the 14-row table repeats its unit and header.
    func testDARTACellIsFoundWithItsRowAndColumn() throws {
        let (directory, searcher) = try indexedCopies(of: [filing], chunkTokens: 96)
        let hit = try XCTUnwrap(try searcher.search("426,500", limit: 1, mode: .keyword).first)
        let lines = hit.text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("반기순이익 | 426,500 | 640,000 | 443,700"), hit.text)
        XCTAssertTrue(lines.contains("구분 | 제56기 반기 | 제55기 | 제54기"), hit.text)
        XCTAssertEqual(hit.section, "III. 재무에 관한 사항 > 1. 요약재무정보", "the headings above it")
        let product = try XCTUnwrap(try searcher.search("402,900", limit: 1, mode: .keyword).first)
        // The passage starts above the table's heading `가. 주요 제품 매출` and reports the section where it starts
        // (a passage crossing a heading reports its start's section: issue 30's "where a hit is" part).
        XCTAssertEqual(product.section?.hasPrefix("II. 사업의 내용 > 2. 주요 제품 및 서비스"), true, "\(product.section ?? "-")")
        let review = try XCTUnwrap(try searcher.search("공정하게 표시하지", limit: 1, mode: .keyword).first)
        XCTAssertEqual(review.section, "검토보고서 > 독립된 감사인의 반기 재무제표 검토보고서", "an attachment's sections under its name")
        let pieces = try EmbeddedStore.open(directory).catalog.chunks(ids: Array(1 ... 50)).filter { $0.text.contains("| 제56기 반기 |") }
        XCTAssertGreaterThan(pieces.count, 1, "the table is longer than a passage")
        for (number, piece) in pieces.sorted(by: { $0.ordinal < $1.ordinal }).enumerated() {
            let header = "(단위 : 백만원)\n구분 | 제56기 반기 | 제55기 | 제54기\n"
            // The first piece may begin with the headings above the table; every later one begins with its header.
            XCTAssertTrue(number == 0 ? piece.text.contains(header) : piece.text.hasPrefix(header), piece.text)
        }
    }

    /// A keyword search for a cell's value finds the passage with its row label and column headers.
    func testHWPACellIsFoundWithItsRowAndColumn() throws {
        let (directory, searcher) = try indexedCopies(of: [report], chunkTokens: 64)
        let hit = try XCTUnwrap(try searcher.search("39,996", limit: 1, mode: .keyword, filters: SearchFilters(types: ["hwp"])).first)
        let lines = hit.text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("영업이익 | 26,075 | 39,996"), hit.text)
        XCTAssertTrue(lines.contains("과목 | 2023년 | 2024년"), "its column header: \(hit.text)")
        // The unit and header lines start the table's first passage rather than end the one before it.
        let chunks = try EmbeddedStore.open(directory).catalog.chunks(ids: Array(1 ... 20))
        XCTAssertTrue(
            chunks.contains { $0.text.contains("(단위: 억원)\n과목 | 실적\n과목 | 2023년 | 2024년\n매출액 | 456,780") },
            "\(chunks.map(\.text))")
        XCTAssertFalse(chunks.contains { $0.text.hasSuffix("요약 재무") }, "a heading stays with what follows it")
        XCTAssertFalse(chunks.contains { $0.text.hasSuffix("2024년") || $0.text.hasSuffix("(단위: 억원)") }, "\(chunks.map(\.text))")
    }

    func testPDFACellIsFoundWithItsRowAndColumnHeader() throws {
        let (_, searcher) = try indexedCopies(of: [folder.appendingPathComponent("quarterly-results.pdf")], chunkTokens: 64)
        // A value on page 2, in the part whose header was printed again.
        let hit = try XCTUnwrap(try searcher.search("437,100", limit: 1, mode: .keyword).first)
        XCTAssertEqual(hit.page, 2)
        XCTAssertTrue(hit.text.contains("구분 | 2023년 3분기 | 2024년 3분기 | 증감률\n"), hit.text)
        XCTAssertTrue(hit.text.split(separator: "\n").contains("총부채 | 419,900 | 437,100 | 4.1%"), hit.text)
        let ratio = try XCTUnwrap(try searcher.search("고정이하여신비율", limit: 1, mode: .keyword).first)
        XCTAssertTrue(ratio.text.contains("지표 | 2023년 3분기 | 2024년 3분기\n"), ratio.text)
        XCTAssertTrue(ratio.text.contains("고정이하여신비율 | 0.27% | 0.33%"), ratio.text)
    }

    /// A keyword search for a cell's value finds the passage holding it as its own cell with its row label;
    /// table rows are never cut across passages.
    func testTableACellIsFoundWithItsRowAndColumn() throws {
        let work = folder
        let (directory, searcher) = try indexedCopies(
            of: ["financials.xlsx", "dividends-cp949.csv"].map { folder.appendingPathComponent($0) }, chunkTokens: 64)
        let hit = try XCTUnwrap(try searcher.search("399,963", limit: 1, mode: .keyword).first)
        XCTAssertEqual(hit.path, "financials.xlsx")
        XCTAssertTrue(hit.text.split(separator: "\n").contains("영업이익 | 260,750 | 399,963"), hit.text)
        let lines = Set(try DocumentLoader.load(work.appendingPathComponent("financials.xlsx")).text.split(separator: "\n").map(String.init))
        for chunk in try EmbeddedStore.open(directory).catalog.chunks(ids: Array(1 ... 200)) where chunk.path == "financials.xlsx" {
            XCTAssertTrue(chunk.text.split(separator: "\n").allSatisfy { lines.contains(String($0)) }, "whole rows only: \(chunk.text)")
            XCTAssertLessThanOrEqual(chunk.tokens, 64)
        }
        // The 60-row sheet spans several passages: every one begins with the sheet's caption and header.
        let quarterly = try EmbeddedStore.open(directory).catalog.chunks(ids: Array(1 ... 200)).filter {
            $0.text.contains("분기 |") && $0.path == "financials.xlsx"
        }
        XCTAssertGreaterThan(quarterly.count, 2)
        for chunk in quarterly where chunk.text.contains("2014년") || chunk.text.contains("2020년") || chunk.text.contains("2024년 4분기") {
            XCTAssertTrue(chunk.text.hasPrefix("분기별 매출\n분기 | 매출액(억원) | 전년 동기 대비\n"), chunk.text)
        }
        let hits = try searcher.search("2023년 3분기", limit: 5, mode: .keyword)
        let late = try XCTUnwrap(hits.first { $0.text.contains("2023년 3분기 | ") }, "\(hits.map(\.text))")
        XCTAssertTrue(late.text.contains("분기 | 매출액(억원) | 전년 동기 대비"), "the cell's column headers come with it: \(late.text)")
        let dividend = try XCTUnwrap(try searcher.search("새봄은행 배당금", limit: 1, mode: .keyword, filters: SearchFilters(types: ["csv"])).first)
        XCTAssertTrue(dividend.text.contains("새봄은행, 지주 | 2024-12 | 3,100 | 31.5%"), dividend.text)
    }
}
