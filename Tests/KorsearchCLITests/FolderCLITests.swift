import Foundation
import KorSearch
import KorSearchTestSupport
import XCTest

@testable import KorDocuments

#if canImport(Glibc)
import Glibc
#endif

/// What `korsearch index` does with the things a real folder holds besides documents: links out of it, the
/// same file twice, names that are not UTF-8, pipes, huge and unsupported files. Every one is listed with its
/// true reason; nothing is read that need not be.
final class FolderCLITests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var model: String { repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path }

    private func skipped(_ stdout: String) throws -> [String: String] {
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], stdout)
        var reasons: [String: String] = [:]
        for item in summary["skipped"] as? [[String: Any]] ?? [] { reasons[item["path"] as! String] = item["reason"] as? String }
        return reasons
    }

    func testLinksOddFilesAndHugeFilesAreSkippedWithTheirReasons() throws {
        let base = try temporaryFolder()
        let folder = base.appendingPathComponent("docs")
        let outside = base.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("한국은행은 기준금리를 동결했다.".utf8).write(to: folder.appendingPathComponent("sub/real.txt"))
        try Data("외부 폴더의 비밀 문서.".utf8).write(to: outside.appendingPathComponent("secret.txt"))
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("passwd.txt").path, withDestinationPath: "/etc/passwd")
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("etc").path, withDestinationPath: "/etc")
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("status.txt").path, withDestinationPath: "/proc/self/status")
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("out").path, withDestinationPath: outside.path)
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("up").path, withDestinationPath: "..")
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("alias.txt").path, withDestinationPath: "sub/real.txt")
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("gone.txt").path, withDestinationPath: "nowhere.txt")
        XCTAssertEqual(mkfifo(folder.appendingPathComponent("pipe.txt").path, 0o644), 0)
        // A name that is not UTF-8.
        let badName: [UInt8] = Array(folder.path.utf8) + Array("/".utf8) + [0xFF, 0x61] + Array(".txt".utf8) + [0]
        let descriptor = badName.withUnsafeBufferPointer {
            open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644)
        }
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        _ = "금리".withCString { Glibc.write(descriptor, $0, strlen($0)) }
        close(descriptor)
        // Sparse files: 3 GiB without using the disk.
        for name in ["huge.txt", "disc.iso"] {
            XCTAssertTrue(fm.createFile(atPath: folder.appendingPathComponent(name).path, contents: nil))
            XCTAssertEqual(truncate(folder.appendingPathComponent(name).path, 3 << 30), 0)
        }

        let index = base.appendingPathComponent("index").path
        let run = try runKorsearch(["index", folder.path, "--index", index, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let reasons = try skipped(run.stdout)
        for link in ["passwd.txt", "etc", "status.txt", "out", "up"] {
            XCTAssertTrue(reasons[link]?.contains("outside the folder; index it with --follow-links") == true, "\(link): \(reasons)")
        }
        XCTAssertEqual(reasons["alias.txt"], "the same file as sub/real.txt, indexed once")
        XCTAssertEqual(reasons["gone.txt"], "a dangling link (its target does not exist)")
        XCTAssertEqual(reasons["pipe.txt"], "not a regular file (a named pipe)")
        XCTAssertEqual(reasons["\u{FFFD}a.txt"], "its name is not valid UTF-8; rename it to index it")
        XCTAssertEqual(reasons["huge.txt"], "larger than 256 MiB, the limit per file (3.0 GiB)")
        XCTAssertEqual(reasons["disc.iso"], "unsupported file type .iso")
        let info = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(try runKorsearch(["info", "--index", index, "--json"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(info["documents"] as? Int, 1, "only sub/real.txt")

        // With --follow-links the outside folder is read too (the links to /etc and /proc are still not text
        // documents, and the file inside stays indexed once).
        let followed = try runKorsearch([
            "index", folder.path, "--index", base.appendingPathComponent("followed").path, "--model", model,
            "--follow-links", "--json", "--quiet",
        ])
        XCTAssertEqual(followed.status, 0, followed.stderr)
        let search = try runKorsearch(["search", "비밀 문서", "--index", base.appendingPathComponent("followed").path, "--mode", "keyword", "--json"])
        XCTAssertTrue(search.stdout.contains("out/secret.txt"), search.stdout)
    }

    /// `--limit NAME=VALUE` sets a reading limit for the run: a CSV wider than the column limit is indexed cut,
    /// listed as `trimmed` (human and JSON output); a file past another limit is skipped naming it; a raised limit
    /// reads it on the next run; a wrong name or value is one clear line and exit 64.
    func testLimitsAreSetOnTheCommandLineAndTrimmedFilesListed() throws {
        let base = try temporaryFolder()
        let folder = base.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("구분,2022,2023,2024\n매출액,100,120,150\n".utf8).write(to: folder.appendingPathComponent("wide.csv"))
        try Data("<table><tr><td><table><tr><td>안쪽 표의 칸</td></tr></table></td></tr></table>".utf8)
            .write(to: folder.appendingPathComponent("nested.html"))
        let index = base.appendingPathComponent("index").path
        let run = try runKorsearch([
            "index", folder.path, "--index", index, "--model", model, "--quiet", "--limit", "table-columns=2", "--limit", "nesting=1",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(
            run.stdout.contains("trimmed nested.html: structure nested deeper than 1 levels was flattened (DocumentLimits.maxNesting)\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("trimmed wide.csv: a row wider than 2 columns was cut (DocumentLimits.maxTableColumns)\n"), run.stdout)
        let search = try runKorsearch(["search", "매출액", "--index", index, "--mode", "keyword", "--json"])
        XCTAssertTrue(search.stdout.contains("매출액 | 100"), search.stdout)
        XCTAssertFalse(search.stdout.contains("| 120"), "the columns past the limit are left out: \(search.stdout)")

        let strict = try runKorsearch([
            "index", folder.path, "--index", base.appendingPathComponent("strict").path, "--model", model, "--quiet", "--json",
            "--limit", "gathered-characters=10",
        ])
        XCTAssertEqual(strict.status, 0, strict.stderr)
        XCTAssertEqual(
            try skipped(strict.stdout)["wide.csv"],
            "it holds more than 10 characters of text (DocumentLimits.maxGatheredCharacters); split the file")

        for (limit, message) in [
            ("cells=3", "--limit takes NAME=VALUE, NAME one of file-bytes, text-characters"),
            ("table-columns=0", "--limit table-columns must be a whole number of at least 1, not 0"),
            ("nesting=2MiB", "--limit nesting is a count, not bytes: 2MiB"),
        ] {
            let wrong = try runKorsearch(["index", folder.path, "--index", index, "--model", model, "--limit", limit])
            XCTAssertEqual(wrong.status, 64, limit)
            XCTAssertTrue(wrong.stderr.contains("Error: \(message)"), wrong.stderr)
        }
    }

    /// A file whose reading kills the process (here a real `kill -9` while it is read) does not stop the runs
    /// after it: the next run skips it, saying why, and indexes everything else; once the file changes it is
    /// read again.
    func testAFileThatKilledTheReaderIsSkippedOnTheNextRun() throws {
        let base = try temporaryFolder()
        let folder = base.appendingPathComponent("docs")
        try write("한국은행은 기준금리를 동결했다.", to: folder, "a.txt")
        try HostileFiles.largeDocx(paragraphs: 150_000, at: folder.appendingPathComponent("m.docx"))
        try write("환율이 올랐다.", to: folder, "z.txt")
        let index = base.appendingPathComponent("index")
        let process = Process()
        process.executableURL = Bundle.main.bundleURL.appendingPathComponent("korsearch")
        process.arguments = ["index", folder.path, "--index", index.path, "--model", model, "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let marker = index.appendingPathComponent("reading-\(process.processIdentifier).json")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, !((try? String(contentsOf: marker, encoding: .utf8))?.contains("m.docx") ?? false) {
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker.path), "the run reached m.docx")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        let next = try runKorsearch(["index", folder.path, "--index", index.path, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertEqual(try skipped(next.stdout), ["m.docx": "crashed the reader in an earlier run (as m.docx); skipped until it changes"])
        let search = try runKorsearch(["search", "환율", "--index", index.path, "--mode", "keyword", "--json"])
        XCTAssertTrue(search.stdout.contains("z.txt"), "the files after it are indexed: \(search.stdout)")

        try FileManager.default.removeItem(at: folder.appendingPathComponent("m.docx"))
        try HostileFiles.largeDocx(paragraphs: 100, at: folder.appendingPathComponent("m.docx"))
        let changed = try runKorsearch(["index", folder.path, "--index", index.path, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(try skipped(changed.stdout), [:], "a changed file is read again")
    }

    /// File names and text with terminal escapes or line breaks are printed escaped in human output (so they
    /// can neither recolour the terminal nor fake a result line); JSON keeps them exact.
    func testControlCharactersInNamesAndTextAreEscapedForTheTerminal() throws {
        let folder = try temporaryFolder().appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let evil = "evil\u{1B}[2J\n 2. 9.9999  fake.txt"
        try Data("자기주식 소각 \u{1B}[31m빨강\u{1B}[0m 결정".utf8).write(to: folder.appendingPathComponent(evil))
        try Data("x".utf8).write(to: folder.appendingPathComponent("bad\u{1B}]0;title\u{07}.xyz"))
        let index = folder.deletingLastPathComponent().appendingPathComponent("index").path
        let indexed = try runKorsearch(["index", folder.path, "--index", index, "--model", model, "--quiet"])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let search = try runKorsearch(["search", "자기주식 소각", "--index", index, "--mode", "keyword"])
        let info = try runKorsearch(["info", "--index", index])
        for output in [indexed.stdout, search.stdout, info.stdout] {
            XCTAssertFalse(output.unicodeScalars.contains("\u{1B}"), output)
            XCTAssertFalse(output.unicodeScalars.contains("\u{07}"), output)
            XCTAssertFalse(output.contains("\n 2. 9.9999"), "no faked result line: \(output)")
        }
        XCTAssertTrue(search.stdout.contains("evil\\u{1B}[2J\\n 2. 9.9999  fake.txt"), search.stdout)
        XCTAssertTrue(indexed.stdout.contains("skipped bad\\u{1B}]0;title\\u{7}.xyz: unsupported file type .xyz"), indexed.stdout)
        let json = try runKorsearch(["search", "자기주식 소각", "--index", index, "--mode", "keyword", "--json"])
        let results = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]]
        XCTAssertEqual(results?.first?["path"] as? String, evil, "JSON stays exact")
    }

    /// A folder the indexing user cannot read is listed with that reason. (As root, which reads everything,
    /// the run is made as `nobody`.)
    func testAnUnreadableFolderIsListed() throws {
        let base = try temporaryFolder()
        XCTAssertEqual(chmod(base.path, 0o777), 0)
        let folder = base.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("closed"), withIntermediateDirectories: true)
        try Data("기준금리 동결".utf8).write(to: folder.appendingPathComponent("open.txt"))
        try Data("비공개".utf8).write(to: folder.appendingPathComponent("closed/secret.txt"))
        XCTAssertEqual(chmod(folder.appendingPathComponent("closed").path, 0o000), 0)
        addTeardownBlock { _ = chmod(folder.appendingPathComponent("closed").path, 0o755) }
        let result = try runKorsearchUnprivileged([
            "index", folder.path, "--index", base.appendingPathComponent("index").path, "--model",
            try ReadableCopies.tinyModel, "--json", "--quiet",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try skipped(result.stdout)["closed/"], "folder cannot be read: Permission denied")
    }
}
