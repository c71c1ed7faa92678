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
    public static let schemaVersion = 6
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
            throw KorSearchError(.corruptIndex, "the store \(postgres) has schema version \(version); this korsearch reads version \(PostgresStore.schemaVersion)")
        }
        meta = try IndexMeta(entries: entries, owner: "the store \(postgres)")
        vectorType = try PostgresStore.vectorTypeOID(session)
        pool = PostgresPool(postgres)
    }

    /// Opens an existing index (migrating it first when an older korsearch made it).
    public static func open(_ location: PostgresLocation) throws -> PostgresStore {
        let session = try PostgresSession(location)
        guard let version = try schemaVersion(session, location) else {
            throw KorSearchError(.indexNotFound, "no index in PostgreSQL at \(location) (schema \(location.schema) has no KorSearch tables); build one with `korsearch index FOLDER --store \(location)`")
        }
        if version < schemaVersion {
            try session.transaction {
                try session.execute("SELECT pg_advisory_xact_lock($1)", binds(PostgresStore.lockKey("schema")))
                try migrate(session, location, dimension: nil)
            }
        }
        return try PostgresStore(location, session: session)
    }

    /// The recorded schema version, or nil when the schema holds no KorSearch tables.
    private static func schemaVersion(_ session: PostgresSession, _ location: PostgresLocation) throws -> Int? {
        let exists = try session.query("SELECT to_regclass($1) IS NOT NULL", binds("\(location.schema).meta"))
        guard try exists.first?.makeRandomAccess()[0].decode(Bool.self) == true else { return nil }
        let rows = try session.query("SELECT value FROM meta WHERE key = 'schema_version'")
        return Int(try rows.first?.makeRandomAccess()[0].decode(String.self) ?? "") ?? 0
    }

    /// Applies the migrations a store lacks (in the caller's transaction, under the schema lock). `dimension`
    /// is needed only to create a store.
    private static func migrate(_ session: PostgresSession, _ location: PostgresLocation, dimension: Int?) throws {
        let version = try schemaVersion(session, location) ?? 0
        if version > schemaVersion {
            throw KorSearchError(.corruptIndex, "the store \(location) has schema version \(version); this korsearch reads version \(schemaVersion)")
        }
        for (number, statements) in migrations(dimension: dimension ?? 0) where number > version {
            for statement in statements { try session.execute(statement) }
            try session.execute("INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                binds("\(number)"))
        }
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
            // Keyword terms derived by older rules are derived again before anything is written by these.
            if try IndexMeta(entries: try readMeta(session), owner: location.description).keywordTerms != KeywordTerms.version {
                let count = try rederiveKeywordTerms(session)
                warn("keyword terms of \(count) passages derived again by this korsearch's rules (whole Korean words and amounts); no re-embedding")
            }
        }
        return try PostgresStore(location, session: session)
    }

    /// The schema, as numbered steps; a store records the last step applied.
    private static func migrations(dimension: Int) -> [(Int, [String])] {
        [(1, [
            "CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)",
            """
            CREATE TABLE documents (
                id bigserial PRIMARY KEY,
                path text NOT NULL UNIQUE,
                sha256 text NOT NULL,
                size bigint NOT NULL,
                modified double precision NOT NULL,
                type text NOT NULL,
                title text,
                text text NOT NULL,
                encoding text,
                page_starts text NOT NULL,
                indexed_at double precision NOT NULL
            )
            """,
            """
            CREATE TABLE chunks (
                id bigserial PRIMARY KEY,
                document_id bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                ordinal integer NOT NULL,
                text text NOT NULL,
                start_offset integer NOT NULL,
                end_offset integer NOT NULL,
                page integer,
                token_count integer NOT NULL,
                embedding vector(\(dimension)) NOT NULL,
                terms tsvector NOT NULL,
                term_count integer NOT NULL,
                UNIQUE (document_id, ordinal)
            )
            """,
            PostgresStore.vectorIndexStatement,
            "CREATE INDEX chunks_terms ON chunks USING gin (terms)",
            // BM25's statistics: passages per term, and the totals.
            "CREATE TABLE keyword_terms (term text PRIMARY KEY, chunks bigint NOT NULL)",
            "CREATE TABLE keyword_totals (id integer PRIMARY KEY CHECK (id = 1), chunks bigint NOT NULL, terms bigint NOT NULL)",
            "INSERT INTO keyword_totals VALUES (1, 0, 0)",
            "CREATE TABLE skipped (path text PRIMARY KEY, reason text NOT NULL)",
        ]), (2, [
            // Posting lists for BM25: a passage's row per distinct term, with its frequency and the passage's
            // length, read by an index-only scan per query term instead of every matching passage's tsvector.
            "CREATE TABLE keyword_postings (term text NOT NULL, chunk_id bigint NOT NULL, tf smallint NOT NULL, length integer NOT NULL)",
            """
            INSERT INTO keyword_postings
            SELECT u.lexeme, c.id, coalesce(cardinality(u.positions), 1), c.term_count FROM chunks c CROSS JOIN unnest(c.terms) u
            """,
            "CREATE UNIQUE INDEX keyword_postings_term ON keyword_postings (term, chunk_id) INCLUDE (tf, length)",
            // Ranking no longer matches tsvectors; their GIN index would only slow every write.
            "DROP INDEX IF EXISTS chunks_terms",
        ]), (3, [
            // The headings above each passage; passages stored before this have none until re-indexed.
            "ALTER TABLE chunks ADD COLUMN IF NOT EXISTS section text",
        ]), (4, [
            // What each document is (FilingMetadata as JSON, and what its reader found), and the columns
            // filters and facets read.
            "ALTER TABLE documents " + (["metadata", "read_metadata"] + FilingMetadata.columnNames)
                .map { "ADD COLUMN IF NOT EXISTS \($0) text" }.joined(separator: ", "),
        ]), (5, [
            // The hash of each passage's encoder input, so an identical input reuses the stored vector.
            "ALTER TABLE chunks ADD COLUMN IF NOT EXISTS input_hash text",
            "CREATE INDEX IF NOT EXISTS chunks_input_hash ON chunks (input_hash)",
        ]), (6, [
            // Each term's bound on its BM25 weight (`KeywordBound`), so that keyword ranking skips the posting
            // lists of terms that cannot lift a passage into the top k. The defaults are valid bounds for any
            // posting (the weight's limit 2.2, at any average length); the update makes them tight.
            """
            ALTER TABLE keyword_terms ADD COLUMN IF NOT EXISTS weight_bound float8 NOT NULL DEFAULT 2.2,
                                      ADD COLUMN IF NOT EXISTS bound_length float8 NOT NULL DEFAULT 'Infinity'
            """,
            KeywordBound.recomputeStatement,
        ])]
    }

    /// Derives every passage's keyword terms, its posting lists and BM25's statistics again by the current
    /// `KeywordTerms`, in the caller's transaction (a crash leaves the old terms or the new). Returns the count.
    static func rederiveKeywordTerms(_ session: PostgresSession) throws -> Int {
        try session.execute("DELETE FROM keyword_postings")
        var last: Int64 = 0, count = 0
        while true {
            var ids: [Int64] = [], vectors: [String] = [], lengths: [Int32] = []
            var postings = (terms: [String](), chunks: [Int64](), frequencies: [Int32](), lengths: [Int32]())
            for row in try session.query("SELECT id, text FROM chunks WHERE id > $1 ORDER BY id LIMIT 500", binds(last)) {
                let cells = row.makeRandomAccess()
                let id = try cells[0].decode(Int64.self)
                let terms = KeywordTerms.terms(try cells[1].decode(String.self))
                for (term, frequency) in TermVector.frequencies(terms) {
                    postings.terms.append(term)
                    postings.chunks.append(id)
                    postings.frequencies.append(frequency)
                    postings.lengths.append(Int32(terms.count))
                }
                ids.append(id)
                vectors.append(TermVector.literal(terms))
                lengths.append(Int32(terms.count))
            }
            guard let next = ids.last else { break }
            try session.execute("""
                UPDATE chunks c SET terms = u.terms::tsvector, term_count = u.length
                FROM unnest($1::int8[], $2::text[], $3::int4[]) AS u(id, terms, length) WHERE c.id = u.id
                """, binds(ids, vectors, lengths))
            try session.execute("""
                INSERT INTO keyword_postings (term, chunk_id, tf, length)
                SELECT * FROM unnest($1::text[], $2::int8[], $3::int4[], $4::int4[])
                """, binds(postings.terms, postings.chunks, postings.frequencies, postings.lengths))
            last = next
            count += ids.count
        }
        try session.execute("DELETE FROM keyword_terms")
        try session.execute("INSERT INTO keyword_terms (term, chunks) SELECT term, count(*) FROM keyword_postings GROUP BY term")
        try session.execute("UPDATE keyword_totals SET chunks = (SELECT count(*) FROM chunks), terms = (SELECT coalesce(sum(term_count), 0) FROM chunks)")
        try session.execute(KeywordBound.recomputeStatement)
        try upsertMeta(IndexMeta.keywordTermsEntries, in: session)
        return count
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
            let vectorIndex = try PostgresStore.hasVectorIndex(session, postgres) ? "pgvector hnsw (vector_ip_ops)"
                : "exact scan (the pgvector hnsw index is built when an index run finishes)"
            var info = IndexInfo(meta: meta, documents: documents, chunks: chunks, vectors: vectors,
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
        let rows = if let path {
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
            guard let row = try session.query("SELECT \(PostgresStore.documentColumns), d.text FROM documents d WHERE d.id = $1", binds(id)).first else {
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
            try session.query("""
                SELECT c.id, c.document_id, c.ordinal, c.text, c.start_offset, c.end_offset, c.page, c.section, c.token_count, d.path, d.title, d.metadata
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
                page: try cells["page"].decode(Int32?.self).map(Int.init), section: try cells["section"].decode(String?.self), tokens: Int(try cells["token_count"].decode(Int32.self)),
                metadata: FilingMetadata(json: try cells["metadata"].decode(String?.self)))
            byId[chunk.chunkId] = chunk
        }
        return ids.compactMap { byId[$0] }
    }

    public func neighbours(of chunkId: Int64, before: Int, after: Int) throws -> [Passage] {
        let ids = try pool.withSession { session in
            try session.query("""
                SELECT n.id FROM chunks c JOIN chunks n ON n.document_id = c.document_id
                WHERE c.id = $1 AND n.ordinal BETWEEN c.ordinal - $2 AND c.ordinal + $3
                ORDER BY n.ordinal
                """, binds(chunkId, Int64(max(0, before)), Int64(max(0, after))))
                .map { try $0.makeRandomAccess()[0].decode(Int64.self) }
        }
        return try chunks(ids: ids)
    }

    /// Without filters, pgvector's HNSW index (its search list at least `depth` long); with filters, an exact
    /// scan of the allowed passages (an HNSW scan filters after the fact and can come back short).
    public func nearest(_ vector: [Float], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)] {
        try pool.withSession { session in
            var bindings = PostgresBindings()
            bindings.append(PostgresVector(values: vector, oid: vectorType))
            bindings.append(Int64(depth))
            let rows: [PostgresRow]
            if filters.isEmpty {
                try session.setSearchList(max(40, min(1000, depth * 2)))
                rows = try session.query("""
                    SELECT id, -(embedding <#> $1)::float8 FROM chunks ORDER BY embedding <#> $1 LIMIT $2
                    """, bindings)
            } else {
                let condition = try filters.postgresCondition(&bindings)
                rows = try session.query("""
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

    public func termFrequencies(_ terms: [String]) throws -> (passages: Int, frequencies: [String: Int]) {
        try pool.withSession { session in
            let totals = try session.query("SELECT chunks FROM keyword_totals")
            let passages = Int(try totals.first?.makeRandomAccess()[0].decode(Int64.self) ?? 0)
            var frequencies: [String: Int] = [:]
            if !terms.isEmpty {
                for row in try session.query("SELECT term, chunks FROM keyword_terms WHERE term = ANY($1) AND chunks > 0", binds(terms)) {
                    let cells = row.makeRandomAccess()
                    frequencies[try cells[0].decode(String.self)] = Int(try cells[1].decode(Int64.self))
                }
            }
            return (passages, frequencies)
        }
    }

    /// BM25 as FTS5 computes it — idf = ln((N − n + 0.5) / (n + 0.5)) (at least 1e-6), k1 1.2, b 0.75, lengths
    /// in terms — the exact top `depth` (ties by id), pruned by MaxScore (`KeywordBound`): a first pass over the
    /// rarest terms' passages estimates the k-th best score; then only the posting lists of the terms whose
    /// bounds could lift a passage to it are read, and each candidate that can still reach it gets its other
    /// terms' weights by index lookups.
    public func bestKeywordMatches(_ terms: [String], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)] {
        try prunedKeywordMatches(terms, depth: depth, filters: filters).ranking
    }

    /// The pruned ranking, with how many posting-list entries its passes read in full and how many the query
    /// terms' lists hold (`lookupShare` as `KeywordBound.Plan.essentialCount` takes it).
    func prunedKeywordMatches(_ terms: [String], depth: Int, filters: SearchFilters, lookupShare: Double = 0.2) throws
        -> (ranking: [(id: Int64, score: Double)], read: Int, postings: Int) {
        if terms.isEmpty || depth <= 0 { return ([], 0, 0) }
        return try pool.withSession { session in
            guard let (plan, average) = try keywordPlan(terms, session) else { return ([], 0, 0) }
            func entries(_ count: Int) -> Int { plan.terms.prefix(count).map(\.passages).reduce(0, +) }
            let postings = entries(plan.terms.count)
            let probe = plan.probeCount(budget: postings / 8)
            if postings <= KeywordBound.exhaustiveBelow || probe == plan.terms.count {
                return (try keywordRanking(session, plan: plan, average: average, depth: depth, filters: filters), postings, postings)
            }
            let estimate = try keywordRanking(session, plan: plan, essential: probe, average: average, depth: depth, filters: filters,
                                              candidates: .best(max(4 * depth, 100)))
            guard estimate.count == depth, let threshold = estimate.last?.score else {
                return (try keywordRanking(session, plan: plan, average: average, depth: depth, filters: filters),
                        entries(probe) + postings, postings)
            }
            let essential = plan.essentialCount(reaching: threshold, lookupShare: lookupShare)
            let ranking = try keywordRanking(session, plan: plan, essential: essential, average: average, depth: depth, filters: filters,
                                             candidates: .reaching(threshold - plan.rest[essential] - KeywordBound.slack))
            return (ranking, entries(probe) + entries(essential), postings)
        }
    }

    /// The same ranking without pruning: every query term's posting list summed per passage (the reference the
    /// tests hold the pruned ranking to).
    func exhaustiveKeywordMatches(_ terms: [String], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)] {
        if terms.isEmpty || depth <= 0 { return [] }
        return try pool.withSession { session in
            guard let (plan, average) = try keywordPlan(terms, session) else { return [] }
            return try keywordRanking(session, plan: plan, average: average, depth: depth, filters: filters)
        }
    }

    /// The query terms found in the store with their idf and bounds, and the average passage length; nil when
    /// the store has no passages.
    private func keywordPlan(_ terms: [String], _ session: PostgresSession) throws -> (KeywordBound.Plan, Double)? {
        let totals = try session.query("SELECT chunks, terms FROM keyword_totals")[0].makeRandomAccess()
        let passages = Double(try totals[0].decode(Int64.self))
        if passages == 0 { return nil }
        let average = Double(try totals[1].decode(Int64.self)) / passages
        var found: [KeywordBound.Term] = []
        for row in try session.query("SELECT term, chunks, weight_bound, bound_length FROM keyword_terms WHERE term = ANY($1) AND chunks > 0",
                                     binds(Array(Set(terms)))) {
            let cells = row.makeRandomAccess()
            let n = Double(try cells[1].decode(Int64.self))
            let value = log((passages - n + 0.5) / (n + 0.5))
            let idf = value > 0 ? value : 1e-6
            let bound = KeywordBound.bound(try cells[2].decode(Double.self), reference: try cells[3].decode(Double.self), average: average)
            found.append(.init(term: try cells[0].decode(String.self), idf: idf, bound: idf * bound, passages: Int(n)))
        }
        return (KeywordBound.Plan(found), average)
    }

    /// Which passages of the essential terms' posting lists are scored in full: the `n` best by those terms
    /// alone, those whose essential part reaches a floor, or all.
    private enum Candidates {
        case best(Int)
        case reaching(Double)
        case all
    }

    /// One pass: the passages in the first `essential` terms' posting lists (summed per passage, filtered),
    /// the chosen candidates completed with the other terms' weights by (term, passage) lookups, the best
    /// `depth` by full score. By default every list is summed: the exhaustive ranking.
    private func keywordRanking(_ session: PostgresSession, plan: KeywordBound.Plan, essential: Int? = nil, average: Double, depth: Int,
                                filters: SearchFilters, candidates: Candidates = .all) throws -> [(id: Int64, score: Double)] {
        let essential = essential ?? plan.terms.count
        let read = plan.terms[..<essential], looked = plan.terms[essential...]
        if read.isEmpty { return [] }
        var bindings = PostgresBindings()
        bindings.append(read.map(\.term))
        bindings.append(read.map(\.idf))
        bindings.append(looked.map(\.term))
        bindings.append(looked.map(\.idf))
        bindings.append(average)
        bindings.append(Int64(depth))
        let weight = KeywordBound.weightSQL(average: "$5::float8")
        var conditions: [String] = []
        if !filters.isEmpty { conditions.append(try filters.postgresCondition(&bindings)) }
        var limit = ""
        switch candidates {
        case .best(let count):
            bindings.append(Int64(count))
            limit = "ORDER BY a.s DESC, a.id LIMIT $\(bindings.count)"
        case .reaching(let floor):
            bindings.append(floor)
            conditions.append("a.s >= $\(bindings.count)")
        case .all: break
        }
        let rows = try session.query("""
            SELECT id, score FROM (
                SELECT a.id, a.s + coalesce((
                    SELECT sum(r.idf * \(weight)) FROM unnest($3::text[], $4::float8[]) AS r(term, idf)
                    JOIN keyword_postings p ON p.term = r.term AND p.chunk_id = a.id
                ), 0) AS score
                FROM (
                    SELECT a.id, a.s FROM (
                        SELECT p.chunk_id AS id, sum(q.idf * \(weight)) AS s
                        FROM unnest($1::text[], $2::float8[]) AS q(term, idf)
                        JOIN keyword_postings p ON p.term = q.term
                        GROUP BY p.chunk_id
                    ) a
                    \(filters.isEmpty ? "" : "JOIN chunks c ON c.id = a.id JOIN documents d ON d.id = c.document_id")
                    \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                    \(limit)
                ) a
            ) ranked
            ORDER BY round(score * 1e9::float8) DESC, id LIMIT $6
            """, bindings)
        return try rows.map {
            let cells = $0.makeRandomAccess()
            return (try cells[0].decode(Int64.self), try cells[1].decode(Double.self))
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
            try session.execute("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                binds(key, value))
        }
    }

    /// Rebuilds the HNSW index from the stored vectors (after many removals, or to compact it), or builds it
    /// when an initial load left it to the end of a run that did not finish.
    func rebuildVectorIndex() throws {
        try pool.withSession { session in
            if try PostgresStore.hasVectorIndex(session, postgres) {
                try session.execute("REINDEX INDEX chunks_embedding")
            } else {
                try PostgresStore.buildVectorIndex(session, postgres)
            }
        }
    }

    /// pgvector's HNSW index over the passages' vectors (inner product on normalized vectors).
    static let vectorIndexStatement = "CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_ip_ops)"

    /// Whether the HNSW index exists (an initial load builds it at its end; until then vector search scans).
    static func hasVectorIndex(_ session: PostgresSession, _ location: PostgresLocation) throws -> Bool {
        try session.query("SELECT to_regclass($1) IS NOT NULL", binds("\(location.schema).chunks_embedding"))[0]
            .makeRandomAccess()[0].decode(Bool.self)
    }

    /// Builds the HNSW index if it is missing, once however many workers finish at the same time (under the
    /// schema lock; writers wait while it is built).
    static func buildVectorIndex(_ session: PostgresSession, _ location: PostgresLocation) throws {
        if try hasVectorIndex(session, location) { return }
        try session.transaction {
            try session.execute("SELECT pg_advisory_xact_lock($1)", binds(PostgresStore.lockKey("schema")))
            if try !hasVectorIndex(session, location) { try session.execute(vectorIndexStatement) }
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

extension SearchFilters {
    /// The condition over `documents d` in PostgreSQL, its values appended to `bindings` as parameters.
    func postgresCondition(_ bindings: inout PostgresBindings) throws -> String {
        var parts: [String] = []
        func parameter(_ value: some PostgresDynamicTypeEncodable) -> String {
            bindings.append(value)
            return "$\(bindings.count)"
        }
        if let pathGlob { parts.append("d.path ~ \(parameter(SearchFilters.regex(glob: pathGlob)))") }
        if let types { parts.append("d.type = ANY(\(parameter(types.sorted())))") }
        if let modifiedAfter { parts.append("d.modified >= \(parameter(modifiedAfter.timeIntervalSince1970))") }
        if let modifiedBefore { parts.append("d.modified < \(parameter(modifiedBefore.timeIntervalSince1970))") }
        for condition in metadataConditions {
            switch condition {
            case .company(let key, let code):
                let codeParameter = parameter(code)
                parts.append("(d.company_key = \(parameter(key)) OR d.corp_code = \(codeParameter) OR d.stock_code = \(codeParameter))")
            case .equals(let column, let value): parts.append("d.\(column) = \(parameter(value))")
            case .year(let year): parts.append("(d.period = \(parameter(year)) OR d.period LIKE \(parameter(year + "-%")))")
            case .atLeast(let column, let value): parts.append("d.\(column) >= \(parameter(value))")
            case .below(let column, let value): parts.append("d.\(column) < \(parameter(value))")
            }
        }
        return parts.isEmpty ? "true" : parts.joined(separator: " AND ")
    }

    /// A POSIX regular expression matching what SQLite's GLOB matches: `*` any run, `?` one character,
    /// `[...]` / `[^...]` a set, everything else itself (case-sensitive, whole string).
    static func regex(glob: String) -> String {
        var result = "^"
        var characters = Array(glob)[...]
        while let character = characters.popFirst() {
            switch character {
            case "*": result += ".*"
            case "?": result += "."
            case "[":
                if let close = characters.dropFirst().firstIndex(of: "]") {
                    var set = String(characters[characters.startIndex ..< close])
                    // Inside a set everything is itself, as in GLOB: `[` escaped so that `[[:alpha:]]` is the
                    // characters `[:alph` (GLOB has no character classes), not a POSIX class.
                    func literal(_ text: some StringProtocol) -> String {
                        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "[", with: "\\[")
                    }
                    set = set.hasPrefix("^") ? "^" + literal(set.dropFirst()) : literal(set)
                    result += "[" + set + "]"
                    characters = characters[(close + 1)...]
                } else {
                    result += "\\["
                }
            default:
                result += "\\.^$|()+{}\\".contains(character) ? "\\" + String(character) : String(character)
            }
        }
        return result + "$"
    }
}
