import Foundation
import KorSearch
import XCTest

@testable import KorSearchServer

/// Queries and bulk embeddings share the embedder fairly: bulk requests are cut into passes of at most
/// `maxBatch` texts, and a query goes before every bulk text still waiting.
final class BatcherTests: XCTestCase {
    func testAQueryWaitsForAtMostOneBulkPass() async throws {
        let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/mdeberta-tiny-safetensors")
        let embedder = try Embedder(modelDirectory: model)
        let batcher = EmbeddingBatcher(embedder: embedder, window: 0, maxBatch: 8)
        defer { batcher.stop() }
        let text = String(repeating: "한국은행은 기준금리를 동결했다. ", count: 6)
        let bulk = try embedder.tokenize(Array(repeating: text, count: 120))
        let query = try embedder.tokenize(["기준금리 동결"])
        let expected = try embedder.embed(ids: query, normalize: true)[0].vector

        let jobs = (0 ..< 3).map { _ in Task { try await batcher.embed(ids: bulk) } }
        while batcher.batches == 0 { try await Task.sleep(nanoseconds: 1_000_000) }
        let submitted = batcher.batches
        let answer = try await batcher.embed(ids: query, priority: .query)
        let waited = batcher.batches - submitted
        XCTAssertLessThanOrEqual(waited, 2, "the pass under way, then the query's own")
        // The same embedding as alone (to the last bits: oneDNN's blocking may differ with the threads it has).
        XCTAssertLessThan(zip(answer[0].vector, expected).map { abs($0 - $1) }.max() ?? 1, 1e-5, "the same embedding as alone")
        for job in jobs {
            let embeddings = try await job.value
            XCTAssertEqual(embeddings.count, 120)
        }
        XCTAssertGreaterThanOrEqual(batcher.batches, 3 * 120 / 8, "bulk requests went in passes of at most 8")
    }
}
