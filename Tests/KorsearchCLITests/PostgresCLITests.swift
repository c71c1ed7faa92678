import Foundation
import KorSearch
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore
@testable import KorSearchEmbedded
@testable import KorSearchHub
@testable import KorSearchPostgres

/// The store of a CLI test: a new schema on the tests' PostgreSQL server (`KORSEARCH_TEST_POSTGRES`, set by
/// `Scripts/test`); the test is skipped when there is none.
func testStoreURL(_ label: String) throws -> String {
    guard let url = ProcessInfo.processInfo.environment["KORSEARCH_TEST_POSTGRES"], !url.isEmpty else {
        throw XCTSkip("no PostgreSQL for the store tests: run them with Scripts/test, or set KORSEARCH_TEST_POSTGRES=$(Scripts/postgres start)")
    }
    return url + (url.contains("?") ? "&" : "?") + "schema=cli_\(label)_\(UUID().uuidString.prefix(8).lowercased())"
}

/// Every index command with `--store postgres://...` as real processes: several `korsearch index` workers at
/// once, a worker killed mid-document, and the same answers as an index directory.
final class PostgresCLITests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var model: String { repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// Starts `korsearch ARGUMENTS` without waiting; returns a function that waits and gives its result.
    private func launch(_ arguments: [String], environment: [String: String] = [:]) -> () throws -> KorsearchRun {
        nonisolated(unsafe) var result: Result<KorsearchRun, Error>?
        let thread = Thread { result = Result { try runKorsearch(arguments, environment: environment) } }
        thread.start()
        return {
            while result == nil { Thread.sleep(forTimeInterval: 0.01) }
            return try result!.get()
        }
    }

