import Foundation
import GRDB
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore
@testable import KorSearchEmbedded
@testable import KorSearchPostgres

/// Search over a real index of the example corpus, in both stores (an index directory, and PostgreSQL with
/// pgvector when the tests have a server): every scenario runs against each. Keyword ranking does not depend
/// on the model, so its results are asserted; with the tiny random test model, vector results are asserted
/// only where the answer is certain (a passage's own text finds that passage).
final class SearchTests: XCTestCase {
    nonisolated(unsafe) private static var shared: (folder: URL, stores: [IndexLocation])?
    private static let lock = NSLock()

    /// The example corpus indexed (once per process) into each store.
    private func corpusStores() throws -> [IndexLocation] {
        SearchTests.lock.lock()
        defer { SearchTests.lock.unlock() }
        if let shared = SearchTests.shared { return shared.stores }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-search-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let corpus = folder.appendingPathComponent("corpus")
        try FileManager.default.copyItem(at: TestPaths.corpus, to: corpus)
        var stores: [IndexLocation] = [.directory(EmbeddedLocation(folder.appendingPathComponent("index")))]
        if let postgres = try TestPostgres.freshLocation("search") { stores.append(postgres) }
        let model = try tinyModel
        var options = IndexOptions()
        options.chunking = ChunkingOptions(chunkTokens: 96, overlapTokens: 24)
        for store in stores {
            try Indexer(location: store, embedder: model.embedder, model: model.identity, options: options).index(folder: corpus)
        }
        SearchTests.shared = (folder, stores)
        return stores
    }

    override class func tearDown() {
        if let shared { try? FileManager.default.removeItem(at: shared.folder) }
        super.tearDown()
    }

    /// A searcher over each store, named for failure messages.
    private func searchers() throws -> [(store: String, searcher: Searcher)] {
        let model = try tinyModel
        return try corpusStores().map { location in
            let name = location.store is PostgresLocation ? "postgres" : "directory"
            return (name, try Searcher(location: location, embedder: model.embedder, model: model.identity))
        }
    }

    /// Keyword search asks its engine for a short list (and again, deeper, when a document's overlapping
    /// passages leave fewer than k): still k distinct hits, in the order a deep list gives (hybrid with vector
    /// weight 0 ranks as keyword search, from 50 deep), over a document whose passages all tie and overlap.
    func testKeywordSearchFetchesDeeperWhenOverlapsLeaveTooFew() throws {
        let folder = try temporaryFolder()
        let sentence = "기준금리 동결 결정이 발표되었다. "
        try Data(String(repeating: sentence, count: 80).utf8).write(to: folder.appendingPathComponent("repeated.txt"))
        try Data("환율과 기준금리 전망.".utf8).write(to: folder.appendingPathComponent("other.txt"))
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        let model = try tinyModel
        var options = IndexOptions()
        options.chunking = ChunkingOptions(chunkTokens: 24, overlapTokens: 11)
        try Indexer(directory: directory, embedder: model.embedder, model: model.identity, options: options).index(folder: folder)
        let searcher = try Searcher(index: try EmbeddedStore.open(directory), embedder: model.embedder, model: model.identity)
        XCTAssertGreaterThan(try EmbeddedStore.open(directory).catalog.counts().chunks, 40)
        let keyword = try searcher.search("기준금리 동결", limit: 12, mode: .keyword)
        XCTAssertEqual(keyword.count, 12)
        for (index, hit) in keyword.enumerated() {
            for other in keyword[..<index] where other.path == hit.path {
                XCTAssertFalse((other.start ..< other.end).overlaps(hit.start ..< hit.end))
            }
        }
        let hybrid = try searcher.search("기준금리 동결", limit: 12, mode: .hybrid, vectorWeight: 0)
        XCTAssertEqual(keyword.map(\.chunkId), hybrid.map(\.chunkId))
    }

    /// A passage that crosses a heading: a hit reports the section its matched words are in, the passage read
    /// alone the one it starts in.
    func testAHitIsInTheSectionOfTheTextThatMatched() throws {
        let folder = try temporaryFolder()
        let text = "Ⅰ. 회사의 개요\n\n당사는 반도체를 만듭니다.\n\nⅡ. 사업의 내용\n\n1. 사업의 개요\n\n디스플레이 패널 매출이 늘었습니다.\n"
        try Data(text.utf8).write(to: folder.appendingPathComponent("report.txt"))
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        let model = try tinyModel
        try Indexer(directory: directory, embedder: model.embedder, model: model.identity).index(folder: folder)
        let searcher = try Searcher(index: try EmbeddedStore.open(directory), embedder: model.embedder, model: model.identity)
        let hit = try XCTUnwrap(try searcher.search("디스플레이 패널", limit: 1, mode: .keyword).first)
        XCTAssertEqual(hit.ordinal, 0, "one passage holds the whole report")
        XCTAssertEqual(hit.section, "Ⅱ. 사업의 내용 > 1. 사업의 개요")
        XCTAssertEqual(try searcher.index.chunks(ids: [hit.chunkId]).first?.section, "Ⅰ. 회사의 개요")
        XCTAssertEqual(try searcher.search("반도체", limit: 1, mode: .keyword).first?.section, "Ⅰ. 회사의 개요")
    }

