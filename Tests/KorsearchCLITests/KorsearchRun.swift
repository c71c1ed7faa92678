import Foundation
@testable import KorDocuments
import XCTest

/// What one run of the built `korsearch` binary printed and how it exited.
struct KorsearchRun {
    let status: Int32
    let stdout: String
    let stderr: String
    /// Standard output split into lines (without the final empty one).
    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
}

/// Runs the built binary as a child process with the given arguments, standard input and extra environment.
func runKorsearch(_ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:]) throws -> KorsearchRun {
    let run = try ProcessRunner.run(Bundle.main.bundleURL.appendingPathComponent("korsearch"), arguments, input: stdin,
                                    environment: environment)
    return KorsearchRun(status: run.status, stdout: String(decoding: run.standardOutput, as: UTF8.self),
                        stderr: String(decoding: run.standardError, as: UTF8.self))
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
