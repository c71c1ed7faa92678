import Foundation

/// Where an index lives: an index directory (SQLite + FAISS files, the embedded default) or a PostgreSQL
/// database with pgvector (shared by many machines).
public enum IndexLocation: Sendable, CustomStringConvertible {
    /// An index directory.
    case directory(IndexDirectory)
    /// A PostgreSQL database (and schema) with pgvector.
    case postgres(PostgresLocation)

    /// The location named by a command line: `store` (a `postgres://` URL) when given, else the directory
    /// `index`.
    public init(index: String, store: String?) throws {
        if let store, !store.isEmpty {
            self = .postgres(try PostgresLocation(store))
        } else {
            self = .directory(IndexDirectory(URL(fileURLWithPath: index)))
        }
    }

    /// A path or a URL (without its password) for messages.
    public var description: String {
        switch self {
        case .directory(let directory): directory.url.path
        case .postgres(let location): location.description
        }
    }

    /// Where a fresh index would go, for hints in messages.
    var newHint: String {
        switch self {
        case .directory: "directory"
        case .postgres: "schema (?schema=NAME in the store URL)"
        }
    }

    /// The option that names this location on the command line, for hints in messages.
    var option: String {
        switch self {
        case .directory(let directory): "--index \(directory.url.path)"
        case .postgres(let location): "--store \(location.description)"
        }
    }
}

/// What search needs from an index, whichever store holds it. Both stores keep the same records (documents,
/// passages, vectors, keyword terms, meta) and answer the same queries with the same results.
public protocol IndexStore: AnyObject, Sendable {
    /// Where the index lives.
    var location: IndexLocation { get }
    /// The index's meta (model, dimension, precision, chunking, ...) as read when opened.
    var meta: [String: String] { get }
    /// The embedding dimension.
    var dimension: Int { get }
    /// Counts, model, chunking and the files the last run skipped.
    func info() throws -> IndexInfo
    /// A document and its stored text by id, or nil.
    func document(id: Int64) throws -> (document: StoredDocument, text: String)?
    /// Chunks by id, with their document's path and title, in the order asked (unknown ids left out).
    func chunks(ids: [Int64]) throws -> [StoredChunk]
    /// Up to `before` chunks before a chunk in its document, the chunk, and up to `after` after it.
    func neighbours(of chunkId: Int64, before: Int, after: Int) throws -> [StoredChunk]
    /// The `depth` passages nearest to a normalized query vector (inner product), best first, among those the
    /// filters allow.
    func nearest(_ vector: [Float], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)]
    /// The number of passages, and how many passages contain each of `terms` (absent terms left out).
    func termFrequencies(_ terms: [String]) throws -> (passages: Int, frequencies: [String: Int])
    /// The `depth` best passages by BM25 (k1 1.2, b 0.75, FTS5's formula) matching any of `terms`, best first
    /// (score higher is better), among those the filters allow.
    func bestKeywordMatches(_ terms: [String], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)]
    /// Changes when another process has written to the index in a way this open copy does not see by itself
    /// (the embedded store's FAISS file); constant for stores that are always current.
    func changeStamp() -> String
}

/// Opening, removing from and rebuilding an index wherever it lives.
public enum IndexStores {
    /// Opens an existing index for searching. `warn` hears about repairs (a stale FAISS file rebuilt).
    public static func open(_ location: IndexLocation, warn: @escaping (String) -> Void = { _ in }) throws -> any IndexStore {
        switch location {
        case .directory(let directory): try DocumentIndex.open(directory, warn: warn)
        case .postgres(let location): try PostgresStore.open(location)
        }
    }

    /// The meta of an existing index (model, precision, chunking) without opening its vector index.
    public static func meta(of location: IndexLocation) throws -> [String: String] {
        switch location {
        case .directory(let directory): try DocumentIndex.meta(of: directory)
        case .postgres(let location): try PostgresStore.open(location).meta
        }
    }

    /// The meta of an index, or nil when there is none there yet (other failures, such as an unreachable
    /// server, still throw).
    public static func existingMeta(of location: IndexLocation) throws -> [String: String]? {
        do {
            return try meta(of: location)
        } catch let error as KorSearchError where error.kind == .indexNotFound {
            return nil
        }
    }

    /// Removes documents by their paths relative to the indexed folder; returns how many were in the index.
    public static func remove(_ location: IndexLocation, paths: [String], warn: @escaping (String) -> Void = { _ in }) throws -> Int {
        switch location {
        case .directory(let directory): return try DocumentIndex.remove(directory, paths: paths, warn: warn)
        case .postgres(let location):
            return try PostgresStore.open(location).remove(paths: paths.map { $0.hasPrefix("./") ? String($0.dropFirst(2)) : $0 })
        }
    }

    /// Rebuilds the vector index from the stored vectors without re-embedding: FAISS (optionally with another
    /// factory string) for an index directory, pgvector's HNSW index for PostgreSQL. Returns a description of
    /// what was built.
    public static func rebuild(_ location: IndexLocation, factory: String?, warn: @escaping (String) -> Void = { _ in }) throws -> String {
        switch location {
        case .directory(let directory):
            let index = try DocumentIndex.rebuild(directory, factory: factory, warn: warn)
            return "rebuilt \(index.factory) with \(index.vectors.count) vectors"
        case .postgres(let location):
            if factory != nil {
                throw KorSearchError(.invalidArgument, "--faiss applies to index directories; a PostgreSQL store indexes its vectors with pgvector's HNSW")
            }
            let store = try PostgresStore.open(location)
            try store.rebuildVectorIndex()
            return "rebuilt pgvector HNSW with \(try store.info().vectors) vectors"
        }
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
enum StableHash {
    static func of(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
