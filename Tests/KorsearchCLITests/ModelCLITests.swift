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
}
