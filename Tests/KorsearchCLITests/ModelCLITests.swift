import Foundation
import KorSearchTestSupport
import XCTest

/// `korsearch model fetch`, `model info` and indexing by hub id, as a user runs them, against a loopback server
/// that speaks the Hugging Face hub's protocol.
final class ModelCLITests: XCTestCase {
    private let repository = "lighthouse/tiny-kor-test"
    private let tinyModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models/mdeberta-tiny-safetensors")

    func testModelFetchInfoAndIndexByIdThroughTheCLI() throws {
        let server = try HubTestServer(serving: tinyModel, as: repository)
        addTeardownBlock { server.stop() }
        let cache = try temporaryFolder()
        let environment = ["HF_ENDPOINT": server.endpoint, "HF_HUB_CACHE": cache.path]
        func run(_ arguments: [String], _ extra: [String: String] = [:]) throws -> (Int32, String, String) {
            let run = try runKorsearch(arguments, environment: environment.merging(extra) { $1 })
            return (run.status, run.stdout, run.stderr)
        }
        let fetched = try run(["model", "fetch", repository])
        XCTAssertEqual(fetched.0, 0, fetched.2)
        XCTAssertTrue(fetched.1.contains("snapshots/\(server.commit)"))
        XCTAssertTrue(fetched.2.contains("model.safetensors"), "download progress on stderr: \(fetched.2)")
        XCTAssertNotNil(
            fetched.2.range(of: #"model\.safetensors  100%  \d+\.\d MB  done in \d+\.\d s"#, options: .regularExpression),
            "each file's line ends with its size and time: \(fetched.2)")
        let info = try run(["model", "info", repository, "--json"])
        XCTAssertEqual(info.0, 0, info.2)
        XCTAssertTrue(info.1.contains("\"revision\":\"\(server.commit)\""), info.1)
        // Offline from here on: the cached model indexes by its id.
        let folder = try temporaryFolder()
        try Data("기준금리 동결".utf8).write(to: folder.appendingPathComponent("a.txt"))
        let indexed = try run(
            ["index", folder.path, "--index", folder.appendingPathComponent("idx").path, "--model", repository, "--quiet"],
            ["HF_HUB_OFFLINE": "1"])
        XCTAssertEqual(indexed.0, 0, indexed.2)
        let missing = try run(["model", "info", "nobody/missing"])
        XCTAssertNotEqual(missing.0, 0)
        XCTAssertTrue(missing.2.contains("korsearch model fetch nobody/missing"), missing.2)
    }

    /// A retrieval-trained encoder of another architecture, as a user points korsearch at it: an XLM-RoBERTa
    /// sentence-transformers folder (CLS pooling, Normalize, 64 tokens) embeds as SentenceTransformer.encode does,
    /// indexes with its pooling recorded, and searches; a chunk size beyond what it takes is a clear error.
    func testAnXLMRobertaSentenceTransformerIndexesAndSearches() throws {
        let model = tinyModel.deletingLastPathComponent().appendingPathComponent("xlmr-tiny-st-cls")
        struct Expected: Decodable {
            let texts: [String]
            let vectors: [[Float]]
        }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: model.appendingPathComponent("expected.json")))
        let input = try temporaryFolder().appendingPathComponent("texts.txt")
        try Data(expected.texts[0].utf8).write(to: input)
        // fp32 asked for: the default is bf16 on a processor with native bf16, and this compares to float32.
        let embedded = try runKorsearch(["embed", "--model", model.path, "--input", input.path, "--precision", "fp32"])
        XCTAssertEqual(embedded.status, 0, embedded.stderr)
        struct Line: Decodable { let embedding: [Float] }
        let vector = try JSONDecoder().decode(Line.self, from: Data(embedded.stdout.utf8)).embedding
        XCTAssertEqual(zip(vector, expected.vectors[0]).map { abs($0 - $1) }.max() ?? 1, 0, accuracy: 1e-5)

