import Foundation
import KorSearch
import XCTest

@testable import KorDocuments

/// What a user types and what they get back: the version, one exit-code convention, the usage of the
/// command at fault, the default index said out loud, paths and types checked.
final class ConventionsCLITests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var model: String { repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path }
    /// Another model of the same shape, which did not build the test indexes.
    private var otherModel: String { repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-bf16-safetensors").path }
    private var binary: String { Bundle.main.bundleURL.appendingPathComponent("korsearch").path }

    /// Runs a shell line in `folder` (for a current folder of its own, or arguments that are not UTF-8).
    private func shell(_ line: String, in folder: URL) throws -> KorsearchRun {
        KorsearchRun(
            try ProcessRunner.run(
                URL(fileURLWithPath: "/bin/sh"), ["-c", "cd \"$0\" && " + line, folder.path],
                environment: ["KORSEARCH": binary, "MODEL": model]))
    }

    /// Every exit code of CommandLine.md's table, each caused as a user would (130 for Ctrl-C: ProgressTests).
    func testVersionAndExitCodes() throws {
        let version = try runKorsearch(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.stdout, KorSearchVersion.current + "\n")

        let folder = try temporaryFolder()
        try Data("한국은행은 기준금리를 동결했다.".utf8).write(to: folder.appendingPathComponent("a.txt"))
        let index = folder.appendingPathComponent("index").path
        XCTAssertEqual(try runKorsearch(["index", folder.path, "--index", index, "--model", model, "--quiet"]).status, 0)
        let qrels = folder.appendingPathComponent("q.jsonl")
        let cases: [([String], Int32, String)] = [
            (
                ["index", folder.path, "--index", folder.appendingPathComponent("i2").path, "--model", model, "--chunk-tokens", "0"], 64,
                "--chunk-tokens must be at least 8"
            ),
            (["search", "금리", "--index", index, "-k", "0"], 64, "Usage: korsearch search"),
            (["search", "금리", "--index", index, "-k", "101"], 64, "-k must be between 1 and 100"),
            (
                ["search", "금리", "--index", index, "--type", "xls"], 64,
                "--type xls is not a type korsearch reads; one of txt, md, html, pdf, docx, hwpx"
            ),
            (["search", "금리", "--index", folder.appendingPathComponent("none").path], 66, "no index at"),
            (
                ["remove", "b.txt", "./a.txt", "--index", index], 1,
                "not in the index (paths are relative to the indexed folder, as `korsearch search` prints them): b.txt"
            ),
            (["remove", "b.txt", "--index", index], 66, "not in the index"),
            (["search", "금리", "--index", index, "--model", "/nonexistent/model"], 66, "model /nonexistent/model is neither a folder"),
            (["search", "금리", "--index", index, "--model", otherModel], 65, "was built by model"),
            (["info", "--store", "postgres://korsearch@127.0.0.1:1/postgres"], 69, "cannot connect to PostgreSQL"),
            (
                ["index", folder.path, "--index", "/dev/null/index", "--model", model], 74,
                "cannot create the index directory /dev/null/index: Not a directory"
            ),
            (["eval", "--index", index, "--qrels", qrels.path, "--mode", "keyword"], 64, "is not UTF-8 text"),
            (["embed", "--model", model, "--frobnicate"], 64, "Usage: korsearch embed"),
        ]
        try Data([0x7B, 0xFF, 0xFE, 0x7D]).write(to: qrels)
        for (arguments, status, message) in cases {
            let result = try runKorsearch(arguments)
            XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        // 75: another writer holds the index's lock (util-linux's flock, as a second process would hold it).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["--no-fork", index + "/write.lock", "sleep", "30"]
        try holder.run()
        XCTAssertTrue(
            eventually {
                (try? runKorsearch(["index", folder.path, "--index", index, "--quiet"]))?.stderr.contains("is being written by process") == true
            })
        let locked = try runKorsearch(["index", folder.path, "--index", index, "--quiet"])
        XCTAssertEqual(locked.status, 75, locked.stderr)
        holder.terminate()
        holder.waitUntilExit()
        // The remove above removed a.txt (given as ./a.txt); --type is case-insensitive.
        XCTAssertEqual(try runKorsearch(["info", "--index", index, "--json"]).stdout.contains("\"documents\":0"), true)
        XCTAssertEqual(try runKorsearch(["search", "금리", "--index", index, "--type", "TXT", "--mode", "keyword"]).status, 0)
        // A qrels file that judges no indexed document is an error, not a silent 0.000.
        XCTAssertEqual(try runKorsearch(["index", folder.path, "--index", index, "--quiet"]).status, 0)
        try Data(#"{"query": "금리", "relevant": ["elsewhere/x.txt"]}"#.utf8).write(to: qrels)
        let none = try runKorsearch(["eval", "--index", index, "--qrels", qrels.path, "--mode", "keyword"])
        XCTAssertEqual(none.status, 64, none.stderr)
        XCTAssertTrue(none.stderr.contains("none of the 1 documents the qrels judge relevant is in the index"), none.stderr)
        // A query that is not UTF-8.
        let bad = try shell("\"$KORSEARCH\" search \"$(printf '\\377\\376')\" --index index --mode keyword", in: folder)
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("the query is not valid UTF-8"), bad.stderr)
    }

    /// Without --index the index is Indexes/default under the current folder, and the commands say so; a
    /// relative --model is recorded as an absolute path, so the index works from any folder.
    func testTheDefaultIndexAndARelativeModelPath() throws {
        let work = try temporaryFolder()
        try FileManager.default.createDirectory(at: work.appendingPathComponent("docs"), withIntermediateDirectories: true)
        try Data("원/달러 환율은 1,385.6원에 마감했다.".utf8).write(to: work.appendingPathComponent("docs/a.txt"))
        let missing = try shell("\"$KORSEARCH\" search 환율", in: work)
        XCTAssertEqual(missing.status, 66)
        XCTAssertTrue(missing.stderr.contains("the default (Indexes/default under the current folder)"), missing.stderr)
        try FileManager.default.createSymbolicLink(at: work.appendingPathComponent("model"), withDestinationURL: URL(fileURLWithPath: model))
        let indexed = try shell("\"$KORSEARCH\" index docs --model model --quiet", in: work)
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        XCTAssertTrue(indexed.stderr.contains("Indexes/default (the default; name another with --index DIR or --store URL)"), indexed.stderr)
        let info = try runKorsearch(["info", "--index", work.appendingPathComponent("Indexes/default").path, "--json"])
        let recorded = (try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])?["model"] as? String
        XCTAssertEqual(recorded, work.appendingPathComponent("model").path, "the model folder, absolute")
        let elsewhere = try runKorsearch(["search", "환율", "--index", work.appendingPathComponent("Indexes/default").path, "--mode", "vector"])
        XCTAssertEqual(elsewhere.status, 0, elsewhere.stderr)
        // $KORSEARCH_INDEX names the index from anywhere; with $KORSEARCH_STORE too it is ambiguous.
        let named = try runKorsearch(
            ["search", "환율", "--mode", "keyword"], environment: ["KORSEARCH_INDEX": work.appendingPathComponent("Indexes/default").path])
        XCTAssertEqual(named.status, 0, named.stderr)
        XCTAssertTrue(named.stdout.contains("a.txt"), named.stdout)
        let both = try runKorsearch(
            ["search", "환율", "--mode", "keyword"], environment: ["KORSEARCH_INDEX": "x", "KORSEARCH_STORE": "postgres://a@b/c"])
        XCTAssertEqual(both.status, 64, both.stderr)
        XCTAssertTrue(both.stderr.contains("KORSEARCH_INDEX and KORSEARCH_STORE are both set"), both.stderr)
    }
}