    func testKeywordSearchFindsExactTermsDespiteParticles() throws {
        for (store, searcher) in try searchers() { try keywordSearchFindsExactTerms(store, searcher) }
    }

    private func keywordSearchFindsExactTerms(_ store: String, _ searcher: Searcher) throws {
        let expectations = [
            ("스트레스 DSR", "market/household-debt.txt"),
            ("1,444원", "disclosures/hanbit-dividend-cp949.txt"),
            ("해지환급금이", "products/saebom-life-insurance-terms.docx"),
            ("조기상환", "products/els-1234-prospectus.pdf"),
            ("자기주식을 소각", "disclosures/buyback-decision.html"),
            ("HBM", "research/semiconductor-outlook.pdf"),
        ]
        for (query, path) in expectations {
            let hits = try searcher.search(query, limit: 3, mode: .keyword)
            XCTAssertEqual(hits.first?.path, path, "\(store): \(query)")
            XCTAssertEqual(hits.first?.keywordRank, 1, store)
            XCTAssertNil(hits.first?.vectorRank, store)
        }
        // 금리가 / 금리를 / 금리: the bigram 금리 matches every form.
        let hits = try searcher.search("금리가", limit: 20, mode: .keyword)
        XCTAssertTrue(hits.contains { $0.text.contains("금리를") }, store)
        XCTAssertEqual(try searcher.search("zzzz qqqq", limit: 5, mode: .keyword), [], store)
    }

    func testAPassagesOwnTextFindsItByVector() throws {
        for (store, searcher) in try searchers() {
            for id: Int64 in [1, 5, 40] {
                let chunk = try XCTUnwrap(try searcher.index.chunks(ids: [id]).first, store)
                let hits = try searcher.search(chunk.text, limit: 5, mode: .vector)
                XCTAssertEqual(hits.first?.chunkId, chunk.id, store)
                // The stored copy is float16: the inner product of a unit vector with it is 1 to about 10⁻⁴.
                XCTAssertEqual(hits.first?.score ?? 0, 1, accuracy: 1e-3, "\(store): cosine of a vector with itself")
                XCTAssertEqual(hits.map(\.rank), Array(1 ... hits.count), store)
            }
        }
    }

    func testHybridIsReciprocalRankFusion() throws {
        for (store, searcher) in try searchers() {
            let hits = try searcher.search("국고채 금리 하락", limit: 10, mode: .hybrid)
            XCTAssertEqual(hits.count, 10, store)
            for hit in hits {
                let expected = (hit.vectorRank.map { 1 / (60 + Double($0)) } ?? 0) + (hit.keywordRank.map { 1 / (60 + Double($0)) } ?? 0)
                XCTAssertEqual(hit.score, expected, accuracy: 1e-12, store)
            }
            XCTAssertEqual(hits.map(\.score), hits.map(\.score).sorted(by: >), store)
        }
    }

