import Foundation
import GRDB
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore
@testable import KorSearchEmbedded

/// Indexing real folders into real index directories: counts, incremental runs, faults.
final class IndexerTests: XCTestCase {
    private func indexer(
        _ directory: EmbeddedLocation, options: KorSearch.IndexOptions = KorSearch.IndexOptions(), warnings: WarningLog? = nil
    ) throws -> Indexer {
        let model = try tinyModel
        return try Indexer(
            directory: directory, embedder: model.embedder, model: model.identity, options: options,
            warn: { warnings?.add($0) })
    }

    private func assertConsistent(_ directory: EmbeddedLocation, documents: Int? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let index = try EmbeddedStore.open(directory)
        let counts = try index.catalog.counts()
        XCTAssertEqual(index.vectors.count, counts.chunks, "FAISS count equals chunk count", file: file, line: line)
        if let documents { XCTAssertEqual(counts.documents, documents, file: file, line: line) }
        try assertKeywordsMatchTheCatalog(index, file: file, line: line)
    }

    /// The keyword index holds every passage and ranks as SQLite's FTS5 does (`bm25()` over every match) over
    /// the same passages' terms, with and without a filter.
    private func assertKeywordsMatchTheCatalog(_ index: EmbeddedStore, file: StaticString = #filePath, line: UInt = #line) throws {
        let keywords = try XCTUnwrap(index.keywords, file: file, line: line)
        var passages: [(id: Int64, terms: [String])] = []
        try index.catalog.forEachChunkText { passages.append(($0, KeywordTerms.terms($1))) }
        XCTAssertEqual(keywords.passages, passages.count, "keyword index passages", file: file, line: line)
        let reference = try KeywordIndexTests.Reference(passages)
        for query in ["한국은행 기준금리 동결", "환율이 올랐다", "영업이익 증가", "새 문서 금리 인상", "2023년 3분기"] {
            let terms = Array(Set(KeywordTerms.terms(query))).sorted()
            for filters in [SearchFilters(), SearchFilters(pathGlob: "*.md")] {
                let pruned = try index.bestKeywordMatches(terms, depth: 15, filters: filters)
                let exhaustive = try reference.search(
                    terms, depth: 15, allowed: filters.isEmpty ? nil : try index.catalog.chunkIds(allowedBy: filters))
                XCTAssertEqual(pruned.map(\.id), exhaustive.map(\.id), query, file: file, line: line)
                for (a, b) in zip(pruned, exhaustive) { XCTAssertEqual(a.score, b.score, accuracy: 1e-9, query, file: file, line: line) }
            }
        }
    }

    func testIndexesTheExampleCorpusAndASecondRunEmbedsNothing() throws {
        let corpus = try copyOfCorpus()
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        let first = try indexer(directory).index(folder: corpus)
        XCTAssertEqual(first.added, TestCorpus.documents)
        XCTAssertEqual(first.skipped, [])
        XCTAssertEqual(first.documents, TestCorpus.documents)
        XCTAssertGreaterThan(first.chunks, TestCorpus.documents)
        XCTAssertGreaterThan(first.tokens, 1000)
        try assertConsistent(directory, documents: TestCorpus.documents)

        let second = try indexer(directory).index(folder: corpus)
        XCTAssertEqual(second.unchanged, TestCorpus.documents)
        XCTAssertEqual([second.added, second.updated, second.removed, second.tokens], [0, 0, 0, 0], "no embedding")
        XCTAssertEqual(second.chunks, first.chunks)
    }

