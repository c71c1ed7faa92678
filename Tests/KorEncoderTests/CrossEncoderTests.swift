import Foundation
import XCTest

@testable import KorEncoder

/// Cross-encoders of the architectures rerankers are published in — XLMRobertaForSequenceClassification (bge-
/// reranker-v2-m3), BertForSequenceClassification (WordPiece, the passage token type 1) and
/// DebertaV2ForSequenceClassification (GELU pooler), one label — held to transformers' fast tokenizer and model and
/// to sentence-transformers' CrossEncoder.predict on small random-weight models
/// (Scripts/make_encoder_family_fixtures.py).
final class CrossEncoderTests: XCTestCase {
    private struct Expected: Decodable {
        let pairs: [[String]]
        let max_length: Int
        let ids: [[Int32]]
        let token_type_ids: [[Int32]]?
        let logits: [Float]
        let scores: [Float]
    }

    private let rerankers = ["xlmr-tiny-reranker", "bert-tiny-reranker", "deberta-tiny-reranker"]

    private func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Fixtures.model(name).appendingPathComponent("expected.json")))
    }

    func testPairsAreCutLongestFirstAsTransformersCutsThem() throws {
        for name in rerankers {
            let reference = try expected(name)
            let reranker = try CrossEncoder(modelDirectory: Fixtures.model(name))
            XCTAssertEqual(reranker.maxLength, reference.max_length, name)
            for (index, (pair, ids)) in zip(reference.pairs, reference.ids).enumerated() {
                let encoded = try reranker.pair(pair[0], pair[1])
                XCTAssertEqual(encoded.ids, ids, "\(name): \(pair[0].prefix(20)) / \(pair[1].prefix(20))")
                if let types = reference.token_type_ids?[index], let second = types.firstIndex(of: 1) {
                    XCTAssertEqual(encoded.secondStart, second, "\(name): the passage's first token of type 1, pair \(index)")
                }
            }
        }
    }

    func testScoresAreCrossEncoderPredictWithin1e5() throws {
        for name in rerankers {
            let reference = try expected(name)
            let reranker = try CrossEncoder(modelDirectory: Fixtures.model(name))
            let logits = try reranker.logits(pairs: reference.pairs.map { try reranker.pair($0[0], $0[1]) }, batchSize: 4)
            for (index, (got, wanted)) in zip(logits, reference.logits).enumerated() {
                XCTAssertEqual(got, wanted, accuracy: 1e-5, "\(name): logit of pair \(index)")
            }
            for (query, group) in Dictionary(grouping: reference.pairs.indices, by: { reference.pairs[$0][0] }) {
                let scores = try reranker.scores(query: query, passages: group.map { reference.pairs[$0][1] })
                for (score, index) in zip(scores, group) {
                    XCTAssertEqual(score, reference.scores[index], accuracy: 1e-5, "\(name): score of pair \(index)")
                }
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
