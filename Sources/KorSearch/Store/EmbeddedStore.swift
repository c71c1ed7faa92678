import Foundation
import GRDB

/// The embedded store: an index directory's SQLite catalog answers the keyword and record queries, its FAISS
/// index the vector queries.
extension DocumentIndex: IndexStore {
    public var location: IndexLocation { .directory(directory) }

    public func document(id: Int64) throws -> (document: StoredDocument, text: String)? {
        try catalog.document(id: id)
    }

    public func chunks(ids: [Int64]) throws -> [StoredChunk] {
        try catalog.chunks(ids: ids)
    }

    public func neighbours(of chunkId: Int64, before: Int, after: Int) throws -> [StoredChunk] {
        let ids = try catalog.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT n.id FROM chunks c JOIN chunks n ON n.document_id = c.document_id
                WHERE c.id = ? AND n.ordinal BETWEEN c.ordinal - ? AND c.ordinal + ?
                ORDER BY n.ordinal
                """, arguments: [chunkId, max(0, before), max(0, after)])
        }
        return try catalog.chunks(ids: ids)
    }

    /// FAISS ranks; with filters, the allowed passages are read from the catalog and FAISS over-fetches until
    /// `depth` of them are found or the whole index has been ranked.
    public func nearest(_ vector: [Float], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)] {
        let total = vectors.count
        guard !filters.isEmpty else {
            return try vectors.search(vector, k: depth).map { ($0.id, Double($0.score)) }
        }
        let (condition, arguments) = filters.sql
        let allowed = try catalog.read { db in
            Set(try Int64.fetchAll(db, sql: "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE \(condition)",
                                   arguments: StatementArguments(arguments)))
        }
        if allowed.isEmpty { return [] }
        var fetch = min(total, depth * 4)
        while true {
            let found = try vectors.search(vector, k: fetch).filter { allowed.contains($0.id) }
            if found.count >= depth || fetch >= total || found.count == allowed.count {
                return found.prefix(depth).map { ($0.id, Double($0.score)) }
            }
            fetch = min(total, fetch * 4)
        }
    }

    public func termFrequencies(_ terms: [String]) throws -> (passages: Int, frequencies: [String: Int]) {
        try catalog.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chunks") ?? 0
            if terms.isEmpty { return (total, [:]) }
            let rows = try Row.fetchAll(db, sql: "SELECT term, doc FROM chunk_terms_vocab WHERE term IN (\(terms.map { _ in "?" }.joined(separator: ",")))",
                                        arguments: StatementArguments(terms))
            return (total, Dictionary(uniqueKeysWithValues: rows.map { ($0["term"] as String, $0["doc"] as Int) }))
        }
    }

    /// FTS5's own `bm25()`; any term may match.
    public func bestKeywordMatches(_ terms: [String], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)] {
        if terms.isEmpty { return [] }
        let match = terms.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " OR ")
        let (condition, arguments) = filters.sql
        return try catalog.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.rowid AS id, bm25(chunk_terms) AS score
                FROM chunk_terms t JOIN chunks c ON c.id = t.rowid JOIN documents d ON d.id = c.document_id
                WHERE chunk_terms MATCH ? AND \(condition)
                ORDER BY round(score, 9), id LIMIT ?
                """, arguments: StatementArguments([match] + arguments + [depth]))
                .map { ($0["id"] as Int64, -($0["score"] as Double)) }
        }
    }

    /// The FAISS file's modification time and size: what changes when another process commits.
    public func changeStamp() -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory.vectorsURL.path)
        let date = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(date):\(attributes?[.size] as? Int ?? 0)"
    }
}
