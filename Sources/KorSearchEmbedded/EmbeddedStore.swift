import Foundation
import KorSearchCore

/// The embedded store: an index directory's SQLite catalog answers the keyword and record queries, its FAISS
/// index the vector queries.
extension DocumentIndex: IndexStore {
    public var location: IndexLocation { .directory(directory) }

    public func info() throws -> IndexInfo {
        let counts = try catalog.counts()
        var info = IndexInfo(meta: meta, documents: counts.documents, chunks: counts.chunks, vectors: vectors.count,
                             vectorIndex: factory, skipped: try catalog.skipped().map { SkippedFile(path: $0.path, reason: $0.reason) })
        info.facets = try catalog.facets()
        info.distinctVectors = try catalog.distinctVectors()
        return info
    }

    public func document(id: Int64) throws -> (document: StoredDocument, text: String)? {
        try catalog.document(id: id)
    }

    public func documentPaths() throws -> Set<String> {
        Set(try catalog.documents().keys)
    }

    public func chunks(ids: [Int64]) throws -> [StoredChunk] {
        try catalog.chunks(ids: ids)
    }

    public func neighbours(of chunkId: Int64, before: Int, after: Int) throws -> [StoredChunk] {
        try catalog.chunks(ids: try catalog.neighbourIds(of: chunkId, before: before, after: after))
    }

    /// FAISS ranks; with filters, the allowed passages are read from the catalog and FAISS over-fetches until
    /// `depth` of them are found or the whole index has been ranked.
    public func nearest(_ vector: [Float], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)] {
        let total = vectors.count
        guard !filters.isEmpty else {
            return try vectors.search(vector, k: depth).map { ($0.id, Double($0.score)) }
        }
        let allowed = try catalog.chunkIds(allowedBy: filters)
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
        try catalog.termFrequencies(terms)
    }

    /// FTS5's own `bm25()`; any term may match.
    public func bestKeywordMatches(_ terms: [String], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)] {
        try catalog.bestKeywordMatches(terms, depth: depth, filters: filters)
    }

    /// The FAISS file's modification time and size: what changes when another process commits.
    public func changeStamp() -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory.vectorsURL.path)
        let date = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(date):\(attributes?[.size] as? Int ?? 0)"
    }
}
