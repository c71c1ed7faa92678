import Foundation
import KorSearchTestSupport
import XCTest
import ZIPFoundation

@testable import KorDocuments

/// Spreadsheets and CSV as tables, checked cell by cell against what openpyxl and Python's csv module read
/// from the same files (`Scripts/make_document_fixtures.py` wrote both).
final class TableReaderTests: XCTestCase {
    private let folder = TestPaths.fixtures.appendingPathComponent("documents")

    private func expected() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as! [String: Any]
    }

    private func tables(_ document: LoadedDocument) -> [DocumentTable] {
        document.blocks.compactMap { if case .table(let table) = $0.block.kind { table } else { nil } }
    }

    func testXLSXSheetsAreTablesAsTheyDisplay() throws {
        let document = try DocumentLoader.load(folder.appendingPathComponent("financials.xlsx"))
        XCTAssertEqual(document.type, "xlsx")
        let sheets = try XCTUnwrap(try expected()["financials.xlsx"] as? [[String: Any]])
        let read = tables(document)
        XCTAssertEqual(read.count, 2)
        // Sheet 1: the title row (one merged cell across the table) becomes the unit line.
        var reference = sheets[0]["rows"] as! [[String]]
        XCTAssertEqual(read[0].caption, "손익계산서")
        XCTAssertEqual(read[0].unit, reference.removeFirst()[0])
        // openpyxl repeats a merged cell over its area; korsearch stores 실적 (two columns) once, and 과목 (two
        // rows) again in the second row, which it labels.
        XCTAssertEqual(reference[0], ["과목", "실적", "실적"])
        reference[0].removeLast()
        XCTAssertEqual(read[0].rows.map { $0.map(\.text) }, reference)
        XCTAssertEqual(read[0].rows[0].map(\.columnSpan), [1, 2])
        XCTAssertEqual(read[0].headerRows, 2, "the merged two-row header")
        XCTAssertEqual(read[1].caption, "분기별 매출")
        XCTAssertEqual(read[1].rows.map { $0.map(\.text) }, sheets[1]["rows"] as! [[String]])
        XCTAssertEqual(read[1].rows.count, 61)
        XCTAssertEqual(read[1].headerRows, 1)
        // In the stored text each row is one line, its cells separated, never fused.
        XCTAssertTrue(document.text.contains("\n영업이익 | 260,750 | 399,963\n"), document.text)
        XCTAssertTrue(document.text.contains("\n당기순이익 | (12,500) | 301,220\n"))
        XCTAssertTrue(document.text.contains("\n2024년 4분기 | 3,212.5 | 0.00%"))
    }

    func testNumberFormats() {
        XCTAssertEqual(NumberFormats.format(1234567.891, code: "#,##0"), "1,234,568")
        XCTAssertEqual(NumberFormats.format(-1234.5, code: "#,##0.0;(#,##0.0)"), "(1,234.5)")
        XCTAssertEqual(NumberFormats.format(-1234.5, code: "#,##0"), "-1,235")
        XCTAssertEqual(NumberFormats.format(0.12345, code: "0.0%"), "12.3%")
        XCTAssertEqual(NumberFormats.format(45658, code: "yyyy-mm-dd"), "2025-01-01")
        XCTAssertEqual(NumberFormats.format(0.1 + 0.2, code: "General"), "0.3")
        XCTAssertEqual(NumberFormats.format(456780, code: "General"), "456780")
        XCTAssertEqual(NumberFormats.format(1500, code: #"#,##0"원""#), "1,500")
    }

    func testCSVAndTSVInTheirEncodings() throws {
        let reference = try XCTUnwrap(try expected()["dividends.csv"] as? [[String]])
        for (name, encoding) in [("dividends-cp949.csv", "CP949"), ("dividends-bom.tsv", "UTF-8")] {
            let document = try DocumentLoader.load(folder.appendingPathComponent(name))
            XCTAssertEqual(document.type, "csv")
            XCTAssertEqual(document.encoding, encoding, name)
            let table = try XCTUnwrap(tables(document).first, name)
            XCTAssertEqual(table.rows.map { $0.map(\.text) }, reference, name)
            XCTAssertEqual(table.headerRows, 1)
        }
        XCTAssertEqual(try CSVReader.rows("a,\"b,\"\"c\"\"\nd\",e\r\nf", separator: ","), [["a", "b,\"c\"\nd", "e"], ["f"]])
    }

    func testBadSpreadsheetsAreSkippedWithTheirReason() throws {
        let work = try temporaryFolder()
        let cases: [(String, Data, String)] = [
            ("truncated.xlsx", try Data(contentsOf: folder.appendingPathComponent("financials.xlsx")).prefix(2000), "not a valid xlsx file"),
            ("text.xlsx", Data("not a zip".utf8), "not a valid xlsx file"),
            ("empty.csv", Data(",,\n,,\n".utf8), "no text"),
            ("binary.csv", Data([0, 1, 2, 0, 0xFF]), "binary file"),
        ]
        for (name, data, reason) in cases {
            try data.write(to: work.appendingPathComponent(name))
            XCTAssertThrowsError(try DocumentLoader.load(work.appendingPathComponent(name)), name) {
                XCTAssertTrue("\($0)".contains(reason), "\(name): \($0)")
            }
        }
        let archive = try Archive(url: work.appendingPathComponent("nobook.xlsx"), accessMode: .create)
        try archive.addEntry(with: "hello.txt", type: .file, uncompressedSize: Int64(5), compressionMethod: .none) { (_: Int64, _: Int) in
            Data("hello".utf8)
        }
        XCTAssertThrowsError(try DocumentLoader.load(work.appendingPathComponent("nobook.xlsx"))) {
            XCTAssertTrue("\($0)".contains("not an Excel workbook"), "\($0)")
        }
    }

}

/// HTML tables as tables: header cells, spans repeated, a unit line above the table taken as its unit.
final class HTMLTableTests: XCTestCase {
    func testHTMLTablesKeepTheirCells() throws {
        let html = """
            <html><body><h2>요약 재무</h2><p>(단위: 억원)</p>
            <table><caption>연결 손익</caption>
            <thead><tr><th rowspan="2">과목</th><th colspan="2">실적</th></tr><tr><th>2023년</th><th>2024년</th></tr></thead>
            <tbody><tr><td>매출액</td><td>4,567</td><td>5,123</td></tr>
            <tr><td>영업이익</td><td>2,607</td><td>3,999</td></tr></tbody></table>
            <p>부채비율 &lt; 100% 인 기업</p></body></html>
            """
        let url = try temporaryFolder().appendingPathComponent("summary.html")
        try Data(html.utf8).write(to: url)
        let document = try DocumentLoader.load(url)
        let tables = document.blocks.compactMap { if case .table(let table) = $0.block.kind { table } else { nil } }
        let table = try XCTUnwrap(tables.first)
        XCTAssertEqual(
            table.rows.map { $0.map(\.text) },
            [
                // 실적 spans two columns: stored once; 과목 spans two rows and labels the second: kept there.
                ["과목", "실적"], ["과목", "2023년", "2024년"],
                ["매출액", "4,567", "5,123"], ["영업이익", "2,607", "3,999"],
            ])
        XCTAssertEqual(table.headerRows, 2)
        XCTAssertEqual(table.caption, "연결 손익")
        XCTAssertEqual(table.unit, "(단위: 억원)")
        XCTAssertTrue(
            document.text.contains("연결 손익\n(단위: 억원)\n과목 | 실적\n과목 | 2023년 | 2024년\n매출액 | 4,567 | 5,123\n영업이익 | 2,607 | 3,999"), document.text)
        XCTAssertTrue(document.text.hasSuffix("부채비율 < 100% 인 기업"))
        // The corpus page: its table's rows no longer fuse with the paragraphs around them.
        let fx = try DocumentLoader.load(TestPaths.corpus.appendingPathComponent("market/fx-daily-2024-11-05.html"))
        XCTAssertTrue(fx.text.contains("\n통화 | 종가 | 전일 대비\n원/달러 | 1,385.6 | +4.2\n"), fx.text)
    }
}

/// Word and Hancom tables as tables: the grid python-docx reads, but a merged cell stored once where python-docx
/// repeats it, a table inside a Hancom paragraph's run, the paragraphs around each table kept in order.
final class OfficeTableTests: XCTestCase {
    private let folder = TestPaths.fixtures.appendingPathComponent("documents")

    private func reference(_ name: String) throws -> [[String]] {
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as! [String: Any]
        return try XCTUnwrap(all[name] as? [[String]])
    }

    func testDOCXAndHWPXTables() throws {
        for (name, paragraphsBefore, unit) in [
            ("quarterly.docx", "한빛전자㈜ 2024년 3분기 실적 요약입니다.", "(단위: 억원)" as String?),
            ("dividend.hwpx", "현금배당 결정 내용은 다음과 같다.", nil),
        ] {
            let document = try DocumentLoader.load(folder.appendingPathComponent(name))
            let kinds = document.blocks.map { block -> String in if case .table = block.block.kind { "table" } else { "paragraph" } }
            XCTAssertEqual(kinds, ["paragraph", "table", "paragraph"], name)
            XCTAssertEqual(document.blocks[0].block.text, paragraphsBefore)
            guard case .table(let table) = document.blocks[1].block.kind else { return XCTFail(name) }
            // The first row's second cell spans two columns: python-docx (and the HWPX writer) repeat it, korsearch
            // stores it once.
            var expected = try reference(name)
            XCTAssertEqual(expected[0][1], expected[0][2])
            expected[0].removeLast()
            XCTAssertEqual(table.rows.map { $0.map(\.text) }, expected, name)
            XCTAssertEqual(table.unit, unit, name)
            XCTAssertEqual(table.headerRows, name.hasSuffix("hwpx") ? 2 : 0, "HWPX marks its header cells; this DOCX marks none")
        }
    }
}

/// Slides as pages: titles as headings, text boxes as paragraphs, tables as tables, as python-pptx reads them.
final class PPTXTests: XCTestCase {
}
