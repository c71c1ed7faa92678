import Foundation
import KorSearchCore
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// An indexing worker's hold on a PostgreSQL store. Many workers, on one machine or many, write at once:
/// a worker claims a file (a session advisory lock on its path) before embedding it, so two workers never
/// embed the same file; each document's replacement (old passages out, new ones in, keyword statistics
/// adjusted) is one transaction under a transaction lock on the path. A killed worker's connection drops, its
/// open transaction rolls back and its claims are released: no half-written document, and a re-run finishes it.
final class PostgresWriter: IndexWriting {
    let store: PostgresStore
    /// The worker's own connection: claims are held by it, and its transactions run on it.
    let session: PostgresSession
    private var claimed: Set<String> = []
    /// Documents committed by this process (for the crash test hook).
    private var committed = 0

    init(store: PostgresStore) throws {
        self.store = store
        session = try PostgresSession(store.postgres)
        // An initial load: into an empty store, the passages go in without the HNSW index, which `finish`
        // builds once over all of them — pgvector's build is many times faster than inserting into the graph
        // passage by passage. Until then (or after a run that did not finish) vector search scans exactly.
        if try PostgresStore.counts(session).chunks == 0 {
            try session.transaction {
                try session.execute("SELECT pg_advisory_xact_lock($1)", binds(PostgresStore.lockKey("schema")))
                if try PostgresStore.counts(session).chunks == 0 { try session.execute("DROP INDEX IF EXISTS chunks_embedding") }
            }
        }
    }

    var meta: IndexMeta { store.meta }
    var concurrentWriters: Bool { true }

    func documents() throws -> [String: StoredDocument] { try store.documents(session) }

    func storedDocument(path: String) throws -> StoredDocument? { try store.documents(session, path: path)[path] }

    func claim(_ path: String) throws -> Bool {
        if claimed.contains(path) { return true }
        let rows = try session.query("SELECT pg_try_advisory_lock($1)", binds(store.lockKey(path)))
        guard try rows.first?.makeRandomAccess()[0].decode(Bool.self) == true else { return false }
        claimed.insert(path)
        return true
    }

    func release(_ paths: [String]) throws {
        for path in paths where claimed.remove(path) != nil {
            try session.execute("SELECT pg_advisory_unlock($1)", binds(store.lockKey(path)))
        }
    }

    func touch(path: String, modified: Double) throws {
        try session.execute("UPDATE documents SET modified = $1 WHERE path = $2", binds(modified, path))
    }

    func vectors(forInputs hashes: [String]) throws -> [String: [Float]] {
        var found: [String: [Float]] = [:]
        for start in stride(from: 0, to: hashes.count, by: 1000) {
            let part = Array(hashes[start ..< min(hashes.count, start + 1000)])
            let rows = try session.query(
                """
                SELECT DISTINCT ON (input_hash) input_hash, embedding::real[] FROM chunks WHERE input_hash = ANY($1)
                """, binds(part))
            for row in rows {
                let cells = row.makeRandomAccess()
                found[try cells[0].decode(String.self)] = try cells[1].decode([Float].self)
            }
        }
        return found
    }

    func setMetadata(_ updates: [String: MetadataUpdate]) throws {
        if updates.isEmpty { return }
        try session.transaction {
            for (path, update) in updates {
                var bindings = PostgresBindings()
                bindings.append(update.metadata.json)
                bindings.append(update.readMetadata.json)
                for value in update.metadata.columnValues { bindings.append(value) }
                bindings.append(path)
                let assignments = FilingMetadata.columnNames.enumerated().map { "\($1) = $\($0 + 3)" }.joined(separator: ", ")
                try session.execute(
                    "UPDATE documents SET metadata = $1, read_metadata = $2, \(assignments) WHERE path = $\(bindings.count)", bindings)
            }
        }
    }

    func counts() throws -> (documents: Int, chunks: Int) { try PostgresStore.counts(session) }

    func write(updates: [DocumentUpdate], removing: [String]) throws {
        for path in removing {
            try session.transaction {
                try session.execute("SELECT pg_advisory_xact_lock($1)", binds(store.lockKey(path)))
                var statistics = KeywordDelta()
                try delete(path: path, into: &statistics)
                try statistics.apply(session)
            }
        }
        for update in updates {
            try session.transaction {
                try session.execute("SELECT pg_advisory_xact_lock($1)", binds(store.lockKey(update.path)))
                var statistics = KeywordDelta()
                try delete(path: update.path, into: &statistics)
                try insert(update, into: &statistics)
                if let limit = ProcessInfo.processInfo.environment["KORSEARCH_TEST_CRASH_IN_WRITE"].flatMap(Int.init), committed >= limit {
                    // Test hook: die like `kill -9` inside a document's transaction, its passages written, uncommitted.
                    _exit(137)
                }
                try statistics.apply(session)
                try session.execute("DELETE FROM skipped WHERE path = $1", binds(update.path))
            }
            committed += 1
        }
    }

