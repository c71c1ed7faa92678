import KorSearchCore
import PostgresNIO

/// pgvector's HNSW index: built at the end of an initial load, rebuilt on request.
extension PostgresStore {
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

    /// pgvector's HNSW index over the passages' vectors (inner product on normalized vectors). `IF NOT EXISTS`:
    /// a worker's check under the schema lock can read a catalog cache from before another worker built it
    /// (an advisory lock does not make a session read the catalog's changes), and then must not fail.
    static let vectorIndexStatement = "CREATE INDEX IF NOT EXISTS chunks_embedding ON chunks USING hnsw (embedding vector_ip_ops)"

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
