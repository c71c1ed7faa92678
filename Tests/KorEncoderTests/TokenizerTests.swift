import KorEncoder
import XCTest

/// Token ids against SentencePiece's own (Python sentencepiece, the model's normalizer), DeBERTa-wrapped.
final class TokenizerTests: XCTestCase {
    func testIdsEqualSentencePieceForKoreanEdgeCases() throws {
        let tokenizer = try TextTokenizer(directory: Fixtures.model("mdeberta-tiny-safetensors"))
        let cases = try Fixtures.tokenizerCases()
        XCTAssertGreaterThan(cases.count, 10)
        for item in cases {
            let ids = try tokenizer.encode(item.text, maxLength: item.max_length ?? 512)
            XCTAssertEqual(ids, item.ids, "text: \(item.text.prefix(40))")
        }
    }

    func testLongTextIsCutTo512KeepingSep() throws {
        let tokenizer = try TextTokenizer(directory: Fixtures.model("mdeberta-tiny-safetensors"))
        let long = try XCTUnwrap(Fixtures.tokenizerCases().first { $0.ids.count == 512 })
        let ids = try tokenizer.encode(long.text)
        XCTAssertEqual(ids.count, 512)
        XCTAssertEqual(ids.first, 1)
        XCTAssertEqual(ids.last, 2)
        XCTAssertGreaterThan(try tokenizer.sentencePiece!.encode(long.text).count, 510)
    }

    func testEmptyTextIsClsSep() throws {
        let tokenizer = try TextTokenizer(directory: Fixtures.model("log-buckets-pytorch"))
        XCTAssertEqual(try tokenizer.encode(""), [1, 2])
    }

    func testSpecialTokensDefaultWithoutConfigFiles() throws {
        // The bare SentencePiece folder has no tokenizer_config.json: DeBERTa's defaults apply.
        let tokenizer = try TextTokenizer(directory: Fixtures.root.appendingPathComponent("spm"))
        XCTAssertEqual([tokenizer.clsId, tokenizer.sepId, tokenizer.padId], [1, 2, 0])
    }

    func testSpecialTokensComeFromTokenizerConfig() throws {
        let folder = try Fixtures.copyOfModel("log-buckets-pytorch", in: self)
        // Swap the roles of [CLS] and [SEP] in the config: the ids must follow the file.
        let config = """
            {"cls_token": "[SEP]", "sep_token": {"content": "[CLS]"}, "pad_token": "[PAD]"}
            """
        try config.write(to: folder.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        let tokenizer = try TextTokenizer(directory: folder)
        XCTAssertEqual(try tokenizer.encode(""), [2, 1])
    }

    func testUnknownSpecialTokenIsAClearError() throws {
        let folder = try Fixtures.copyOfModel("log-buckets-pytorch", in: self)
        try #"{"cls_token": "<s>"}"#.write(to: folder.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TextTokenizer(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("cls token <s>"), "\(error)")
        }
    }

    func testMissingOrCorruptTokenizerModel() throws {
        let folder = try Fixtures.temporaryFolder(self)
        XCTAssertThrowsError(try TextTokenizer(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("no spm.model"), "\(error)")
        }
        try Data("not a model".utf8).write(to: folder.appendingPathComponent("spm.model"))
        XCTAssertThrowsError(try TextTokenizer(directory: folder)) { error in
            XCTAssertEqual((error as? EncoderError)?.kind, .tokenizer)
        }
    }

    func testMaxLengthBelowTwoIsRejected() throws {
        let tokenizer = try TextTokenizer(directory: Fixtures.model("log-buckets-pytorch"))
        XCTAssertThrowsError(try tokenizer.encode("금리", maxLength: 1))
        XCTAssertEqual(try tokenizer.encode("금리 인상", maxLength: 2), [1, 2])
    }
}
