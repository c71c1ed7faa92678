import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorSearchCore
@testable import KorSearchEmbedded

/// The vector index chosen by size (`auto`) and the catalog's float16 vectors, against exact search over the
/// stored vectors. The threshold is lowered for the test (`KORSEARCH_TEST_EXACT_BELOW`) so that a few thousand
/// passages make an inverted file.
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
        XCTAssertEqual(AutoVectorIndex.lists(for: 1_000_000), 4096, "4·√N to the nearest power of two")
        XCTAssertEqual(AutoVectorIndex.lists(for: 100_000), 1024)
        XCTAssertEqual(AutoVectorIndex.lists(for: 4000), 64, "no more lists than 39 training points each allow")
        XCTAssertEqual(AutoVectorIndex.factory(for: 4000), "IVF64,SQ8")
        XCTAssertEqual(AutoVectorIndex.probes(lists: 4096), 16)
        XCTAssertEqual(AutoVectorIndex.probes(lists: 8), 8)
        XCTAssertEqual(AutoVectorIndex.lists(in: "IVF4096,SQ8"), 4096)
        XCTAssertNil(AutoVectorIndex.lists(in: "HNSW32"))
        XCTAssertEqual(AutoVectorIndex.rebuild("Flat", count: 2000), "IVF32,SQ8")
        XCTAssertNil(AutoVectorIndex.rebuild("Flat", count: 1999))
        XCTAssertNil(AutoVectorIndex.rebuild("IVF16,SQ8", count: 1500), "no flip back until below half the threshold")
        XCTAssertEqual(AutoVectorIndex.rebuild("IVF16,SQ8", count: 999), "Flat")
        XCTAssertNil(AutoVectorIndex.rebuild("IVF32,SQ8", count: 4500), "lists 2× off are kept")
        XCTAssertEqual(AutoVectorIndex.rebuild("IVF32,SQ8", count: 40_000), "IVF1024,SQ8", "lists 4× off are trained again")
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

    func testAGrowingIndexBecomesAnInvertedFileWhoseResultsAreExactlyScored() throws {
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        let warnings = WarningLog()
        try write(directory, documents: 0 ..< 300, warnings: warnings)
        XCTAssertEqual(try EmbeddedStore.open(directory).vectors.factory, "Flat", "1,200 passages: exact")
        try write(directory, documents: 300 ..< 1000, warnings: warnings)
        XCTAssertTrue(warnings.messages.contains { $0.contains("building it again as FAISS IVF") }, "\(warnings.messages)")

        let grown = try EmbeddedStore.open(directory)
        XCTAssertEqual(grown.vectors.factory, "IVF32,SQ8", "trained at 2,000 passages; at 4,000 its lists are only 2× off")
        XCTAssertEqual(grown.vectors.count, 4000)
        XCTAssertEqual(try grown.catalog.meta()["faiss_type"], "IVF32,SQ8")
        // Built again at 4,000 passages: 64 lists, of which a query probes 16.
        let index = try EmbeddedStore.rebuild(directory, factory: nil)
        XCTAssertEqual(index.vectors.factory, "IVF64,SQ8")
        let queries = AutoVectorIndexTests.clustered(20, dimension: index.meta.dimension, seed: 777)
        var found = 0
        for query in queries {
            let hits = try index.nearest(query, depth: 10, filters: SearchFilters())
            let truth = try exact(index, query, k: 10)
            found += Set(hits.map(\.id)).intersection(truth.map(\.id)).count
            let stored = try index.catalog.vectors(ids: hits.map(\.id), dimension: index.meta.dimension)
            for hit in hits {
                let dot = zip(stored[hit.id]!, query).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                XCTAssertEqual(hit.score, Double(dot), accuracy: 1e-5, "scores are the stored vectors', not the 8-bit codes'")
            }
            XCTAssertEqual(hits.map(\.score), hits.map(\.score).sorted(by: >))
        }
        XCTAssertGreaterThanOrEqual(Double(found) / 200, 0.95, "recall@10 against exact search")

        // A broad filter is answered from the probed lists; a narrow one whose passages lie outside them gets
        // their exact ranking from the catalog.
        var filteredFound = 0
        for (glob, exactly) in [("d/7*.txt", false), ("d/77.txt", true)] {
            let paths = SearchFilters(pathGlob: glob)
            let allowed = try index.catalog.chunkIds(allowedBy: paths)
            for query in queries.prefix(5) {
                let hits = try index.nearest(query, depth: 10, filters: paths).map(\.id)
                let truth = try exact(index, query, k: 10, allowed: allowed).map(\.id)
                XCTAssertTrue(Set(hits).isSubset(of: allowed), glob)
                if exactly { XCTAssertEqual(hits, truth, glob) } else { filteredFound += Set(hits).intersection(truth).count }
            }
        }
        XCTAssertGreaterThanOrEqual(Double(filteredFound) / 50, 0.9, "recall@10 under a broad filter")

        // Rebuilding from the catalog gives the same index and answers.
        let before = try queries.map { try index.nearest($0, depth: 10, filters: SearchFilters()).map(\.id) }
        let rebuilt = try EmbeddedStore.rebuild(directory, factory: nil)
        XCTAssertEqual(rebuilt.vectors.factory, "IVF64,SQ8")
        XCTAssertEqual(try queries.map { try rebuilt.nearest($0, depth: 10, filters: SearchFilters()).map(\.id) }, before)

        // Shrinking below half the threshold goes back to exact search.
        let removed = try EmbeddedStore.remove(directory, paths: (0 ..< 800).map { "d/\($0).txt" })
        XCTAssertEqual(removed.count, 800)
        let small = try EmbeddedStore.open(directory)
        XCTAssertEqual(small.vectors.factory, "Flat")
        XCTAssertEqual(small.vectors.count, 800)
        for query in queries.prefix(5) {
            XCTAssertEqual(try small.nearest(query, depth: 10, filters: SearchFilters()).map(\.id), try exact(small, query, k: 10).map(\.id))
        }
    }

    func testAnExplicitFactoryStaysAndAutoCanBeAskedForLater() throws {
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        var options = KorSearch.IndexOptions()
        options.faissFactory = "Flat"
        try write(directory, documents: 0 ..< 600, options: options)
        XCTAssertEqual(try EmbeddedStore.open(directory).vectors.factory, "Flat", "a factory the user chose is kept at any size")
        let rebuilt = try EmbeddedStore.rebuild(directory, factory: "auto")
        XCTAssertEqual(rebuilt.vectors.factory, "IVF32,SQ8")
        XCTAssertEqual(try EmbeddedStore.open(directory).factory, "auto")
    }
}