    /// The vector weight W: fused = 2W / (60 + vector rank) + 2(1 − W) / (60 + keyword rank). At 0 the top is
    /// keyword search's order, at 1 vector search's; out of 0–1 it is an error.
    func testVectorWeightSetsTheFusion() throws {
        for (store, searcher) in try searchers() {
            let query = "국고채 금리 하락"
            for weight in [0.0, 0.2, 0.8, 1.0] {
                let hits = try searcher.search(query, limit: 10, mode: .hybrid, vectorWeight: weight)
                for hit in hits {
                    let expected =
                        (hit.vectorRank.map { 2 * weight / (60 + Double($0)) } ?? 0)
                        + (hit.keywordRank.map { 2 * (1 - weight) / (60 + Double($0)) } ?? 0)
                    XCTAssertEqual(hit.score, expected, accuracy: 1e-12, "\(store) W=\(weight)")
                }
            }
            let keyword = try searcher.search(query, limit: 5, mode: .keyword).map(\.chunkId)
            XCTAssertEqual(
                try searcher.search(query, limit: 5, mode: .hybrid, vectorWeight: 0).map(\.chunkId), keyword, "\(store): W=0 is keyword's order")
            let vector = try searcher.search(query, limit: 5, mode: .vector).map(\.chunkId)
            XCTAssertEqual(
                try searcher.search(query, limit: 5, mode: .hybrid, vectorWeight: 1).map(\.chunkId), vector, "\(store): W=1 is vector's order")
            XCTAssertEqual(try searcher.answer(query, limit: 1).vectorWeight, 0.5, "the default")
            XCTAssertNil(try searcher.answer(query, limit: 1, mode: .keyword).vectorWeight)
            for bad in [-0.1, 1.5, Double.nan] {
                XCTAssertThrowsError(try searcher.search(query, vectorWeight: bad)) { error in
                    XCTAssertTrue((error as? KorSearchError)?.message.contains("between 0 and 1") == true, "\(error)")
                }
            }
        }
    }

    /// A sweep evaluates hybrid at each weight exactly as `evaluate` does; its best, stored as the index's
    /// default, is what hybrid queries then use (both stores), and `info` shows it.
    func testSweepAndTheStoredDefaultWeight() throws {
        let queries = try JudgedQuery.load(TestPaths.repository.appendingPathComponent("Examples/eval/qrels.jsonl"))
        let model = try tinyModel
        for location in try corpusStores() {
            let searcher = try Searcher(location: location, embedder: model.embedder, model: model.identity)
            let sweep = try searcher.sweep(queries, weights: [0, 0.5, 1], k: 10)
            XCTAssertEqual(sweep.map(\.weight), [0, 0.5, 1])
            XCTAssertEqual(sweep[0].metrics, try searcher.evaluate(queries, mode: .hybrid, k: 10, vectorWeight: 0))
            XCTAssertEqual(sweep[2].metrics, try searcher.evaluate(queries, mode: .hybrid, k: 10, vectorWeight: 1))
            let best = try XCTUnwrap(Searcher.bestWeight(sweep))
            XCTAssertEqual(best, 0, "keyword ranking retrieves best with the tiny model's random vectors")
            XCTAssertThrowsError(try searcher.sweep(queries, weights: [2], k: 10))

            try IndexStores.setDefaultVectorWeight(location, 0.25)
            defer { try? IndexStores.setDefaultVectorWeight(location, 0.5) }
            let reopened = try Searcher(location: location, embedder: model.embedder, model: model.identity)
            XCTAssertEqual(try reopened.answer("국고채 금리 하락", limit: 3).vectorWeight, 0.25)
            XCTAssertEqual(
                try reopened.search("국고채 금리 하락", limit: 5).map(\.score),
                try reopened.search("국고채 금리 하락", limit: 5, vectorWeight: 0.25).map(\.score))
            XCTAssertEqual(try reopened.index.info().vectorWeight, 0.25)
            XCTAssertEqual(try reopened.answer("국고채 금리 하락", limit: 1, vectorWeight: 0.9).vectorWeight, 0.9, "a query's own weight wins")
            XCTAssertThrowsError(try IndexStores.setDefaultVectorWeight(location, 7))
        }
    }

