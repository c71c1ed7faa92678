import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore
@testable import KorSearchEmbedded

/// Each passage embedded once: content-defined boundaries keep an edit's effect local, and a passage whose
/// exact encoder input is stored takes that vector.
final class ReuseTests: XCTestCase {
    private func indexer(_ directory: EmbeddedLocation, reuse: Bool = true) throws -> Indexer {
        let model = try tinyModel
        var options = KorSearch.IndexOptions()
        options.reuseVectors = reuse
        return try Indexer(directory: directory, embedder: model.embedder, model: model.identity, options: options)
    }

    /// Runs an index and returns the summary and the passages embedded (not reused).
    private func run(_ directory: EmbeddedLocation, _ folder: URL, reuse: Bool = true) throws -> (summary: IndexSummary, embedded: Int) {
        var embedded = 0
        let summary = try indexer(directory, reuse: reuse).index(folder: folder) { embedded = $0.chunksEmbedded }
        return (summary, embedded)
    }

    func testAnInsertedSentenceReEmbedsOnlyThePassagesAroundIt() throws {
        let folder = try temporaryFolder()
        _ = try write(TestTexts.longReport(), to: folder, "report.txt")
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        let first = try run(directory, folder)
        XCTAssertGreaterThan(first.summary.tokens, 9_000)
        XCTAssertGreaterThan(first.summary.chunks, 30)
        // One sentence inserted in the middle: at most three passages are embedded, and as many to undo it (the
        // passages it replaced are gone, and their vectors with them).
        _ = try write(TestTexts.longReport(inserting: "이번 점검에는 외부 감사인이 처음으로 참여하였다.", at: 200), to: folder, "report.txt")
        let edited = try run(directory, folder)
        XCTAssertEqual(edited.summary.updated, 1)
        XCTAssertLessThanOrEqual(edited.embedded, 3, "at most three passages around the edit are embedded")
        XCTAssertEqual(edited.summary.reused + edited.embedded, edited.summary.chunks)
        XCTAssertLessThan(edited.summary.tokens, 800)
        _ = try write(TestTexts.longReport(), to: folder, "report.txt")
        XCTAssertLessThanOrEqual(try run(directory, folder).embedded, 3)

        // Anywhere in the document: over 45 insertion points, few passages change (greedy packing from the
        // start changed 24.5 on average, 66 at worst — every passage after the edit).
        let model = try tinyModel
        let chunker = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions())
        func inputs(_ text: String) throws -> Set<String> {
            let url = try write(text, to: try temporaryFolder(), "r.txt")
            return Set(try chunker.chunks(of: try DocumentLoader.load(url)).map(\.inputHash))
        }
        let base = try inputs(TestTexts.longReport())
        let changed = try stride(from: 3, to: 400, by: 9).map { position in
            try inputs(TestTexts.longReport(inserting: "이번 점검에는 외부 감사인이 처음으로 참여하였다.", at: position)).subtracting(base).count
        }
        print(
            String(
                format: "reuse: one inserted sentence changes %.1f passages on average, %d at worst, of %d",
                Double(changed.reduce(0, +)) / Double(changed.count), changed.max() ?? 0, base.count))
        XCTAssertLessThanOrEqual(Double(changed.reduce(0, +)) / Double(changed.count), 2.0, "\(changed)")
        XCTAssertLessThanOrEqual(changed.max() ?? 0, 5, "\(changed)")

        // Without reuse the whole document is embedded again (the comparison `--no-reuse` makes).
        _ = try write(TestTexts.longReport(inserting: "이번 점검에는 외부 감사인이 두 번째로 참여하였다."), to: folder, "report.txt")
        let whole = try run(directory, folder, reuse: false)
        XCTAssertEqual(whole.embedded, whole.summary.chunks)

