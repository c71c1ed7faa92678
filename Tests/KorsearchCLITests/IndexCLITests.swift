import Foundation
import XCTest

/// `korsearch index`, `info`, `remove`, `rebuild` as real processes on the example corpus.
final class IndexCLITests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var model: String { repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path }

    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func copyOfCorpus() throws -> URL {
        let target = try temporaryFolder().appendingPathComponent("corpus")
        try FileManager.default.copyItem(at: repository.appendingPathComponent("Examples/corpus"), to: target)
        return target
    }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testIndexInfoRemoveRebuild() throws {
        let corpus = try copyOfCorpus()
        let index = try temporaryFolder().appendingPathComponent("index").path
        let first = try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--json"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let summary = try json(first.stdout)
        XCTAssertEqual(summary["added"] as? Int, 17)
        XCTAssertEqual((summary["skipped"] as? [Any])?.count, 0)
        XCTAssertTrue(first.stderr.contains("indexing:"), "progress lines on stderr when not a terminal")

        let quiet = try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(quiet.stderr, "")
        XCTAssertEqual(try json(quiet.stdout)["unchanged"] as? Int, 17)

        let info = try json(try runKorsearch(["info", "--index", index, "--json"]).stdout)
        XCTAssertEqual(info["documents"] as? Int, 17)
        XCTAssertEqual(info["vectors"] as? Int, info["chunks"] as? Int)
        XCTAssertEqual(info["faiss"] as? String, "Flat")
        XCTAssertEqual(info["dimension"] as? Int, 32)

        let removed = try runKorsearch(["remove", "market/household-debt.txt", "--index", index])
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertEqual(try json(try runKorsearch(["info", "--index", index, "--json"]).stdout)["documents"] as? Int, 16)

        let rebuilt = try runKorsearch(["rebuild", "--index", index, "--faiss", "HNSW32"])
        XCTAssertEqual(rebuilt.status, 0, rebuilt.stderr)
        let after = try json(try runKorsearch(["info", "--index", index, "--json"]).stdout)
        XCTAssertEqual(after["faiss"] as? String, "HNSW32")
        XCTAssertEqual(after["vectors"] as? Int, after["chunks"] as? Int)

        let again = try json(try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--json"]).stdout)
        XCTAssertEqual(again["added"] as? Int, 1, "the removed file is still in the folder")
    }

    func testKilledWriterLeavesAnIndexTheNextRunCompletes() throws {
        let corpus = try copyOfCorpus()
        let index = try temporaryFolder().appendingPathComponent("index").path
        // Dies right after its first catalog commit, before FAISS is written (like kill -9 at that moment).
        let crashed = try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--quiet"],
                                       environment: ["KORSEARCH_TEST_CRASH_AFTER_COMMIT": "1"])
        XCTAssertEqual(crashed.status, 137)
        let info = try runKorsearch(["info", "--index", index, "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stderr.contains("rebuilding it"), info.stderr)
        let partial = try json(info.stdout)
        XCTAssertEqual(partial["vectors"] as? Int, partial["chunks"] as? Int)

        let resumed = try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let summary = try json(resumed.stdout)
        XCTAssertEqual(summary["documents"] as? Int, 17)
        let final = try json(try runKorsearch(["info", "--index", index, "--json"]).stdout)
        XCTAssertEqual(final["documents"] as? Int, 17)
        XCTAssertEqual(final["vectors"] as? Int, final["chunks"] as? Int)
    }

    func testIndexErrors() throws {
        let index = try temporaryFolder().appendingPathComponent("index").path
        let cases: [([String], String)] = [
            (["index", "/nonexistent/folder", "--index", index, "--model", model], "does not exist"),
            (["index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", model, "--faiss", "Bogus99"], "FAISS cannot build"),
            (["index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", model, "--chunk-tokens", "900"], "exceeds the model's maximum length"),
            (["index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", "nobody/nothing"], "not in the Hugging Face cache"),
            (["index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", "not a model"], "neither a folder nor a hub id"),
            (["info", "--index", "/nonexistent/index"], "no index at"),
            (["rebuild", "--index", "/nonexistent/index"], "no index at"),
        ]
        for (arguments, message) in cases {
            let result = try runKorsearch(arguments, environment: ["HF_HUB_CACHE": "/nonexistent/cache", "HF_HUB_OFFLINE": "1"])
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("Fatal error"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/nonexistent/index"))
        // The failed runs above left nothing that stops a correct one.
        let good = try runKorsearch(["index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", model, "--quiet"])
        XCTAssertEqual(good.status, 0, good.stderr)
    }
}
