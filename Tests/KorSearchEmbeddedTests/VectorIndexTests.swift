import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import Synchronization
import XCTest

@testable import KorDocuments
@testable import KorSearchCore
@testable import KorSearchEmbedded

/// The FAISS shim against brute-force inner products, and its failure modes.
final class VectorIndexTests: XCTestCase {
    private func randomUnitVectors(_ count: Int, _ dimension: Int, seed: UInt64) -> [Float] {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
        var vectors: [Float] = []
        for _ in 0 ..< count {
            let row = (0 ..< dimension).map { _ in next() }
            let norm = sqrt(row.reduce(0) { $0 + $1 * $1 })
            vectors += row.map { $0 / norm }
        }
        return vectors
    }

    func testFlatSearchEqualsBruteForce() throws {
        let dimension = 32
        let vectors = randomUnitVectors(500, dimension, seed: 7)
        let ids = (0 ..< 500).map { Int64($0 * 3 + 100) }
        let index = try VectorIndex(dimension: dimension)
        try index.add(vectors, ids: ids)
        XCTAssertEqual(index.count, 500)
        let queries = randomUnitVectors(5, dimension, seed: 99)
        for q in 0 ..< 5 {
            let query = Array(queries[q * dimension ..< (q + 1) * dimension])
            let brute = (0 ..< 500).map { row -> (Int64, Float) in
                (ids[row], zip(query, vectors[row * dimension ..< (row + 1) * dimension]).reduce(0) { $0 + $1.0 * $1.1 })
            }.sorted { $0.1 > $1.1 }.prefix(10)
            let found = try index.search(query, k: 10)
            XCTAssertEqual(found.map(\.id), brute.map(\.0))
            for (a, b) in zip(found.map(\.score), brute.map(\.1)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
        XCTAssertEqual(try index.search(Array(queries[0 ..< dimension]), k: 1000).count, 500, "k beyond the count returns all")
    }

    func testWriteReadRemoveAndCorruptFiles() throws {
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("v.faiss")
        let index = try VectorIndex(dimension: 8)
        try index.add(randomUnitVectors(20, 8, seed: 1), ids: (1 ... 20).map(Int64.init))
        XCTAssertEqual(index.remove(ids: [3, 4, 999]), 2)
        try index.write(to: url)
        let loaded = try VectorIndex(contentsOf: url, factory: "Flat")
        XCTAssertEqual(loaded.count, 18)
        XCTAssertFalse(try loaded.search(randomUnitVectors(1, 8, seed: 5), k: 20).contains { $0.id == 3 })
        try Data("garbage".utf8).write(to: url)
        XCTAssertThrowsError(try VectorIndex(contentsOf: url, factory: "Flat")) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .corruptIndex, "\(error)")
        }
        XCTAssertThrowsError(try VectorIndex(contentsOf: folder.appendingPathComponent("none.faiss"), factory: "Flat"))
    }

