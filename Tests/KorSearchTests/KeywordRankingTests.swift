import Foundation
import GRDB
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorSearchCore
@testable import KorSearchEmbedded
@testable import KorSearchPostgres

/// Korean-exact keyword terms: whole words with their particles and endings stripped beside the bigrams,
/// amounts with Korean units as one term, highlights of exactly what matched, and older indexes' terms derived
/// again (both stores).
final class KeywordRankingTests: XCTestCase {

    /// `육아휴직을` ranks a passage with 육아휴직 above one that only shares 휴직 and 직을 (the case),
    /// and an amount finds its other spelling.
    func testExactWordsOutrankBigramCoincidences() throws {
        let folder = try temporaryFolder()
        let files = [
            ("leave.txt", "육아휴직 제도를 확대하여 자녀가 여덟 살 이하인 직원은 최대 2년까지 쓸 수 있다."),
            ("other.txt", "질병으로 휴직을 신청한 직원은 복직 전에 진단서를 내야 하며 휴직을 연장할 수 있다."),
            ("sales.txt", "올해 매출은 13,200억원으로 전년보다 늘었다."),
        ]
        for (name, text) in files { try Data(text.utf8).write(to: folder.appendingPathComponent(name)) }
        let (_, searcher) = try indexedCopies(of: files.map { folder.appendingPathComponent($0.0) }, chunkTokens: 64)
        XCTAssertEqual(try searcher.search("육아휴직을", limit: 2, mode: .keyword).first?.path, "leave.txt")
        XCTAssertEqual(try searcher.search("1조 3,200억 원 매출", limit: 1, mode: .keyword).first?.path, "sales.txt")
    }

    /// An index whose keyword terms older rules derived gets them derived again by the next indexing run, with
    /// no re-embedding, and then searches as a fresh index does: both stores. (An index directory's keyword
    /// index file records its rules; one by other rules, or none, is derived again from the passages' text.)
    func testOlderTermsAreDerivedAgainOnTheNextRun() throws {
        let corpus = try temporaryFolder()
        try FileManager.default.copyItem(at: TestPaths.corpus, to: corpus.appendingPathComponent("corpus"))
        let model = try tinyModel
        var stores: [IndexLocation] = [.directory(EmbeddedLocation(try temporaryFolder().appendingPathComponent("index")))]
        if let postgres = try TestPostgres.freshLocation("terms") { stores.append(postgres) }
        for location in stores {
            let indexer = try Indexer(location: location, embedder: model.embedder, model: model.identity)
            try indexer.index(folder: corpus.appendingPathComponent("corpus"))
            let fresh = try Searcher(location: location, embedder: nil, model: nil)
            let queries = ["육아휴직을", "반도체 업황", "부동산 PF 보증 잔액", "새봄은행 순이자마진"]
            let expected = try queries.map { try fresh.search($0, limit: 5, mode: .keyword).map { ($0.path, $0.score) } }
            // As an older korsearch left it: bigram terms only, and no version recorded.
            if let postgres = location.store as? PostgresLocation {
                let session = try PostgresSession(postgres)
                try session.execute("UPDATE chunks SET terms = ''::tsvector")
                try session.execute("DELETE FROM keyword_postings")
                try session.execute("DELETE FROM meta WHERE key = 'keyword_terms'")
            } else {
                let directory = location.store as! EmbeddedLocation
                var file = try Data(contentsOf: directory.keywordsURL)
                file[12] = 1  // the header's rules version
                try file.write(to: directory.keywordsURL)
                let catalog = try DatabaseQueue(path: directory.catalogURL.path)
                try catalog.write { db in
                    try db.execute(sql: "DELETE FROM meta WHERE key IN ('keyword_terms', 'keywords_checksum')")
                }
            }
            XCTAssertEqual(try IndexStores.meta(of: location).keywordTerms, 1)
            var warnings: [String] = []
            let summary = try Indexer(location: location, embedder: model.embedder, model: model.identity, warn: { warnings.append($0) })
                .index(folder: corpus.appendingPathComponent("corpus"))
            XCTAssertEqual(summary.tokens, 0, "no re-embedding")
            XCTAssertTrue(warnings.contains { $0.contains("derived again") || $0.contains("terms by other rules (version 1") }, "\(warnings)")
            XCTAssertEqual(try IndexStores.meta(of: location).keywordTerms, KeywordTerms.version)
            let again = try Searcher(location: location, embedder: nil, model: nil)
            for (query, hits) in zip(queries, expected) {
                let found = try again.search(query, limit: 5, mode: .keyword).map { ($0.path, $0.score) }
                XCTAssertEqual(found.map(\.0), hits.map(\.0), "\(location): \(query)")
                for (a, b) in zip(found, hits) { XCTAssertEqual(a.1, b.1, accuracy: 1e-9, "\(location): \(query)") }
            }
        }
    }
}
