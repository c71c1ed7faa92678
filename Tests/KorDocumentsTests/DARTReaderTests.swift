import Foundation
import KorSearchTestSupport
import XCTest
import ZIPFoundation

@testable import KorDocuments

/// DART filings: the zip OpenDART delivers (EUC-KR, main body and an attachment), read against what
/// `Scripts/make_document_fixtures.py` wrote into it.
final class DARTReaderTests: XCTestCase {
    private let folder = TestPaths.fixtures.appendingPathComponent("documents")
    private var filing: URL { folder.appendingPathComponent("20240814000123.zip") }

    private func expected() throws -> [String: Any] {
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as! [String: Any]
        return try XCTUnwrap(all["20240814000123.zip"] as? [String: Any])
    }

    func testSectionsTablesAndMetadataOfAFilingZip() throws {
        let reference = try expected()
        let document = try DocumentLoader.load(filing)
        XCTAssertEqual(document.type, "dart")
        let headings = document.blocks.compactMap { placed -> [String]? in
            if case .heading(let level) = placed.block.kind { return ["\(level)", placed.block.text] } else { return nil }
        }
        XCTAssertEqual(
            headings, (reference["headings"] as! [[Any]]).map { ["\($0[0])", $0[1] as! String] },
            "titles at their sections' depth; the attachment's document name heads its part")
        let tables = document.blocks.compactMap { if case .table(let table) = $0.block.kind { table } else { nil } }
        // As written, but the second table's 매출액 header, which spans two columns, stored once.
        var written = reference["tables"] as! [[[String]]]
        XCTAssertEqual(written[1][0], ["부문", "매출액", "매출액"])
        written[1][0] = ["부문", "매출액"]
        XCTAssertEqual(tables.map { $0.rows.map { $0.map(\.text) } }, written)
        XCTAssertEqual(tables.map(\.headerRows), [0, 2, 1], "THEAD rows are the header")
        XCTAssertEqual(tables.map(\.unit), [nil, "(단위 : 백만원)", "(단위 : 백만원)"], "a unit in a one-cell table or a paragraph")
        let metadata = reference["metadata"] as! [String: String]
        XCTAssertEqual(document.metadata.title, metadata["title"])
        XCTAssertEqual(document.metadata.company, metadata["company"])
        XCTAssertEqual(document.metadata.corpCode, metadata["corpCode"])
        XCTAssertEqual(document.metadata.reportType, metadata["reportType"])
        XCTAssertEqual(document.metadata.reportCode, metadata["reportCode"])
        XCTAssertEqual(document.metadata.rceptNo, metadata["rceptNo"])
        XCTAssertEqual(document.metadata.filed, metadata["filed"])
        XCTAssertEqual(document.metadata.periodFrom, metadata["periodFrom"])
        XCTAssertEqual(document.metadata.periodTo, metadata["periodTo"])
        // DART's markup as it is: a bare `<` and `&` are text, `&cr;` a line break; the summary and the table of
        // contents are not body text.
        XCTAssertTrue(document.text.contains("부채비율 < 100% 를"), document.text)
        XCTAssertTrue(document.text.contains("반기 중 R&D 투자는"))
        XCTAssertTrue(document.text.contains("만든다.\n본사는"))
        XCTAssertFalse(document.text.contains("요약 추출값"))
        XCTAssertFalse(document.text.contains("목 차"))
        XCTAssertTrue(document.text.contains("(단위 : 백만원)\n부문 | 매출액\n부문 | 2023년 상반기 | 2024년 상반기\n메모리 | 1,234,500 | 1,587,200"))
    }

    func testABareXMLFilingAndFilesThatAreNotFilings() throws {
        let work = try temporaryFolder()
        let archive = try Archive(url: filing, accessMode: .read)
        let entry = try XCTUnwrap(archive["20240814000123_00760.xml"])
        var data = Data()
        _ = try archive.extract(entry) { data.append($0) }
        try data.write(to: work.appendingPathComponent("20240814000123_00760.xml"))
        let review = try DocumentLoader.load(work.appendingPathComponent("20240814000123_00760.xml"))
        XCTAssertEqual(review.type, "dart")
        XCTAssertEqual(review.metadata.reportType, "검토보고서")
        XCTAssertEqual(review.metadata.filed, "2024-08-14")
        XCTAssertTrue(review.text.hasPrefix("독립된 감사인의 반기 재무제표 검토보고서\n\n우리는 한빛전자㈜의"), review.text)

        try Data("<?xml version=\"1.0\"?><rss><channel><title>뉴스</title></channel></rss>".utf8).write(to: work.appendingPathComponent("feed.xml"))
        let photos = try Archive(url: work.appendingPathComponent("photos.zip"), accessMode: .create)
        try photos.addEntry(with: "readme.txt", type: .file, uncompressedSize: Int64(5), compressionMethod: .none) { (_: Int64, _: Int) in
            Data("hello".utf8)
        }
        try Data("PK\u{03}\u{04}broken".utf8).write(to: work.appendingPathComponent("broken.zip"))
        let cases = [
            ("feed.xml", "not a DART filing (XML other than DART's document markup is not read)"),
            ("photos.zip", "not a DART filing (the zip holds no DART document XML)"),
            ("broken.zip", "not a valid zip file"),
        ]
        for (name, reason) in cases {
            XCTAssertThrowsError(try DocumentLoader.load(work.appendingPathComponent(name)), name) {
                XCTAssertTrue("\($0)".contains(reason), "\(name): \($0)")
            }
        }
        // A filing zip inflates within the limit per file, however large its entries claim to be.
        var limits = DocumentLimits()
        limits.maxInflatedBytes = 2000
        XCTAssertThrowsError(try DocumentLoader.load(filing, limits: limits)) {
            XCTAssertTrue("\($0)".contains("inflates to more than 1 KiB"), "\($0)")
        }
    }

}
