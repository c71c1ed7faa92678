import KorSearchCore
import PostgresNIO

/// The store's schema: its numbered migrations, applied under the schema lock by `open` and `create`, and
/// the keyword terms derived again when their rules change.
extension PostgresStore {
    /// The recorded schema version, or nil when the schema holds no KorSearch tables.
    static func schemaVersion(_ session: PostgresSession, _ location: PostgresLocation) throws -> Int? {
        let exists = try session.query("SELECT to_regclass($1) IS NOT NULL", binds("\(location.schema).meta"))
        guard try exists.first?.makeRandomAccess()[0].decode(Bool.self) == true else { return nil }
        let rows = try session.query("SELECT value FROM meta WHERE key = 'schema_version'")
        return Int(try rows.first?.makeRandomAccess()[0].decode(String.self) ?? "") ?? 0
    }

    /// Applies the migrations a store lacks (in the caller's transaction, under the schema lock). `dimension`
    /// is needed only to create a store.
    static func migrate(_ session: PostgresSession, _ location: PostgresLocation, dimension: Int?) throws {
        let version = try schemaVersion(session, location) ?? 0
        if version > schemaVersion {
            throw KorSearchError(.corruptIndex, "the store \(location) has schema version \(version); this korsearch reads version \(schemaVersion)")
        }
        for (number, statements) in migrations(dimension: dimension ?? 0) where number > version {
            for statement in statements { try session.execute(statement) }
            try session.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                binds("\(number)"))
        }
    }

    /// The schema, as numbered steps; a store records the last step applied.
    static func migrations(dimension: Int) -> [(Int, [String])] {
        [
            (
                1,
                [
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
                ]
            ),
            (
                2,
                [
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
                ]
            ),
            (
                3,
                [
                    // The headings above each passage; passages stored before this have none until re-indexed.
                    "ALTER TABLE chunks ADD COLUMN IF NOT EXISTS section text"
                ]
            ),
            (
                4,
                [
                    // What each document is (FilingMetadata as JSON, and what its reader found), and the columns
                    // filters and facets read.
                    "ALTER TABLE documents "
                        + (["metadata", "read_metadata"] + FilingMetadata.columnNames)
                        .map { "ADD COLUMN IF NOT EXISTS \($0) text" }.joined(separator: ", ")
                ]
            ),
            (
                5,
                [
                    // The hash of each passage's encoder input, so an identical input reuses the stored vector.
                    "ALTER TABLE chunks ADD COLUMN IF NOT EXISTS input_hash text",
                    "CREATE INDEX IF NOT EXISTS chunks_input_hash ON chunks (input_hash)",
                ]
            ),
            (
                6,
                [
                    // Each term's bound on its BM25 weight (`KeywordBound`), so that keyword ranking skips the posting
                    // lists of terms that cannot lift a passage into the top k. The defaults are valid bounds for any
                    // posting (the weight's limit 2.2, at any average length); the update makes them tight.
                    """
                    ALTER TABLE keyword_terms ADD COLUMN IF NOT EXISTS weight_bound float8 NOT NULL DEFAULT 2.2,
                                              ADD COLUMN IF NOT EXISTS bound_length float8 NOT NULL DEFAULT 'Infinity'
                    """,
                    KeywordBound.recomputeStatement,
                ]
            ),
            (
                7,
                [
                    // Financial statement lines read from the folder's financials.jsonl (FinancialFacts).
                    """
                    CREATE TABLE IF NOT EXISTS facts (
                        corp_code text NOT NULL, company text NOT NULL, stock_code text, fiscal_year integer NOT NULL,
                        report text NOT NULL, period text NOT NULL, statement text NOT NULL, consolidated boolean NOT NULL,
                        account_id text, account text NOT NULL, current bigint, previous bigint, currency text,
                        rcept_no text NOT NULL, ord integer
                    )
                    """,
                    "CREATE INDEX IF NOT EXISTS facts_corp_code ON facts (corp_code)",
                    "CREATE TABLE IF NOT EXISTS fact_companies (corp_code text PRIMARY KEY, company text NOT NULL, stock_code text)",
                ]
            ),
            (
                8,
                [
                    // The page each passage ends on, the sections that begin inside it, and whether OCR read some of
                    // its text; passages stored before this end on the page they start on, are in one section and
                    // were read, until re-indexed.
                    """
                    ALTER TABLE chunks ADD COLUMN IF NOT EXISTS page_end integer, ADD COLUMN IF NOT EXISTS section_starts text,
                                       ADD COLUMN IF NOT EXISTS ocr boolean NOT NULL DEFAULT false
                    """
                ]
            ),
        ]
    }

    /// Derives every passage's keyword terms, its posting lists and BM25's statistics again by the current
    /// `KeywordTerms` with `dictionary`, in the caller's transaction (a crash leaves the old terms or the new).
    /// Returns the count.
    static func rederiveKeywordTerms(_ session: PostgresSession, dictionary: KeywordDictionary) throws -> Int {
        try session.execute("DELETE FROM keyword_postings")
        var last: Int64 = 0, count = 0
        while true {
            var ids: [Int64] = [], vectors: [String] = [], lengths: [Int32] = []
            var postings = (terms: [String](), chunks: [Int64](), frequencies: [Int32](), lengths: [Int32]())
            for row in try session.query("SELECT id, text FROM chunks WHERE id > $1 ORDER BY id LIMIT 500", binds(last)) {
                let cells = row.makeRandomAccess()
                let id = try cells[0].decode(Int64.self)
                let terms = KeywordTerms.terms(try cells[1].decode(String.self), dictionary: dictionary)
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
            try session.execute(
                """
                UPDATE chunks c SET terms = u.terms::tsvector, term_count = u.length
                FROM unnest($1::int8[], $2::text[], $3::int4[]) AS u(id, terms, length) WHERE c.id = u.id
                """, binds(ids, vectors, lengths))
            try session.execute(
                """
                INSERT INTO keyword_postings (term, chunk_id, tf, length)
                SELECT * FROM unnest($1::text[], $2::int8[], $3::int4[], $4::int4[])
                """, binds(postings.terms, postings.chunks, postings.frequencies, postings.lengths))
            last = next
            count += ids.count
        }
        try session.execute("DELETE FROM keyword_terms")
        try session.execute("INSERT INTO keyword_terms (term, chunks) SELECT term, count(*) FROM keyword_postings GROUP BY term")
        try session.execute(
            "UPDATE keyword_totals SET chunks = (SELECT count(*) FROM chunks), terms = (SELECT coalesce(sum(term_count), 0) FROM chunks)")
        try session.execute(KeywordBound.recomputeStatement)
        try upsertMeta(IndexMeta.keywordTermsEntries(dictionary), in: session)
        return count
    }
}
