import Foundation
import KorSearchCore
import PostgresNIO

/// An index in PostgreSQL with pgvector, for teams that index from several machines and query from many
/// services: documents, passages, each passage's vector in a `vector(D)` column with an HNSW index (inner
/// product on normalized vectors), the keyword index (the embedded store's Korean-aware terms in a `tsvector`,
/// and as posting lists ranked by the same BM25 as FTS5), and the same meta. The tables live in one schema
/// (default `korsearch`), created and migrated by KorSearch.
public final class PostgresStore: IndexStore, @unchecked Sendable {
    /// The schema version this code writes and reads.
    package static let schemaVersion = 8
    /// The database and schema.
    public let postgres: PostgresLocation
    public var location: IndexLocation { .postgres(postgres) }
    public let meta: IndexMeta
    let pool: PostgresPool
    /// The OID of pgvector's `vector` type in this database.
    let vectorType: UInt32

    private init(_ postgres: PostgresLocation, session: PostgresSession) throws {
        self.postgres = postgres
        let entries = try PostgresStore.readMeta(session)
        let version = Int(entries["schema_version"] ?? "") ?? 0
        guard version == PostgresStore.schemaVersion else {
            throw KorSearchError(
                .corruptIndex, "the store \(postgres) has schema version \(version); this korsearch reads version \(PostgresStore.schemaVersion)")
        }
        meta = try IndexMeta(entries: entries, owner: "the store \(postgres)")
        vectorType = try PostgresStore.vectorTypeOID(session)
        pool = PostgresPool(postgres)
    }

    /// Opens an existing index (migrating it first when an older korsearch made it).
    public static func open(_ location: PostgresLocation) throws -> PostgresStore {
        let session = try PostgresSession(location)
        guard let version = try schemaVersion(session, location) else {
            throw KorSearchError(
                .indexNotFound,
                "no index in PostgreSQL at \(location) (schema \(location.schema) has no KorSearch tables); build one with `korsearch index FOLDER --store \(location)`"
            )
        }
        if version < schemaVersion {
            try session.transaction {
                try session.execute("SELECT pg_advisory_xact_lock($1)", binds(PostgresStore.lockKey("schema")))
                try migrate(session, location, dimension: nil)
            }
        }
        return try PostgresStore(location, session: session)
    }

    /// Opens an index, creating its schema (with `meta`) when new and migrating an older one; safe when several
    /// workers start at once.
    static func create(_ location: PostgresLocation, meta: IndexMeta, warn: (String) -> Void = { _ in }) throws -> PostgresStore {
        let session = try PostgresSession(location)
        try session.transaction {
            // One creator at a time in this database; the others wait and then find the tables made.
            try session.execute("SELECT pg_advisory_xact_lock($1)", binds(PostgresStore.lockKey("schema")))
            try session.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
            try session.execute("CREATE SCHEMA IF NOT EXISTS \(location.schema)")
            try migrate(session, location, dimension: meta.dimension)
            let recorded = try session.query("SELECT 1 FROM meta WHERE key = 'dimension'")
            if recorded.isEmpty {
                for (key, value) in meta.storedEntries.sorted(by: { $0.key < $1.key }) {
                    try session.execute("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", binds(key, value))
                }
            }
            // Keyword terms derived by other rules, or with another dictionary, are derived again before anything
            // is written by these.
            let stored = try IndexMeta(entries: try readMeta(session), owner: location.description)
            if !stored.keywordTermsAreCurrent {
                let count = try rederiveKeywordTerms(session, dictionary: stored.keywordDictionary)
                let why = stored.keywordTerms != KeywordTerms.version ? "by this korsearch's rules" : "with the index's dictionary"
                warn("keyword terms of \(count) passages derived again \(why); no re-embedding")
            }
        }
        return try PostgresStore(location, session: session)
    }

    /// Counts of documents and chunks.
    static func counts(_ session: PostgresSession) throws -> (documents: Int, chunks: Int) {
        let cells = try session.query("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)")[0].makeRandomAccess()
        return (Int(try cells[0].decode(Int64.self)), Int(try cells[1].decode(Int64.self)))
    }

    /// The `meta` table as it is now.
    static func readMeta(_ session: PostgresSession) throws -> [String: String] {
        var meta: [String: String] = [:]
        for row in try session.query("SELECT key, value FROM meta") {
            let cells = row.makeRandomAccess()
            meta[try cells[0].decode(String.self)] = try cells[1].decode(String.self)
        }
        return meta
    }

    private static func vectorTypeOID(_ session: PostgresSession) throws -> UInt32 {
        let rows = try session.query("SELECT oid::bigint FROM pg_type WHERE typname = 'vector' AND typnamespace = 'public'::regnamespace")
        guard let oid = try rows.first?.makeRandomAccess()[0].decode(Int64.self) else {
            throw KorSearchError(.store, "PostgreSQL at \(session.location) has no pgvector extension (CREATE EXTENSION vector)")
        }
        return UInt32(oid)
    }

