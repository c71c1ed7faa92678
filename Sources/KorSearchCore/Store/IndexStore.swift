import Foundation

/// What a store implements to hold indexes: each store target (the embedded index directory, PostgreSQL)
/// has a location type conforming to this protocol, and everything that opens, creates, removes from or
/// rebuilds an index goes through it, so nothing outside the stores switches on which store it is.
public protocol IndexStoreLocation: Sendable, CustomStringConvertible {
    /// Opens an existing index for searching. `warn` hears about repairs (a stale vector index rebuilt).
    func open(warn: (String) -> Void) throws -> any IndexStore
    /// The meta of an existing index, without opening its vector index; `.indexNotFound` when there is none.
    func meta() throws -> IndexMeta
    /// Removes documents by their paths relative to the indexed folder; returns the paths that were in the index.
    func remove(paths: [String], warn: (String) -> Void) throws -> [String]
    /// Rebuilds the vector index from the stored vectors without re-embedding, optionally of another kind
    /// (`vectorIndex`: a FAISS factory string for an index directory); returns what was built.
    func rebuild(vectorIndex: String?, warn: (String) -> Void) throws -> String
    /// Records entries in an existing index's meta (search settings such as `vector_weight`), leaving the rest.
    func setMeta(_ entries: [String: String]) throws
    /// Where a fresh index would go, for hints in messages ("directory", "schema (...)").
    var newIndexHint: String { get }
    /// A folder the indexer must not index when it lies inside the indexed folder (the index itself).
    var ownFolder: URL? { get }
}

/// What a store implements to be written by the indexer: the store SPI, with `IndexWriting`. It is `package`:
/// a store is a target of this package (one target per store), and applications write through `Indexer`.
package protocol IndexStoreWriting: IndexStoreLocation {
    /// Opens the index for an indexing run, creating it with `meta` when there is none yet. The caller
    /// checks the model and settings against the returned writer's meta.
    func openForWriting(creating meta: IndexMeta, options: IndexOptions, warn: @escaping (String) -> Void) throws -> any IndexWriting
}

/// Where an index lives: an index directory (SQLite + FAISS files, the embedded default) or a PostgreSQL
/// database with pgvector (shared by many machines), or any other store's location.
public struct IndexLocation: Sendable, CustomStringConvertible {
    /// The store's own location, which opens, creates, removes from and rebuilds the index.
    public let store: any IndexStoreLocation

    /// The location of an index in a store.
    public init(_ store: any IndexStoreLocation) {
        self.store = store
    }

    /// A path or a URL (without its password) for messages.
    public var description: String { store.description }

    /// Where a fresh index would go, for hints in messages.
    var newHint: String { store.newIndexHint }
}

/// What search needs from an index, whichever store holds it. Both stores keep the same records (documents,
/// passages, vectors, keyword terms, meta) and answer the same queries with the same results.
public protocol IndexStore: AnyObject, Sendable {
    /// Where the index lives.
    var location: IndexLocation { get }
    /// The index's meta (model, dimension, precision, chunking, ...) as read when opened.
    var meta: IndexMeta { get }
    /// Counts, model, chunking and the files the last run skipped.
    func info() throws -> IndexInfo
    /// A document and its stored text by id, or nil.
    func document(id: Int64) throws -> (document: StoredDocument, text: String)?
    /// The paths of every stored document.
    func documentPaths() throws -> Set<String>
    /// Chunks by id, with their document's path and title, in the order asked (unknown ids left out).
    func chunks(ids: [Int64]) throws -> [Passage]
    /// Up to `before` chunks before a chunk in its document, the chunk, and up to `after` after it.
    func neighbours(of chunkId: Int64, before: Int, after: Int) throws -> [Passage]
    /// Up to `count` passage ids spread over the whole index, the same ones every time for the same passages
    /// (`sampledPassagesQuery` orders them by a hash of the id).
    func sampledPassageIds(_ count: Int) throws -> [Int64]
    /// The `depth` passages nearest to a normalized query vector (inner product), best first, among those the
    /// filters allow; a graph index searches with a list of `searchList` candidates (nil: the store's own).
    func nearest(_ vector: [Float], depth: Int, filters: SearchFilters, searchList: Int?) throws -> [(id: Int64, score: Double)]
    /// The number of passages, and how many passages contain each of `terms` (absent terms left out).
    func termFrequencies(_ terms: [String]) throws -> (passages: Int, frequencies: [String: Int])
    /// The `depth` best passages by BM25 (k1 1.2, b 0.75, FTS5's formula) matching any of `terms`, best first
    /// (score higher is better), among those the filters allow; a term's share of a score is multiplied by its
    /// weight in `weights` (1 when absent; a query term weighs as much as the bigrams it stands for).
    func bestKeywordMatches(_ terms: [String], weights: [String: Double], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)]
    /// Changes when another process has written to the index in a way this open copy does not see by itself
    /// (the embedded store's FAISS file); constant for stores that are always current.
    func changeStamp() -> String
    /// Every passage of a document, in document order (none when there is no such document).
    func passages(ofDocument id: Int64) throws -> [Passage]
    /// The companies the index's financial facts are of, one each (`FinancialFacts`), by corp code.
    func factCompanies() throws -> [FactCompany]
    /// The financial facts of these companies (by corp code), in no particular order.
    func facts(corpCodes: [String]) throws -> [FinancialFact]
}

extension IndexStore {
    /// The embedding dimension.
    public var dimension: Int { meta.dimension }

