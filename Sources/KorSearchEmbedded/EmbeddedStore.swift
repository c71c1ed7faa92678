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

    /// From the keyword index (the same snapshot the ranking reads).
    public func termFrequencies(_ terms: [String]) throws -> (passages: Int, frequencies: [String: Int]) {
        let keywords = try currentKeywords()
        return (keywords.passages, keywords.frequencies(terms))
    }

    /// The keyword index's pruned BM25 top-k (FTS5's `bm25()` scores and order); any term may match. Filters
    /// are read from the catalog first and applied before the cut.
    public func bestKeywordMatches(_ terms: [String], depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)] {
        let allowed = filters.isEmpty ? nil : try catalog.chunkIds(allowedBy: filters)
        return try currentKeywords().search(terms, depth: depth, allowed: allowed)
    }

    private func currentKeywords() throws -> KeywordIndex {
        guard let keywords else { throw KorSearchError(.corruptIndex, "\(directory.url.path): the keyword index is not loaded") }
        return keywords
    }

    /// The FAISS and keyword files' modification times and sizes: what changes when another process commits.
    public func changeStamp() -> String {
        [directory.vectorsURL, directory.keywordsURL].map { url in
            let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
            let date = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(date):\(attributes?[.size] as? Int ?? 0)"
        }.joined(separator: ",")
    }
}