    /// A 64-bit advisory lock key for a name within this store's schema.
    func lockKey(_ name: String) -> Int64 { PostgresStore.lockKey(postgres.schema + "\u{0}" + name) }

    static func lockKey(_ name: String) -> Int64 { Int64(bitPattern: StableHash.of("korsearch\u{0}" + name)) }

    // MARK: Reading

    public func info() throws -> IndexInfo {
        try pool.withSession { session in
            let (documents, chunks) = try PostgresStore.counts(session)
            // Current: another worker may have indexed since this store was opened.
            let meta = try IndexMeta(entries: try PostgresStore.readMeta(session), owner: "the store \(postgres)")
            let vectors = Int(try session.query("SELECT count(embedding) FROM chunks")[0].makeRandomAccess()[0].decode(Int64.self))
            let skipped = try session.query("SELECT path, reason FROM skipped ORDER BY path").map {
                let cells = $0.makeRandomAccess()
                return SkippedFile(path: try cells[0].decode(String.self), reason: try cells[1].decode(String.self))
            }
            let vectorIndex =
                try PostgresStore.hasVectorIndex(session, postgres)
                ? "pgvector hnsw (vector_ip_ops)"
                : "exact scan (the pgvector hnsw index is built when an index run finishes)"
            var info = IndexInfo(
                meta: meta, documents: documents, chunks: chunks, vectors: vectors,
                vectorIndex: vectorIndex, skipped: skipped)
            var rows: [String: [IndexInfo.FacetValue]] = [:]
            for column in IndexInfo.Facets.columns {
                rows[column] = try session.query(IndexInfo.Facets.query(column)).map {
                    let cells = $0.makeRandomAccess()
                    return IndexInfo.FacetValue(value: try cells[0].decode(String.self), documents: Int(try cells[1].decode(Int64.self)))
                }
            }
            info.facets = IndexInfo.Facets(rows: rows)
            info.distinctVectors = Int(try session.query(IndexInfo.distinctVectorsQuery)[0].makeRandomAccess()[0].decode(Int64.self))
            return info
        }
    }

    private static let documentColumns = """
        d.id, d.path, d.sha256, d.size, d.modified, d.type, d.title, d.metadata, d.read_metadata,
        (SELECT count(*) FROM chunks c WHERE c.document_id = d.id) AS chunk_count
        """

    static func storedDocument(_ row: PostgresRow) throws -> StoredDocument {
        let cells = row.makeRandomAccess()
        return StoredDocument(
            id: try cells["id"].decode(Int64.self), path: try cells["path"].decode(String.self),
            sha256: try cells["sha256"].decode(String.self), size: try cells["size"].decode(Int64.self),
            modified: try cells["modified"].decode(Double.self), type: try cells["type"].decode(String.self),
            title: try cells["title"].decode(String?.self), chunkCount: Int(try cells["chunk_count"].decode(Int64.self)),
            metadata: FilingMetadata(json: try cells["metadata"].decode(String?.self)),
            readMetadata: try cells["read_metadata"].decode(String?.self).map { FilingMetadata(json: $0) })
    }

    /// Stored documents, all or the one at `path`.
    func documents(_ session: PostgresSession, path: String? = nil) throws -> [String: StoredDocument] {
        let rows =
            if let path {
                try session.query("SELECT \(PostgresStore.documentColumns) FROM documents d WHERE d.path = $1", binds(path))
            } else {
                try session.query("SELECT \(PostgresStore.documentColumns) FROM documents d")
            }
        var result: [String: StoredDocument] = [:]
        for row in rows {
            let document = try PostgresStore.storedDocument(row)
            result[document.path] = document
        }
        return result
    }

    public func document(id: Int64) throws -> (document: StoredDocument, text: String)? {
        try pool.withSession { session in
            guard let row = try session.query("SELECT \(PostgresStore.documentColumns), d.text FROM documents d WHERE d.id = $1", binds(id)).first
            else {
                return nil
            }
            return (try PostgresStore.storedDocument(row), try row.makeRandomAccess()["text"].decode(String.self))
        }
    }

    public func documentPaths() throws -> Set<String> {
        try pool.withSession { session in
            Set(try session.query("SELECT path FROM documents").map { try $0.makeRandomAccess()[0].decode(String.self) })
        }
    }

    public func chunks(ids: [Int64]) throws -> [Passage] {
        if ids.isEmpty { return [] }
        let rows = try pool.withSession { session in
            try session.query(
                """
                SELECT c.id, c.document_id, c.ordinal, c.text, c.start_offset, c.end_offset, c.page, c.page_end, c.section, c.section_starts, c.ocr,
                    c.token_count, d.path, d.title, d.metadata
                FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY($1)
                """, binds(ids))
        }
        var byId: [Int64: Passage] = [:]
        for row in rows {
            let cells = row.makeRandomAccess()
            let chunk = Passage(
                chunkId: try cells["id"].decode(Int64.self), documentId: try cells["document_id"].decode(Int64.self),
                path: try cells["path"].decode(String.self), title: try cells["title"].decode(String?.self),
                ordinal: Int(try cells["ordinal"].decode(Int32.self)), text: try cells["text"].decode(String.self),
                start: Int(try cells["start_offset"].decode(Int32.self)), end: Int(try cells["end_offset"].decode(Int32.self)),
                page: try cells["page"].decode(Int32?.self).map(Int.init), pageEnd: try cells["page_end"].decode(Int32?.self).map(Int.init),
                section: try cells["section"].decode(String?.self),
                sectionStarts: SectionStart.decode(try cells["section_starts"].decode(String?.self)), ocr: try cells["ocr"].decode(Bool.self),
                tokens: Int(try cells["token_count"].decode(Int32.self)),
                metadata: FilingMetadata(json: try cells["metadata"].decode(String?.self)))
            byId[chunk.chunkId] = chunk
        }
        return ids.compactMap { byId[$0] }
    }

