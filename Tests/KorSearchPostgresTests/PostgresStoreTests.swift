import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import PostgresNIO
import XCTest

@testable import KorSearchCore
@testable import KorSearchEmbedded
@testable import KorSearchPostgres

/// Indexing into a real PostgreSQL 16 + pgvector server (started by `Scripts/test`): the same runs as the
/// embedded store's, several workers at once, shards, and the keyword statistics kept exact.
final class PostgresStoreTests: XCTestCase {
    private func indexer(_ location: IndexLocation, shard: Shard? = nil) throws -> Indexer {
        let model = try tinyModel
        var options = IndexOptions()
        options.shard = shard
        return try Indexer(location: location, embedder: model.embedder, model: model.identity, options: options)
    }

    private func session(_ location: IndexLocation) throws -> PostgresSession {
        guard let postgres = location.store as? PostgresLocation else { throw XCTSkip("not a PostgreSQL location") }
        return try PostgresSession(postgres)
    }

    private func int(_ session: PostgresSession, _ sql: String) throws -> Int {
        Int(try session.query(sql)[0].makeRandomAccess()[0].decode(Int64.self))
    }

    /// Every document has all its passages (ordinals 0..n-1), no path twice, and BM25's statistics equal a
    /// recount from the stored term vectors.
    private func assertConsistent(_ location: IndexLocation, documents: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let session = try session(location)
        XCTAssertEqual(try int(session, "SELECT count(*) FROM documents"), documents, "documents", file: file, line: line)
        XCTAssertEqual(try int(session, "SELECT count(DISTINCT path) FROM documents"), documents, "no path twice", file: file, line: line)
        XCTAssertEqual(
            try int(
                session,
                """
                SELECT count(*) FROM documents d WHERE (SELECT count(*) FROM chunks c WHERE c.document_id = d.id) = 0
                   OR (SELECT max(ordinal) + 1 FROM chunks c WHERE c.document_id = d.id) <> (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)
                """), 0, "every document whole", file: file, line: line)
        XCTAssertEqual(
            try int(
                session,
                """
                SELECT count(*) FROM (
                    SELECT u.lexeme AS term, count(*) AS chunks FROM chunks c CROSS JOIN unnest(c.terms) u GROUP BY u.lexeme
                ) recount FULL JOIN keyword_terms k USING (term)
                WHERE recount.chunks IS DISTINCT FROM k.chunks
                """), 0, "passages per term", file: file, line: line)
        XCTAssertEqual(
            try int(
                session,
                "SELECT count(*) FROM keyword_totals t WHERE t.chunks = (SELECT count(*) FROM chunks) AND t.terms = (SELECT coalesce(sum(term_count), 0) FROM chunks)"
            ),
            1, "totals", file: file, line: line)
        XCTAssertEqual(
            try int(
                session,
                """
                SELECT count(*) FROM (
                    SELECT u.lexeme AS term, c.id AS chunk_id, coalesce(cardinality(u.positions), 1) AS tf, c.term_count AS length
                    FROM chunks c CROSS JOIN unnest(c.terms) u
                ) recount FULL JOIN keyword_postings p USING (term, chunk_id)
                WHERE recount.tf IS DISTINCT FROM p.tf OR recount.length IS DISTINCT FROM p.length
                """), 0, "posting lists", file: file, line: line)
        XCTAssertEqual(
            try int(
                session,
                """
                SELECT count(*) FROM keyword_postings p JOIN keyword_terms k USING (term)
                CROSS JOIN (SELECT greatest(terms::float8 / greatest(chunks, 1), 1) AS average FROM keyword_totals) t
                WHERE \(KeywordBound.weightSQL(average: "t.average")) > k.weight_bound * greatest(1, t.average / k.bound_length) * (1 + 1e-12)
                """), 0, "every posting's weight within its term's bound", file: file, line: line)
    }

