import Foundation
import GRDB
import KorDocuments
import KorSearchCore

#if canImport(Glibc)
import Glibc
#endif

/// The SQLite catalog of an index, the source of truth: documents (with their stored text), passages, each
/// passage's vector (a float16 blob, `VectorBlob`) and the index's meta (schema version, model, dimension,
/// chunking, FAISS factory, the generations the derived files match). The keyword index is derived from the
/// passages' text (`KeywordIndex`), as FAISS is from the vectors. WAL mode: readers keep working while one
/// writer writes.
package final class Catalog: @unchecked Sendable {
    /// The schema version this code writes and reads.
    package static let schemaVersion = 1
    let pool: any DatabaseWriter
    package let url: URL
    /// Whether the catalog was opened read-only (its file or folder is not writable for this user): searches
    /// and `info` work, nothing is written, repairs happen in memory only.
    package let isReadOnly: Bool

    /// Opens (and with `create`, creates) the catalog file.
    package init(url: URL, create: Bool) throws {
        self.url = url
        if !create, !FileManager.default.fileExists(atPath: url.path) {
            throw KorSearchError(
                .indexNotFound,
                "no index at \(url.deletingLastPathComponent().path) (missing \(url.lastPathComponent)); build one with `korsearch index FOLDER --index \(url.deletingLastPathComponent().path)`"
            )
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // Reads through SQLite's own 64 MiB page cache per connection, not a memory map: a mapped catalog's
            // pages count as the process's resident memory, and the kernel maps 64 KiB around each page read
            // (an index scan of 7 MB mapped 115 MB), so a million-passage store held 3.0 GiB after `info`.
            // Unmapped it holds 1.0 GiB, and search-benchmark's queries measured no slower.
            try db.execute(sql: "PRAGMA mmap_size = 0; PRAGMA cache_size = -65536")
        }
        let folder = url.deletingLastPathComponent().path
        isReadOnly = !create && (access(url.path, W_OK) != 0 || access(folder, W_OK) != 0)
        do {
            if isReadOnly {
                // Nobody can change a catalog this user cannot write while it reads (immutable: no locks, no
                // -shm file to create in a folder it cannot write).
                configuration.readonly = true
                let path = url.path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? url.path
                pool = try DatabaseQueue(path: "file:\(path)?immutable=1", configuration: configuration)
                guard try pool.read({ try Catalog.migrator.hasCompletedMigrations($0) }) else {
                    throw KorSearchError(
                        .corruptIndex,
                        "\(url.path) is read-only and was made by an older korsearch; run `korsearch index` on it once with write access")
                }
            } else {
                pool = try DatabasePool(path: url.path, configuration: configuration)
                try Catalog.migrator.migrate(pool)
                try Catalog.addFacetIndexes(pool)
            }
            let version = try pool.read { db in try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema_version'") }
            if let version, version != Catalog.schemaVersion {
                throw KorSearchError(
                    .corruptIndex, "\(url.path) has schema version \(version); this korsearch reads version \(Catalog.schemaVersion)")
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
            return KorSearchError(
                .corruptIndex, "\(url.path) is not a valid catalog (\(error.message ?? "corrupt")); rebuild the index from its folder")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return KorSearchError(.locked, "\(url.path) is busy: another process holds it")
        default:
            return KorSearchError(
                .catalog,
                "\(url.path): \(error.message ?? "\(error.resultCode)") (SQLite \(error.extendedResultCode.rawValue), in \(error.sql.map { String($0.prefix(60)) } ?? "opening"))"
            )
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

    // MARK: Meta

    /// All meta values.
    package func meta() throws -> [String: String] {
        try read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map {
                    ($0["key"] as String, $0["value"] as String)
                })
        }
    }

    /// The index's meta, parsed.
    package func indexMeta() throws -> IndexMeta {
        try IndexMeta(entries: try meta(), owner: url.path)
    }

    /// Whether the FAISS file was written after the catalog's last change (its recorded generation is the
    /// catalog's), by the meta's entries.
    static func vectorsAreCurrent(_ entries: [String: String]) -> Bool {
        entries["generation"] == entries["faiss_generation"]
    }

    /// The checksum recorded of the FAISS file when it was last written (nil for indexes made before
    /// checksums), by the meta's entries.
    static func vectorsChecksum(_ entries: [String: String]) -> String? { entries["faiss_checksum"] }

    /// The meta key of the FAISS type the file was written as (for `auto`, the type chosen by size).
    static let vectorTypeKey = "faiss_type"

    /// Records in one transaction that the FAISS file now matches the catalog's current generation, its
    /// checksum, the type it was written as, and the setting (`auto` or a factory string) when that changed.
    func markVectorsCurrent(checksum: String?, factory: String?, type: String, extra more: [String: String] = [:]) throws {
        var extra = more.merging([Catalog.vectorTypeKey: type]) { $1 }
        if let factory { extra["faiss_factory"] = factory }
        try markCurrent("faiss", checksum: checksum, extra: extra)
    }

    /// Whether the keyword index file was written after the catalog's last change, by the meta's entries.
    static func keywordsAreCurrent(_ entries: [String: String]) -> Bool {
        entries["generation"] == entries["keywords_generation"]
    }

    /// Records in one transaction that the keyword index file matches the catalog's current generation, its
    /// checksum, and the keyword term rules and dictionary it was derived by.
    func markKeywordsCurrent(checksum: String?, dictionary: KeywordDictionary) throws {
        try markCurrent("keywords", checksum: checksum, extra: IndexMeta.keywordTermsEntries(dictionary))
    }

    /// `PREFIX_generation` := the catalog's generation, `PREFIX_checksum` and `extra`, in one transaction.
    private func markCurrent(_ prefix: String, checksum: String?, extra: [String: String]) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO meta (key, value)
                    SELECT '\(prefix)_generation', coalesce((SELECT value FROM meta WHERE key = 'generation'), '0')
                    """)
            var values = extra
            if let checksum { values["\(prefix)_checksum"] = checksum }
            for (key, value) in values {
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
            }
        }
    }

    /// Sets meta values in one transaction.
    package func setMeta(_ values: [String: String]) throws {
        try write { db in
            for (key, value) in values {
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
            }
        }
    }

    // MARK: Documents

    /// Every stored document, by path.
    package func documents() throws -> [String: StoredDocument] {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT d.id, d.path, d.sha256, d.size, d.modified, d.type, d.title, d.metadata, d.read_metadata,
                           (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) AS chunk_count
                    FROM documents d
                    """)
            var result: [String: StoredDocument] = [:]
            for row in rows {
                let document = Catalog.storedDocument(row)
                result[document.path] = document
            }
            return result
        }
    }

    /// A document and its stored text by id, or nil.
    package func document(id: Int64) throws -> (document: StoredDocument, text: String)? {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT d.id, d.path, d.sha256, d.size, d.modified, d.type, d.title, d.text, d.metadata, d.read_metadata,
                               (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) AS chunk_count
                        FROM documents d WHERE d.id = ?
                        """, arguments: [id])
            else { return nil }
            return (Catalog.storedDocument(row), row["text"])
        }
    }

    private static func storedDocument(_ row: Row) -> StoredDocument {
        StoredDocument(
            id: row["id"], path: row["path"], sha256: row["sha256"], size: row["size"], modified: row["modified"],
            type: row["type"], title: row["title"], chunkCount: row["chunk_count"],
            metadata: FilingMetadata(json: row["metadata"]), readMetadata: (row["read_metadata"] as String?).map { FilingMetadata(json: $0) })
    }

    /// One stored vector per input hash found among `hashes`.
    func vectors(forInputs hashes: [String], dimension: Int) throws -> [String: [Float]] {
        try vectors(keyedBy: "input_hash", in: hashes, dimension: dimension, grouped: true)
    }

    /// The stored vectors of chunk ids (those that exist), as FAISS holds them.
    func vectors(ids: [Int64], dimension: Int) throws -> [Int64: [Float]] {
        try vectors(keyedBy: "id", in: ids, dimension: dimension, grouped: false)
    }

    /// The stored vectors of the chunks whose `column` is one of `keys`, 500 keys a query; with `grouped`, one
    /// per key.
    private func vectors<Key: DatabaseValueConvertible & StatementColumnConvertible & Hashable>(
        keyedBy column: String, in keys: [Key], dimension: Int, grouped: Bool
    ) throws -> [Key: [Float]] {
        var found: [Key: [Float]] = [:]
        try read { db in
            for start in stride(from: 0, to: keys.count, by: 500) {
                let part = Array(keys[start ..< min(keys.count, start + 500)])
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(column), vector FROM chunks WHERE \(column) IN (\(part.map { _ in "?" }.joined(separator: ",")))\(grouped ? " GROUP BY \(column)" : "")
                        """, arguments: StatementArguments(part))
                for row in rows {
                    if let vector = VectorBlob.decode(row["vector"], dimension: dimension) { found[row[column] as Key] = vector }
                }
            }
        }
        return found
    }

    /// How many distinct vectors the passages hold (passages of one encoder input share one).
    func distinctVectors() throws -> Int {
        try read { db in
            try Int.fetchOne(db, sql: KorSearchCore.IndexInfo.distinctVectorsQuery) ?? 0
        }
    }

    /// Documents counted by company, report type and period.
    func facets() throws -> KorSearchCore.IndexInfo.Facets {
        try read { db in
            var rows: [String: [KorSearchCore.IndexInfo.FacetValue]] = [:]
            for column in KorSearchCore.IndexInfo.Facets.columns {
                rows[column] = try Row.fetchAll(db, sql: KorSearchCore.IndexInfo.Facets.query(column)).map {
                    KorSearchCore.IndexInfo.FacetValue(value: $0[0], documents: $0[1])
                }
            }
            return KorSearchCore.IndexInfo.Facets(rows: rows)
        }
    }

    /// Replaces stored documents' metadata (and the columns filters read), in one transaction.
    func setMetadata(_ updates: [String: MetadataUpdate]) throws {
        if updates.isEmpty { return }
        try write { db in
            for (path, update) in updates {
                try db.execute(
                    sql: """
                        UPDATE documents SET metadata = ?, read_metadata = ?, \(FilingMetadata.columnNames.map { "\($0) = ?" }.joined(separator: ", "))
                        WHERE path = ?
                        """, arguments: StatementArguments([update.metadata.json, update.readMetadata.json] + update.metadata.columnValues + [path]))
            }
        }
    }

    /// The stored text of a document.
    package func documentText(id: Int64) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT text FROM documents WHERE id = ?", arguments: [id]) }
    }

    /// Counts of documents and chunks.
    package func counts() throws -> (documents: Int, chunks: Int) {
        try read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM documents") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chunks") ?? 0
            )
        }
    }

    /// Records that a file's modification time changed while its content did not.
    func touch(path: String, modified: Double) throws {
        try write { db in
            try db.execute(sql: "UPDATE documents SET modified = ? WHERE path = ?", arguments: [modified, path])
        }
    }

    /// In one transaction: removes the documents at `removing` paths and writes `updates` (replacing any stored
    /// version of the same path). Returns the chunk ids removed and the chunks added.
    package func apply(updates: [DocumentUpdate], removing: [String]) throws -> CatalogChange {
        try write { db in
            var removed: [Int64] = []
            var added: [CatalogChange.Added] = []
            let now = Date().timeIntervalSince1970
            for path in removing + updates.map(\.path) {
                removed += try Int64.fetchAll(
                    db,
                    sql: """
                        SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.path = ?
                        """, arguments: [path])
                try db.execute(sql: "DELETE FROM documents WHERE path = ?", arguments: [path])
            }
            for update in updates {
                let document = update.document
                let starts = document.pageStarts.map(String.init).joined(separator: ",")
                try db.execute(
                    sql: """
                        INSERT INTO documents (path, sha256, size, modified, type, title, text, encoding, page_starts, indexed_at,
                                               metadata, read_metadata, \(FilingMetadata.columnNames.joined(separator: ", ")))
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(FilingMetadata.columnNames.map { _ in "?" }.joined(separator: ", ")))
                        """,
                    arguments: StatementArguments(
                        [
                            update.path, update.sha256, update.size, update.modified, document.type,
                            document.title, document.text, document.encoding, starts, now,
                            update.metadata.json, update.readMetadata.json,
                        ] as [(any DatabaseValueConvertible)?]
                            + update.metadata.columnValues))
                let documentId = db.lastInsertedRowID
                for (chunk, vector) in zip(update.chunks, update.vectors) {
                    try db.execute(
                        sql: """
                            INSERT INTO chunks (
                                document_id, ordinal, text, start, end, page, page_end, section, section_starts, ocr, token_count, vector, input_hash)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            documentId, chunk.ordinal, chunk.text, chunk.start, chunk.end, chunk.page, chunk.pageEnd,
                            chunk.section, SectionStart.encode(chunk.sectionStarts), chunk.ocr, chunk.ids.count, VectorBlob.encode(vector),
                            chunk.inputHash,
                        ])
                    added.append(CatalogChange.Added(id: db.lastInsertedRowID, vector: vector, terms: chunk.terms))
                }
                try db.execute(sql: "DELETE FROM skipped WHERE path = ?", arguments: [update.path])
            }
            // Every change moves the generation on; the FAISS file records the generation it matches.
            try db.execute(
                sql: """
                    INSERT INTO meta (key, value) VALUES ('generation', '1')
                    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1
                    """)
            return CatalogChange(removed: removed, added: added)
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
    package func skipped() throws -> [(path: String, reason: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT path, reason FROM skipped ORDER BY path").map { ($0["path"], $0["reason"]) }
        }
    }

    /// Calls `body` with every stored vector in chunk id order, `batch` rows at a time (ids and row-major floats).
    package func forEachVectorBatch(dimension: Int, batch: Int = 4096, _ body: ([Int64], [Float]) throws -> Void) throws {
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
                guard let vector = VectorBlob.decode(data, dimension: dimension) else {
                    throw KorSearchError(.corruptIndex, "\(url.path): the stored vector of chunk \(id) is not \(dimension) float16 or float32 values")
                }
                ids.append(id)
                floats += vector
            }
            try body(ids, floats)
            after = ids.last!
        }
    }

    /// Chunks by id, with their document's path and title, in the order asked.
    package func chunks(ids: [Int64]) throws -> [Passage] {
        if ids.isEmpty { return [] }
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.id, c.document_id, c.ordinal, c.text, c.start, c.end, c.page, c.page_end, c.section, c.section_starts, c.ocr, c.token_count,
                        d.path, d.title, d.metadata
                    FROM chunks c JOIN documents d ON d.id = c.document_id
                    WHERE c.id IN (\(ids.map { _ in "?" }.joined(separator: ",")))
                    """, arguments: StatementArguments(ids))
        }
        var byId: [Int64: Passage] = [:]
        for row in rows {
            let chunk = Passage(
                chunkId: row["id"], documentId: row["document_id"], path: row["path"], title: row["title"],
                ordinal: row["ordinal"], text: row["text"], start: row["start"], end: row["end"], page: row["page"],
                pageEnd: row["page_end"], section: row["section"], sectionStarts: SectionStart.decode(row["section_starts"]), ocr: row["ocr"],
                tokens: row["token_count"],
                metadata: FilingMetadata(json: row["metadata"]))
            byId[chunk.chunkId] = chunk
        }
        return ids.compactMap { byId[$0] }
    }

    // MARK: Search

    /// The ids of up to `before` chunks before a chunk in its document, the chunk, and up to `after` after it.
    /// Up to `count` chunk ids spread over the index (`IndexInfo.sampledPassagesQuery`).
    func sampledPassageIds(_ count: Int) throws -> [Int64] {
        try read { db in try Int64.fetchAll(db, sql: KorSearchCore.IndexInfo.sampledPassagesQuery(count)) }
    }

    func neighbourIds(of chunkId: Int64, before: Int, after: Int) throws -> [Int64] {
        try read { db in
            try Int64.fetchAll(
                db,
                sql: """
                    SELECT n.id FROM chunks c JOIN chunks n ON n.document_id = c.document_id
                    WHERE c.id = ? AND n.ordinal BETWEEN c.ordinal - ? AND c.ordinal + ?
                    ORDER BY n.ordinal
                    """, arguments: [chunkId, max(0, before), max(0, after)])
        }
    }

    /// The ids of the chunks whose documents the filters allow.
    /// A section filter is matched here, passage by passage, by `DARTSections` (the PostgreSQL store does the same).
    func chunkIds(allowedBy filters: SearchFilters) throws -> Set<Int64> {
        let (condition, arguments) = filters.sql
        return try read { db in
            guard let matches = filters.sectionSelector?.matcher() else {
                return Set(
                    try Int64.fetchAll(
                        db, sql: "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE \(condition)",
                        arguments: StatementArguments(arguments)))
            }
            var allowed = Set<Int64>()
            let rows = try Row.fetchCursor(
                db, sql: "SELECT c.id, c.section FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.section IS NOT NULL AND \(condition)",
                arguments: StatementArguments(arguments))
            while let row = try rows.next() {
                if matches(row["section"]) { allowed.insert(row["id"]) }
            }
            return allowed
        }
    }

    /// A document's chunk ids in document order.
    func chunkIds(ofDocument id: Int64) throws -> [Int64] {
        try read { db in try Int64.fetchAll(db, sql: "SELECT id FROM chunks WHERE document_id = ? ORDER BY ordinal", arguments: [id]) }
    }

    /// Every chunk's id.
    func chunkIds() throws -> Set<Int64> {
        try read { db in Set(try Int64.fetchAll(db, sql: "SELECT id FROM chunks")) }
    }

    /// Calls `body` with every passage's chunk id and text in chunk id order, in one read (one snapshot).
    func forEachChunkText(_ body: (Int64, String) throws -> Void) throws {
        try read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT id, text FROM chunks ORDER BY id")
            while let row = try rows.next() { try body(row["id"], row["text"]) }
        }
    }
}

/// What one `Catalog.apply` changed: the chunk ids removed, and the chunks added with their vectors and
/// keyword terms (what the derived FAISS and keyword indexes need to follow).
package struct CatalogChange {
    package struct Added {
        package var id: Int64
        package var vector: [Float]
        package var terms: [String]
    }

    package var removed: [Int64]
    package var added: [Added]
}