        // Every stored vector is what embedding its passage now gives, bit for bit: no stale vector.
        try assertVectorsFresh(directory, folder.appendingPathComponent("report.txt"))
    }

    func testARenamedOrCopiedDocumentEmbedsNothing() throws {
        let folder = try temporaryFolder()
        _ = try write(TestTexts.longReport(), to: folder, "q3.txt")
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        let first = try run(directory, folder)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("q3.txt"), to: folder.appendingPathComponent("q3-copy.txt"))
        let copied = try run(directory, folder)
        XCTAssertEqual([copied.summary.added, copied.summary.tokens, copied.embedded], [1, 0, 0])
        XCTAssertEqual(copied.summary.reused, first.summary.chunks)
        try FileManager.default.moveItem(at: folder.appendingPathComponent("q3.txt"), to: folder.appendingPathComponent("q3-final.txt"))
        let renamed = try run(directory, folder)
        XCTAssertEqual([renamed.summary.added, renamed.summary.removed, renamed.summary.tokens], [1, 1, 0])
        XCTAssertEqual(try EmbeddedStore.open(directory).info().distinctVectors, first.summary.chunks, "two documents, one set of vectors")
        // Removing every document that uses a vector leaves nothing of it behind.
        for name in ["q3-copy.txt", "q3-final.txt"] { try FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
        _ = try write("새 문서 한 줄.", to: folder, "other.txt")
        _ = try run(directory, folder)
        XCTAssertEqual(try EmbeddedStore.open(directory).info().distinctVectors, 1)
    }

    /// After edits, copies and a rename, the incremental index answers every evaluation question exactly as a
    /// fresh build of the same folder: the same passages with the same scores, in every mode.
    func testTheIncrementalIndexAnswersAsAFreshBuild() throws {
        let corpus = try copyOfCorpus()
        let incremental = EmbeddedLocation(try temporaryFolder().appendingPathComponent("incremental"))
        _ = try run(incremental, corpus)
        let note = corpus.appendingPathComponent("market/household-debt.txt")
        try Data((try String(contentsOf: note, encoding: .utf8) + "\n\n가계대출 증가세는 4분기에도 이어질 것으로 보인다.").utf8).write(to: note)
        try FileManager.default.copyItem(
            at: corpus.appendingPathComponent("research/fund-operation-report.md"),
            to: corpus.appendingPathComponent("research/fund-operation-report-copy.md"))
        try FileManager.default.moveItem(
            at: corpus.appendingPathComponent("market/oil-commodities.txt"),
            to: corpus.appendingPathComponent("market/oil-commodities-2024.txt"))
        let update = try run(incremental, corpus)
        XCTAssertGreaterThan(update.summary.reused, 0)
        let fresh = EmbeddedLocation(try temporaryFolder().appendingPathComponent("fresh"))
        _ = try run(fresh, corpus, reuse: false)
        let model = try tinyModel
        let searchers = try [incremental, fresh].map {
            try Searcher(index: try EmbeddedStore.open($0), embedder: model.embedder, model: model.identity)
        }
        let queries = try JudgedQuery.load(TestPaths.repository.appendingPathComponent("Examples/eval/qrels.jsonl"))
        for query in queries {
            for mode in SearchMode.allCases {
                // A copy and its original are the same passage: ties between them come in either order (by
                // chunk id), so passages are compared by their text and place, with their scores.
                let answers = try searchers.map { searcher in
                    try searcher.search(query.query, limit: 10, mode: mode).map {
                        "\(String(format: "%.5f", $0.score)) \($0.start)-\($0.end) \($0.text)"
                    }.sorted()
                }
                XCTAssertEqual(answers[0], answers[1], "\(mode): \(query.query)")
            }
        }
        try assertVectorsFresh(incremental, note, relativePath: "market/household-debt.txt")
    }

    /// The stored vectors of a document's passages equal a fresh embedding of each passage as stored (rounded to
    /// float16), bit for bit.
    private func assertVectorsFresh(
        _ directory: EmbeddedLocation, _ url: URL, relativePath: String? = nil, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let model = try tinyModel
        let index = try EmbeddedStore.open(directory)
        let path = relativePath ?? url.lastPathComponent
        let chunks = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions()).chunks(of: try DocumentLoader.load(url))
        let stored = try index.catalog.chunks(ids: Array(1 ... 5000)).filter { $0.path == path }.sorted { $0.ordinal < $1.ordinal }
        XCTAssertEqual(stored.map(\.text), chunks.map(\.text), file: file, line: line)
        var vectors: [Int64: [Float]] = [:]
        try index.catalog.forEachVectorBatch(dimension: index.meta.dimension) { ids, flat in
            for (offset, id) in ids.enumerated() { vectors[id] = Array(flat[offset * index.meta.dimension ..< (offset + 1) * index.meta.dimension]) }
        }
        let fresh = try model.embedder.embed(ids: chunks.map(\.ids), normalize: true, batchSize: 1).map(\.vector)
        for (chunk, vector) in zip(stored, fresh) {
            XCTAssertEqual(vectors[chunk.id], StoredVector.rounded(vector), "passage \(chunk.ordinal)", file: file, line: line)
        }
    }
}