    /// Deletes the document at a path (its passages go with it), counting what leaves the keyword statistics.
    private func delete(path: String, into statistics: inout KeywordDelta) throws {
        let rows = try session.query(
            """
            SELECT u.lexeme, count(*) FROM chunks c JOIN documents d ON d.id = c.document_id CROSS JOIN unnest(c.terms) u
            WHERE d.path = $1 GROUP BY u.lexeme
            """, binds(path))
        for row in rows {
            let cells = row.makeRandomAccess()
            statistics.terms[try cells[0].decode(String.self), default: 0] -= try cells[1].decode(Int64.self)
        }
        let totals = try session.query(
            """
            SELECT count(*), coalesce(sum(c.term_count), 0)::bigint FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.path = $1
            """, binds(path))[0].makeRandomAccess()
        statistics.chunks -= try totals[0].decode(Int64.self)
        statistics.termCount -= try totals[1].decode(Int64.self)
        // The passages' postings, found through their own terms (the posting index is by term).
        try session.execute(
            """
            DELETE FROM keyword_postings p
            USING documents d JOIN chunks c ON c.document_id = d.id CROSS JOIN LATERAL unnest(c.terms) u
            WHERE d.path = $1 AND p.term = u.lexeme AND p.chunk_id = c.id
            """, binds(path))
        try session.execute("DELETE FROM documents WHERE path = $1", binds(path))
    }

    /// Inserts a document and its passages (several hundred per statement), counting what joins the
    /// keyword statistics.
    private func insert(_ update: DocumentUpdate, into statistics: inout KeywordDelta) throws {
        let document = update.document
        var bindings = PostgresBindings()
        bindings.append(update.path)
        bindings.append(update.sha256)
        bindings.append(update.size)
        bindings.append(update.modified)
        bindings.append(document.type)
        bindings.append(document.title)
        bindings.append(document.text)
        bindings.append(document.encoding)
        bindings.append(document.pageStarts.map(String.init).joined(separator: ","))
        bindings.append(Date().timeIntervalSince1970)
        bindings.append(update.metadata.json)
        bindings.append(update.readMetadata.json)
        for value in update.metadata.columnValues { bindings.append(value) }
        let columns =
            [
                "path", "sha256", "size", "modified", "type", "title", "text", "encoding", "page_starts", "indexed_at",
                "metadata", "read_metadata",
            ] + FilingMetadata.columnNames
        let documentId = try session.query(
            """
            INSERT INTO documents (\(columns.joined(separator: ", ")))
            VALUES (\((1 ... columns.count).map { "$\($0)" }.joined(separator: ", "))) RETURNING id
            """, bindings)[0].makeRandomAccess()[0].decode(Int64.self)

        let termLists = update.chunks.map(\.terms)
        let rows = Array(zip(zip(update.chunks, termLists), update.vectors))
        // The average length the new postings' weight bounds are computed at: the store's with this document
        // in it (any reference gives valid bounds; the one searches will use gives tight ones).
        let totals = try session.query("SELECT chunks, terms FROM keyword_totals")[0].makeRandomAccess()
        let stored = Double(try totals[0].decode(Int64.self)) + Double(statistics.chunks) + Double(termLists.count)
        let storedTerms = Double(try totals[1].decode(Int64.self)) + Double(statistics.termCount) + Double(termLists.map(\.count).reduce(0, +))
        statistics.reference = stored > 0 ? max(1, storedTerms / stored) : 1
        var postings = (terms: [String](), ordinals: [Int32](), frequencies: [Int32](), lengths: [Int32]())
        for start in stride(from: 0, to: rows.count, by: 500) {
            var bindings = PostgresBindings()
            var values: [String] = []
            for ((chunk, terms), vector) in rows[start ..< min(rows.count, start + 500)] {
                for (term, count) in TermVector.frequencies(terms) {
                    statistics.terms[term, default: 0] += 1
                    statistics.bounds[term] = max(
                        statistics.bounds[term] ?? 0,
                        KeywordBound.weight(frequency: count, length: Int32(terms.count), average: statistics.reference))
                    postings.terms.append(term)
                    postings.ordinals.append(Int32(chunk.ordinal))
                    postings.frequencies.append(count)
                    postings.lengths.append(Int32(terms.count))
                }
                statistics.chunks += 1
                statistics.termCount += Int64(terms.count)
                let first = bindings.count
                bindings.append(documentId)
                bindings.append(Int32(chunk.ordinal))
                bindings.append(chunk.text)
                bindings.append(Int32(chunk.start))
                bindings.append(Int32(chunk.end))
                bindings.append(chunk.page.map(Int32.init))
                bindings.append(chunk.pageEnd.map(Int32.init))
                bindings.append(chunk.section)
                bindings.append(SectionStart.encode(chunk.sectionStarts))
                bindings.append(chunk.ocr)
                bindings.append(Int32(chunk.ids.count))
                bindings.append(PostgresVector(values: vector, oid: store.vectorType))
                bindings.append(TermVector.literal(terms))
                bindings.append(Int32(terms.count))
                bindings.append(chunk.inputHash)
                values.append("(" + (1 ... 15).map { "$\(first + $0)" + ($0 == 13 ? "::tsvector" : "") }.joined(separator: ", ") + ")")
            }
            try session.execute(
                """
                INSERT INTO chunks (
                    document_id, ordinal, text, start_offset, end_offset, page, page_end, section, section_starts, ocr, token_count, embedding,
                    terms, term_count, input_hash)
                VALUES \(values.joined(separator: ", "))
                """, bindings)
        }
        try session.execute(
            """
            INSERT INTO keyword_postings (term, chunk_id, tf, length)
            SELECT t.term, c.id, t.tf, t.length
            FROM unnest($1::text[], $2::int4[], $3::int4[], $4::int4[]) AS t(term, ordinal, tf, length)
            JOIN chunks c ON c.document_id = $5 AND c.ordinal = t.ordinal
            """, binds(postings.terms, postings.ordinals, postings.frequencies, postings.lengths, documentId))
    }

