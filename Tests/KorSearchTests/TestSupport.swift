import Foundation
import KorSearch
@testable import KorDocuments
@testable import KorSearchCore
@testable import KorSearchEmbedded
@testable import KorSearchHub
@testable import KorSearchPostgres
import XCTest

enum TestPaths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repository.appendingPathComponent("Tests/Fixtures")
    static let tinyModel = fixtures.appendingPathComponent("models/mdeberta-tiny-safetensors")
    static let otherModel = fixtures.appendingPathComponent("models/log-buckets-pytorch")
    static let corpus = repository.appendingPathComponent("Examples/corpus")
}

extension XCTestCase {
    /// A fresh temporary folder, removed when the test ends.
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Writes a UTF-8 text file, creating folders.
    @discardableResult
    func write(_ text: String, to folder: URL, _ path: String) throws -> URL {
        let url = folder.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// A copy of the example corpus that a test may change.
    func copyOfCorpus() throws -> URL {
        let target = try temporaryFolder().appendingPathComponent("corpus")
        try FileManager.default.copyItem(at: TestPaths.corpus, to: target)
        return target
    }

    /// Copies fixture files into a new folder, indexes it with the tiny model at `chunkTokens` (no overlap)
    /// and returns the index directory and a keyword searcher over it.
    func indexedCopies(of files: [URL], chunkTokens: Int) throws -> (directory: IndexDirectory, searcher: Searcher) {
        let work = try temporaryFolder()
        for file in files { try FileManager.default.copyItem(at: file, to: work.appendingPathComponent(file.lastPathComponent)) }
        let directory = IndexDirectory(try temporaryFolder().appendingPathComponent("index"))
        let model = try tinyModel
        var options = KorSearchCore.IndexOptions()
        options.chunking = ChunkingOptions(chunkTokens: chunkTokens, overlapTokens: 0)
        try Indexer(directory: directory, embedder: model.embedder, model: model.identity, options: options).index(folder: work)
        return (directory, try Searcher(index: try DocumentIndex.open(directory), embedder: nil, model: nil))
    }

    /// The tiny test model, loaded once per process.
    var tinyModel: (embedder: Embedder, identity: ModelIdentity) {
        get throws { try SharedModels.tiny() }
    }
}

enum SharedModels {
    nonisolated(unsafe) private static var cached: (embedder: Embedder, identity: ModelIdentity)?
    private static let lock = NSLock()

    static func tiny() throws -> (embedder: Embedder, identity: ModelIdentity) {
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
enum TestPostgres {
    static var url: String? {
        ProcessInfo.processInfo.environment["KORSEARCH_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A store in a new schema, or nil when no server is configured.
    static func freshLocation(_ label: String) throws -> IndexLocation? {
        guard let url else { return nil }
        let schema = "t_\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        return try IndexLocation(index: "", store: url + (url.contains("?") ? "&" : "?") + "schema=\(schema)")
    }

    /// A store in a new schema; skips the test when no server is configured.
    static func requireLocation(_ label: String) throws -> IndexLocation {
        guard let location = try freshLocation(label) else {
            throw XCTSkip("no PostgreSQL for the store tests: run them with Scripts/test, or set KORSEARCH_TEST_POSTGRES=$(Scripts/postgres start)")
        }
        return location
    }
}
