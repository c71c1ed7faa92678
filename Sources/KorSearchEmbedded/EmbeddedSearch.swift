import Foundation
import KorSearchCore

/// The embedded store: an index directory's SQLite catalog answers the keyword and record queries, its FAISS
/// index the vector queries.
extension EmbeddedStore: IndexStore {
    public var location: IndexLocation { .directory(directory) }

    public func info() throws -> IndexInfo {
        let counts = try catalog.counts()
        var info = IndexInfo(
            meta: meta, documents: counts.documents, chunks: counts.chunks, vectors: vectors.count,
            vectorIndex: vectors.factory, skipped: try catalog.skipped().map { SkippedFile(path: $0.path, reason: $0.reason) })
        info.faissSetting = factory
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

    public func chunks(ids: [Int64]) throws -> [Passage] {
        try catalog.chunks(ids: ids)
    }

    public func sampledPassageIds(_ count: Int) throws -> [Int64] {
        try catalog.sampledPassageIds(count)
    }

    public func neighbours(of chunkId: Int64, before: Int, after: Int) throws -> [Passage] {
        try catalog.chunks(ids: try catalog.neighbourIds(of: chunkId, before: before, after: after))
    }

    /// FAISS ranks; with filters, the allowed passages are read from the catalog and FAISS over-fetches until
    /// `depth` of them are found or the whole index has been ranked. An approximate index (`auto`'s inverted
    /// file with 8-bit codes) gives twice `depth` candidates, re-ranked exactly with the stored vectors; when
    /// its probed lists run out before a filter's passages are found, the allowed passages are ranked
    /// exactly from the catalog instead.
    public func nearest(_ vector: [Float], depth: Int, filters: SearchFilters, searchList: Int?) throws -> [(id: Int64, score: Double)] {
        if vectors.isGraph { return try nearestInGraph(vector, depth: depth, filters: filters, searchList: searchList) }
        let total = vectors.count
        let wanted = vectors.isExact ? depth : depth * 2
        guard !filters.isEmpty else {
            return try exactly(vector, try vectors.search(vector, k: wanted), depth: depth)
        }
        let allowed = try catalog.chunkIds(allowedBy: filters)
        if allowed.isEmpty { return [] }
        if vectors.keepsVectors, isNarrow(allowed.count, depth: depth) {
            return try exhaustively(vector, allowed, depth: depth)
        }
        var fetch = min(total, wanted * 4)
        while true {
            let ranked = try vectors.search(vector, k: fetch)
            let found = ranked.filter { allowed.contains($0.id) }
            if found.count >= wanted || fetch >= total || found.count == allowed.count {
                return try exactly(vector, Array(found.prefix(wanted)), depth: depth)
            }
            if ranked.count < fetch {
                // The probed lists are exhausted: what is left to find lies outside them. The allowed passages
                // are scored from the catalog 4,096 at a time, keeping the best `depth` (memory stays bounded).
                var best: [(id: Int64, score: Double)] = []
                let ids = allowed.sorted()
                for start in stride(from: 0, to: ids.count, by: 4096) {
                    let part = ids[start ..< min(ids.count, start + 4096)]
                    best = Self.best(best + (try storedScores(vector, ids: Array(part))), depth)
                }
                return best
            }
            fetch = min(total, fetch * 4)
        }
    }

    /// An HNSW graph (`auto` from 10,000 passages): its scores are the stored vectors' own, so its answer is
    /// final. The search list is `searchList` when given, else the one chosen from the recall target, and at
    /// least `depth`. A filter that allows few passages (`isNarrow`) has them scored exhaustively from the
    /// graph's vectors; a broader one is searched in the graph returning only its passages, with the search
    /// list widened by the share it excludes (at most 8×), and scored exhaustively if that still finds fewer
    /// than `depth`.
    func nearestInGraph(_ vector: [Float], depth: Int, filters: SearchFilters, searchList: Int?) throws -> [(id: Int64, score: Double)] {
        let list = max(searchList ?? vectors.efSearch, depth)
        guard !filters.isEmpty else {
            return try vectors.searchGraph(vector, k: depth, efSearch: list).map { ($0.id, Double($0.score)) }
        }
        let allowed = try catalog.chunkIds(allowedBy: filters)
        if allowed.isEmpty { return [] }
        if !isNarrow(allowed.count, depth: depth) {
            let widened = min(list * 8, Int((Double(list) * Double(vectors.count) / Double(allowed.count)).rounded(.up)))
            let found = try vectors.searchGraph(vector, k: depth, efSearch: widened, allowed: Array(allowed))
            if found.count >= min(depth, allowed.count) { return found.map { ($0.id, Double($0.score)) } }
        }
        return try exhaustively(vector, allowed, depth: depth)
    }

    /// Whether a filter allowing `allowed` passages is narrow enough that scoring them all beats searching:
    /// under a twentieth of the index (a graph search would walk through mostly excluded passages).
    private func isNarrow(_ allowed: Int, depth: Int) -> Bool {
        allowed <= max(depth, vectors.count / 20)
    }

    /// The best `depth` of the allowed passages, each scored with its vector in the index (4,096 at a time,
    /// so memory stays bounded).
    private func exhaustively(_ vector: [Float], _ allowed: Set<Int64>, depth: Int) throws -> [(id: Int64, score: Double)] {
        var best: [(id: Int64, score: Double)] = []
        let ids = allowed.sorted()
        for start in stride(from: 0, to: ids.count, by: 4096) {
            let part = Array(ids[start ..< min(ids.count, start + 4096)])
            let scores = try vectors.scores(vector, ids: part)
            best = Self.best(best + zip(part, scores).compactMap { id, score in score.map { (id, Double($0)) } }, depth)
        }
        return best
    }

    /// The best `depth` of FAISS's candidates; from an approximate index, scored again by their stored vectors.
    private func exactly(_ query: [Float], _ candidates: [(id: Int64, score: Float)], depth: Int) throws -> [(id: Int64, score: Double)] {
        guard !vectors.isExact else { return candidates.prefix(depth).map { ($0.id, Double($0.score)) } }
        return Self.best(try storedScores(query, ids: candidates.map(\.id)), depth)
    }

    /// The query's inner product with the stored vector of each chunk id (in `ids`' order; ids without a
    /// stored vector left out).
    private func storedScores(_ query: [Float], ids: [Int64]) throws -> [(id: Int64, score: Double)] {
        let stored = try catalog.vectors(ids: ids, dimension: meta.dimension)
        return ids.compactMap { id in stored[id].map { (id, Self.score(query, $0)) } }
    }

    /// The inner product of a query and a stored vector.
    private static func score(_ query: [Float], _ vector: [Float]) -> Double {
        var dot: Float = 0
        for index in 0 ..< min(vector.count, query.count) { dot += vector[index] * query[index] }
        return Double(dot)
    }

    /// The `depth` best by score, ties by chunk id.
    private static func best(_ scored: [(id: Int64, score: Double)], _ depth: Int) -> [(id: Int64, score: Double)] {
        Array(scored.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(depth))
    }

    /// From the keyword index (the same snapshot the ranking reads).
    public func termFrequencies(_ terms: [String]) throws -> (passages: Int, frequencies: [String: Int]) {
        let keywords = try currentKeywords()
        return (keywords.passages, keywords.frequencies(terms))
    }

    /// The keyword index's pruned BM25 top-k (FTS5's `bm25()` scores and order, with every weight 1); any term
    /// may match. Filters are read from the catalog first and applied before the cut.
    public func bestKeywordMatches(
        _ terms: [String], weights: [String: Double], depth: Int, filters: SearchFilters
    ) throws -> [(id: Int64, score: Double)] {
        let allowed = filters.isEmpty ? nil : try catalog.chunkIds(allowedBy: filters)
        return try currentKeywords().search(terms, weights: weights, depth: depth, allowed: allowed)
    }

    /// The keyword index, unless its file was overwritten in place since it was mapped (reading the map then
    /// could fault): that search fails with a clear error, and a server reopens the index (its change stamp
    /// moved), checking the file again.
    private func currentKeywords() throws -> KeywordIndex {
        guard let keywords else { throw KorSearchError(.corruptIndex, "\(directory.url.path): the keyword index is not loaded") }
        if keywords.changedOnDisk {
            throw KorSearchError(
                .corruptIndex,
                "keyword index \(keywords.url.path) was overwritten in place while open (korsearch replaces it only by rename); open the index again")
        }
        return keywords
    }

    public func passages(ofDocument id: Int64) throws -> [Passage] { try catalog.chunks(ids: try catalog.chunkIds(ofDocument: id)) }

    public func factCompanies() throws -> [FactCompany] { try catalog.factCompanies() }

    public func facts(corpCodes: [String]) throws -> [FinancialFact] { try catalog.facts(corpCodes: corpCodes) }

    /// The FAISS and keyword files' modification times and sizes: what changes when another process commits.
    public func changeStamp() -> String {
        [directory.vectorsURL, directory.keywordsURL].map { url in
            let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
            let date = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(date):\(attributes?[.size] as? Int ?? 0)"
        }.joined(separator: ",")
    }
}
