import Foundation
import XCTest

@testable import KorEncoder

/// The small Korean bi-encoder and reranker trained here (Scripts/train_small_models.py) run as sentence-transformers
/// runs them: vectors within 1e-5 of SentenceTransformer.encode, scores within 1e-5 of CrossEncoder.predict.
final class TrainedModelTests: XCTestCase {
    func testTheBiEncoderIsSentenceTransformers() throws {
        struct Expected: Decodable {
            let texts: [String]
            let vectors: [[Float]]
        }
        let folder = Fixtures.model("ko-small-biencoder")
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        let embedder = try Embedder(modelDirectory: folder)
        XCTAssertEqual([embedder.maxLength, embedder.dimension], [128, 128])
        for (got, wanted) in zip(try embedder.embed(expected.texts), expected.vectors) {
            XCTAssertLessThanOrEqual(zip(got.vector, wanted).map { abs($0 - $1) }.max() ?? 1, 1e-5)
        }
    }

    func testTheRerankerIsCrossEncoderPredict() throws {
        struct Expected: Decodable {
            let pairs: [[String]]
            let scores: [Float]
        }
        let folder = Fixtures.model("ko-small-reranker")
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        let reranker = try CrossEncoder(modelDirectory: folder)
        for (pair, score) in zip(expected.pairs, expected.scores) {
            XCTAssertEqual(try reranker.scores(query: pair[0], passages: [pair[1]])[0], score, accuracy: 1e-5)
        }
    }
}
