import Foundation
import KorSearchCore
import KorSearchTestSupport
import XCTest

/// `.korsearchignore` read as git reads a `.gitignore`: the same patterns over the same files, checked against
/// `git check-ignore` itself.
final class IgnoreRulesTests: XCTestCase {
    private let patterns = """
        # drafts and scratch
        *.tmp
        drafts/
        /build
        reports/**/초안*
        !reports/2024/초안-최종.pdf
        **/secret/*.txt
        data/[0-9][0-9].csv
        memo?.md
        !keep.tmp
        a/**/z.txt
        trailing-space.txt   
        \\#hash.txt
        """

    private let paths = [
        "x.tmp", "sub/y.tmp", "keep.tmp", "sub/keep.tmp", "drafts/a.txt", "sub/drafts/b.txt", "drafts.txt", "build/out.txt",
        "sub/build/out.txt", "build", "reports/2024/초안-1.pdf", "reports/2024/초안-최종.pdf", "reports/초안.pdf", "reports/2024/q3/초안.hwp",
        "초안.pdf", "secret/a.txt", "x/secret/a.txt", "x/secret/a.pdf", "data/12.csv", "data/123.csv", "data/ab.csv", "memo1.md",
        "memo12.md", "sub/memo2.md", "a/z.txt", "a/b/c/z.txt", "b/a/z.txt", "trailing-space.txt", "#hash.txt", "공시/한빛전자.pdf",
    ]

    func testTheSameFilesAsGitCheckIgnore() throws {
        guard let git = ["/usr/bin/git", "/usr/local/bin/git"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("git is not installed")
        }
        let folder = try temporaryFolder()
        try Data(patterns.utf8).write(to: folder.appendingPathComponent(".gitignore"))
        for path in paths where path != "build" {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: url)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: git)
        process.arguments = ["-C", folder.path, "-c", "core.quotePath=false", "check-ignore", "--no-index", "--stdin"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        // git needs a repository around the folder to read its .gitignore: make one.
        let initialize = Process()
        initialize.executableURL = URL(fileURLWithPath: git)
        initialize.arguments = ["init", "-q", folder.path]
        try initialize.run()
        initialize.waitUntilExit()
        process.environment = ["GIT_CONFIG_NOSYSTEM": "1", "HOME": folder.path]
        try process.run()
        let files = paths.filter { $0 != "build" }
        try input.fileHandleForWriting.write(contentsOf: Data((files.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let ignoredByGit = Set(
            String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init))
        process.waitUntilExit()
        XCTAssertFalse(ignoredByGit.isEmpty, "git answered")

        let rules = try IgnoreRules(parsing: patterns)
        for path in files {
            XCTAssertEqual(rules.ignores(path), ignoredByGit.contains(path), "\(path): git says \(ignoredByGit.contains(path) ? "ignored" : "kept")")
        }
    }

    func testAPatternThatCannotBeReadIsNamedByItsLine() {
        XCTAssertThrowsError(try IgnoreRules(parsing: "*.tmp\n[abc\n")) { error in
            XCTAssertTrue("\(error)".contains("line 2: cannot read the pattern \"[abc\""), "\(error)")
        }
        XCTAssertTrue(IgnoreRules().isEmpty)
        XCTAssertFalse(IgnoreRules().ignores("a.txt"))
    }
}