    func testAddUpdateRemoveAndTouch() throws {
        let folder = try temporaryFolder().appendingPathComponent("docs")
        try write("한국은행은 기준금리를 동결했다. 시장은 안정적이다.", to: folder, "a.txt")
        try write("원/달러 환율은 1,385.6원에 마감했다.", to: folder, "sub/b.md")
        try write("국고채 3년물 금리는 하락했다.", to: folder, "c.txt")
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        XCTAssertEqual(try indexer(directory).index(folder: folder).added, 3)

        try write("한국은행은 기준금리를 인하했다. 시장은 환영했다.", to: folder, "a.txt")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("c.txt"))
        try write("배당금은 1,444원이다.", to: folder, "d.txt")
        // Same content, new modification time: checked by hash, not re-embedded.
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: 100)],
            ofItemAtPath: folder.appendingPathComponent("sub/b.md").path)
        let summary = try indexer(directory).index(folder: folder)
        XCTAssertEqual([summary.added, summary.updated, summary.removed, summary.unchanged], [1, 1, 1, 1])
        try assertConsistent(directory, documents: 3)
        let stored = try EmbeddedStore.open(directory).catalog.documents()
        XCTAssertEqual(Set(stored.keys), ["a.txt", "sub/b.md", "d.txt"])
        let index = try EmbeddedStore.open(directory)
        let text = try index.catalog.documentText(id: stored["a.txt"]!.id)
        XCTAssertEqual(text, "한국은행은 기준금리를 인하했다. 시장은 환영했다.")
        XCTAssertEqual(try indexer(directory).index(folder: folder).tokens, 0, "the touched file is not embedded again")

        XCTAssertEqual(try EmbeddedStore.remove(directory, paths: ["d.txt", "missing.txt"]), ["d.txt"])
        try assertConsistent(directory, documents: 2)
    }

    func testWalkSkipsHiddenFilesTheIndexItselfAndLinkLoops() throws {
        let folder = try temporaryFolder().appendingPathComponent("docs")
        try write("금리 동결", to: folder, "visible.txt")
        try write("숨김 파일", to: folder, ".hidden.txt")
        try write("숨김 폴더", to: folder, ".git/notes.txt")
        try write("빈 파일이 아니다", to: folder, "image.png")
        try Data().write(to: folder.appendingPathComponent("empty.txt"))
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("loop"), withDestinationURL: folder)
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent("dangling.txt"),
            withDestinationURL: folder.appendingPathComponent("nowhere.txt"))
        // The index directory inside the indexed folder is not indexed.
        let directory = EmbeddedLocation(folder.appendingPathComponent("index"))
        let summary = try indexer(directory).index(folder: folder)
        XCTAssertEqual(summary.added, 1)
        XCTAssertEqual(summary.skipped.map(\.path).sorted(), ["dangling.txt", "empty.txt", "image.png"])
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: summary.skipped.map { ($0.path, $0.reason) })["image.png"], "unsupported file type .png")
        XCTAssertEqual(try EmbeddedStore.open(directory).catalog.skipped().count, 3)
    }

    func testOneWriterAtATime() throws {
        let folder = try temporaryFolder()
        try write("금리", to: folder, "a.txt")
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try indexer(directory).index(folder: folder)
        let held = try WriterLock(directory)
        XCTAssertThrowsError(try indexer(directory).index(folder: folder)) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .locked)
            XCTAssertTrue("\(error)".contains("process \(ProcessInfo.processInfo.processIdentifier)"), "\(error)")
        }
        // Readers keep working while the lock is held.
        XCTAssertEqual(try EmbeddedStore.open(directory).catalog.counts().documents, 1)
        withExtendedLifetime(held) {}
    }

    /// Adds a document `new.txt` to the catalog alone, as a writer that dies before its FAISS write would;
    /// returns the new passages' vectors.
    private func commitToTheCatalogOnly(_ directory: EmbeddedLocation) throws -> [[Float]] {
        let index = try EmbeddedStore.open(directory, writable: true)
        let model = try tinyModel
        let document = LoadedDocument(type: "txt", title: nil, text: "새 문서: 금리 인상.", pageStarts: [0], paged: false, encoding: nil)
        let chunks = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions()).chunks(of: document)
        let vectors = try model.embedder.embed(ids: chunks.map(\.ids)).map(\.vector)
        _ = try index.catalog.apply(
            updates: [DocumentUpdate(path: "new.txt", sha256: "x", size: 1, modified: 0, document: document, chunks: chunks, vectors: vectors)],
            removing: [])
        return vectors
    }

    func testCrashBetweenCatalogCommitAndFaissWriteIsRepairedOnOpen() throws {
        let corpus = try copyOfCorpus()
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try indexer(directory).index(folder: corpus)
        // A writer that commits to the catalog and dies before writing FAISS.
        let vectors = try commitToTheCatalogOnly(directory)

        let warnings = WarningLog()
        let reopened = try EmbeddedStore.open(directory, warn: { warnings.add($0) })
        XCTAssertEqual(reopened.vectors.count, try reopened.catalog.counts().chunks)
        XCTAssertTrue(warnings.messages.contains { $0.contains("rebuilding it") }, "\(warnings.messages)")
        let newChunk = try reopened.catalog.read { db in
            try Int64.fetchOne(db, sql: "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.path = 'new.txt'")
        }
        XCTAssertEqual(try reopened.vectors.search(vectors[0], k: 1).first?.id, newChunk)
        XCTAssertTrue(warnings.messages.contains { $0.contains("keyword index") && $0.contains("an interrupted write") }, "\(warnings.messages)")
        XCTAssertEqual(try reopened.bestKeywordMatches(KeywordTerms.terms("새 문서: 금리 인상."), depth: 5, filters: SearchFilters()).first?.id, newChunk)
        try assertKeywordsMatchTheCatalog(reopened)
        // The next writer persists the repair; the run after that finds nothing to fix.
        let summary = try indexer(directory).index(folder: corpus)
        XCTAssertEqual(summary.removed, 1, "new.txt is not in the folder")
        let quiet = WarningLog()
        _ = try EmbeddedStore.open(directory, warn: { quiet.add($0) })
        XCTAssertEqual(quiet.messages, [])
    }

    /// While a run holds the writer lock, its catalog is ahead of its FAISS file until the run ends: a search
    /// uses the last FAISS file written instead of rebuilding it in memory on every open.
    func testASearchDuringIndexingDoesNotRebuildFaiss() throws {
        let corpus = try copyOfCorpus()
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try indexer(directory).index(folder: corpus)
        let before = try EmbeddedStore.open(directory).vectors.count
        let held = try WriterLock(directory)
        _ = try commitToTheCatalogOnly(directory)
        let warnings = WarningLog()
        let during = try EmbeddedStore.open(directory, warn: { warnings.add($0) })
        XCTAssertEqual(during.vectors.count, before, "the last FAISS file written, not a rebuild")
        XCTAssertTrue(warnings.messages.contains { $0.contains("is being indexed") }, "\(warnings.messages)")
        XCTAssertFalse(warnings.messages.contains { $0.contains("rebuilding") })
        withExtendedLifetime(held) {}
    }

    func testDamagedFaissIsRebuiltAndDamagedCatalogIsAClearError() throws {
        let folder = try temporaryFolder()
        try write("환율이 올랐다. 금리가 내렸다.", to: folder, "a.txt")
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try indexer(directory).index(folder: folder)
        let data = try Data(contentsOf: directory.vectorsURL)
        try data.prefix(data.count / 2).write(to: directory.vectorsURL)
        try assertConsistent(directory)
        try FileManager.default.removeItem(at: directory.vectorsURL)
        try assertConsistent(directory)

        try Data(repeating: 0x41, count: 8192).write(to: directory.catalogURL)
        XCTAssertThrowsError(try EmbeddedStore.open(directory)) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .corruptIndex, "\(error)")
        }
        XCTAssertThrowsError(try EmbeddedStore.open(EmbeddedLocation(folder.appendingPathComponent("nothing")))) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .indexNotFound)
        }
    }

    /// Derived files are checked before they are trusted: after an interrupted run (no checksum to compare) a
    /// FAISS header claiming 2^40 vectors is refused before FAISS allocates for them, and a keyword file whose
    /// passage table repeats a chunk id — even with its checksum recorded again — is refused (it crashed every
    /// keyword search); both are rebuilt from the catalog.
    func testDerivedFilesWithLyingHeadersOrRepeatedIdsAreRebuilt() throws {
        let corpus = try copyOfCorpus()
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try indexer(directory).index(folder: corpus)
        _ = try commitToTheCatalogOnly(directory)
        var faiss = try Data(contentsOf: directory.vectorsURL)
        withUnsafeBytes(of: Int64(1 << 40).littleEndian) { faiss.replaceSubrange(8 ..< 16, with: $0) }
        try faiss.write(to: directory.vectorsURL)
        let warnings = WarningLog()
        let reopened = try EmbeddedStore.open(directory, writable: true, warn: { warnings.add($0) })
        XCTAssertTrue(
            warnings.messages.contains { $0.contains("its header gives 1099511627776 vectors for a file of") && $0.contains("rebuilding it") },
            "\(warnings.messages)")
        XCTAssertEqual(reopened.vectors.count, try reopened.catalog.counts().chunks)

        // Chunk ids 1 and 2 side by side in the passage table: the second made the first.
        var keywords = try Data(contentsOf: directory.keywordsURL)
        let pair = Data([1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0])
        let at = try XCTUnwrap(keywords.range(of: pair)).lowerBound
        keywords[at + 8] = 1
        try keywords.write(to: directory.keywordsURL)
        try reopened.catalog.markKeywordsCurrent(checksum: FileChecksum.of(directory.keywordsURL), dictionary: reopened.meta.keywordDictionary)
        let again = WarningLog()
        let repaired = try EmbeddedStore.open(directory, warn: { again.add($0) })
        XCTAssertTrue(again.messages.contains { $0.contains("chunk id 1 out of order at passage 1") }, "\(again.messages)")
        try assertKeywordsMatchTheCatalog(repaired)

        // Temporary files of a writer killed during its final write are removed by the next writer; one whose
        // process still runs (pid 1 here) is left alone.
        let left = [".vectors.faiss.999999999.tmp", ".keywords.postings.999999998.tmp", ".vectors.faiss.1.tmp"]
        for name in left { try Data(count: 4096).write(to: directory.url.appendingPathComponent(name)) }
        try indexer(directory).index(folder: corpus)
        XCTAssertEqual(
            left.filter { FileManager.default.fileExists(atPath: directory.url.appendingPathComponent($0).path) }, [".vectors.faiss.1.tmp"])
    }

    /// A keyword file overwritten in place while an index is open (copied over from another index: the same
    /// inode truncated and written) never faults a search — the search says the file changed — and the index
    /// opened again answers as before (a server reopens it when its change stamp moves).
    func testAKeywordFileOverwrittenInPlaceUnderAnOpenIndex() throws {
        let corpus = try copyOfCorpus()
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try indexer(directory).index(folder: corpus)
        let open = try EmbeddedStore.open(directory)
        let terms = Array(Set(KeywordTerms.terms("한국은행 기준금리 동결"))).sorted()
        let expected = try open.bestKeywordMatches(terms, depth: 10, filters: SearchFilters()).map(\.id)
        let stamp = open.changeStamp()
        // Another, smaller keyword file written over this one in place.
        let other = try temporaryFolder()
        try write("환율이 올랐다.", to: other, "a.txt")
        let small = EmbeddedLocation(try temporaryFolder().appendingPathComponent("small"))
        try indexer(small).index(folder: other)
        let handle = try FileHandle(forWritingTo: directory.keywordsURL)
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: try Data(contentsOf: small.keywordsURL))
        try handle.close()
        XCTAssertThrowsError(try open.bestKeywordMatches(terms, depth: 10, filters: SearchFilters())) {
            XCTAssertTrue("\($0)".contains("was overwritten in place while open"), "\($0)")
        }
        XCTAssertNotEqual(open.changeStamp(), stamp, "a server sees the change and reopens")
        let warnings = WarningLog()
        let reopened = try EmbeddedStore.open(directory, warn: { warnings.add($0) })
        XCTAssertTrue(warnings.messages.contains { $0.contains("keyword index") && $0.contains("rebuilding it") }, "\(warnings.messages)")
        XCTAssertEqual(try reopened.bestKeywordMatches(terms, depth: 10, filters: SearchFilters()).map(\.id), expected)
    }

    /// A FAISS file whose bytes were changed after it was written — right size, right vector count — is
    /// noticed by its checksum and rebuilt: scores stay cosines, hits the right passages.
    /// Progress comes before each file is read and while one large file embeds, naming the file.
    func testProgressMovesWhileALargeFileEmbeds() throws {
        let folder = try temporaryFolder()
        // Distinct sentences: repeated ones would share their vectors and embed once.
        try write((0 ..< 150).map { "제\($0 + 1)차 회의에서 한국은행은 기준금리를 동결했다. 그날 원/달러 환율은 \(1300 + $0).6원에 마감했다. " }.joined(), to: folder, "large.txt")
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        var options = KorSearchCore.IndexOptions()
        options.chunking = ChunkingOptions(chunkTokens: 32, overlapTokens: 0)
        options.batchSize = 4
        let model = try tinyModel
        var seen: [IndexProgress] = []
        try Indexer(directory: directory, embedder: model.embedder, model: model.identity, options: options).index(folder: folder) { seen.append($0) }
        XCTAssertEqual(seen.first?.stage, .reading)
        XCTAssertEqual(seen.first?.currentFile, "large.txt")
        let embedding = seen.filter { $0.stage == .embedding }
        XCTAssertGreaterThan(embedding.count, 3, "several reports while the one file embeds")
        XCTAssertTrue(embedding.allSatisfy { $0.currentFile == "large.txt" })
        XCTAssertEqual(embedding.map(\.chunksEmbedded), embedding.map(\.chunksEmbedded).sorted())
        XCTAssertEqual(seen.last?.stage, .done)
        XCTAssertEqual(seen.last?.chunksPending, 0)
        XCTAssertEqual(seen.last?.chunksEmbedded, try EmbeddedStore.open(directory).catalog.counts().chunks)
    }

    func testAFaissFileWithFlippedBytesIsRebuilt() throws {
        let corpus = try copyOfCorpus()
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try indexer(directory).index(folder: corpus)
        let model = try tinyModel
        let query = try model.embedder.embed(["한국은행 기준금리 동결"])[0].vector
        let expected = try EmbeddedStore.open(directory).vectors.search(query, k: 5).map(\.id)
        var data = try Data(contentsOf: directory.vectorsURL)
        for offset in stride(from: data.count / 4, to: data.count * 3 / 4, by: 7) { data[offset] ^= 0x5A }
        let stamp = try FileManager.default.attributesOfItem(atPath: directory.vectorsURL.path)[.modificationDate]
        try data.write(to: directory.vectorsURL)
        try FileManager.default.setAttributes([.modificationDate: stamp as Any], ofItemAtPath: directory.vectorsURL.path)
        let warnings = WarningLog()
        let opened = try EmbeddedStore.open(directory, warn: { warnings.add($0) })
        XCTAssertTrue(warnings.messages.contains { $0.contains("does not match the checksum") }, "\(warnings.messages)")
        let hits = try opened.vectors.search(query, k: 5)
        XCTAssertEqual(hits.map(\.id), expected)
        XCTAssertTrue(hits.allSatisfy { $0.score <= 1.0001 }, "\(hits)")
        // A writer's open repairs the file on disk; the next open finds nothing to fix.
        _ = try EmbeddedStore.open(directory, writable: true)
        let quiet = WarningLog()
        _ = try EmbeddedStore.open(directory, warn: { quiet.add($0) })
        XCTAssertEqual(quiet.messages, [])
    }

    /// The keyword index file missing, cut short, with bytes changed (same size, same time) or by other term
    /// rules is rebuilt from the catalog's passages — in memory for a reader, on disk for a writer — and ranks
    /// as before.
    func testADamagedOrMissingKeywordIndexIsRebuilt() throws {
        let corpus = try copyOfCorpus()
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try indexer(directory).index(folder: corpus)
        let terms = Array(Set(KeywordTerms.terms("한국은행 기준금리 동결"))).sorted()
        let expected = try EmbeddedStore.open(directory).bestKeywordMatches(terms, depth: 10, filters: SearchFilters())
        XCTAssertEqual(expected.count, 10)
        let good = try Data(contentsOf: directory.keywordsURL)
        let stamp = try FileManager.default.attributesOfItem(atPath: directory.keywordsURL.path)[.modificationDate]
        var flipped = good
        for offset in stride(from: good.count / 3, to: good.count * 2 / 3, by: 11) { flipped[offset] ^= 0x5A }
        var otherRules = good
        otherRules[12] = 1  // the header's KeywordTerms version
        let damages: [(String, () throws -> Void)] = [
            ("is missing", { try FileManager.default.removeItem(at: directory.keywordsURL) }),
            ("does not match the checksum", { try good.prefix(good.count / 2).write(to: directory.keywordsURL) }),
            (
                "does not match the checksum",
                {
                    try flipped.write(to: directory.keywordsURL)
                    try FileManager.default.setAttributes([.modificationDate: stamp as Any], ofItemAtPath: directory.keywordsURL.path)
                }
            ),
            ("does not match the checksum", { try otherRules.write(to: directory.keywordsURL) }),
        ]
        for (problem, damage) in damages {
            try damage()
            let warnings = WarningLog()
            let reader = try EmbeddedStore.open(directory, warn: { warnings.add($0) })
            XCTAssertTrue(
                warnings.messages.contains { $0.contains("keyword index") && $0.contains(problem) && $0.contains("in memory") },
                "\(warnings.messages)")
            XCTAssertEqual(try reader.bestKeywordMatches(terms, depth: 10, filters: SearchFilters()).map(\.id), expected.map(\.id))
            // A writer's open repairs the file on disk; the next open finds nothing to fix.
            _ = try EmbeddedStore.open(directory, writable: true)
            let quiet = WarningLog()
            let repaired = try EmbeddedStore.open(directory, warn: { quiet.add($0) })
            XCTAssertEqual(quiet.messages, [])
            XCTAssertEqual(try repaired.bestKeywordMatches(terms, depth: 10, filters: SearchFilters()).map(\.id), expected.map(\.id))
        }
        // An index a korsearch before the keyword index made has none: readers derive it, `rebuild` stores it.
        try FileManager.default.removeItem(at: directory.keywordsURL)
        _ = try directory.rebuild(vectorIndex: nil, warn: { _ in })
        let quiet = WarningLog()
        _ = try EmbeddedStore.open(directory, warn: { quiet.add($0) })
        XCTAssertEqual(quiet.messages, [])
    }

    func testAnotherModelOrOtherChunkingIsAnError() throws {
        let folder = try temporaryFolder()
        try write("금리 동결", to: folder, "a.txt")
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try indexer(directory).index(folder: folder)
        let other = try ModelLocator.load(TestPaths.otherModel.path, maxLength: 128)
        XCTAssertThrowsError(
            try Indexer(
                directory: directory, embedder: other.embedder, model: other.identity,
                options: {
                    var o = KorSearch.IndexOptions(); o.chunking = ChunkingOptions(chunkTokens: 128); return o
                }()
            )
            .index(folder: folder)
        ) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .modelMismatch, "\(error)")
        }
        var options = KorSearch.IndexOptions()
        options.chunking = ChunkingOptions(chunkTokens: 128, overlapTokens: 16)
        XCTAssertThrowsError(try indexer(directory, options: options).index(folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("--chunk-tokens 256"), "\(error)")
        }
        options = KorSearch.IndexOptions()
        options.faissFactory = "HNSW32"
        XCTAssertThrowsError(try indexer(directory, options: options).index(folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("korsearch rebuild"), "\(error)")
        }
    }

    func testTheIndexRecordsItsPrecision() throws {
        // bf16 where this processor runs it (AVX-512), else int8: either is recorded and kept.
        let reduced: Precision = Precision.bf16.isAvailable ? .bf16 : .int8
        let folder = try temporaryFolder()
        try write("국고채 금리가 하락했다.", to: folder, "a.txt")
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        let loaded = try ModelLocator.load(TestPaths.tinyModel.path, precision: reduced)
        try Indexer(directory: directory, embedder: loaded.embedder, model: loaded.identity).index(folder: folder)
        XCTAssertEqual(try EmbeddedStore.open(directory).meta.precision, reduced)
        // Searching defaults to the index's precision; indexing more at another precision is refused.
        XCTAssertEqual(try Searcher(directory: directory).embedder?.model.precision, reduced)
        try write("환율이 올랐다.", to: folder, "b.txt")
        XCTAssertThrowsError(try indexer(directory).index(folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("--precision \(reduced.rawValue)"), "\(error)")
        }
    }

    /// A bf16 index (built where the processor has AVX-512) opened where oneDNN has no bf16 product runs its
    /// queries at fp32, saying so; where bf16 runs, it runs at bf16 without a word.
    func testAnIndexAtAPrecisionThisProcessorCannotRunIsSearchedAtFP32() throws {
        let folder = try temporaryFolder()
        try write("국고채 금리가 하락했다.", to: folder, "a.txt")
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try indexer(directory).index(folder: folder)
        try directory.setMeta(["precision": "bf16"])
        let warnings = WarningLog()
        let opened = try OpenedIndex.open(.directory(directory), warn: warnings.add)
        let expected: Precision = Precision.bf16.isAvailable ? .bf16 : .fp32
        XCTAssertEqual(opened.embedder?.model.precision, expected)
        XCTAssertEqual(
            warnings.messages.filter { $0.contains("which this processor cannot run") }.count, Precision.bf16.isAvailable ? 0 : 1,
            "\(warnings.messages)")
        XCTAssertEqual(try opened.searcher().search("국고채", limit: 1).first?.path, "a.txt")
    }

    func testRebuildWithOtherFactoriesKeepsCountsEqual() throws {
        let corpus = try copyOfCorpus()
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try indexer(directory).index(folder: corpus)
        for factory in ["HNSW16", "IVF4,Flat", "Flat"] {
            let rebuilt = try EmbeddedStore.rebuild(directory, factory: factory)
            XCTAssertEqual(rebuilt.factory, factory)
            try assertConsistent(directory)
            XCTAssertEqual(try EmbeddedStore.open(directory).factory, factory)
            if factory == "HNSW16" {
                // HNSW marks a removed document's vectors; indexing again adds the new ones.
                XCTAssertEqual(try EmbeddedStore.remove(directory, paths: ["market/oil-commodities.txt"]).count, 1)
                try assertConsistent(directory, documents: TestCorpus.documents - 1)
                try indexer(directory).index(folder: corpus)
                try assertConsistent(directory, documents: TestCorpus.documents)
            }
        }
    }
}

/// Collects warnings from code under test.
