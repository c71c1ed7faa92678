import Foundation
import KorSearchCore

#if canImport(Glibc)
import Glibc
#endif

/// The embedded store's writer: the index directory under its writer lock (one writer at a time), one SQLite
/// transaction per group of documents, FAISS kept in step in memory and written at the end, the keyword
/// index's changes gathered and merged into its file at the end.
final class EmbeddedWriter: IndexWriting {
    let index: EmbeddedStore
    /// The writer lock, held as long as this writer lives.
    private let lock: WriterLock
    private let warn: (String) -> Void

    init(index: EmbeddedStore, lock: WriterLock, warn: @escaping (String) -> Void) {
        self.index = index
        self.lock = lock
        self.warn = warn
    }

    var meta: IndexMeta { index.meta }
    var concurrentWriters: Bool { false }
    func documents() throws -> [String: StoredDocument] { try index.catalog.documents() }
    func storedDocument(path: String) throws -> StoredDocument? { try index.catalog.documents()[path] }
    func claim(_ path: String) throws -> Bool { true }
    func release(_ paths: [String]) throws {}
    func touch(path: String, modified: Double) throws { try index.catalog.touch(path: path, modified: modified) }
    func setMetadata(_ updates: [String: MetadataUpdate]) throws { try index.catalog.setMetadata(updates) }
    func vectors(forInputs hashes: [String]) throws -> [String: [Float]] {
        try index.catalog.vectors(forInputs: hashes, dimension: index.meta.dimension)
    }
    func counts() throws -> (documents: Int, chunks: Int) { try index.catalog.counts() }
    func replaceFacts(_ facts: [FinancialFact], digest: String) throws { try index.catalog.replaceFacts(facts, digest: digest) }

    func write(updates: [DocumentUpdate], removing: [String]) throws {
        let change = try index.catalog.apply(updates: updates, removing: removing)
        if ProcessInfo.processInfo.environment["KORSEARCH_TEST_CRASH_AFTER_COMMIT"] == "1" {
            // Test hook: die like `kill -9` between the catalog commit and the FAISS write.
            _exit(137)
        }
        try index.applyToVectors(removed: change.removed, added: change.added, warn: warn)
        index.applyToKeywords(change)
    }

    func finish(folder: String, skipped: [SkippedFile], owns: (String) -> Bool) throws {
        let kept = try index.catalog.skipped().filter { !owns($0.path) }
        try index.catalog.setSkipped(kept + skipped.map { ($0.path, $0.reason) })
        try index.catalog.setMeta(IndexMeta.runEntries(folder: folder))
        try index.persist()
    }
}
