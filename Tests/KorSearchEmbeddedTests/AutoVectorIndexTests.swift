import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorSearchCore
@testable import KorSearchEmbedded

/// The vector index chosen by size (`auto`) and the catalog's float16 vectors, against exact search over the
/// stored vectors. The threshold is lowered for the test (`KORSEARCH_TEST_EXACT_BELOW`) so that a few thousand
/// passages make a graph.
final class AutoVectorIndexTests: XCTestCase {
    override func setUp() { setenv("KORSEARCH_TEST_EXACT_BELOW", "2000", 1) }
    override func tearDown() { unsetenv("KORSEARCH_TEST_EXACT_BELOW") }

    private typealias Seeded = SplitMix

    private static func unit(_ vector: [Float]) -> [Float] {
        let norm = sqrt(vector.reduce(0) { $0 + $1 * $1 })
        return vector.map { $0 / norm }
    }

    /// Unit vectors around 30 centres (embeddings of real text cluster).
    private static func clustered(_ count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
        var centres = Seeded(state: 5)
        let centers = (0 ..< 30).map { _ in unit((0 ..< dimension).map { _ in Float.random(in: -1 ... 1, using: &centres) }) }
        var generator = Seeded(state: seed)
        return (0 ..< count).map { _ in
            let center = centers.randomElement(using: &generator)!
            return unit(center.map { $0 + Float.random(in: -0.25 ... 0.25, using: &generator) })
        }
    }

    /// Writes `documents` documents of 4 passages each, with clustered vectors, through the indexer's writer.
    private func write(
        _ directory: EmbeddedLocation, documents: Range<Int>, options: KorSearch.IndexOptions = .init(),
        warnings: WarningLog? = nil
    ) throws {
        let model = try tinyModel
        let indexer = try Indexer(
            location: .directory(directory), embedder: model.embedder, model: model.identity, options: options,
            warn: { warnings?.add($0) })
        let writer = try indexer.openForWriting()
        let vectors = AutoVectorIndexTests.clustered(documents.count * 4, dimension: model.identity.dimension, seed: UInt64(documents.lowerBound + 1))
        var updates: [DocumentUpdate] = []
        for (offset, number) in documents.enumerated() {
            let text = "문서 \(number)의 본문"
            let chunks = (0 ..< 4).map { Chunk(ordinal: $0, text: "\(text) \($0)", start: 0, end: text.count, page: nil, ids: [1, 2]) }
            let document = LoadedDocument(type: "txt", title: nil, text: text, pageStarts: [0], paged: false, encoding: "UTF-8")
            updates.append(
                DocumentUpdate(
                    path: "d/\(number).txt", sha256: "\(number)", size: 1, modified: 0, document: document,
                    chunks: chunks, vectors: Array(vectors[offset * 4 ..< offset * 4 + 4])))
            if updates.count == 100 {
                try writer.write(updates: updates, removing: [])
                updates = []
            }
        }
        try writer.write(updates: updates, removing: [])
        try writer.finish(folder: "d", skipped: [], owns: { _ in false })
    }

    /// The exact top `k` over the catalog's stored vectors, among `allowed` when given.
    private func exact(_ index: EmbeddedStore, _ query: [Float], k: Int, allowed: Set<Int64>? = nil) throws -> [(id: Int64, score: Float)] {
        var all: [(id: Int64, score: Float)] = []
        try index.catalog.forEachVectorBatch(dimension: index.meta.dimension) { ids, floats in
            for (row, id) in ids.enumerated() where allowed?.contains(id) ?? true {
                var dot: Float = 0
                for d in 0 ..< query.count { dot += floats[row * query.count + d] * query[d] }
                all.append((id, dot))
            }
        }
        return Array(all.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(k))
    }

    func testTheChoiceBySize() {
        XCTAssertEqual(AutoVectorIndex.factory(for: 1999), "Flat")
        XCTAssertEqual(AutoVectorIndex.factory(for: 2000), "HNSW32,SQfp16")
        XCTAssertEqual(AutoVectorIndex.probes(lists: 4096), 16, "for an inverted file a user chose")
        XCTAssertEqual(AutoVectorIndex.probes(lists: 8), 8)
        XCTAssertEqual(AutoVectorIndex.lists(in: "IVF4096,SQ8"), 4096)
        XCTAssertNil(AutoVectorIndex.lists(in: "HNSW32"))
        XCTAssertEqual(AutoVectorIndex.rebuild("Flat", count: 2000), "HNSW32,SQfp16")
        XCTAssertNil(AutoVectorIndex.rebuild("Flat", count: 1999))
        XCTAssertNil(AutoVectorIndex.rebuild("HNSW32,SQfp16", count: 1500), "no flip back until below half the threshold")
        XCTAssertEqual(AutoVectorIndex.rebuild("HNSW32,SQfp16", count: 999), "Flat")
        XCTAssertNil(AutoVectorIndex.rebuild("HNSW32,SQfp16", count: 4000, removed: 1000), "a fifth removed is kept")
        XCTAssertEqual(AutoVectorIndex.rebuild("HNSW32,SQfp16", count: 4000, removed: 1001), "HNSW32,SQfp16", "past a fifth: built again")
        XCTAssertEqual(AutoVectorIndex.rebuild("IVF1024,SQ8", count: 100_000), "HNSW32,SQfp16", "an earlier auto's inverted file becomes a graph")
        XCTAssertEqual(AutoVectorIndex.rebuild("IVF16,SQ8", count: 999), "Flat")
        XCTAssertEqual(AutoVectorIndex.rebuild("HNSW32", count: 10), "Flat")
    }

