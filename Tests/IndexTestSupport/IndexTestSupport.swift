import Foundation
import KorSearch
import KorSearchTestSupport
import XCTest

extension XCTestCase {
    /// Copies fixture files into a new folder, indexes it with the tiny model at `chunkTokens` (no overlap)
    /// and returns the index directory and a keyword searcher over it.
    public func indexedCopies(of files: [URL], chunkTokens: Int) throws -> (directory: EmbeddedLocation, searcher: Searcher) {
        let work = try temporaryFolder()
        for file in files { try FileManager.default.copyItem(at: file, to: work.appendingPathComponent(file.lastPathComponent)) }
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        let model = try tinyModel
        var options = KorSearchCore.IndexOptions()
        options.chunking = ChunkingOptions(chunkTokens: chunkTokens, overlapTokens: 0)
        try Indexer(directory: directory, embedder: model.embedder, model: model.identity, options: options).index(folder: work)
        return (directory, try Searcher(index: try EmbeddedStore.open(directory), embedder: nil, model: nil))
    }

    /// The tiny test model as applications load it (`ModelLocator`), loaded once per process.
    public var tinyModel: (embedder: Embedder, identity: ModelIdentity) {
        get throws { try SharedModels.tiny() }
    }
}

/// Models loaded once per test process.
public enum SharedModels {
    nonisolated(unsafe) private static var cached: (embedder: Embedder, identity: ModelIdentity)?
    private static let lock = NSLock()

    /// The tiny test model.
    public static func tiny() throws -> (embedder: Embedder, identity: ModelIdentity) {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        let loaded = try ModelLocator.load(TestPaths.tinyModel.path)
        cached = loaded
        return loaded
    }
}

/// The PostgreSQL server of the store tests: `KORSEARCH_TEST_POSTGRES` (set by `Scripts/test`, which starts
/// one with `Scripts/postgres start`). Each test gets a schema of its own.
public enum TestPostgres {
    public static var url: String? {
        ProcessInfo.processInfo.environment["KORSEARCH_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A store in a new schema, or nil when no server is configured.
    public static func freshLocation(_ label: String) throws -> IndexLocation? {
        guard let url else { return nil }
        let schema = "t_\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        return try IndexLocation(index: "", store: url + (url.contains("?") ? "&" : "?") + "schema=\(schema)")
    }

    /// A store in a new schema; skips the test when no server is configured.
    public static func requireLocation(_ label: String) throws -> IndexLocation {
        guard let location = try freshLocation(label) else {
            throw XCTSkip("no PostgreSQL for the store tests: run them with Scripts/test, or set KORSEARCH_TEST_POSTGRES=$(Scripts/postgres start)")
        }
        return location
    }
}

/// Warnings collected from any thread.
public final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    public init() {}
    public func add(_ message: String) { lock.lock(); stored.append(message); lock.unlock() }
    public var messages: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}