    /// `nearest` with the store's own search list.
    public func nearest(_ vector: [Float], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)] {
        try nearest(vector, depth: depth, filters: filters, searchList: nil)
    }

    /// `bestKeywordMatches` with every term weighing 1: BM25 as FTS5's `bm25()` gives it.
    public func bestKeywordMatches(_ terms: [String], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)] {
        try bestKeywordMatches(terms, weights: [:], depth: depth, filters: filters)
    }
}

/// Opening, removing from and rebuilding an index wherever it lives (each call goes to the location's store).
public enum IndexStores {
    /// Opens an existing index for searching. `warn` hears about repairs (a stale FAISS file rebuilt).
    public static func open(_ location: IndexLocation, warn: (String) -> Void = { _ in }) throws -> any IndexStore {
        try location.store.open(warn: warn)
    }

    /// The meta of an existing index (model, precision, chunking) without opening its vector index.
    public static func meta(of location: IndexLocation) throws -> IndexMeta {
        try location.store.meta()
    }

    /// The meta of an index, or nil when there is none there yet (other failures, such as an unreachable
    /// server, still throw).
    public static func existingMeta(of location: IndexLocation) throws -> IndexMeta? {
        do {
            return try meta(of: location)
        } catch let error as KorSearchError where error.kind == .indexNotFound {
            return nil
        }
    }

    /// Removes documents by their paths relative to the indexed folder (a leading `./` is ignored); returns
    /// how many were in the index.
    public static func remove(_ location: IndexLocation, paths: [String], warn: (String) -> Void = { _ in }) throws -> Int {
        try removeDocuments(location, paths: paths, warn: warn).count
    }

    /// Removes documents named as a person names them: a path relative to the indexed folder, a folder (every
    /// document under it), or a glob in `.korsearchignore`'s syntax (`*.pdf` at any depth, `reports/2023/**`).
    /// Returns, for each pattern as given, the stored paths it removed (empty when it named none).
    public static func removeDocuments(
        _ location: IndexLocation, matching patterns: [String], warn: (String) -> Void = { _ in }
    ) throws -> [(pattern: String, removed: [String])] {
        let stored = try open(location, warn: warn).documentPaths()
        var matches: [(String, [String])] = []
        for pattern in patterns {
            let relative = pattern.hasPrefix("./") ? String(pattern.dropFirst(2)) : pattern
            let folder = relative.hasSuffix("/") ? relative : relative + "/"
            var found: [String]
            if stored.contains(relative) {
                found = [relative]
            } else if relative.contains(where: { "*?[".contains($0) }) {
                let rules = try IgnoreRules(parsing: relative, source: "the pattern")
                found = stored.filter(rules.ignores).sorted()
            } else {
                found = stored.filter { $0.hasPrefix(folder) }.sorted()
            }
            matches.append((pattern, found))
        }
        let all = Array(Set(matches.flatMap(\.1)))
        if !all.isEmpty { _ = try location.store.remove(paths: all, warn: warn) }
        return matches
    }

    /// Removes documents by their paths relative to the indexed folder (a leading `./` is ignored); returns
    /// the paths (as given) that were in the index.
    public static func removeDocuments(_ location: IndexLocation, paths: [String], warn: (String) -> Void = { _ in }) throws -> [String] {
        let relative = paths.map { $0.hasPrefix("./") ? String($0.dropFirst(2)) : $0 }
        let removed = Set(try location.store.remove(paths: relative, warn: warn))
        return zip(paths, relative).filter { removed.contains($0.1) }.map(\.0)
    }

    /// Stores the vector weight hybrid queries use when they set none (0 keyword ranking only, 1 vector only),
    /// and how it was chosen (`info` shows it).
    public static func setDefaultVectorWeight(
        _ location: IndexLocation, _ weight: Double, source: String = "korsearch eval --sweep --save-best"
    )
        throws
    {
        try Searcher.checkVectorWeight(weight)
        try location.store.setMeta(IndexMeta.vectorWeightEntries(weight, source: source))
    }

    /// Stores the cross-encoder (a folder or hub id) that reorders first-stage hits when a search does not say
    /// otherwise; nil removes it.
    public static func setDefaultReranker(_ location: IndexLocation, _ model: String?) throws {
        try location.store.setMeta(IndexMeta.rerankerEntries(model))
    }

    /// Rebuilds the vector index from the stored vectors without re-embedding: FAISS (optionally with another
    /// factory string) for an index directory, pgvector's HNSW index for PostgreSQL. Returns a description of
    /// what was built.
    public static func rebuild(_ location: IndexLocation, factory: String?, warn: (String) -> Void = { _ in }) throws -> String {
        try location.store.rebuild(vectorIndex: factory, warn: warn)
    }
}

/// A stable split of a folder's files between workers: a file belongs to shard `index` of `count` by a hash
/// of its path relative to the folder, the same on every machine and every run.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// This worker's shard, from 0.
    public let index: Int
    /// How many shards the folder is split into.
    public let count: Int

    /// Shard `index` of `count`.
    public init(index: Int, count: Int) throws {
        guard count >= 1, (0 ..< count).contains(index) else {
            throw KorSearchError(.invalidArgument, "a shard is I/N with 0 <= I < N, not \(index)/\(count)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `I/N`.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw KorSearchError(.invalidArgument, "--shard takes I/N (e.g. 0/4), not \(text)")
        }
        try self.init(index: index, count: count)
    }

    /// Whether a path (relative to the indexed folder) belongs to this shard.
    public func owns(_ path: String) -> Bool {
        count == 1 || Int(StableHash.of(path) % UInt64(count)) == index
    }

    public var description: String { "\(index)/\(count)" }
}

/// A 64-bit hash of a string that is the same on every machine and in every run (FNV-1a over UTF-8).
package enum StableHash {
    package static func of(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
