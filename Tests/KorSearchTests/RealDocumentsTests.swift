import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

/// Real files from other projects' public test suites (`../shared/realdocs`, or `KORSEARCH_REALDOCS`), indexed as a
/// user indexes a folder; skipped, saying so, where they are absent (a user's clone has no `../shared`).
final class RealDocumentsTests: XCTestCase {
    /// An HWP distribution document (배포용 문서), which korsearch used to skip, is indexed among the other HWP files
    /// and a phrase of its text finds it first.
    func testADistributionDocumentIsFoundByItsText() throws {
        guard let documents = TestPaths.realDocuments else { throw XCTSkip("no real documents here (../shared/realdocs, KORSEARCH_REALDOCS)") }
        let folder = try temporaryFolder().appendingPathComponent("hwp")
        try FileManager.default.copyItem(at: documents.appendingPathComponent("hwp"), to: folder)
        let model = try tinyModel
        let location = IndexLocation.directory(EmbeddedLocation(try temporaryFolder().appendingPathComponent("index")))
        let summary = try Indexer(location: location, embedder: model.embedder, model: model.identity).index(folder: folder)
        XCTAssertFalse(summary.skipped.contains { $0.path == "hwplib_distribution.hwp" }, "\(summary.skipped)")
        let searcher = try Searcher(location: location, embedder: nil, model: nil)
        let hits = try searcher.search("강남세움센터 시설관리원 용역업체 입찰공고", limit: 3, mode: .keyword)
        XCTAssertEqual(hits.first?.path, "hwplib_distribution.hwp")
    }
}