        let corpus = try temporaryFolder()
        try Data("한빛전자는 자기주식 취득을 결정했다. 취득 예정 금액은 500억원이다.".utf8).write(to: corpus.appendingPathComponent("buyback.txt"))
        try Data("기준금리는 연 3.50%로 동결되었다.".utf8).write(to: corpus.appendingPathComponent("rate.txt"))
        let index = try temporaryFolder().appendingPathComponent("index").path
        let tooLong = try runKorsearch(["index", corpus.path, "--index", index, "--model", model.path])
        XCTAssertEqual(tooLong.status, 64)
        XCTAssertTrue(tooLong.stderr.contains("exceeds the model's maximum length 64"), tooLong.stderr)
        let indexed = try runKorsearch([
            "index", corpus.path, "--index", index, "--model", model.path, "--chunk-tokens", "64", "--chunk-overlap", "8",
        ])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        XCTAssertTrue(try runKorsearch(["info", "--index", index]).stdout.contains("cls pooling"))
        let search = try runKorsearch(["search", "자기주식 취득", "--index", index, "--json", "-k", "1"])
        XCTAssertEqual(search.status, 0, search.stderr)
        XCTAssertTrue(search.stdout.contains("\"path\":\"buyback.txt\""), search.stdout)
    }

    /// A BERT encoder with a WordPiece `tokenizer.json` and e5's prompts, as a user points korsearch at it: `embed
    /// --prompt-name query` is SentenceTransformer.encode(prompt_name="query"); the index records the prompts,
    /// passages are embedded after the passage prompt (their model inputs start with its tokens) and queries after
    /// the query prompt; `info` shows both.
    func testAWordPieceEncoderWithPromptsIndexesAndSearches() throws {
        let model = tinyModel.deletingLastPathComponent().appendingPathComponent("bert-tiny-st-prompts")
        struct Expected: Decodable {
            let texts: [String]
            let vectors_query: [[Float]]
        }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: model.appendingPathComponent("expected.json")))
        let input = try temporaryFolder().appendingPathComponent("texts.txt")
        try Data(expected.texts[0].utf8).write(to: input)
        let embedded = try runKorsearch(["embed", "--model", model.path, "--input", input.path, "--prompt-name", "query", "--precision", "fp32"])
        XCTAssertEqual(embedded.status, 0, embedded.stderr)
        struct Line: Decodable { let embedding: [Float] }
        let vector = try JSONDecoder().decode(Line.self, from: Data(embedded.stdout.utf8)).embedding
        XCTAssertEqual(zip(vector, expected.vectors_query[0]).map { abs($0 - $1) }.max() ?? 1, 0, accuracy: 1e-5)
        let badRole = try runKorsearch(["embed", "--model", model.path, "--input", input.path, "--prompt-name", "question"])
        XCTAssertEqual(badRole.status, 64, badRole.stderr)

        let corpus = try temporaryFolder()
        try Data("한빛전자는 자기주식 취득을 결정했다. 취득 예정 금액은 500억원이다.".utf8).write(to: corpus.appendingPathComponent("buyback.txt"))
        try Data("기준금리는 연 3.50%로 동결되었다.".utf8).write(to: corpus.appendingPathComponent("rate.txt"))
        let index = try temporaryFolder().appendingPathComponent("index").path
        let indexed = try runKorsearch([
            "index", corpus.path, "--index", index, "--model", model.path, "--chunk-tokens", "64", "--chunk-overlap", "8",
        ])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let info = try runKorsearch(["info", "--index", index, "--json"])
        XCTAssertTrue(info.stdout.contains(#""query_prompt":"query: ""#) && info.stdout.contains(#""passage_prompt":"passage: ""#), info.stdout)
        XCTAssertTrue(try runKorsearch(["info", "--index", index]).stdout.contains(#"prompts    query "query: ", passage "passage: ""#))
        let search = try runKorsearch(["search", "자기주식 취득 결정", "--index", index, "--json", "-k", "2", "--mode", "vector"])
        XCTAssertEqual(search.status, 0, search.stderr)
        XCTAssertTrue(search.stdout.contains("\"path\":\"buyback.txt\""), search.stdout)
    }

    /// `korsearch rerank` scores passages for a query as CrossEncoder.predict does, one JSON line per request; a
    /// line that is not a request is a data error naming it.
    func testRerankScoresPassagesWithoutAnIndex() throws {
        let model = tinyModel.deletingLastPathComponent().appendingPathComponent("bert-tiny-reranker")
        struct Expected: Decodable {
            let pairs: [[String]]
            let scores: [Float]
        }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: model.appendingPathComponent("expected.json")))
        let input = try temporaryFolder().appendingPathComponent("requests.jsonl")
        let requests = expected.pairs.map { pair in
            String(decoding: try! JSONSerialization.data(withJSONObject: ["query": pair[0], "passages": [pair[1]]]), as: UTF8.self)
        }
        try Data(requests.joined(separator: "\n").utf8).write(to: input)
        let run = try runKorsearch(["rerank", "--model", model.path, "--input", input.path, "--precision", "fp32"])
        XCTAssertEqual(run.status, 0, run.stderr)
        struct Line: Decodable { let scores: [Float] }
        let lines = try run.stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        XCTAssertEqual(lines.count, expected.scores.count)
        for (line, score) in zip(lines, expected.scores) { XCTAssertEqual(line.scores[0], score, accuracy: 1e-5) }
        try Data("{\"query\": \"기준금리\"}".utf8).write(to: input)
        let bad = try runKorsearch(["rerank", "--model", model.path, "--input", input.path])
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.contains("input line 1 is not"), bad.stderr)
    }

    /// A reranker as the index's default: `index --rerank MODEL` checks and records it; searches use it unless
    /// told `--no-rerank`; `--rerank none` removes it; a model that is not a cross-encoder is refused before
    /// anything is indexed.
    func testAnIndexsDefaultReranker() throws {
        let models = tinyModel.deletingLastPathComponent()
        let reranker = models.appendingPathComponent("xlmr-tiny-reranker").path
        let corpus = try temporaryFolder()
        try Data("한빛전자는 자기주식 취득을 결정했다. 취득 예정 금액은 500억원이다.".utf8).write(to: corpus.appendingPathComponent("buyback.txt"))
        try Data("기준금리는 연 3.50%로 동결되었다.".utf8).write(to: corpus.appendingPathComponent("rate.txt"))
        let index = try temporaryFolder().appendingPathComponent("index").path
        let refused = try runKorsearch(["index", corpus.path, "--index", index, "--model", tinyModel.path, "--rerank", tinyModel.path])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("not a cross-encoder"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: index + "/catalog.sqlite"), "nothing indexed")

        let indexed = try runKorsearch(["index", corpus.path, "--index", index, "--model", tinyModel.path, "--rerank", reranker])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        XCTAssertTrue(try runKorsearch(["info", "--index", index]).stdout.contains("reranker   \(reranker)"))
        func answer(_ extra: [String]) throws -> [String: Any] {
            let run = try runKorsearch(["search", "자기주식", "--index", index, "--json"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        }
        XCTAssertEqual(try answer([])["reranker"] as? String, reranker, "the index's default")
        XCTAssertTrue(try answer(["--no-rerank"])["reranker"] is NSNull)
        let both = try runKorsearch(["search", "자기주식", "--index", index, "--rerank", reranker, "--no-rerank"])
        XCTAssertEqual(both.status, 64)
        let cleared = try runKorsearch(["index", corpus.path, "--index", index, "--rerank", "none"])
        XCTAssertEqual(cleared.status, 0, cleared.stderr)
        XCTAssertTrue(try answer([])["reranker"] is NSNull)
    }
}
