import Foundation
import XCTest

/// Where the repository's test inputs are.
public enum TestPaths {
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let fixtures = repository.appendingPathComponent("Tests/Fixtures")
    public static let tinyModel = fixtures.appendingPathComponent("models/mdeberta-tiny-safetensors")
    public static let otherModel = fixtures.appendingPathComponent("models/log-buckets-pytorch")
    public static let corpus = repository.appendingPathComponent("Examples/corpus")
    /// Real documents from other projects' public test suites (`KORSEARCH_REALDOCS`, else `../shared/realdocs`
    /// beside the repository), or nil where this machine has none: tests over them skip, saying so.
    public static var realDocuments: URL? {
        let url =
            ProcessInfo.processInfo.environment["KORSEARCH_REALDOCS"].map { URL(fileURLWithPath: $0) }
            ?? repository.deletingLastPathComponent().appendingPathComponent("shared/realdocs")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}

extension XCTestCase {
    /// A fresh temporary folder, removed when the test ends.
    public func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Writes a UTF-8 text file, creating folders.
    @discardableResult
    public func write(_ text: String, to folder: URL, _ path: String) throws -> URL {
        let url = folder.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// A copy of the example corpus that a test may change.
    public func copyOfCorpus() throws -> URL {
        let target = try temporaryFolder().appendingPathComponent("corpus")
        try FileManager.default.copyItem(at: TestPaths.corpus, to: target)
        return target
    }
}
