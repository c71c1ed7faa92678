import Foundation
import XCTest

@testable import KorDocuments

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
        self.init(
            status: run.status, stdout: String(decoding: run.standardOutput, as: UTF8.self),
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
    KorsearchRun(
        try ProcessRunner.run(
            Bundle.main.bundleURL.appendingPathComponent("korsearch"), arguments, input: stdin,
            environment: environment))
}

/// Copies of the built binary and the tiny test model in a folder everyone may read, made once per test run:
/// a clone of the repository may sit where `nobody` cannot reach (a private home, a 0700 temporary folder).
enum ReadableCopies {
    nonisolated(unsafe) private static var folder: URL?
    private static let lock = NSLock()

    /// The copy of a file or folder (made on first use).
    static func of(_ url: URL) throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if folder == nil {
            let made = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-readable-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: made, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            folder = made
            atexit { ReadableCopies.removeAll() }
        }
        let copy = folder!.appendingPathComponent(url.lastPathComponent)
        let manager = FileManager.default
        if !manager.fileExists(atPath: copy.path) {
            // Links are copied as what they point to (the test model's spm.model is a link into Fixtures).
            var isFolder: ObjCBool = false
            if manager.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
                try manager.createDirectory(at: copy, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
                for name in try manager.contentsOfDirectory(atPath: url.path) {
                    try manager.copyItem(at: url.appendingPathComponent(name).resolvingSymlinksInPath(), to: copy.appendingPathComponent(name))
                }
            } else {
                try manager.copyItem(at: url.resolvingSymlinksInPath(), to: copy)
            }
        }
        return copy
    }

    /// Removes the copies (when the test process exits).
    static func removeAll() {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// The tiny test model, readable by everyone.
    static var tinyModel: String {
        get throws {
            let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            return try of(repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors")).path
        }
    }
}

/// Runs the built binary as a user without privileges: as `nobody` through runuser (from a copy everyone may
/// run) when the tests run as root, who may read and write anything, so that permissions test something; else
/// as this user. Give it files it reads from `ReadableCopies`.
func runKorsearchUnprivileged(_ arguments: [String]) throws -> KorsearchRun {
    guard getuid() == 0 else { return try runKorsearch(arguments) }
    let binary = try ReadableCopies.of(Bundle.main.bundleURL.appendingPathComponent("korsearch")).path
    return KorsearchRun(
        try ProcessRunner.run(
            URL(fileURLWithPath: "/usr/sbin/runuser"), ["-u", "nobody", "--", binary] + arguments,
            environment: ["HOME": "/tmp"]))
}

/// What a server test's "another process re-indexes" step does: adds `market/stablecoin.txt` to the corpus and
/// runs `korsearch index` over it, as a separate process.
func addStablecoinFilingInAnotherProcess(corpus: URL, index: String, model: String) throws -> KorsearchRun {
    try Data("스테이블코인 규제 동향: 발행사는 준비자산을 100% 보유해야 한다.".utf8).write(to: corpus.appendingPathComponent("market/stablecoin.txt"))
    return try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--quiet"])
}

/// Whether `condition` holds within 10 seconds, asked every half second (a server notices a changed index
/// within its check interval).
func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
    for _ in 0 ..< 20 {
        Thread.sleep(forTimeInterval: 0.5)
        if try condition() { return true }
    }
    return false
}
