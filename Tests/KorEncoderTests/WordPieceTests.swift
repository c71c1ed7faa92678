import Foundation
import XCTest

@testable import KorEncoder

/// WordPiece encoders as they are published: ko-sroberta's shape (RoBERTa under BERT's cased tokenizer,
/// `vocab.txt`, mean pooling) and KoSimCSE / e5's (BERT, a lowercasing `tokenizer.json`, mean pooling, Normalize,
/// `query: ` / `passage: ` prompts), held to transformers' fast tokenizer and SentenceTransformer.encode on small
/// random-weight models (Scripts/make_encoder_family_fixtures.py). The texts carry ㈜, ①, full-width letters,
/// Hanja, accents, a zero-width space, a control character and a word longer than 100 characters.
final class WordPieceTests: XCTestCase {
    private struct Expected: Decodable {
        let texts: [String]
        let max_length: Int
        let normalize: Bool
        let prompts: [String: String]
        let ids: [[Int32]]?
        let vectors: [[Float]]?
        let ids_query: [[Int32]]?
        let vectors_query: [[Float]]?
        let ids_passage: [[Int32]]?
        let vectors_passage: [[Float]]?
    }

    private func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Fixtures.model(name).appendingPathComponent("expected.json")))
    }

    private func assertClose(_ got: [Embedding], _ wanted: [[Float]], _ label: String) {
        XCTAssertEqual(got.count, wanted.count)
        for (index, (embedding, vector)) in zip(got, wanted).enumerated() {
            let error = zip(embedding.vector, vector).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThanOrEqual(error, 1e-5, "\(label) text \(index): largest difference \(error)")
        }
    }

    func testACasedVocabularyIsTransformersBertTokenizerAndKeepsHangulWhole() throws {
        let reference = try expected("roberta-tiny-wordpiece-st")
        let embedder = try Embedder(modelDirectory: Fixtures.model("roberta-tiny-wordpiece-st"))
        XCTAssertEqual(embedder.tokenizer.layout, .wordPiece)
        XCTAssertEqual(embedder.tokenizer.wordPiece?.normalization.stripAccents, false, "do_lower_case false: no NFD")
        XCTAssertEqual([embedder.tokenizer.clsId, embedder.tokenizer.padId, embedder.tokenizer.sepId], [0, 1, 2], "KLUE's ids")
        XCTAssertEqual(embedder.model.config.architecture, .roberta)
        XCTAssertEqual(try embedder.tokenize(reference.texts), reference.ids)
        assertClose(try embedder.embed(reference.texts, normalize: reference.normalize, batchSize: 3), reference.vectors ?? [], "roberta")
    }

    func testALowercasingTokenizerJSONAndPromptsAreSentenceTransformers() throws {
        let reference = try expected("bert-tiny-st-prompts")
        let embedder = try Embedder(modelDirectory: Fixtures.model("bert-tiny-st-prompts"))
        XCTAssertEqual(embedder.tokenizer.wordPiece?.normalization, WordPieceModel.Normalization(lowercase: true))
        XCTAssertEqual(embedder.prompts, Embedder.Prompts(query: "query: ", passage: "passage: "))
        XCTAssertEqual(reference.prompts, ["query": "query: ", "passage": "passage: "])
        XCTAssertEqual(try embedder.tokenize(reference.texts, prompt: embedder.prompts.query), reference.ids_query)
        XCTAssertEqual(try embedder.tokenize(reference.texts, prompt: embedder.prompts.passage), reference.ids_passage)
        assertClose(
            try embedder.embed(reference.texts, prompt: embedder.prompts.query, normalize: reference.normalize, batchSize: 3),
            reference.vectors_query ?? [],
            "query")
        assertClose(
            try embedder.embed(reference.texts, prompt: embedder.prompts.passage, normalize: reference.normalize, batchSize: 3),
            reference.vectors_passage ?? [], "passage")
    }

    /// Every piece covers the text it came from: a cased piece spells its span (without `##`), a lowercased one
    /// lies inside its span lowercased and decomposed (a piece can end inside a syllable's jamo).
    func testSpansCoverTheTextEachPieceCameFrom() throws {
        let texts = try expected("roberta-tiny-wordpiece-st").texts
        for name in ["roberta-tiny-wordpiece-st", "bert-tiny-st-prompts"] {
            let tokenizer = try Embedder(modelDirectory: Fixtures.model(name)).tokenizer
            let model = try XCTUnwrap(tokenizer.wordPiece)
            var vocabulary: [Int32: String] = [:]
            let url = Fixtures.model(name).appendingPathComponent(name.hasPrefix("roberta") ? "vocab.txt" : "tokenizer.json")
            if name.hasPrefix("roberta") {
                for (index, line) in try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n").enumerated() {
                    vocabulary[Int32(index)] = line
                }
            } else {
                let json = try XCTUnwrap(JSONValue.parse(Data(contentsOf: url))?.objectValue?["model"]?.objectValue?["vocab"]?.objectValue)
                for (piece, id) in json { vocabulary[Int32(id.intValue!)] = piece }
            }
            for text in texts {
                let scalars = Array(text.unicodeScalars)
                for piece in try tokenizer.piecesWithSpans(text) where piece.id != model.unknownId {
                    var spelled = String(String.UnicodeScalarView(scalars[piece.span]))
                    if model.normalization.lowercase { spelled = spelled.decomposedStringWithCanonicalMapping.lowercased() }
                    let kept = Array(spelled.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark && $0.value != 0x200B })
                    let word = Array(vocabulary[piece.id]!.replacingOccurrences(of: "##", with: "").unicodeScalars)
                    if model.normalization.stripAccents {
                        // A piece can end inside a syllable's jamo: its span is the syllables it touches.
                        let inside = (0 ... max(0, kept.count - word.count)).contains { Array(kept[$0 ..< min(kept.count, $0 + word.count)]) == word }
                        XCTAssertTrue(inside, "\(name): \(text.prefix(30))")
                    } else {
                        XCTAssertEqual(kept, word, "\(name): \(text.prefix(30))")
                    }
                }
            }
        }
    }

    func testNormalizationEdges() throws {
        let vocabulary: [String: Int32] = ["[UNK]": 0, "한빛": 1, "##전자": 2, "cafe": 3, "(": 4, "주": 5, ")": 6, "株": 7, "a": 8, "##b": 9]
        let cased = try WordPieceModel(vocabulary: vocabulary, normalization: .init(lowercase: false))
        XCTAssertEqual(cased.encode("한빛전자 (주)株式"), [1, 2, 4, 5, 6, 7, 0], "punctuation and each Hanja are words of their own")
        XCTAssertEqual(cased.encode("한빛\u{200B}전자\u{0007}"), [1, 2], "format and control characters are dropped, not split at")
        XCTAssertEqual(cased.encode("Café"), [0], "cased: the accent stays, the word is unknown")
        XCTAssertEqual(cased.encode("ab" + String(repeating: "b", count: 99)), [0], "a word over 100 characters is unknown")
        XCTAssertEqual(cased.encode("abx"), [0], "a part nothing matches makes the whole word unknown")
        let lowered = try WordPieceModel(vocabulary: vocabulary, normalization: .init(lowercase: true))
        XCTAssertEqual(lowered.encode("CAFÉ"), [3], "lowercased and accent-stripped")
        XCTAssertEqual(lowered.encode("한빛"), [0], "NFD turns the syllables into jamo, which this vocabulary lacks")
        XCTAssertThrowsError(try WordPieceModel(vocabulary: ["a": 0], normalization: .init(lowercase: false))) { error in
            XCTAssertTrue("\(error)".contains("no unknown token [UNK]"), "\(error)")
        }
    }

    func testATokenizerJSONOfAnotherKindIsRefusedByName() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-wp-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.model("bert-tiny-st-prompts"), to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("tokenizer.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        try text.replacingOccurrences(of: "\"BertPreTokenizer\"", with: "\"Metaspace\"").write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TextTokenizer(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("pre-tokenizer Metaspace is not one this engine runs"), "\(error)")
        }
        try text.replacingOccurrences(of: "\"WordPiece\"", with: "\"BPE\"").write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TextTokenizer(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("is a BPE tokenizer"), "\(error)")
        }
    }

    func testReducedPrecisionsStayCloseForWordPieceModels() throws {
        let reference = try expected("roberta-tiny-wordpiece-st")
        // bf16 where this processor runs it (AVX-512); int8 everywhere.
        for (precision, floor) in [(Precision.bf16, 0.9999), (.int8, 0.99)] where precision.isAvailable {
            let embedder = try Embedder(modelDirectory: Fixtures.model("roberta-tiny-wordpiece-st"), precision: precision)
            let vectors = try embedder.embed(reference.texts, normalize: false)
            for (got, wanted) in zip(vectors, reference.vectors ?? []) {
                var dot = 0.0, a = 0.0, b = 0.0
                for (x, y) in zip(got.vector, wanted) {
                    dot += Double(x * y)
                    a += Double(x * x)
                    b += Double(y * y)
                }
                XCTAssertGreaterThanOrEqual(dot / (a * b).squareRoot(), floor, "\(precision)")
            }
        }
    }
}