    func testAStoredWeightOutOfRangeIsADamagedMeta() throws {
        XCTAssertThrowsError(
            try IndexMeta(
                entries: [
                    "dimension": "8", "model_id": "m", "model_fingerprint": "f", "chunk_tokens": "96",
                    "chunk_overlap": "24", "vector_weight": "1.7",
                ], owner: "idx")
        ) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .corruptIndex)
            XCTAssertTrue("\(error)".contains("vector_weight \"1.7\""), "\(error)")
        }
    }

    func testFiltersApplyBeforeTheCut() throws {
        let searchers = try searchers()
        // The same folder is in every store: count its PDF passages once.
        let pdfChunks = try (searchers[0].searcher.index as! EmbeddedStore).catalog.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.type = 'pdf'") ?? 0
        }
        XCTAssertGreaterThan(pdfChunks, 1)
        for (store, searcher) in searchers { try filtersApplyBeforeTheCut(store, searcher, pdfChunks: pdfChunks) }
    }

    private func filtersApplyBeforeTheCut(_ store: String, _ searcher: Searcher, pdfChunks: Int) throws {
        for mode in SearchMode.allCases {
            let hits = try searcher.search("금리", limit: 50, mode: mode, filters: SearchFilters(types: ["pdf"]))
            XCTAssertTrue(hits.allSatisfy { $0.path.hasSuffix(".pdf") }, "\(store) \(mode)")
            if mode == .vector {
                // Every PDF passage exists as a vector: a filter never returns fewer hits than exist (less
                // overlapping passages removed).
                XCTAssertGreaterThanOrEqual(hits.count, pdfChunks / 2, "\(store) \(mode)")
            }
            let market = try searcher.search("금리", limit: 10, mode: mode, filters: SearchFilters(pathGlob: "market/*"))
            XCTAssertFalse(market.isEmpty, "\(store) \(mode)")
            XCTAssertTrue(market.allSatisfy { $0.path.hasPrefix("market/") }, "\(store) \(mode)")
            let glob = try searcher.search("금리", limit: 10, mode: mode, filters: SearchFilters(pathGlob: "*/[bf]*.t?t"))
            XCTAssertFalse(glob.isEmpty, "\(store) \(mode)")
            XCTAssertEqual(Set(glob.map(\.path)), ["market/bok-rate-decision-note.txt"], "\(store) \(mode)")
        }
        let future = SearchFilters(modifiedAfter: Date(timeIntervalSinceNow: 86_400))
        XCTAssertEqual(try searcher.search("금리", limit: 10, mode: .hybrid, filters: future), [], store)
        let past = SearchFilters(modifiedBefore: Date(timeIntervalSinceNow: 86_400))
        XCTAssertEqual(try searcher.search("금리", limit: 10, mode: .keyword, filters: past).count, 10, store)
    }

    func testOverlappingPassagesOfADocumentDoNotCrowdResults() throws {
        for (store, searcher) in try searchers() {
            for mode in SearchMode.allCases {
                let hits = try searcher.search("기준금리 동결과 물가 전망", limit: 20, mode: mode)
                for (index, hit) in hits.enumerated() {
                    for other in hits[..<index] where other.documentId == hit.documentId {
                        XCTAssertFalse((other.start ..< other.end).overlaps(hit.start ..< hit.end), "\(store) \(mode)")
                    }
                }
            }
        }
    }

    func testContextNeighboursAndPromptSources() throws {
        for (_, searcher) in try searchers() { try contextNeighboursAndPromptSources(searcher) }
    }

    private func contextNeighboursAndPromptSources(_ searcher: Searcher) throws {
        let hit = try XCTUnwrap(try searcher.search("국고채 50년물 입찰", limit: 1, mode: .keyword).first)
        let context = try searcher.context(of: hit.chunkId, before: 1, after: 1)
        XCTAssertTrue(context.contains { $0.id == hit.chunkId })
        XCTAssertEqual(context.map(\.ordinal), context.map(\.ordinal).sorted())
        XCTAssertTrue(context.allSatisfy { $0.documentId == hit.documentId })

        let hits = try searcher.search("배당", limit: 5, mode: .keyword)
        let sources = try ContextBuilder(neighbours: 1, maxTokens: 100_000).sources(for: hits, searcher: searcher)
        XCTAssertEqual(sources.map(\.number), Array(1 ... sources.count))
        let ids = sources.flatMap(\.chunkIds)
        XCTAssertEqual(ids.count, Set(ids).count, "no passage twice")
        let rendered = ContextBuilder.render(sources)
        XCTAssertTrue(rendered.hasPrefix("[1] \(hits[0].path)"))
        let small = try ContextBuilder(neighbours: 0, maxTokens: 10).sources(for: hits, searcher: searcher)
        XCTAssertEqual(small.count, 1, "the budget stops after the first source")
    }

    func testBadQueriesAndConcurrentSearches() throws {
        for (_, searcher) in try searchers() { try badQueriesAndConcurrentSearches(searcher) }
    }

    private func badQueriesAndConcurrentSearches(_ searcher: Searcher) throws {
        XCTAssertThrowsError(try searcher.search("  \n", limit: 5)) { XCTAssertTrue("\($0)".contains("empty")) }
        XCTAssertThrowsError(try searcher.search("금리", limit: 0))
        let keywordOnly = try Searcher(location: searcher.index.location, embedder: nil, model: nil)
        XCTAssertThrowsError(try keywordOnly.search("금리", mode: .vector))
        XCTAssertFalse(try keywordOnly.search("금리", mode: .keyword).isEmpty)

        let queries = ["환율", "국고채 금리", "배당 정책", "PF 연체율", "보험 해지", "리튬 가격"]
        let expected = try queries.map { try searcher.search($0, limit: 5) }
        let results = UnsafeMutableBufferPointer<[SearchHit]>.allocate(capacity: 24)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        nonisolated(unsafe) let shared = results
        DispatchQueue.concurrentPerform(iterations: 24) { index in
            shared[index] = (try? searcher.search(queries[index % queries.count], limit: 5)) ?? []
        }
        for index in 0 ..< 24 { XCTAssertEqual(results[index], expected[index % queries.count]) }
    }

    func testLongQueryIsTruncatedWithAWarning() throws {
        let model = try tinyModel
        let warnings = WarningLog()
        let searcher = try Searcher(location: try corpusStores()[0], embedder: model.embedder, model: model.identity, warn: { warnings.add($0) })
        let long = String(repeating: "기준금리 동결 결정과 물가 ", count: 200)
        XCTAssertFalse(try searcher.search(long, limit: 3, mode: .vector).isEmpty)
        XCTAssertTrue(warnings.messages.contains { $0.contains("only the first 512") }, "\(warnings.messages)")
    }

    func testSearchingWithAnotherModelIsAnError() throws {
        let other = try ModelLocator.load(TestPaths.otherModel.path, maxLength: 128)
        for location in try corpusStores() {
            XCTAssertThrowsError(try Searcher(location: location, embedder: other.embedder, model: other.identity)) { error in
                XCTAssertEqual((error as? KorSearchError)?.kind, .modelMismatch)
            }
        }
    }

    /// An `answer` judgment scores the first passage of a relevant document that holds the phrase (whitespace
    /// ignored), whatever the chunking; a phrase no passage holds scores nothing; the qrels line reads it.
    func testAnswerJudgmentsScoreTheAnsweringPassage() throws {
        let path = "market/bok-rate-decision-note.txt"
        for (_, searcher) in try searchers() {
            var judged = JudgedQuery(query: "근원물가 상승률 전망", relevant: [path])
            judged.answer = "근원물가 상승률은   2.2%"
            let hits = try searcher.search(judged.query, limit: 30, mode: .keyword)
            let rank = try XCTUnwrap(hits.firstIndex { $0.path == path && $0.passage.text.contains("근원물가 상승률은 2.2%") }) + 1
            let metrics = try searcher.evaluate([judged], mode: .keyword, k: 10)
            XCTAssertEqual(metrics.mrr, 1 / Double(rank), accuracy: 1e-12)
            judged.answer = "이 문장은 어디에도 없다"
            XCTAssertEqual(try searcher.evaluate([judged], mode: .keyword, k: 10).mrr, 0)
        }
        let line = #"{"query": "근원물가 전망", "relevant": ["market/bok-rate-decision-note.txt"], "answer": "2.2% 수준"}"#
        let file = try temporaryFolder().appendingPathComponent("qrels.jsonl")
        try Data(line.utf8).write(to: file)
        XCTAssertEqual(try JudgedQuery.load(file).first?.answer, "2.2% 수준")
    }

    func testMetrics() {
        let metrics = RetrievalMetrics.score(
            ranked: [["a", "b", "a", "c"], ["x", "y", "z"], ["q"]],
            relevant: [["b", "c"], ["z"], ["nothing"]], k: 2)
        XCTAssertEqual(metrics.queries, 3)
        // Recall@2: q1 finds b of {b, c} = 0.5; q2 finds nothing in x, y; q3 nothing.
        XCTAssertEqual(metrics.recall, 0.5 / 3, accuracy: 1e-12)
        // MRR: 1/2, 1/3, 0.
        XCTAssertEqual(metrics.mrr, (0.5 + 1.0 / 3) / 3, accuracy: 1e-12)
        let ndcg1 = (1 / log2(3.0) + 1 / log2(4.0)) / (1 + 1 / log2(3.0))
        XCTAssertEqual(metrics.ndcg, (ndcg1 + 1 / log2(4.0)) / 3, accuracy: 1e-12)
    }

    func testTheShippedEvaluationSetIsWellFormed() throws {
        let queries = try JudgedQuery.load(TestPaths.repository.appendingPathComponent("Examples/eval/qrels.jsonl"))
        XCTAssertGreaterThanOrEqual(queries.count, 30)
        let searchers = try searchers()
        let documents = Set(try (searchers[0].searcher.index as! EmbeddedStore).catalog.documents().keys)
        for query in queries { XCTAssertTrue(Set(query.relevant ?? []).isSubset(of: documents), query.query) }
        for (store, searcher) in searchers {
            let keyword = try searcher.evaluate(queries, mode: .keyword, k: 10)
            XCTAssertGreaterThan(keyword.recall, 0.9, "\(store): keyword search finds what the questions name")
        }
    }
}