    func testWorkersAtOnceThenEveryCommandOnTheStore() throws {
        let corpus = try copyOfCorpus()
        let store = try testStoreURL("all")
        // Three workers, two of them splitting the folder and one taking all of it, all at once.
        let runs = [["--shard", "0/2"], ["--shard", "1/2"], []].map {
            launch(["index", corpus.path, "--store", store, "--model", model, "--json", "--quiet"] + $0)
        }
        let summaries = try runs.map { wait -> [String: Any] in
            let run = try wait()
            XCTAssertEqual(run.status, 0, run.stderr)
            return try json(run.stdout)
        }
        let embedded = summaries.map { ($0["added"] as? Int ?? 0) + ($0["updated"] as? Int ?? 0) }.reduce(0, +)
        XCTAssertEqual(embedded, TestCorpus.documents, "each file embedded by one worker: \(summaries)")
        XCTAssertEqual(summaries.map { $0["documents"] as? Int ?? 0 }.max(), TestCorpus.documents)

        let info = try json(try runKorsearch(["info", "--store", store, "--json"]).stdout)
        XCTAssertEqual(info["documents"] as? Int, TestCorpus.documents)
        XCTAssertEqual(info["vectors"] as? Int, info["chunks"] as? Int)
        XCTAssertEqual(info["faiss"] as? String, "pgvector hnsw (vector_ip_ops)")
        let human = try runKorsearch(["info"], environment: ["KORSEARCH_STORE": store])
        XCTAssertEqual(human.status, 0, human.stderr)
        XCTAssertTrue(human.stdout.contains("documents  \(TestCorpus.documents)"), human.stdout)
        XCTAssertFalse(human.stdout.contains("password"))

        // The same answers as an index directory of the same folder.
        let index = corpus.deletingLastPathComponent().appendingPathComponent("index").path
        XCTAssertEqual(try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--quiet"]).status, 0)
        for mode in ["keyword", "vector", "hybrid"] {
            let fromStore = try runKorsearch(["search", "국고채 금리 하락", "--store", store, "--mode", mode, "-k", "5", "--json"])
            let fromDirectory = try runKorsearch(["search", "국고채 금리 하락", "--index", index, "--mode", mode, "-k", "5", "--json"])
            XCTAssertEqual(fromStore.status, 0, fromStore.stderr)
            let a = try XCTUnwrap(try json(fromStore.stdout)["results"] as? [[String: Any]])
            let b = try XCTUnwrap(try json(fromDirectory.stdout)["results"] as? [[String: Any]])
            XCTAssertEqual(a.map { "\($0["path"]!)#\($0["ordinal"]!)" }, b.map { "\($0["path"]!)#\($0["ordinal"]!)" }, mode)
        }
        let eval = try runKorsearch([
            "eval", "--store", store, "--mode", "keyword", "--json",
            "--qrels", repository.appendingPathComponent("Examples/eval/qrels.jsonl").path,
        ])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let recall = ((try json(eval.stdout)["modes"] as? [String: Any])?["keyword"] as? [String: Any])?["recall"] as? Double
        XCTAssertGreaterThan(recall ?? 0, 0.9)

        let removed = try runKorsearch(["remove", "market/household-debt.txt", "--store", store])
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertEqual(try json(try runKorsearch(["info", "--store", store, "--json"]).stdout)["documents"] as? Int, TestCorpus.documents - 1)
        let rebuilt = try runKorsearch(["rebuild", "--store", store])
        XCTAssertEqual(rebuilt.status, 0, rebuilt.stderr)
        XCTAssertTrue(rebuilt.stdout.hasPrefix("rebuilt pgvector HNSW with"), rebuilt.stdout)
        let again = try json(try runKorsearch(["index", corpus.path, "--store", store, "--model", model, "--json", "--quiet"]).stdout)
        XCTAssertEqual(again["added"] as? Int, 1, "the removed file is still in the folder")
    }

    func testKilledWorkerLeavesNoHalfWrittenDocumentAndARerunCompletes() throws {
        let corpus = try copyOfCorpus()
        let store = try testStoreURL("killed")
        // Dies inside its fourth document's transaction, that document's passages written but not committed.
        let crashed = try runKorsearch(
            ["index", corpus.path, "--store", store, "--model", model, "--quiet"],
            environment: ["KORSEARCH_TEST_CRASH_IN_WRITE": "3"])
        XCTAssertEqual(crashed.status, 137, crashed.stderr)
        guard let location = try IndexLocation(index: "", store: store).store as? PostgresLocation else { return XCTFail() }
        let atCrash = try PostgresWriter(store: try PostgresStore.open(location)).documents()
        XCTAssertEqual(atCrash.count, 3, "three documents committed, the fourth rolled back")

        let resumed = try runKorsearch(["index", corpus.path, "--store", store, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let summary = try json(resumed.stdout)
        XCTAssertEqual(
            [summary["added"] as? Int, summary["unchanged"] as? Int, summary["documents"] as? Int],
            [TestCorpus.documents - 3, 3, TestCorpus.documents])
        let final = try PostgresWriter(store: try PostgresStore.open(location)).documents()
        for (path, document) in atCrash {
            XCTAssertEqual(final[path], document, "\(path) was whole when the worker died")
        }
        let info = try json(try runKorsearch(["info", "--store", store, "--json"]).stdout)
        XCTAssertEqual(info["chunks"] as? Int, final.values.map(\.chunkCount).reduce(0, +))
    }

    func testStoreErrors() throws {
        let corpus = repository.appendingPathComponent("Examples/corpus").path
        let cases: [([String], String)] = [
            (
                ["info", "--store", "postgres://korsearch@127.0.0.1:1/postgres"],
                "cannot connect to PostgreSQL at postgres://korsearch@127.0.0.1:1/postgres: connection refused: nothing listens on 127.0.0.1:1 (is PostgreSQL running there?)"
            ),
            (
                ["info", "--store", "postgres://korsearch@no-such-host.invalid:5432/postgres"],
                "cannot connect to PostgreSQL at postgres://korsearch@no-such-host.invalid:5432/postgres: no such host no-such-host.invalid"
            ),
            (["info", "--store", "mysql://a@b/c"], "is not a postgres:// URL"),
            (["info", "--store", "postgres://u:hunter2@127.0.0.1/db?schema=UPPER"], "a schema name is lowercase"),
            (["info", "--index", "/tmp/x", "--store", "postgres://a@b/c"], "not both"),
            (["index", corpus, "--store", "postgres://a@b/c", "--shard", "2/2", "--model", model], "0 <= I < N"),
        ]
        for (arguments, message) in cases {
            let result = try runKorsearch(arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("hunter2"), "no password in messages")
            XCTAssertFalse(result.stderr.contains("Fatal error"))
            if message.hasPrefix("cannot connect") {
                XCTAssertEqual(result.status, 69)
                XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line: \(result.stderr)")
            }
        }
        let store = try testStoreURL("errors")
        let missing = try runKorsearch(["search", "금리", "--store", store])
        XCTAssertEqual(missing.status, 66, "no index there: EX_NOINPUT")
        XCTAssertTrue(missing.stderr.contains("has no KorSearch tables"), missing.stderr)
        let faiss = try runKorsearch(["index", corpus, "--store", store, "--model", model, "--faiss", "HNSW32"])
        XCTAssertTrue(faiss.stderr.contains("--faiss applies to index directories"), faiss.stderr)
    }
}
