import Foundation
@testable import KorDocuments
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// What one run of the built `korsearch` binary printed and how it exited.
struct KorsearchRun {
    let status: Int32
    let stdout: String
    let stderr: String
    /// What a `ProcessRunner` run printed, as text.
    init(_ run: ProcessRunner.Result) {
        self.init(status: run.status, stdout: String(decoding: run.standardOutput, as: UTF8.self),
                  stderr: String(decoding: run.standardError, as: UTF8.self))
    }

    init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Standard output split into lines (without the final empty one).
    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
}

/// Runs the built binary as a child process with the given arguments, standard input and extra environment.
func runKorsearch(_ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:]) throws -> KorsearchRun {
    KorsearchRun(try ProcessRunner.run(Bundle.main.bundleURL.appendingPathComponent("korsearch"), arguments, input: stdin,
                                       environment: environment))
}

/// Runs the built binary as a user without privileges: as `nobody` through runuser when the tests run as root
/// (who may read and write anything, so permissions would test nothing), else as this user. Skips the test
/// when `nobody` cannot reach the binary or `paths` from here.
func runKorsearchUnprivileged(_ arguments: [String], reading paths: [String]) throws -> KorsearchRun {
    guard getuid() == 0 else { return try runKorsearch(arguments) }
    let runuser = URL(fileURLWithPath: "/usr/sbin/runuser")
    let binary = Bundle.main.bundleURL.appendingPathComponent("korsearch").path
    let checks = paths.flatMap { ["-r", $0, "-a"] } + ["-x", binary]
    if try ProcessRunner.run(runuser, ["-u", "nobody", "--", "test"] + checks).status != 0 {
        throw XCTSkip("user nobody cannot reach the built binary or \(paths) from here")
    }
    return KorsearchRun(try ProcessRunner.run(runuser, ["-u", "nobody", "--", binary] + arguments, environment: ["HOME": "/tmp"]))
}

extension XCTestCase {
    /// A fresh temporary folder, removed when the test ends.
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