    func testVectorsAreStoredAsFloat16AndOlderFloat32BlobsStillRead() {
        let vector = AutoVectorIndexTests.unit((0 ..< 64).map { Float($0 % 7) - 3.1 })
        let blob = VectorBlob.encode(vector)
        XCTAssertEqual(blob.count, 128)
        let decoded = VectorBlob.decode(blob, dimension: 64)!
        XCTAssertEqual(decoded, StoredVector.rounded(vector), "what is read back is what FAISS was given")
        for (a, b) in zip(decoded, vector) { XCTAssertEqual(a, b, accuracy: abs(b) / 2048 + 1e-7) }
        let float32 = vector.withUnsafeBufferPointer { Data(buffer: $0) }
        XCTAssertEqual(VectorBlob.decode(float32, dimension: 64), vector)
        XCTAssertNil(VectorBlob.decode(blob.prefix(100), dimension: 64))
        let huge: [Float] = [1e6, 1, 2]
        XCTAssertEqual(VectorBlob.encode(huge).count, 12, "beyond float16's range a vector stays float32")
        XCTAssertEqual(VectorBlob.decode(VectorBlob.encode(huge), dimension: 3), huge)
        XCTAssertEqual(StoredVector.rounded(huge), huge)
    }

    func testASmallIndexIsExactAndRebuildsByteForByte() throws {
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try write(directory, documents: 0 ..< 100)
        let index = try EmbeddedStore.open(directory)
        XCTAssertEqual(index.vectors.factory, "Flat")
        XCTAssertEqual(try index.info().faissSetting, "auto")
        let written = FileChecksum.of(directory.vectorsURL)
        _ = try EmbeddedStore.rebuild(directory, factory: nil)
        XCTAssertEqual(
            FileChecksum.of(directory.vectorsURL), written,
            "FAISS was given the stored (float16) values during the run, so a rebuild from the catalog is the same file")
    }

    func testAGrowingIndexBecomesAGraphWhoseScoresAreTheStoredVectors() throws {
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        let warnings = WarningLog()
        try write(directory, documents: 0 ..< 300, warnings: warnings)
        XCTAssertEqual(try EmbeddedStore.open(directory).vectors.factory, "Flat", "1,200 passages: exact")
        try write(directory, documents: 300 ..< 1000, warnings: warnings)
        XCTAssertTrue(warnings.messages.contains { $0.contains("building it again as FAISS HNSW32,SQfp16") }, "\(warnings.messages)")

        let index = try EmbeddedStore.open(directory)
        XCTAssertEqual(index.vectors.factory, "HNSW32,SQfp16")
        XCTAssertEqual(index.vectors.count, 4000)
        let meta = try index.catalog.meta()
        XCTAssertEqual(meta["faiss_type"], "HNSW32,SQfp16")
        let ef = try XCTUnwrap(meta["faiss_ef_search"].flatMap(Int.init), "the search list chosen from the recall target is recorded")
        XCTAssertEqual(index.vectors.efSearch, ef)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(meta["faiss_ef_recall"].flatMap(Double.init)), AutoVectorIndex.recallTarget)
        let queries = AutoVectorIndexTests.clustered(20, dimension: index.meta.dimension, seed: 777)
        var found = 0
        for query in queries {
            let hits = try index.nearest(query, depth: 10, filters: SearchFilters())
            let truth = try exact(index, query, k: 10)
            found += Set(hits.map(\.id)).intersection(truth.map(\.id)).count
            let stored = try index.catalog.vectors(ids: hits.map(\.id), dimension: index.meta.dimension)
            for hit in hits {
                let dot = zip(stored[hit.id]!, query).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                XCTAssertEqual(hit.score, Double(dot), accuracy: 1e-5, "scores are the catalog's stored vectors'")
            }
            XCTAssertEqual(hits.map(\.score), hits.map(\.score).sorted(by: >))
            XCTAssertEqual(
                try index.nearestInGraph(query, depth: 10, filters: SearchFilters(), searchList: 4000).map(\.id), truth.map(\.id),
                "a search list as long as the index is exhaustive")
        }
        XCTAssertGreaterThanOrEqual(Double(found) / 200, 0.95, "recall@10 against exact search")

        // A request's ef_search reaches the graph: the longest list gives the exact top 10 through a searcher.
        let searcher = try Searcher(index: index, embedder: nil, model: nil)
        for query in queries.prefix(5) {
            var request = SearchRequest(query: "문서", k: 10, mode: .vector)
            request.efSearch = SearchRequest.maxSearchList
            let answer = try searcher.answer(request, queryVector: query)
            // A search keeps one of a document's overlapping passages (here all four of a document overlap).
            var documents = Set<Int64>()
            let distinct = try index.chunks(ids: try exact(index, query, k: 200).map(\.id)).filter { documents.insert($0.documentId).inserted }
            XCTAssertEqual(answer.results.map(\.hit.chunkId), Array(distinct.prefix(10).map(\.id)))
        }

