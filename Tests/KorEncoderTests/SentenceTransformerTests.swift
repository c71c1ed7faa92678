import Foundation
import XCTest

@testable import KorEncoder

/// XLM-RoBERTa models as sentence-transformers publishes them (the stack of bge-m3 and KURE: CLS pooling and
/// Normalize; of multilingual-e5: mean pooling), held to transformers' tokenizer and SentenceTransformer.encode
/// on small random-weight models (Scripts/make_encoder_family_fixtures.py).
final class SentenceTransformerTests: XCTestCase {
    private struct Expected: Decodable {
        let texts: [String]
        let max_length: Int
        let pooling: String
        let normalize: Bool
        let ids: [[Int32]]
        let vectors: [[Float]]
    }

    private func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Fixtures.model(name).appendingPathComponent("expected.json")))
    }

    private func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    func testTheStackIsReadFromTheFolder() throws {
        let cls = try SentenceTransformerStack(directory: Fixtures.model("xlmr-tiny-st-cls"))
        XCTAssertEqual([cls.pooling.rawValue, "\(cls.normalizes)", "\(cls.maxSequenceLength ?? 0)"], ["cls", "true", "64"])
        let mean = try SentenceTransformerStack(directory: Fixtures.model("xlmr-tiny-st-mean"))
        XCTAssertEqual([mean.pooling.rawValue, "\(mean.normalizes)"], ["mean", "false"])
        let bare = try SentenceTransformerStack(directory: Fixtures.model("mdeberta-tiny-safetensors"))
        XCTAssertEqual(bare, SentenceTransformerStack(), "a bare transformer is mean-pooled")
        let config = try DebertaV2Config(contentsOf: Fixtures.model("xlmr-tiny-st-cls").appendingPathComponent("config.json"))
        XCTAssertEqual(config.architecture, .xlmRoberta)
        XCTAssertEqual([config.positionOffset, config.maxSequenceLength ?? 0], [2, 64])
    }

    func testTokenIdsAreTransformersXLMRobertaTokenizers() throws {
        for name in ["xlmr-tiny-st-cls", "xlmr-tiny-st-mean"] {
            let reference = try expected(name)
            let embedder = try Embedder(modelDirectory: Fixtures.model(name))
            XCTAssertEqual(embedder.maxLength, reference.max_length, "max_seq_length and the positions bound the input")
            XCTAssertEqual(try embedder.tokenize(reference.texts), reference.ids, name)
            XCTAssertEqual([embedder.tokenizer.clsId, embedder.tokenizer.padId, embedder.tokenizer.sepId], [0, 1, 2])
        }
    }

    func testVectorsAreSentenceTransformersWithin1e5() throws {
        for name in ["xlmr-tiny-st-cls", "xlmr-tiny-st-mean"] {
            let reference = try expected(name)
            let embedder = try Embedder(modelDirectory: Fixtures.model(name))
            XCTAssertEqual(embedder.pooling.rawValue, reference.pooling)
            let vectors = try embedder.embed(reference.texts, normalize: reference.normalize, batchSize: 3)
            for (index, (got, wanted)) in zip(vectors, reference.vectors).enumerated() {
                XCTAssertEqual(got.vector.count, wanted.count)
                let error = zip(got.vector, wanted).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(error, 1e-5, "\(name) text \(index): largest difference \(error)")
            }
        }
    }

    /// A DeBERTa-v2 model fine-tuned with sentence-transformers: mean pooling, a Dense layer (32 -> 16, tanh) and
    /// Normalize; the vectors have the Dense layer's width.
    func testADenseStackIsSentenceTransformersWithin1e5() throws {
        let name = "mdeberta-tiny-st-dense"
        let reference = try expected(name)
        let embedder = try Embedder(modelDirectory: Fixtures.model(name))
        XCTAssertEqual(embedder.dense.map(\.output), [16])
        XCTAssertEqual(embedder.dimension, 16)
        XCTAssertEqual(try embedder.tokenize(reference.texts), reference.ids)
        let vectors = try embedder.embed(reference.texts, normalize: true, batchSize: 3)
        for (index, (got, wanted)) in zip(vectors, reference.vectors).enumerated() {
            XCTAssertEqual(got.vector.count, 16)
            let error = zip(got.vector, wanted).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(error, 1e-5, "text \(index): largest difference \(error)")
        }
    }

    /// A repository with only `tokenizer.json` (a Unigram model, no sentencepiece.bpe.model): the SentencePiece
    /// model rebuilt from it gives transformers' ids, and the vectors are SentenceTransformer.encode's — except
    /// for text that spells `<s>`/`</s>`, which korsearch reads as text (transformers takes it as the tokens).
    func testAUnigramTokenizerJSONAloneIsTransformersFastTokenizer() throws {
        let name = "xlmr-tiny-st-json"
        let reference = try expected(name)
        let embedder = try Embedder(modelDirectory: Fixtures.model(name))
        guard case .tokenizerJSON = try ModelFiles.tokenizerFile(in: Fixtures.model(name)) else {
            return XCTFail("the folder's tokenizer is its tokenizer.json")
        }
        XCTAssertNotNil(embedder.tokenizer.sentencePiece, "a Unigram tokenizer.json is read as the SentencePiece model it came from")
        XCTAssertEqual(embedder.tokenizer.layout, .sentencePiece)
        XCTAssertEqual([embedder.tokenizer.clsId, embedder.tokenizer.padId, embedder.tokenizer.sepId], [0, 1, 2])
        XCTAssertEqual(embedder.tokenizer.pairLayout, .roberta)
        let ids = try embedder.tokenize(reference.texts)
        let vectors = try embedder.embed(reference.texts, normalize: reference.normalize)
        for (index, text) in reference.texts.enumerated() {
            if text.contains("<s>") {
                XCTAssertFalse(ids[index].dropFirst().dropLast().contains { $0 == 0 || $0 == 2 }, "a document cannot inject control tokens")
                continue
            }
            XCTAssertEqual(ids[index], reference.ids[index], text)
            let error = zip(vectors[index].vector, reference.vectors[index]).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThanOrEqual(error, 1e-5, text)
        }
    }

    func testReducedPrecisionsStayCloseForTheBERTFamily() throws {
        let name = "xlmr-tiny-st-mean"
        let reference = try expected(name)
        // bf16 where this processor runs it (AVX-512); int8 everywhere.
        for (precision, floor) in [(Precision.bf16, 0.9999), (.int8, 0.99)] where precision.isAvailable {
            let embedder = try Embedder(modelDirectory: Fixtures.model(name), precision: precision)
            let vectors = try embedder.embed(reference.texts, normalize: false)
            let worst = zip(vectors, reference.vectors).map { cosine($0.vector, $1) }.min() ?? 0
            XCTAssertGreaterThanOrEqual(worst, floor, "\(precision): min cosine \(worst)")
        }
    }

    func testWhatTheEngineCannotRunIsAClearError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-st-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.model("xlmr-tiny-st-cls"), to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let modules = folder.appendingPathComponent("modules.json")
        let original = try Data(contentsOf: modules)
        func failure(_ body: () throws -> Void) -> String {
            do {
                try body()
                return ""
            } catch {
                return "\(error)"
            }
        }
        // A Dense module after pooling (not yet run).
        try Data(
            String(decoding: original, as: UTF8.self).replacingOccurrences(
                of: "sentence_transformers.models.Normalize", with: "sentence_transformers.models.Dense"
            )
            .utf8
        ).write(to: modules)
        XCTAssertTrue(failure { _ = try Embedder(modelDirectory: folder) }.contains("Dense"))
        try original.write(to: modules)
        // The Pooling configuration as sentence-transformers 5 writes it: one `pooling_mode` by name, the same
        // vectors as the flags give.
        let pooling = folder.appendingPathComponent("1_Pooling/config.json")
        let flags = try Data(contentsOf: pooling)
        let texts = ["한빛전자의 3분기 영업이익", "자기주식 취득 결정"]
        let before = try Embedder(modelDirectory: folder).embed(texts).map(\.vector)
        try Data(#"{"embedding_dimension": 32, "pooling_mode": "cls", "include_prompt": true}"#.utf8).write(to: pooling)
        XCTAssertEqual(try Embedder(modelDirectory: folder).embed(texts).map(\.vector), before)
        try Data(#"{"pooling_mode": ["cls"]}"#.utf8).write(to: pooling)
        XCTAssertEqual(try Embedder(modelDirectory: folder).embed(texts).map(\.vector), before)
        try Data(#"{"pooling_mode": ["cls", "mean"]}"#.utf8).write(to: pooling)
        XCTAssertTrue(failure { _ = try Embedder(modelDirectory: folder) }.contains("exactly one of"))
        try Data(#"{"pooling_mode": "weightedmean"}"#.utf8).write(to: pooling)
        XCTAssertTrue(failure { _ = try Embedder(modelDirectory: folder) }.contains("exactly one of"))
        try Data(#"{"pooling_mode": "sum"}"#.utf8).write(to: pooling)
        XCTAssertTrue(failure { _ = try Embedder(modelDirectory: folder) }.contains("names the pooling mode sum"))
        try flags.write(to: pooling)
        // Two pooling modes at once.
        try Data(#"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": true}"#.utf8).write(to: pooling)
        XCTAssertTrue(failure { _ = try Embedder(modelDirectory: folder) }.contains("exactly one of"))
        // Another architecture.
        let config = folder.appendingPathComponent("config.json")
        try Data(String(decoding: try Data(contentsOf: config), as: UTF8.self).replacingOccurrences(of: "xlm-roberta", with: "gpt2").utf8).write(
            to: config)
        XCTAssertTrue(failure { _ = try Embedder(modelDirectory: folder) }.contains("model_type \"gpt2\" is not one this engine runs"))
        // A longer input than the positions allow.
        XCTAssertTrue(failure { _ = try Embedder(modelDirectory: Fixtures.model("xlmr-tiny-st-cls"), maxLength: 65) }.contains("longest sequence"))
    }
}
