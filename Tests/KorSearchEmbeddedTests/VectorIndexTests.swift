import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
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
        let hnsw = try VectorIndex(dimension: 8, factory: "HNSW16")
        try hnsw.add(randomUnitVectors(50, 8, seed: 2), ids: (0 ..< 50).map(Int64.init))
        XCTAssertNil(hnsw.remove(ids: [1]), "HNSW cannot remove: the caller rebuilds")
        let ivf = try VectorIndex(dimension: 8, factory: "IVF4,Flat")
        XCTAssertFalse(ivf.isTrained)
        let data = randomUnitVectors(400, 8, seed: 3)
        try ivf.train(data)
        try ivf.add(data, ids: (0 ..< 400).map(Int64.init))
        try ivf.setParameter("nprobe", 4)
        let query = Array(data[16 ..< 24])
        XCTAssertEqual(try ivf.search(query, k: 1).first?.id, 2, "with every list probed IVF is exact")
    }
}