    func finish(folder: String, skipped: [SkippedFile], owns: (String) -> Bool) throws {
        try session.transaction {
            let current = try session.query("SELECT path FROM skipped").map { try $0.makeRandomAccess()[0].decode(String.self) }
            let stale = current.filter(owns)
            if !stale.isEmpty { try session.execute("DELETE FROM skipped WHERE path = ANY($1)", binds(stale)) }
            for file in skipped {
                try session.execute(
                    "INSERT INTO skipped (path, reason) VALUES ($1, $2) ON CONFLICT (path) DO UPDATE SET reason = excluded.reason",
                    binds(file.path, file.reason))
            }
            try PostgresStore.upsertMeta(IndexMeta.runEntries(folder: folder), in: session)
        }
        try release(Array(claimed))
        try PostgresStore.buildVectorIndex(session, store.postgres)
    }
}

/// The change a transaction makes to BM25's statistics: passages per term, passages, and terms in all; and
/// the largest weight of each term's new postings at the average length `reference` (`KeywordBound`).
struct KeywordDelta {
    var terms: [String: Int64] = [:]
    var chunks: Int64 = 0
    var termCount: Int64 = 0
    var bounds: [String: Double] = [:]
    var reference: Double = 1

    /// Applies it: terms in sorted order (concurrent writers lock shared rows in the same order, so they queue
    /// rather than deadlock), then the totals row.
    func apply(_ session: PostgresSession) throws {
        let changed = terms.filter { $0.value != 0 || bounds[$0.key] != nil }.sorted { $0.key < $1.key }
        if !changed.isEmpty {
            try session.execute(
                """
                INSERT INTO keyword_terms (term, chunks, weight_bound, bound_length)
                SELECT term, delta, bound, $4 FROM unnest($1::text[], $2::bigint[], $3::float8[]) AS t(term, delta, bound) ORDER BY term
                ON CONFLICT (term) DO UPDATE SET chunks = keyword_terms.chunks + excluded.chunks,
                \(KeywordBound.upsertAssignments)
                """, binds(changed.map(\.key), changed.map(\.value), changed.map { bounds[$0.key] ?? 0 }, reference))
            try session.execute("DELETE FROM keyword_terms WHERE term = ANY($1) AND chunks <= 0", binds(changed.map(\.key)))
        }
        if chunks != 0 || termCount != 0 {
            try session.execute("UPDATE keyword_totals SET chunks = chunks + $1, terms = terms + $2", binds(chunks, termCount))
        }
    }
}

/// Keyword terms as PostgreSQL text-search values, taken as they are (no parser, no stemming: the terms are
/// already the embedded store's Korean-aware ones).
enum TermVector {
    /// Each distinct term with its frequency, as the tsvector and the posting lists count it (at most 256
    /// positions a term), in term order.
    static func frequencies(_ terms: [String]) -> [(term: String, count: Int32)] {
        var counts: [String: Int32] = [:]
        for term in terms { counts[term, default: 0] += 1 }
        return counts.sorted { $0.key < $1.key }.map { ($0.key, min($0.value, 256)) }
    }

    /// A lexeme quoted for `tsvector` input.
    static func quoted(_ term: String) -> String {
        "'" + term.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A `tsvector` literal of terms with their positions (1-based, at most 16383 and 256 per term as PostgreSQL
    /// allows), so that a term's frequency in the passage is its number of positions.
    static func literal(_ terms: [String]) -> String {
        var positions: [String: [Int]] = [:]
        var order: [String] = []
        for (index, term) in terms.enumerated() {
            if positions[term] == nil { order.append(term) }
            var list = positions[term] ?? []
            if list.count < 256 { list.append(min(index + 1, 16383)) }
            positions[term] = list
        }
        return order.map { quoted($0) + ":" + positions[$0]!.map(String.init).joined(separator: ",") }.joined(separator: " ")
    }
}
