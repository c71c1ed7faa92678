import KorDocuments

/// An indexing run's hold on a store: what the indexer reads and writes, whichever store it is. A store
/// implements it; the indexer, tests and benchmarks write through it.
package protocol IndexWriting: AnyObject {
    /// The index's meta.
    var meta: IndexMeta { get }
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
    /// The stored vectors of passages whose encoder input has these hashes (`Chunk.inputHash`), one per hash
    /// found: what embedding the same input again would give, since an index holds one model at one precision.
    func vectors(forInputs hashes: [String]) throws -> [String: [Float]]
    /// Replaces the metadata of stored documents (a manifest changed; nothing is re-embedded).
    func setMetadata(_ updates: [String: MetadataUpdate]) throws
    /// Replaces the documents of `updates` and removes those at `removing`; each document's replacement is
    /// atomic (all its passages or none).
    func write(updates: [DocumentUpdate], removing: [String]) throws
    /// Ends a run: records the skipped files of the paths `owns` accepts (replacing that part of the list),
    /// the folder and the time.
    func finish(folder: String, skipped: [SkippedFile], owns: (String) -> Bool) throws
    /// Counts of documents and chunks.
    func counts() throws -> (documents: Int, chunks: Int)
    /// Replaces every financial fact with `facts` and records `digest` (the SHA-256 of the file they were read
    /// from, `FinancialFacts.digestKey` in the meta; empty when there is none), in one transaction.
    func replaceFacts(_ facts: [FinancialFact], digest: String) throws
}