    func testFactoriesThatTrainOrCannotRemove() throws {
        XCTAssertThrowsError(try VectorIndex(dimension: 8, factory: "NoSuchIndex42")) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .invalidArgument)
            XCTAssertTrue("\(error)".contains("NoSuchIndex42"))
        }
        let quantized = try VectorIndex(dimension: 8, factory: "HNSW16,SQ8")
        XCTAssertFalse(quantized.isGraph, "8-bit codes: FAISS's own HNSW search")
        try quantized.train(randomUnitVectors(50, 8, seed: 2))
        try quantized.add(randomUnitVectors(50, 8, seed: 2), ids: (0 ..< 50).map(Int64.init))
        XCTAssertNil(quantized.remove(ids: [1]), "FAISS's HNSW cannot remove: the caller rebuilds")
        let ivf = try VectorIndex(dimension: 8, factory: "IVF4,Flat")
        XCTAssertFalse(ivf.isTrained)
        let data = randomUnitVectors(400, 8, seed: 3)
        try ivf.train(data)
        try ivf.add(data, ids: (0 ..< 400).map(Int64.init))
        try ivf.setParameter("nprobe", 4)
        let query = Array(data[16 ..< 24])
        XCTAssertEqual(try ivf.search(query, k: 1).first?.id, 2, "with every list probed IVF is exact")
    }

    /// Exact top k by brute force over float16-rounded vectors (what a `SQfp16` graph stores), best first, ties
    /// by id.
    private func exactTop(
        _ query: [Float], _ vectors: [Float], ids: [Int64], dimension: Int, k: Int, keep: (Int64) -> Bool = { _ in true }
    ) -> [(id: Int64, score: Float)] {
        var scored: [(id: Int64, score: Float)] = []
        for row in ids.indices where keep(ids[row]) {
            var dot: Float = 0
            for d in 0 ..< dimension { dot += query[d] * Float(Float16(vectors[row * dimension + d])) }
            scored.append((ids[row], dot))
        }
        return Array(scored.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(k))
    }

    /// Unit vectors around 40 centres (real embeddings cluster, which is what a graph has to cope with).
    private func clusteredVectors(_ count: Int, _ dimension: Int, seed: UInt64) -> [Float] {
        let centres = randomUnitVectors(40, dimension, seed: 1234)
        let noise = randomUnitVectors(count, dimension, seed: seed)
        var vectors: [Float] = []
        for row in 0 ..< count {
            let centre = (row * 7919) % 40
            let point = (0 ..< dimension).map { centres[centre * dimension + $0] + 0.5 * noise[row * dimension + $0] }
            let norm = sqrt(point.reduce(0) { $0 + $1 * $1 })
            vectors += point.map { $0 / norm }
        }
        return vectors
    }

    /// korsearch's own search over FAISS's graph against brute force: the scores of what it finds are the
    /// stored float16 vectors' exactly, its recall@10 is high at the calibrated search list and reaches 1 with a
    /// long one, removed ids are never returned (and stay removed through a write and a read only when marked
    /// again, which the store does from its catalog), an allowed set is honoured, and threads may search at once.
    func testTheGraphAgainstBruteForce() throws {
        let dimension = 48, count = 3000
        let vectors = clusteredVectors(count, dimension, seed: 11)
        let ids = (0 ..< count).map { Int64($0 * 2 + 10) }
        let index = try VectorIndex(dimension: dimension, factory: AutoVectorIndex.graph)
        XCTAssertTrue(index.isGraph)
        XCTAssertTrue(index.isExact, "scores are the stored vectors'")
        try index.add(vectors, ids: ids)
        XCTAssertEqual(index.count, count)
        let (ef, measured) = try index.calibrate(recall: 0.98, samples: 100)
        XCTAssertGreaterThanOrEqual(measured, 0.98, "ef \(ef)")
        XCTAssertEqual(index.efSearch, ef)

        let queries = clusteredVectors(30, dimension, seed: 99)
        var found = 0
        for q in 0 ..< 30 {
            let query = Array(queries[q * dimension ..< (q + 1) * dimension])
            let truth = exactTop(query, vectors, ids: ids, dimension: dimension, k: 10)
            let hits = try index.searchGraph(query, k: 10)
            XCTAssertEqual(hits.count, 10)
            found += Set(hits.map(\.id)).intersection(truth.map(\.id)).count
            let stored = try index.scores(query, ids: hits.map(\.id))
            for (hit, score) in zip(hits, stored) { XCTAssertEqual(hit.score, score!, accuracy: 1e-5) }
            let long = try index.searchGraph(query, k: 10, efSearch: 400)
            XCTAssertEqual(long.map(\.id), truth.map(\.id), "a search list of 400 in 3,000 vectors finds the exact top 10")
            for (a, b) in zip(long, truth) { XCTAssertEqual(a.score, b.score, accuracy: 1e-4) }
            XCTAssertEqual(try index.search(query, k: 10).map(\.id), hits.map(\.id), "the generic search is the graph's")
        }
        XCTAssertGreaterThanOrEqual(Double(found) / 300, 0.95, "recall@10 at the calibrated list")

        // Removal marks: the vectors stay in the graph, never returned.
        let removed = Array(ids[0 ..< 1000])
        XCTAssertEqual(index.remove(ids: removed + [7]), 1000, "an id the index does not hold is not counted")
        XCTAssertEqual(index.remove(ids: [ids[0]]), 0, "removing twice counts once")
        XCTAssertEqual(index.count, 2000)
        XCTAssertEqual(index.removedCount, 1000)
        XCTAssertEqual(Set(index.ids()), Set(ids[1000...]))
        let gone = Set(removed)
        for q in 0 ..< 10 {
            let query = Array(queries[q * dimension ..< (q + 1) * dimension])
            let hits = try index.searchGraph(query, k: 10, efSearch: 400)
            XCTAssertEqual(hits.map(\.id), exactTop(query, vectors, ids: ids, dimension: dimension, k: 10) { !gone.contains($0) }.map(\.id))
            XCTAssertEqual(try index.scores(query, ids: [removed[0], ids[2000]]).map { $0 == nil }, [true, false])
        }
        XCTAssertThrowsError(try index.add(Array(vectors[0 ..< dimension]), ids: [ids[5]]), "a graph cannot hold an id twice")

        // Only allowed ids, even when they are few and far between.
        let allowed = Array(ids[2500 ..< 2520])
        for q in 0 ..< 5 {
            let query = Array(queries[q * dimension ..< (q + 1) * dimension])
            let hits = try index.searchGraph(query, k: 10, efSearch: 64, allowed: allowed + [removed[3]])
            XCTAssertTrue(Set(hits.map(\.id)).isSubset(of: Set(allowed)), "removed ids stay out even when allowed")
        }

        // A write and a read keep the graph and the vectors; the marks are the store's to restore.
        let url = try temporaryFolder().appendingPathComponent("graph.faiss")
        try index.write(to: url)
        let loaded = try VectorIndex(contentsOf: url, factory: AutoVectorIndex.graph)
        XCTAssertTrue(loaded.isGraph)
        XCTAssertEqual(loaded.count, count, "read back, every stored vector counts until marked")
        XCTAssertEqual(loaded.remove(ids: removed), 1000)
        let query = Array(queries[0 ..< dimension])
        XCTAssertEqual(try loaded.searchGraph(query, k: 10, efSearch: 64).map(\.id), try index.searchGraph(query, k: 10, efSearch: 64).map(\.id))

        // Concurrent searches (each thread its own visited table) give each query's own answer.
        let expected = try (0 ..< 30).map { q in try index.searchGraph(Array(queries[q * dimension ..< (q + 1) * dimension]), k: 10).map(\.id) }
        let answers = Mutex([[Int64]](repeating: [], count: 30))
        DispatchQueue.concurrentPerform(iterations: 30) { q in
            let hits = (try? index.searchGraph(Array(queries[q * dimension ..< (q + 1) * dimension]), k: 10).map(\.id)) ?? []
            answers.withLock { $0[q] = hits }
        }
        XCTAssertEqual(answers.withLock { $0 }, expected)
    }
}