        // A broad filter is searched in the graph; a narrow one is scored exhaustively from its vectors.
        for (glob, exactly) in [("d/7*.txt", false), ("d/77.txt", true)] {
            let paths = SearchFilters(pathGlob: glob)
            let allowed = try index.catalog.chunkIds(allowedBy: paths)
            var filteredFound = 0
            for query in queries.prefix(5) {
                let hits = try index.nearest(query, depth: 10, filters: paths).map(\.id)
                let truth = try exact(index, query, k: 10, allowed: allowed).map(\.id)
                XCTAssertTrue(Set(hits).isSubset(of: allowed), glob)
                if exactly { XCTAssertEqual(hits, truth, glob) }
                filteredFound += Set(hits).intersection(truth).count
            }
            XCTAssertGreaterThanOrEqual(Double(filteredFound) / Double(5 * min(10, allowed.count)), 0.9, "recall@10 under \(glob)")
        }

        // Removing passages marks them in the graph; reopened, the catalog marks them again.
        XCTAssertEqual(try EmbeddedStore.remove(directory, paths: (0 ..< 150).map { "d/\($0).txt" }).count, 150)
        let marked = try EmbeddedStore.open(directory)
        XCTAssertEqual(marked.vectors.factory, "HNSW32,SQfp16", "600 of 4,000 removed: the graph is kept")
        XCTAssertEqual(marked.vectors.count, 3400)
        XCTAssertEqual(marked.vectors.removedCount, 600)
        var markedFound = 0
        for query in queries {
            let hits = try marked.nearest(query, depth: 10, filters: SearchFilters()).map(\.id)
            XCTAssertFalse(hits.contains { $0 <= 600 }, "the removed documents' passages (ids 1 to 600) are never returned")
            markedFound += Set(hits).intersection(try exact(marked, query, k: 10).map(\.id)).count
        }
        XCTAssertGreaterThanOrEqual(Double(markedFound) / 200, 0.95, "recall@10 with removed passages as waypoints")
        // Past a fifth removed, the graph is built again without them.
        try write(directory, documents: 1000 ..< 1001, warnings: warnings)
        XCTAssertEqual(try EmbeddedStore.remove(directory, paths: (150 ..< 300).map { "d/\($0).txt" }).count, 150)
        XCTAssertTrue(warnings.messages.contains { $0.contains("building it again as FAISS HNSW32,SQfp16") })
        let compact = try EmbeddedStore.open(directory)
        XCTAssertEqual(compact.vectors.removedCount, 0)
        XCTAssertEqual(compact.vectors.count, 2804)

        // Rebuilding from the catalog gives the same answers; shrinking below half the threshold, exact search.
        let answers = try queries.map { try compact.nearest($0, depth: 10, filters: SearchFilters()).map(\.id) }
        let rebuilt = try EmbeddedStore.rebuild(directory, factory: nil)
        XCTAssertEqual(rebuilt.vectors.factory, "HNSW32,SQfp16")
        XCTAssertEqual(try queries.map { try rebuilt.nearest($0, depth: 10, filters: SearchFilters()).map(\.id) }, answers)
        XCTAssertEqual(try EmbeddedStore.remove(directory, paths: (300 ..< 1000).map { "d/\($0).txt" }).count, 700)
        let small = try EmbeddedStore.open(directory)
        XCTAssertEqual(small.vectors.factory, "Flat")
        XCTAssertEqual(small.vectors.count, 4)
    }

    func testAnEarlierAutoInvertedFileBecomesAGraph() throws {
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        try write(directory, documents: 0 ..< 600)
        _ = try EmbeddedStore.rebuild(directory, factory: "IVF32,SQ8")
        // As an earlier korsearch left it: the setting `auto`, the file an inverted file.
        try Catalog(url: directory.catalogURL, create: false).setMeta(["faiss_factory": "auto"])
        XCTAssertEqual(try EmbeddedStore.open(directory).vectors.factory, "IVF32,SQ8")
        let warnings = WarningLog()
        try write(directory, documents: 600 ..< 601, warnings: warnings)
        XCTAssertEqual(try EmbeddedStore.open(directory).vectors.factory, "HNSW32,SQfp16", "\(warnings.messages)")
    }

    func testAnExplicitFactoryStaysAndAutoCanBeAskedForLater() throws {
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        var options = KorSearch.IndexOptions()
        options.faissFactory = "Flat"
        try write(directory, documents: 0 ..< 600, options: options)
        XCTAssertEqual(try EmbeddedStore.open(directory).vectors.factory, "Flat", "a factory the user chose is kept at any size")
        let rebuilt = try EmbeddedStore.rebuild(directory, factory: "auto")
        XCTAssertEqual(rebuilt.vectors.factory, "HNSW32,SQfp16")
        XCTAssertEqual(try EmbeddedStore.open(directory).factory, "auto")
    }
}
