import Foundation
import GRDB

/// A document as the catalog stores it.
public struct StoredDocument: Sendable, Equatable {
    public var id: Int64
    /// Path relative to the indexed folder, `/`-separated.
    public var path: String
    public var sha256: String
    public var size: Int64
    /// Modification time, seconds since 1970.
    public var modified: Double
    public var type: String
    public var title: String?
    public var chunkCount: Int
}

/// A passage as the catalog stores it.
public struct StoredChunk: Sendable, Equatable {
    /// The chunk id, which is also its id in the vector index.
    public var id: Int64
    public var documentId: Int64
    public var documentPath: String
    public var documentTitle: String?
    public var ordinal: Int
    public var text: String
    /// Offsets in Unicode scalars into the document's stored text.
    public var start: Int
    public var end: Int
    public var page: Int?
    /// Model tokens, [CLS] and [SEP] included.
    public var tokenCount: Int
}

/// A document ready to be written: its file facts, its stored text, its passages and their vectors.
/// Package-internal: the indexer, tests and benchmarks write through it.
package struct DocumentUpdate {
    package var path: String
    package var sha256: String
    package var size: Int64
    package var modified: Double
    package var document: LoadedDocument
    package var chunks: [Chunk]
    /// One vector per chunk.
    package var vectors: [[Float]]

    package init(path: String, sha256: String, size: Int64, modified: Double, document: LoadedDocument, chunks: [Chunk], vectors: [[Float]]) {
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.modified = modified
        self.document = document
        self.chunks = chunks
        self.vectors = vectors
    }
}

/// The SQLite catalog of an index, the source of truth: documents (with their stored text), passages, each
/// passage's vector (float32 blob), the keyword index (FTS5 over Korean-aware terms) and the index's meta
/// (schema version, model, dimension, chunking, FAISS factory). WAL mode: readers keep working while one
/// writer writes.
public final class Catalog: @unchecked Sendable {
    /// The schema version this code writes and reads.
    public static let schemaVersion = 1
    let pool: DatabasePool
    public let url: URL

    /// Opens (and with `create`, creates) the catalog file.
    public init(url: URL, create: Bool) throws {
        self.url = url
        if !create, !FileManager.default.fileExists(atPath: url.path) {
            throw KorSearchError(.indexNotFound, "no index at \(url.deletingLastPathComponent().path) (missing \(url.lastPathComponent)); build one with `korsearch index FOLDER --index \(url.deletingLastPathComponent().path)`")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // Reads through a memory map and a 64 MiB page cache: searches touch many pages of a large catalog.
            try db.execute(sql: "PRAGMA mmap_size = 4294967296; PRAGMA cache_size = -65536")
        }
        do {
            pool = try DatabasePool(path: url.path, configuration: configuration)
            try Catalog.migrator.migrate(pool)
            let version = try pool.read { db in try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema_version'") }
            if let version, version != Catalog.schemaVersion {
                throw KorSearchError(.corruptIndex, "\(url.path) has schema version \(version); this korsearch reads version \(Catalog.schemaVersion)")
            }
        } catch let error as KorSearchError {
            throw error
        } catch let error as DatabaseError {
            throw Catalog.describe(error, url)
        }
    }

    static func describe(_ error: DatabaseError, _ url: URL) -> KorSearchError {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return KorSearchError(.corruptIndex, "\(url.path) is not a valid catalog (\(error.message ?? "corrupt")); rebuild the index from its folder")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return KorSearchError(.locked, "\(url.path) is busy: another process holds it")
        default:
            return KorSearchError(.catalog, "\(url.path): \(error.message ?? "\(error.resultCode)")")
        }
    }