    func testIndexUpdateRemoveTouchAndASecondRunEmbedsNothing() throws {
        let location = try TestPostgres.requireLocation("crud")
        let folder = try temporaryFolder().appendingPathComponent("docs")
        try write("한국은행은 기준금리를 동결했다. 시장은 안정적이다.", to: folder, "a.txt")
        try write("원/달러 환율은 1,385.6원에 마감했다.", to: folder, "sub/b.md")
        try write("국고채 3년물 금리는 하락했다.", to: folder, "c.txt")
        try write("", to: folder, "empty.txt")
        let first = try indexer(location).index(folder: folder)
        XCTAssertEqual([first.added, first.documents], [3, 3])
        XCTAssertEqual(first.skipped.map(\.path), ["empty.txt"])
        try assertConsistent(location, documents: 3)
        XCTAssertEqual(try IndexStores.open(location).info().skipped.map(\.path), ["empty.txt"])

        try write("한국은행은 기준금리를 인하했다. 시장은 환영했다.", to: folder, "a.txt")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("c.txt"))
        try write("배당금은 1,444원이다.", to: folder, "d.txt")
        try write("빈 파일이 아니다.", to: folder, "empty.txt")
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: 100)],
            ofItemAtPath: folder.appendingPathComponent("sub/b.md").path)
        let second = try indexer(location).index(folder: folder)
        XCTAssertEqual([second.added, second.updated, second.removed, second.unchanged], [2, 1, 1, 1])
        XCTAssertEqual(second.skipped, [])
        try assertConsistent(location, documents: 4)
        let store = try IndexStores.open(location)
        XCTAssertEqual(try store.info().skipped, [])
        let hit = try XCTUnwrap(try Searcher(index: store, embedder: nil, model: nil).search("기준금리 인하", limit: 1, mode: .keyword).first)
        XCTAssertEqual(hit.path, "a.txt")
        XCTAssertEqual(try store.document(id: hit.documentId)?.text, "한국은행은 기준금리를 인하했다. 시장은 환영했다.")

        let third = try indexer(location).index(folder: folder)
        XCTAssertEqual([third.unchanged, third.tokens], [4, 0], "nothing embedded again")

        XCTAssertEqual(try IndexStores.remove(location, paths: ["./d.txt", "missing.txt"]), 1)
        try assertConsistent(location, documents: 3)
        XCTAssertTrue(try IndexStores.rebuild(location, factory: nil).contains("HNSW"))
        XCTAssertThrowsError(try IndexStores.rebuild(location, factory: "Flat")) {
            XCTAssertTrue("\($0)".contains("--faiss applies to index directories"))
        }
        let info = try IndexStores.open(location).info()
        XCTAssertEqual([info.documents, info.vectors], [3, info.chunks])
        XCTAssertEqual(info.folder, folder.standardizedFileURL.path)
    }

    /// A passage with no keyword terms at all (only punctuation) has no statistics to undo, and is still
    /// replaced and removed like any other.
    func testADocumentWithoutKeywordTermsIsReplacedAndRemoved() throws {
        let location = try TestPostgres.requireLocation("noterms")
        let folder = try temporaryFolder()
        try write("!!! ??? … ---", to: folder, "marks.txt")
        XCTAssertEqual(try indexer(location).index(folder: folder).added, 1)
        try write("!!! ???", to: folder, "marks.txt")
        XCTAssertEqual(try indexer(location).index(folder: folder).updated, 1)
        try assertConsistent(location, documents: 1)
        XCTAssertEqual(try IndexStores.remove(location, paths: ["marks.txt"]), 1)
        try assertConsistent(location, documents: 0)
    }

    /// Three workers over the same folder at once (each with its own connection, as on three machines): every
    /// document stored once and whole, no file embedded by two workers, and a later run finds nothing to do.
    func testConcurrentWorkersNeitherDuplicateNorLose() throws {
        let location = try TestPostgres.requireLocation("workers")
        let corpus = try copyOfCorpus()
        _ = try indexer(location).openForWriting()  // the schema, before the race
        let summaries = UnsafeMutableBufferPointer<IndexSummary?>.allocate(capacity: 3)
        summaries.initialize(repeating: nil)
        defer { summaries.deallocate() }
        nonisolated(unsafe) let shared = summaries
        let indexers = try (0 ..< 3).map { _ in try indexer(location) }
        nonisolated(unsafe) let workers = indexers
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            shared[worker] = try? workers[worker].index(folder: corpus)
        }
        let done = summaries.compactMap { $0 }
        XCTAssertEqual(done.count, 3, "every worker finished")
        XCTAssertEqual(done.map(\.added).reduce(0, +) + done.map(\.updated).reduce(0, +), TestCorpus.documents, "each file embedded by one worker")
        XCTAssertEqual(done.map(\.claimedElsewhere).reduce(0, +) + done.map(\.unchanged).reduce(0, +), 2 * TestCorpus.documents, "the others left it")
        try assertConsistent(location, documents: TestCorpus.documents)
        XCTAssertEqual(try indexer(location).index(folder: corpus).unchanged, TestCorpus.documents)
    }

    func testShardsSplitAFolderAndKeepToThemselves() throws {
        let location = try TestPostgres.requireLocation("shards")
        let corpus = try copyOfCorpus()
        var added = 0
        for part in 0 ..< 3 {
            let summary = try indexer(location, shard: try Shard(index: part, count: 3)).index(folder: corpus)
            XCTAssertEqual(summary.added + summary.otherShards, TestCorpus.documents)
            XCTAssertEqual(summary.removed, 0, "a shard never removes another shard's documents")
            added += summary.added
        }
        XCTAssertEqual(added, TestCorpus.documents)
        try assertConsistent(location, documents: TestCorpus.documents)
        // The split is stable: the same paths, the same shards.
        let owners = Dictionary(grouping: try FolderWalker.files(in: corpus, excluding: nil).map(\.path)) { path in
            (0 ..< 3).first { try! Shard(index: $0, count: 3).owns(path) }!
        }
        XCTAssertEqual(owners.values.map(\.count).reduce(0, +), TestCorpus.documents)
        XCTAssertEqual(owners.count, 3, "every shard has files")
        XCTAssertThrowsError(try Shard("3/3"))
        XCTAssertThrowsError(try Shard("1-3"))
        XCTAssertEqual(try Shard("2/3"), try Shard(index: 2, count: 3))
    }

    func testTheStoreRecordsTheModelAndRefusesAnother() throws {
        let location = try TestPostgres.requireLocation("model")
        let folder = try temporaryFolder()
        try write("금리 동결", to: folder, "a.txt")
        try indexer(location).index(folder: folder)
        let other = try ModelLocator.load(TestPaths.otherModel.path, maxLength: 128)
        var small = IndexOptions()
        small.chunking = ChunkingOptions(chunkTokens: 96, overlapTokens: 24)
        XCTAssertThrowsError(try Indexer(location: location, embedder: other.embedder, model: other.identity, options: small).index(folder: folder)) {
            error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .modelMismatch, "\(error)")
        }
        var options = IndexOptions()
        options.chunking = ChunkingOptions(chunkTokens: 128, overlapTokens: 16)
        let model = try tinyModel
        XCTAssertThrowsError(try Indexer(location: location, embedder: model.embedder, model: model.identity, options: options).index(folder: folder))
        {
            XCTAssertTrue("\($0)".contains("--chunk-tokens 256"), "\($0)")
        }
        let meta = try IndexStores.meta(of: location)
        XCTAssertEqual(meta.modelFingerprint, model.identity.fingerprint)
        XCTAssertEqual(meta.schemaVersion, PostgresStore.schemaVersion)
        XCTAssertEqual(meta.dimension, model.identity.dimension)
    }

    /// A store made by the previous schema (no posting lists) is migrated when opened, and ranks the same.
    /// Section paths (and every other field of a hit) come back from PostgreSQL as from the embedded store.
    func testSectionPathsAsTheEmbeddedStoreKeepsThem() throws {
        let location = try TestPostgres.requireLocation("sections")
        let folder = try temporaryFolder()
        let fixtures = TestPaths.fixtures.appendingPathComponent("documents")
        for name in ["20240814000123.zip", "report.hwp", "dividends-cp949.csv"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let embedded = IndexLocation(EmbeddedLocation(try temporaryFolder().appendingPathComponent("index")))
        for target in [location, embedded] { try indexer(target).index(folder: folder) }
        for query in ["영업이익", "검토보고서", "배당금"] {
            let hits = try [location, embedded].map {
                try Searcher(index: try IndexStores.open($0), embedder: nil, model: nil).search(query, limit: 10, mode: .keyword)
            }
            XCTAssertFalse(hits[0].isEmpty, query)
            XCTAssertEqual(hits[0].map(\.section), hits[1].map(\.section), query)
            XCTAssertEqual(hits[0].map(\.text), hits[1].map(\.text), query)
        }
        let sections = Set(
            try Searcher(index: try IndexStores.open(location), embedder: nil, model: nil).search("영업이익", limit: 10, mode: .keyword).map(\.section))
        XCTAssertTrue(sections.contains("III. 재무에 관한 사항 > 1. 요약재무정보"), "\(sections)")
        XCTAssertTrue(
            sections.contains("한빛전자 2024년 사업 실적 > 2. 요약 재무"),
            "the whole short report is one passage; the hit is in the section where 영업이익 is: \(sections)")
        let csv = try Searcher(index: try IndexStores.open(location), embedder: nil, model: nil).search(
            "배당금", limit: 1, mode: .keyword, filters: SearchFilters(types: ["csv"]))
        XCTAssertEqual(csv.count, 1)
        XCTAssertNil(csv.first?.section, "a document without headings has no section")
    }

    /// Filing metadata, its filters and a manifest change come out of PostgreSQL as out of the embedded store.
    func testFilingMetadataAndFiltersAsTheEmbeddedStoreKeepsThem() throws {
        let location = try TestPostgres.requireLocation("filings")
        let folder = try temporaryFolder()
        try FilingFolder.write(folder)
        let embedded = IndexLocation(EmbeddedLocation(try temporaryFolder().appendingPathComponent("index")))
        for target in [location, embedded] { try indexer(target).index(folder: folder) }
        let stored = try [location, embedded].map { target -> [String: FilingMetadata] in
            let writer = try indexer(target).openForWriting()
            return try writer.documents().mapValues(\.metadata)
        }
        XCTAssertEqual(stored[0], stored[1])
        XCTAssertEqual(stored[0].count, 7)
        let filters = [
            SearchFilters(company: "한빛전자"), SearchFilters(company: "045670"), SearchFilters(reportType: "분기보고서"),
            SearchFilters(period: "2024"), SearchFilters(period: "2024-Q3"), SearchFilters(filedAfter: "2024-11-13", filedBefore: "2024-11-20"),
        ]
        for filter in filters {
            let hits = try [location, embedded].map {
                try Searcher(index: try IndexStores.open($0), embedder: nil, model: nil).search("유동성 위험", limit: 10, mode: .keyword, filters: filter)
            }
            XCTAssertFalse(hits[0].isEmpty, "\(filter)")
            XCTAssertEqual(hits[0].map(\.path), hits[1].map(\.path), "\(filter)")
            XCTAssertEqual(hits[0].map(\.metadata), hits[1].map(\.metadata), "\(filter)")
        }
        // Vector and hybrid filters too: never short, the same passages.
        let model = try tinyModel
        for mode in [SearchMode.vector, .hybrid] {
            let hits = try [location, embedded].map {
                try Searcher(index: try IndexStores.open($0), embedder: model.embedder, model: model.identity)
                    .search("유동성 위험", limit: 3, mode: mode, filters: SearchFilters(company: "한빛전자"))
            }
            XCTAssertEqual(hits.map(\.count), [3, 3], "\(mode)")
            XCTAssertEqual(Set(hits[0].map(\.path)), Set(hits[1].map(\.path)), "\(mode)")
            XCTAssertTrue(hits[0].allSatisfy { $0.metadata.companyKey == "한빛전자" }, "\(mode)")
        }
        try Data(FilingFolder.list.replacingOccurrences(of: "\"045670\"", with: "\"045671\"").utf8).write(
            to: folder.appendingPathComponent("list.json"))
        let again = try indexer(location).index(folder: folder)
        XCTAssertEqual([again.tokens, again.metadataUpdated], [0, 1])
        let hits = try Searcher(index: try IndexStores.open(location), embedder: nil, model: nil).search(
            "유동성 위험", limit: 10, mode: .keyword, filters: SearchFilters(company: "045671"))
        XCTAssertEqual(hits.map(\.path), [FilingFolder.purunBuybackListed])
    }

    func testAnOlderSchemaIsMigratedOnOpen() throws {
        let location = try TestPostgres.requireLocation("migrate")
        let corpus = try copyOfCorpus()
        try indexer(location).index(folder: corpus)
        let before = try Searcher(index: try IndexStores.open(location), embedder: nil, model: nil)
            .search("국고채 금리 하락", limit: 10, mode: .keyword)
        let session = try session(location)
        try session.execute("DROP TABLE keyword_postings")
        try session.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        let store = try IndexStores.open(location)
        XCTAssertEqual(store.meta.schemaVersion, PostgresStore.schemaVersion)
        try assertConsistent(location, documents: TestCorpus.documents)
        XCTAssertEqual(try Searcher(index: store, embedder: nil, model: nil).search("국고채 금리 하락", limit: 10, mode: .keyword), before)
        try session.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        XCTAssertThrowsError(try IndexStores.open(location)) { XCTAssertTrue("\($0)".contains("schema version 99"), "\($0)") }
    }

    /// An initial load writes the passages without the HNSW index and builds it once when the run finishes;
    /// meanwhile (and after a run that stops before its end) vector search scans exactly, `info` says so, and
    /// `rebuild` builds the missing index. A store that already holds passages keeps its index while written.
    func testAnInitialLoadBuildsTheVectorIndexWhenTheRunFinishes() throws {
        let location = try TestPostgres.requireLocation("bulk")
        guard let postgres = location.store as? PostgresLocation else { throw XCTSkip("not a PostgreSQL location") }
        let session = try session(location)
        let corpus = try copyOfCorpus()
        let model = try tinyModel
        let writer = try Indexer(location: location, embedder: model.embedder, model: model.identity).openForWriting()
        XCTAssertFalse(try PostgresStore.hasVectorIndex(session, postgres), "dropped for the initial load")
        var random = SplitMix(state: 11)
        let texts = ["기준금리 동결", "환율 상승과 수입물가", "국고채 금리 하락"]
        var start = 0
        let chunks = texts.enumerated().map { ordinal, text in
            defer { start += text.unicodeScalars.count + 1 }
            return Chunk(ordinal: ordinal, text: text, start: start, end: start + text.unicodeScalars.count, page: nil, ids: [1, 2])
        }
        let vectors = chunks.map { _ in
            let vector = (0 ..< model.identity.dimension).map { _ in Float.random(in: -1 ... 1, using: &random) }
            let norm = sqrt(vector.map { $0 * $0 }.reduce(0, +))
            return vector.map { $0 / norm }
        }
        let document = LoadedDocument(type: "txt", title: nil, text: texts.joined(separator: "\n"), pageStarts: [0], paged: false, encoding: "UTF-8")
        try writer.write(
            updates: [
                DocumentUpdate(
                    path: "loaded/early.txt", sha256: "1", size: 1, modified: 0, document: document,
                    chunks: chunks, vectors: vectors)
            ], removing: [])
        let store = try IndexStores.open(location)
        let scanning = try store.info().faiss
        XCTAssertTrue(scanning.hasPrefix("exact scan"), scanning)
        let scanned = try store.nearest(vectors[0], depth: 3, filters: SearchFilters())
        XCTAssertEqual(scanned.first?.score ?? 0, Double(zip(vectors[0], StoredVector.rounded(vectors[0])).map(*).reduce(0, +)), accuracy: 1e-4)
        try postgres.rebuild(vectorIndex: nil, warn: { _ in })
        XCTAssertTrue(try PostgresStore.hasVectorIndex(session, postgres), "rebuild builds a missing index")
        XCTAssertEqual(try store.nearest(vectors[0], depth: 3, filters: SearchFilters()).map(\.id), scanned.map(\.id))
        // A full run into a store that holds passages keeps the index all along.
        let summary = try indexer(location).index(folder: corpus)
        XCTAssertEqual(summary.documents, TestCorpus.documents, "the document no file backs is removed")
        XCTAssertTrue(try PostgresStore.hasVectorIndex(session, postgres))
        XCTAssertEqual(try store.info().faiss, "pgvector hnsw (vector_ip_ops)")
        // A fresh store indexed by a finished run has its index.
        let fresh = try TestPostgres.requireLocation("bulk_fresh")
        try indexer(fresh).index(folder: corpus)
        XCTAssertTrue(try PostgresStore.hasVectorIndex(try self.session(fresh), fresh.store as! PostgresLocation))
        try assertConsistent(fresh, documents: TestCorpus.documents)
    }

    /// MaxScore over the posting lists returns exactly what summing every query term's list returns — ids in
    /// order and scores — on randomized corpora and queries, with and without filters, also after removals
    /// and after longer passages raise the average length (the stored bounds then only convert); and its
    /// passes read fewer list entries than the query terms' lists hold.
    func testPrunedKeywordRankingEqualsExhaustiveOnRandomCorpora() throws {
        let location = try TestPostgres.requireLocation("maxscore")
        let model = try tinyModel
        var random = SplitMix(state: 20261203)
        let vocabulary = RandomCorpus.vocabulary(400).filter { $0.unicodeScalars.first!.properties.isAlphabetic && !$0.hasPrefix("w") }
        func documents(_ range: Range<Int>, lengths: ClosedRange<Int>) -> [DocumentUpdate] {
            range.map { number in
                let texts = (0 ..< 10).map { _ in
                    (0 ..< Int.random(in: lengths, using: &random)).map { _ in
                        vocabulary[min(vocabulary.count - 1, Int(pow(Double.random(in: 0 ..< 1, using: &random), 3) * Double(vocabulary.count)))]
                    }.joined(separator: " ")
                }
                var start = 0
                let chunks = texts.enumerated().map { ordinal, text in
                    defer { start += text.unicodeScalars.count + 1 }
                    return Chunk(ordinal: ordinal, text: text, start: start, end: start + text.unicodeScalars.count, page: nil, ids: [1, 2])
                }
                let vectors = chunks.map { _ in (0 ..< model.identity.dimension).map { _ in Float.random(in: -1 ... 1, using: &random) } }
                let document = LoadedDocument(
                    type: number % 3 == 0 ? "md" : "txt", title: nil, text: texts.joined(separator: "\n"), pageStarts: [0],
                    paged: false, encoding: "UTF-8")
                return DocumentUpdate(
                    path: "\(number % 2 == 0 ? "a" : "b")/\(number).txt", sha256: "\(number)", size: 1, modified: 0,
                    document: document, chunks: chunks, vectors: vectors)
            }
        }
        let writer = try Indexer(location: location, embedder: model.embedder, model: model.identity).openForWriting()
        try writer.write(updates: documents(0 ..< 300, lengths: 1 ... 40), removing: [])
        let store = try XCTUnwrap(try IndexStores.open(location) as? PostgresStore)
        var (answered, read, listed) = (0, [Double: Int](), 0)
        func compare(_ round: String) throws {
            for _ in 0 ..< 40 {
                let words = (0 ..< Int.random(in: 1 ... 10, using: &random)).map { _ in
                    Bool.random(using: &random) ? vocabulary[Int.random(in: 0 ..< 30, using: &random)] : vocabulary.randomElement(using: &random)!
                }
                let terms = Array(Set(KeywordTerms.terms(words.joined(separator: " ")))).sorted()
                let depth = [1, 5, 10, 30].randomElement(using: &random)!
                for filters in [SearchFilters(), SearchFilters(pathGlob: "a/*"), SearchFilters(types: ["md"])] {
                    let exhaustive = try store.exhaustiveKeywordMatches(terms, depth: depth, filters: filters)
                    // The default split, and the one reading the fewest lists (all candidates completed by lookups).
                    for share in [0.2, 1] {
                        let (pruned, entries, postings) = try store.prunedKeywordMatches(terms, depth: depth, filters: filters, lookupShare: share)
                        read[share, default: 0] += entries
                        listed += share == 1 ? postings : 0
                        XCTAssertEqual(pruned.map(\.id), exhaustive.map(\.id), "\(round): \(terms) top \(depth) \(filters) share \(share)")
                        for (a, b) in zip(pruned, exhaustive) where abs(a.score - b.score) > 1e-9 {
                            XCTFail("\(round): \(terms): chunk \(a.id) scored \(a.score), exhaustively \(b.score)")
                        }
                    }
                    answered += exhaustive.isEmpty ? 0 : 1
                }
            }
        }
        // The bounds stay near the weights after a build: the stored bound at the average now against the
        // largest weight each term's postings have now. (A bound made when the average was lower is scaled by
        // the ratio since: the first documents of this build move it by a third; the trivial bound, 2.2, is
        // several times the weights.)
        let session = try session(location)
        func looseness() throws -> Double {
            try session.query(
                """
                SELECT max(k.weight_bound * greatest(1, t.average / k.bound_length) / m.weight) FROM keyword_terms k
                CROSS JOIN (SELECT terms::float8 / chunks AS average FROM keyword_totals) t
                JOIN (SELECT term, max(\(KeywordBound.weightSQL(average: "a.average"))) AS weight FROM keyword_postings p
                      CROSS JOIN (SELECT terms::float8 / chunks AS average FROM keyword_totals) a GROUP BY term) m USING (term)
                """)[0].makeRandomAccess()[0].decode(Double.self)
        }
        XCTAssertLessThan(try looseness(), 1.5, "every term's bound within 1.5x its largest weight")
        try compare("first build")
        try writer.write(updates: documents(300 ..< 340, lengths: 60 ... 120), removing: (0 ..< 300).filter { $0 % 4 == 1 }.map { "b/\($0).txt" })
        try compare("after removals and longer passages")
        try assertConsistent(location, documents: 340 - 75)
        XCTAssertGreaterThan(answered, 200, "most queries match something")
        // (How small a fraction depends on how rare the query's terms are: about half with bigram terms.)
        XCTAssertLessThan(read[1]!, listed * 6 / 10, "reading the fewest lists, a fraction of the query terms' postings (\(read) of \(listed))")
        XCTAssertLessThan(read[0.2]!, listed * 9 / 10, "by default fewer postings than all (\(read) of \(listed))")
    }

    func testStoreURLsAndUnreachableServers() throws {
        let location = try PostgresLocation("postgresql://alice:s3cret@db.example:6543/filings?schema=team_a")
        XCTAssertEqual(
            [location.host, location.user, location.password, location.database, location.schema],
            ["db.example", "alice", "s3cret", "filings", "team_a"])
        XCTAssertEqual(location.port, 6543)
        XCTAssertFalse(location.description.contains("s3cret"), "no password in messages")
        for bad in [
            "mysql://a@b/c", "postgres://host/db", "postgres://a@b", "postgres://a@b/c?schema=Bad-Name", "postgres://a@b/c?x=1",
            "postgres://a@b/c?sslmode=require",
        ] {
            XCTAssertThrowsError(try PostgresLocation(bad)) { XCTAssertEqual(($0 as? KorSearchError)?.kind, .invalidArgument, bad) }
        }
        // A port nobody listens on: a clear error, quickly.
        let nowhere = IndexLocation.postgres(try PostgresLocation("postgres://korsearch@127.0.0.1:1/postgres"))
        XCTAssertThrowsError(try IndexStores.open(nowhere)) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .store)
            XCTAssertTrue("\(error)".hasPrefix("cannot connect to PostgreSQL at postgres://korsearch@127.0.0.1:1/postgres"), "\(error)")
        }
        // A reachable server whose schema holds no index.
        let empty = try TestPostgres.requireLocation("empty")
        XCTAssertThrowsError(try IndexStores.open(empty)) { XCTAssertEqual(($0 as? KorSearchError)?.kind, .indexNotFound, "\($0)") }
        guard var missing = empty.store as? PostgresLocation else { return }
        // The test server authenticates TCP connections with SCRAM: a wrong password is refused, and not echoed.
        var impostor = missing
        impostor.password = "wrong-password-\(UUID().uuidString.prefix(4))"
        XCTAssertThrowsError(try IndexStores.open(.postgres(impostor))) { error in
            XCTAssertTrue("\(error)".contains("password authentication failed"), "\(error)")
            XCTAssertFalse("\(error)".contains(impostor.password!), "no password in messages")
        }
        missing.database = "no_such_database"
        XCTAssertThrowsError(try IndexStores.open(.postgres(missing))) { error in
            XCTAssertTrue("\(error)".contains("no_such_database\" does not exist"), "\(error)")
        }
    }

    /// Errors carry PostgreSQL's SQLSTATE, so that retry decisions never read message text; the vector count
    /// of `info` counts the stored embeddings.
    func testErrorsCarryTheSQLStateAndInfoCountsVectors() throws {
        let location = try TestPostgres.requireLocation("codes")
        try indexer(location).index(folder: try copyOfCorpus())
        let session = try session(location)
        XCTAssertThrowsError(try session.execute("SELECT * FROM no_such_table")) { error in
            XCTAssertEqual((error as? KorSearchError)?.code, "42P01", "\(error)")
        }
        let info = try IndexStores.open(location).info()
        XCTAssertEqual(info.vectors, try int(session, "SELECT count(embedding) FROM chunks"))
        XCTAssertEqual(info.vectors, info.chunks)
    }

    /// The MaxScore split: terms by bound, the remaining bounds' sums, the probe's terms within a budget, and
    /// the essential terms: never fewer than make a passage without them unable to reach the threshold.
    func testTheMaxScoreSplitKeepsEveryPassageThatCanReachTheThreshold() {
        let plan = KeywordBound.Plan([
            .init(term: "흔한", idf: 1, bound: 1.5, passages: 9000), .init(term: "드문", idf: 6, bound: 9, passages: 40),
            .init(term: "보통", idf: 3, bound: 4, passages: 900), .init(term: "같은", idf: 3, bound: 4, passages: 800),
        ])
        XCTAssertEqual(plan.terms.map(\.term), ["드문", "같은", "보통", "흔한"], "largest bound first, then the shorter list")
        XCTAssertEqual(plan.rest, [18.5, 9.5, 5.5, 1.5, 0])
        XCTAssertEqual(plan.probeCount(budget: 100), 1)
        XCTAssertEqual(plan.probeCount(budget: 1800), 3)
        XCTAssertEqual(plan.probeCount(budget: 10), 1, "at least the first term")
        for threshold in stride(from: 0.5, through: 20, by: 0.5) {
            let essential = plan.essentialCount(reaching: threshold)
            XCTAssertTrue(plan.rest[essential] < threshold || essential == plan.terms.count, "\(threshold): \(essential)")
            XCTAssertTrue(plan.rest[essential] <= 0.2 * threshold || essential == plan.terms.count, "\(threshold): \(essential)")
            XCTAssertGreaterThanOrEqual(essential, 1)
        }
        XCTAssertEqual(plan.essentialCount(reaching: 10, lookupShare: 1), 1, "9.5 < 10: the rarest term alone")
        XCTAssertEqual(plan.essentialCount(reaching: 10), 3, "1.5 ≤ a fifth of 10")
    }

    func testGlobsBecomeAnchoredRegularExpressions() {
        XCTAssertEqual(SearchFilters.regex(glob: "market/*"), "^market/.*$")
        XCTAssertEqual(SearchFilters.regex(glob: "*.p?f"), "^.*\\.p.f$")
        XCTAssertEqual(SearchFilters.regex(glob: "[^ab]x(1)+"), "^[^ab]x\\(1\\)\\+$")
        XCTAssertEqual(SearchFilters.regex(glob: "a[b"), "^a\\[b$")
        // GLOB has no character classes: `[[:alpha:]]` is the set `[:alph` and then `]`, as SQLite reads it.
        XCTAssertEqual(SearchFilters.regex(glob: "[[:alpha:]]*"), "^[\\[:alpha:]].*$")
        XCTAssertEqual(TermVector.literal(["금리", "리가", "금리", "it's"]), "'금리':1,3 '리가':2 'it''s':4")
    }
}
