import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An indexing run's hold on a store: what the indexer reads and writes, whichever store it is.
/// Package-internal: the indexer, tests and benchmarks write through it.
package protocol IndexWriting: AnyObject {
    /// The index's meta.
    var meta: [String: String] { get }
    /// Whether other processes may write at the same time (then the indexer claims each file before
    /// embedding it and re-reads what is stored once it holds the claim).
    var concurrentWriters: Bool { get }
    /// Every stored document, by path.
    func documents() throws -> [String: StoredDocument]
    /// The stored document at a path, read now.
    func storedDocument(path: String) throws -> StoredDocument?
    /// Claims a path for this run until `release`; false when another writer holds it.
    func claim(_ path: String) throws -> Bool
    /// Releases claims.
    func release(_ paths: [String]) throws
    /// Records that a file's modification time changed while its content did not.
    func touch(path: String, modified: Double) throws
    /// Replaces the documents of `updates` and removes those at `removing`; each document's replacement is
    /// atomic (all its passages or none).
    func write(updates: [DocumentUpdate], removing: [String]) throws
    /// Ends a run: records the skipped files of the paths `owns` accepts (replacing that part of the list),
    /// the folder and the time.
    func finish(folder: String, skipped: [SkippedFile], owns: (String) -> Bool) throws
    /// Counts of documents and chunks.
    func counts() throws -> (documents: Int, chunks: Int)
}

/// The embedded store's writer: the index directory under its writer lock (one writer at a time), one SQLite
/// transaction per group of documents, FAISS kept in step in memory and written at the end.
final class EmbeddedWriter: IndexWriting {
    let index: DocumentIndex
    /// The writer lock, held as long as this writer lives.
    private let lock: WriterLock

    init(index: DocumentIndex, lock: WriterLock) {
        self.index = index
        self.lock = lock
    }

    var meta: [String: String] { index.meta }
    var concurrentWriters: Bool { false }
    func documents() throws -> [String: StoredDocument] { try index.catalog.documents() }
    func storedDocument(path: String) throws -> StoredDocument? { try index.catalog.documents()[path] }
    func claim(_ path: String) throws -> Bool { true }
    func release(_ paths: [String]) throws {}
    func touch(path: String, modified: Double) throws { try index.catalog.touch(path: path, modified: modified) }
    func counts() throws -> (documents: Int, chunks: Int) { try index.catalog.counts() }

    func write(updates: [DocumentUpdate], removing: [String]) throws {
        let change = try index.catalog.apply(updates: updates, removing: removing)
        if ProcessInfo.processInfo.environment["KORSEARCH_TEST_CRASH_AFTER_COMMIT"] == "1" {
            // Test hook: die like `kill -9` between the catalog commit and the FAISS write.
            _exit(137)
        }
        try index.applyToVectors(removed: change.removed, added: change.added)
    }

    func finish(folder: String, skipped: [SkippedFile], owns: (String) -> Bool) throws {
        let kept = try index.catalog.skipped().filter { !owns($0.path) }
        try index.catalog.setSkipped(kept + skipped.map { ($0.path, $0.reason) })
        try index.catalog.setMeta(["indexed_folder": folder, "last_indexed_at": ISO8601DateFormatter().string(from: Date())])
        try index.persistVectors()
    }
}
