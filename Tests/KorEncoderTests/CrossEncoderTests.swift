import Foundation
import XCTest

@testable import KorEncoder

/// A cross-encoder of the architecture of bge-reranker-v2-m3 (XLMRobertaForSequenceClassification, one label),
/// held to transformers' fast tokenizer and model and to sentence-transformers' CrossEncoder.predict on a small
/// random-weight model (Scripts/make_encoder_family_fixtures.py).
final class CrossEncoderTests: XCTestCase {
    private struct Expected: Decodable {
        let pairs: [[String]]
        let max_length: Int
        let ids: [[Int32]]
        let logits: [Float]
        let scores: [Float]
    }

    private let folder = Fixtures.model("xlmr-tiny-reranker")

    private func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
    }

    func testPairsAreCutLongestFirstAsTransformersCutsThem() throws {
        let reference = try expected()
        let reranker = try CrossEncoder(modelDirectory: folder)
        XCTAssertEqual(reranker.maxLength, reference.max_length)
        for (pair, ids) in zip(reference.pairs, reference.ids) {
            XCTAssertEqual(try reranker.pair(pair[0], pair[1]), ids, "\(pair[0].prefix(20)) / \(pair[1].prefix(20))")
        }
    }

    func testScoresAreCrossEncoderPredictWithin1e5() throws {
        let reference = try expected()
        let reranker = try CrossEncoder(modelDirectory: folder)
        let logits = try reranker.logits(ids: reference.ids, batchSize: 4)
        for (index, (got, wanted)) in zip(logits, reference.logits).enumerated() {
            XCTAssertEqual(got, wanted, accuracy: 1e-5, "logit of pair \(index)")
        }
        for (query, group) in Dictionary(grouping: reference.pairs.indices, by: { reference.pairs[$0][0] }) {
            let scores = try reranker.scores(query: query, passages: group.map { reference.pairs[$0][1] })
            for (score, index) in zip(scores, group) {
                XCTAssertEqual(score, reference.scores[index], accuracy: 1e-5, "score of pair \(index)")
            }
        }
    }

    func testAModelThatIsNotACrossEncoderIsRefusedByName() {
        XCTAssertThrowsError(try CrossEncoder(modelDirectory: Fixtures.model("xlmr-tiny-st-cls"))) { error in
            XCTAssertTrue("\(error)".contains("is not a cross-encoder this engine runs"), "\(error)")
        }
        XCTAssertThrowsError(try CrossEncoder(modelDirectory: Fixtures.model("mdeberta-tiny-safetensors"))) { error in
            XCTAssertTrue("\(error)".contains("not a cross-encoder"), "\(error)")
        }
    }
}