    public func passages(ofDocument id: Int64) throws -> [Passage] {
        let ids = try pool.withSession { session in
            try session.query("SELECT id FROM chunks WHERE document_id = $1 ORDER BY ordinal", binds(id)).map {
                try $0.makeRandomAccess()[0].decode(Int64.self)
            }
        }
        return try chunks(ids: ids)
    }

    public func sampledPassageIds(_ count: Int) throws -> [Int64] {
        try pool.withSession { session in
            try session.query(IndexInfo.sampledPassagesQuery(count)).map { try $0.makeRandomAccess()[0].decode(Int64.self) }
        }
    }

    public func neighbours(of chunkId: Int64, before: Int, after: Int) throws -> [Passage] {
        let ids = try pool.withSession { session in
            try session.query(
                """
                SELECT n.id FROM chunks c JOIN chunks n ON n.document_id = c.document_id
                WHERE c.id = $1 AND n.ordinal BETWEEN c.ordinal - $2 AND c.ordinal + $3
                ORDER BY n.ordinal
                """, binds(chunkId, Int64(max(0, before)), Int64(max(0, after)))
            )
            .map { try $0.makeRandomAccess()[0].decode(Int64.self) }
        }
        return try chunks(ids: ids)
    }

    /// Without filters, pgvector's HNSW index (its search list `searchList` long, else twice `depth` and at
    /// least 40, pgvector's default; never shorter than `depth`, nor longer than pgvector's 1,000); with filters, an exact scan of the allowed
    /// passages (an HNSW scan filters after the fact and can come back short).
    public func nearest(_ vector: [Float], depth: Int, filters: SearchFilters, searchList: Int?) throws -> [(id: Int64, score: Double)] {
        try pool.withSession { session in
            var bindings = PostgresBindings()
            bindings.append(PostgresVector(values: vector, oid: vectorType))
            bindings.append(Int64(depth))
            let rows: [PostgresRow]
            if filters.isEmpty {
                try session.setSearchList(min(1000, searchList.map { max($0, depth) } ?? max(40, depth * 2)))
                rows = try session.query(
                    """
                    SELECT id, -(embedding <#> $1)::float8 FROM chunks ORDER BY embedding <#> $1 LIMIT $2
                    """, bindings)
            } else {
                let condition = try filters.postgresCondition(&bindings, session: session)
                rows = try session.query(
                    """
                    SELECT id, score FROM (
                        SELECT c.id, -(c.embedding <#> $1)::float8 AS score FROM chunks c JOIN documents d ON d.id = c.document_id
                        WHERE \(condition)
                    ) allowed ORDER BY round(score::numeric, 5) DESC, id LIMIT $2
                    """, bindings)
            }
            return try rows.map {
                let cells = $0.makeRandomAccess()
                return (try cells[0].decode(Int64.self), try cells[1].decode(Double.self))
            }
        }
    }

    /// Always current: every reader sees every commit.
    public func changeStamp() -> String { "" }

    // MARK: Writing

    /// Removes documents by path, each in its own transaction; returns how many were stored.
    func remove(paths: [String]) throws -> [String] {
        let writer = try PostgresWriter(store: self)
        let stored = try writer.documents()
        let present = paths.filter { stored[$0] != nil }
        try writer.write(updates: [], removing: present)
        return present
    }

    /// Records meta entries (search settings), in one transaction.
    func setMeta(_ entries: [String: String]) throws {
        try pool.withSession { session in
            try session.transaction { try PostgresStore.upsertMeta(entries, in: session) }
        }
    }

    /// Writes meta entries, replacing those of the same keys.
    static func upsertMeta(_ entries: [String: String], in session: PostgresSession) throws {
        for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
            try session.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                binds(key, value))
        }
    }
}

extension PostgresSession {
    /// Sets pgvector's HNSW search list length (`hnsw.ef_search`) for this connection when it differs.
    func setSearchList(_ length: Int) throws {
        if searchList == length { return }
        try execute("SELECT set_config('hnsw.ef_search', $1, false)", binds("\(length)"))
        searchList = length
    }
}

/// Bindings from a list of values.
func binds(_ values: any PostgresDynamicTypeEncodable...) -> PostgresBindings {
    var bindings = PostgresBindings(capacity: values.count)
    for value in values { bindings.append(value) }
    return bindings
}