    /// Runs a read, mapping SQLite errors to `KorSearchError`.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError { throw Catalog.describe(error, url) }
    }

    /// Runs a write transaction, mapping SQLite errors to `KorSearchError`.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let error as DatabaseError { throw Catalog.describe(error, url) }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE documents (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    path TEXT NOT NULL UNIQUE,
                    sha256 TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    modified REAL NOT NULL,
                    type TEXT NOT NULL,
                    title TEXT,
                    text TEXT NOT NULL,
                    encoding TEXT,
                    page_starts TEXT NOT NULL,
                    indexed_at REAL NOT NULL
                );
                CREATE TABLE chunks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    ordinal INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    start INTEGER NOT NULL,
                    end INTEGER NOT NULL,
                    page INTEGER,
                    token_count INTEGER NOT NULL,
                    vector BLOB NOT NULL,
                    UNIQUE (document_id, ordinal)
                );
                CREATE TABLE skipped (path TEXT PRIMARY KEY NOT NULL, reason TEXT NOT NULL);
                CREATE VIRTUAL TABLE chunk_terms USING fts5(terms, tokenize = "unicode61 remove_diacritics 0 tokenchars '.'");
                CREATE TRIGGER chunks_delete_terms AFTER DELETE ON chunks BEGIN
                    DELETE FROM chunk_terms WHERE rowid = old.id;
                END;
                """)
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", arguments: ["\(schemaVersion)"])
        }
        migrator.registerMigration("v1-term-statistics") { db in
            // Document frequencies of keyword terms, read from the FTS5 index itself (no storage of its own).
            try db.execute(sql: "CREATE VIRTUAL TABLE chunk_terms_vocab USING fts5vocab(chunk_terms, 'row')")
        }
        return migrator
    }

    // MARK: Meta

    /// All meta values.
    public func meta() throws -> [String: String] {
        try read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map {
                ($0["key"] as String, $0["value"] as String)
            })
        }
    }

    /// Sets meta values in one transaction.
    public func setMeta(_ values: [String: String]) throws {
        try write { db in
            for (key, value) in values {
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
            }
        }
    }

    // MARK: Documents

    /// Every stored document, by path.
    public func documents() throws -> [String: StoredDocument] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT d.id, d.path, d.sha256, d.size, d.modified, d.type, d.title,
                       (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) AS chunk_count
                FROM documents d
                """)
            var result: [String: StoredDocument] = [:]
            for row in rows {
                let document = StoredDocument(
                    id: row["id"], path: row["path"], sha256: row["sha256"], size: row["size"],
                    modified: row["modified"], type: row["type"], title: row["title"], chunkCount: row["chunk_count"])
                result[document.path] = document
            }
            return result
        }
    }

    /// A document and its stored text by id, or nil.
    public func document(id: Int64) throws -> (document: StoredDocument, text: String)? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT d.id, d.path, d.sha256, d.size, d.modified, d.type, d.title, d.text,
                       (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) AS chunk_count
                FROM documents d WHERE d.id = ?
                """, arguments: [id]) else { return nil }
            let document = StoredDocument(
                id: row["id"], path: row["path"], sha256: row["sha256"], size: row["size"], modified: row["modified"],
                type: row["type"], title: row["title"], chunkCount: row["chunk_count"])
            return (document, row["text"])
        }
    }

    /// The stored text of a document.
    public func documentText(id: Int64) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT text FROM documents WHERE id = ?", arguments: [id]) }
    }

    /// Counts of documents and chunks.
    public func counts() throws -> (documents: Int, chunks: Int) {
        try read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM documents") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chunks") ?? 0)
        }
    }

    /// Records that a file's modification time changed while its content did not.
    func touch(path: String, modified: Double) throws {
        try write { db in
            try db.execute(sql: "UPDATE documents SET modified = ? WHERE path = ?", arguments: [modified, path])
        }
    }

    /// In one transaction: removes the documents at `removing` paths and writes `updates` (replacing any stored
    /// version of the same path). Returns the chunk ids removed and the chunk ids added with their vectors.
    package func apply(updates: [DocumentUpdate], removing: [String]) throws -> (removed: [Int64], added: [(id: Int64, vector: [Float])]) {
        try write { db in
            var removed: [Int64] = []
            var added: [(id: Int64, vector: [Float])] = []
            let now = Date().timeIntervalSince1970
            for path in removing + updates.map(\.path) {
                removed += try Int64.fetchAll(db, sql: """
                    SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.path = ?
                    """, arguments: [path])
                try db.execute(sql: "DELETE FROM documents WHERE path = ?", arguments: [path])
            }
            for update in updates {
                let document = update.document
                let starts = document.pageStarts.map(String.init).joined(separator: ",")
                try db.execute(sql: """
                    INSERT INTO documents (path, sha256, size, modified, type, title, text, encoding, page_starts, indexed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [update.path, update.sha256, update.size, update.modified, document.type,
                                     document.title, document.text, document.encoding, starts, now])
                let documentId = db.lastInsertedRowID
                for (chunk, vector) in zip(update.chunks, update.vectors) {
                    try db.execute(sql: """
                        INSERT INTO chunks (document_id, ordinal, text, start, end, page, token_count, vector)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [documentId, chunk.ordinal, chunk.text, chunk.start, chunk.end, chunk.page,
                                         chunk.ids.count, VectorBlob.encode(vector)])
                    let chunkId = db.lastInsertedRowID
                    try db.execute(sql: "INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)",
                                   arguments: [chunkId, KeywordTerms.terms(chunk.text).joined(separator: " ")])
                    added.append((chunkId, vector))
                }
                try db.execute(sql: "DELETE FROM skipped WHERE path = ?", arguments: [update.path])
            }
            // Every change moves the generation on; the FAISS file records the generation it matches.
            try db.execute(sql: """
                INSERT INTO meta (key, value) VALUES ('generation', '1')
                ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1
                """)
            return (removed, added)
        }
    }

    /// Replaces the list of files the last run skipped.
    package func setSkipped(_ skipped: [(path: String, reason: String)]) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM skipped")
            for item in skipped {
                try db.execute(sql: "INSERT OR REPLACE INTO skipped (path, reason) VALUES (?, ?)", arguments: [item.path, item.reason])
            }
        }
    }

    /// The files the last run skipped and why.
    public func skipped() throws -> [(path: String, reason: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT path, reason FROM skipped ORDER BY path").map { ($0["path"], $0["reason"]) }
        }
    }

    /// Calls `body` with every stored vector in chunk id order, `batch` rows at a time (ids and row-major floats).
    public func forEachVectorBatch(dimension: Int, batch: Int = 4096, _ body: ([Int64], [Float]) throws -> Void) throws {
        var after: Int64 = -1
        while true {
            let rows = try read { db in
                try Row.fetchAll(db, sql: "SELECT id, vector FROM chunks WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, batch])
            }
            if rows.isEmpty { return }
            var ids: [Int64] = []
            var floats: [Float] = []
            ids.reserveCapacity(rows.count)
            floats.reserveCapacity(rows.count * dimension)
            for row in rows {
                let id: Int64 = row["id"]
                let data: Data = row["vector"]
                guard let vector = VectorBlob.decode(data), vector.count == dimension else {
                    throw KorSearchError(.corruptIndex, "\(url.path): the stored vector of chunk \(id) is not \(dimension) float32 values")
                }
                ids.append(id)
                floats += vector
            }
            try body(ids, floats)
            after = ids.last!
        }
    }

    /// Chunks by id, with their document's path and title, in the order asked.
    public func chunks(ids: [Int64]) throws -> [StoredChunk] {
        if ids.isEmpty { return [] }
        let rows = try read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.id, c.document_id, c.ordinal, c.text, c.start, c.end, c.page, c.token_count, d.path, d.title
                FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE c.id IN (\(ids.map { _ in "?" }.joined(separator: ",")))
                """, arguments: StatementArguments(ids))
        }
        var byId: [Int64: StoredChunk] = [:]
        for row in rows {
            let chunk = StoredChunk(
                id: row["id"], documentId: row["document_id"], documentPath: row["path"], documentTitle: row["title"],
                ordinal: row["ordinal"], text: row["text"], start: row["start"], end: row["end"], page: row["page"],
                tokenCount: row["token_count"])
            byId[chunk.id] = chunk
        }
        return ids.compactMap { byId[$0] }
    }
}

/// A vector stored as little-endian float32 bytes.
enum VectorBlob {
    static func encode(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    static func decode(_ data: Data) -> [Float]? {
        guard data.count % 4 == 0 else { return nil }
        return data.withUnsafeBytes { raw in Array(raw.bindMemory(to: Float.self)) }
    }
}
