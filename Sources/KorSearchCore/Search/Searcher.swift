import Foundation
import KorEncoder

/// Answers queries over an index: vector (FAISS, cosine), keyword (BM25 over Korean-aware terms) or hybrid
/// (weighted reciprocal rank fusion of both), with filters applied before the cut and overlapping passages of
/// one document kept from crowding the results. Open it once and search many times, from any number of threads.
public final class Searcher: @unchecked Sendable {
    /// The index searched.
    public let index: any IndexStore
    /// The query embedder; nil allows keyword search only.
    public let embedder: Embedder?
    /// The cross-encoder that reorders first-stage hits when a search asks (by default, when there is one).
    public let reranker: Reranker?
    private let warn: @Sendable (String) -> Void
    /// The index's aliases with the defaults, ready to match queries.
    private let aliases: KeywordAliases.Matcher

    /// The most results one search returns (the CLI's `-k`, the API's `k`): `SearchRequest.maxResults`.
    public static let maxResults = SearchRequest.maxResults

    /// The constant k of reciprocal rank fusion: fused score = 2W / (k + vector rank) + 2(1 − W) / (k + keyword rank).
    public static let fusionConstant = 60.0

    /// The vector side's weight W in hybrid fusion when neither the query nor the index sets one: 0.5, both
    /// sides alike (plain reciprocal rank fusion, Σ 1 / (k + rank)).
    public static let defaultVectorWeight = 0.5

    /// The vector weight a hybrid query uses: the query's, else the index's stored default, else 0.5.
    public func vectorWeight(_ asked: Double?) throws -> Double {
        let weight = asked ?? index.meta.vectorWeight ?? Searcher.defaultVectorWeight
        try Searcher.checkVectorWeight(weight)
        return weight
    }

    /// Whether `weight` is a fusion weight, 0 (keyword ranking only) to 1 (vector ranking only).
    public static func isVectorWeight(_ weight: Double) -> Bool {
        weight.isFinite && SearchRequest.vectorWeights.contains(weight)
    }

    /// Throws unless `weight` is a fusion weight (`isVectorWeight`).
    public static func checkVectorWeight(_ weight: Double) throws {
        guard isVectorWeight(weight) else {
            throw KorSearchError(.invalidArgument, "the vector weight must be between 0 and 1, not \(weight)")
        }
    }

    /// Searches an open index.
    ///
    /// - Parameters:
    ///   - index: the open store (`IndexStores.open`, `EmbeddedStore.open`, `PostgresStore.open`).
    ///   - embedder: the model's embedder for vector and hybrid search; nil for keyword search only.
    ///   - model: the model's identity, checked against the index's.
    ///   - warn: hears about repairs and cut queries.
    /// - Throws: `KorSearchError` `.modelMismatch` when the model is not the one that built the index.
    public init(
        index: any IndexStore, embedder: Embedder?, model: ModelIdentity?, reranker: Reranker? = nil,
        warn: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        if let model { try model.check(against: index.meta, index: index.location) }
        if let embedder, embedder.dimension != index.dimension {
            throw KorSearchError(
                .modelMismatch, "the model's dimension \(embedder.dimension) differs from the index's \(index.dimension)")
        }
        self.index = index
        self.embedder = embedder
        self.reranker = reranker
        self.warn = warn
        aliases = index.meta.keywordAliases.matcher
        if !index.meta.keywordTermsAreCurrent {
            warn(
                "the index's keyword terms were derived by other rules or with another dictionary than it records; `korsearch index` on its folder derives them again"
            )
        }
    }

    /// Opens an index for searching. With an embedder, its model must be the one that built the index.
    public convenience init(
        location: IndexLocation, embedder: Embedder?, model: ModelIdentity?, reranker: Reranker? = nil,
        warn: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        try self.init(index: try IndexStores.open(location, warn: warn), embedder: embedder, model: model, reranker: reranker, warn: warn)
    }

    /// The best passages for a query, best first, each passage at most once per stretch of its document.
    ///
    /// - Parameters:
    ///   - query: the question, in any words; surrounding whitespace is ignored.
    ///   - limit: how many hits at most (1 or more; the front ends cap it at `SearchRequest.maxResults`).
    ///   - mode: `.hybrid` (both rankings fused), `.vector` or `.keyword` (which needs no model).
    ///   - filters: which documents may answer; applied before the cut, so a filter never returns fewer hits
    ///     while more passages match.
    ///   - queryVector: the query's embedding computed elsewhere (a server batching concurrent queries);
    ///     otherwise it is computed here.
    ///   - vectorWeight: 0–1, the vector ranking's weight against the keyword ranking in hybrid search (see
    ///     `vectorWeight(_:)` for the default); other modes ignore it.
    ///   - searchList: vector and hybrid: the graph search's list length (HNSW's efSearch, pgvector's
    ///     `hnsw.ef_search`); nil uses the index's.
    /// - Returns: the hits, ranked from 1, with their scores, ranks in each list and highlights.
    /// - Throws: `KorSearchError` `.invalidArgument` for an empty query, a limit below 1, a bad filter or
    ///   weight, or a vector search without a model; the store's errors (`.corruptIndex`, `.store`, ...).
    public func search(
        _ query: String, limit: Int = 10, mode: SearchMode = .hybrid,
        filters: SearchFilters = SearchFilters(), queryVector: [Float]? = nil, vectorWeight: Double? = nil, searchList: Int? = nil
    ) throws -> [SearchHit] {
        let trimmed = try checkedQuery(query, filters: filters)
        guard limit >= 1 else { throw KorSearchError(.invalidArgument, "the number of results must be at least 1, not \(limit)") }
        let weight = try self.vectorWeight(vectorWeight)
        if mode != .keyword, embedder == nil, queryVector == nil {
            throw KorSearchError(.invalidArgument, "\(mode.rawValue) search needs the model; this searcher was opened for keyword search only")
        }
        // Deep enough lists that fusion and de-duplication still leave `limit` hits. Keyword search alone asks
        // for less (the pruned engine's cut comes sooner) and asks again, deeper, when overlapping passages of
        // one document left fewer than `limit`: the top of a deeper ranking is the shallower one, so the
        // hits are the same.
        // Vector search likewise (a shallower graph search is a faster one), embedding the query once.
        if mode != .hybrid {
            let vector = mode == .vector ? try queryVector ?? embedQuery(trimmed) : nil
            var depth = max(limit * 2, 20)
            while true {
                var read: [Int64: Passage] = [:]
                let list =
                    mode == .keyword
                    ? try keywordRanking(trimmed, depth: depth, filters: filters, read: &read)
                    : try vectorRanking(trimmed, vector: vector, depth: depth, filters: filters, searchList: searchList)
                let hits = try distinctHits(
                    list.enumerated().map { ($1.id, $1.score, mode == .vector ? $0 + 1 : nil, mode == .keyword ? $0 + 1 : nil) },
                    limit: limit, query: trimmed, passages: read)
                if hits.count >= limit || list.count < depth { return hits }
                depth *= 4
            }
        }
        let depth = Searcher.fusionDepth(limit)
        let lists = try hybridRankings(trimmed, queryVector: queryVector, depth: depth, filters: filters, searchList: searchList)
        return try distinctHits(Searcher.fuse(lists, weight: weight), limit: limit, query: trimmed)
    }

    /// The query without surrounding whitespace, after the checks every search runs: a query, and filters no
    /// store refuses.
    func checkedQuery(_ query: String, filters: SearchFilters) throws -> String {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw KorSearchError(.invalidArgument, "the query is empty") }
        try filters.validate()
        return trimmed
    }

    /// How deep each ranking is read for `limit` hits, so that fusion and de-duplication still leave `limit`.
    static func fusionDepth(_ limit: Int) -> Int { max(limit * 5, 50) }

    /// The two rankings hybrid search fuses, computed side by side: one core embeds and scans vectors while
    /// the other runs BM25. A sweep computes them once per query and fuses them at every weight.
    func hybridRankings(
        _ query: String, queryVector: [Float]?, depth: Int,
        filters: SearchFilters, searchList: Int? = nil
    ) throws -> (vector: [(id: Int64, score: Double)], keyword: [(id: Int64, score: Double)]) {
        nonisolated(unsafe) var results: [Result<[(id: Int64, score: Double)], Error>] = [.success([]), .success([])]
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            results[part] = Result {
                part == 0
                    ? try vectorRanking(query, vector: queryVector, depth: depth, filters: filters, searchList: searchList)
                    : try keywordRanking(query, depth: depth, filters: filters)
            }
        }
        return (try results[0].get(), try results[1].get())
    }

    /// Weighted reciprocal rank fusion of the two rankings: candidates best first (ties by the better vector
    /// rank, then the lower chunk id), each with its ranks in the two lists.
    static func fuse(
        _ lists: (vector: [(id: Int64, score: Double)], keyword: [(id: Int64, score: Double)]),
        weight: Double
    ) -> [(id: Int64, score: Double, vectorRank: Int?, keywordRank: Int?)] {
        var fused: [Int64: (score: Double, vectorRank: Int?, keywordRank: Int?)] = [:]
        for (rank, item) in lists.vector.enumerated() {
            fused[item.id, default: (0, nil, nil)].score += 2 * weight / (Searcher.fusionConstant + Double(rank + 1))
            fused[item.id]!.vectorRank = rank + 1
        }
        for (rank, item) in lists.keyword.enumerated() {
            fused[item.id, default: (0, nil, nil)].score += 2 * (1 - weight) / (Searcher.fusionConstant + Double(rank + 1))
            fused[item.id]!.keywordRank = rank + 1
        }
        return fused.map { ($0.key, $0.value.score, $0.value.vectorRank, $0.value.keywordRank) }
            .sorted { ($0.1, -($0.2 ?? Int.max), -$0.0) > ($1.1, -($1.2 ?? Int.max), -$1.0) }
    }

    /// The first `limit` candidates, best first, leaving out a passage that overlaps one already kept from
    /// the same document; each with what in it matches the query's words marked. `passages` holds candidates'
    /// passages already read (all of them when read once for many calls); the others are read here.
    func distinctHits(
        _ candidates: [(id: Int64, score: Double, vectorRank: Int?, keywordRank: Int?)], limit: Int, query: String,
        highlights: Bool = true, passages: [Int64: Passage] = [:]
    ) throws -> [SearchHit] {
        var chunks = passages
        var hits: [SearchHit] = []
        var kept: [Int64: [Range<Int>]] = [:]
        // The query's words and the aliases it was widened by are marked alike.
        let words = Snippet.QueryWords(([query] + aliasMatches(query).flatMap(\.aliases)).joined(separator: " "))
        // Passages not yet read are read `limit` at a time as the walk reaches them: when the first candidates
        // are distinct, only they are read.
        var readUpTo = 0
        for (position, candidate) in candidates.enumerated() {
            if position >= readUpTo {
                readUpTo = position + max(limit - hits.count, 1)
                let missing = candidates[position ..< min(readUpTo, candidates.count)].map(\.id).filter { chunks[$0] == nil }
                if !missing.isEmpty { for passage in try index.chunks(ids: missing) { chunks[passage.id] = passage } }
            }
            guard let chunk = chunks[candidate.id] else { continue }
            // An overlapping passage of a document already in the results adds nothing new.
            let range = chunk.start ..< chunk.end
            if kept[chunk.documentId, default: []].contains(where: { $0.overlaps(range) }) { continue }
            kept[chunk.documentId, default: []].append(range)
            let marked = highlights || !chunk.sectionStarts.isEmpty ? Snippet.highlights(in: chunk.text, words: words) : []
            // A passage that crosses a heading: the hit's section is the one its first matched word is in.
            var passage = chunk
            if let first = marked.first { passage.section = chunk.section(at: first.lowerBound) }
            hits.append(
                SearchHit(
                    rank: hits.count + 1, score: candidate.score, passage: passage, vectorRank: candidate.vectorRank,
                    keywordRank: candidate.keywordRank, highlights: highlights ? marked : []))
            if hits.count == limit { break }
        }
        return hits
    }

    /// The prompt the index's model puts before a query (what the index recorded; empty when none).
    public var queryPrompt: String { index.meta.queryPrompt }

    /// The embedding of a query with the index's query prompt before it, L2-normalized; warns when the query is
    /// cut to the model's maximum length.
    public func embedQuery(_ query: String) throws -> [Float] {
        guard let embedder else { throw KorSearchError(.invalidArgument, "no model loaded") }
        let pieces = try embedder.tokenizer.pieces(queryPrompt + query).count + 2
        if pieces > embedder.maxLength {
            warn("the query has \(pieces) tokens; only the first \(embedder.maxLength) are used")
        }
        return try embedder.embed([query], prompt: queryPrompt)[0].vector
    }

    private func vectorRanking(
        _ query: String, vector: [Float]?, depth: Int, filters: SearchFilters, searchList: Int? = nil
    ) throws -> [(id: Int64, score: Double)] {
        Searcher.breakingTies(
            try index.nearest(try vector ?? embedQuery(query), depth: depth, filters: filters, searchList: searchList), places: 5)
    }

    /// A ranking ordered by score rounded to `places` decimals, then by chunk id: scores equal but for float
    /// rounding (which FAISS, pgvector and SQLite each round their own way) are ties, broken the same way
    /// whichever store computed them, so that fusion and the cut see the same order.
    static func breakingTies(_ ranking: [(id: Int64, score: Double)], places: Int) -> [(id: Int64, score: Double)] {
        let scale = pow(10, Double(places))
        return ranking.sorted { a, b in
            let (x, y) = ((a.score * scale).rounded(), (b.score * scale).rounded())
            return x != y ? x > y : a.id < b.id
        }
    }

    /// The forms of the index's alias groups (with the defaults) found in a query, each with the other forms
    /// the keyword search also looks for.
    public func aliasMatches(_ query: String) -> [KeywordAliases.Match] {
        aliases.matches(in: query)
    }

    /// A query's terms with their weights (`KeywordTerms.weighted`): its own with the index's dictionary, and
    /// its aliases'.
    func weightedTerms(_ query: String) -> [String: Double] {
        KeywordTerms.weighted(query, dictionary: index.meta.keywordDictionary, aliases: aliasMatches(query))
    }

    /// The query terms worth matching (`weightedTerms`), with their weights and idf: terms in no passage are
    /// dropped, and so are terms in more than a fifth of all passages (their BM25 weight is small and their
    /// posting lists long) unless nothing rarer is left, in which case the three rarest stay.
    private func selectiveTerms(_ query: String) throws -> (weights: [String: Double], idf: [String: Double]) {
        let weights = weightedTerms(query)
        let terms = weights.keys.sorted()
        if terms.isEmpty { return ([:], [:]) }
        let (total, frequencies) = try index.termFrequencies(terms)
        let present = terms.filter { (frequencies[$0] ?? 0) > 0 }.sorted { (frequencies[$0]!, $0) < (frequencies[$1]!, $1) }
        let selective = present.filter { Double(frequencies[$0]!) <= 0.2 * Double(total) }
        let kept = selective.isEmpty ? Array(present.prefix(3)) : selective
        return (
            weights.filter { kept.contains($0.key) },
            Dictionary(uniqueKeysWithValues: kept.map { ($0, keywordIDF(passages: total, containing: frequencies[$0]!)) })
        )
    }

    /// BM25's best passages, the first of them scored again for the query's words standing together
    /// (`KeywordProximity`), best first.
    private func keywordRanking(_ query: String, depth: Int, filters: SearchFilters) throws -> [(id: Int64, score: Double)] {
        var read: [Int64: Passage] = [:]
        return try keywordRanking(query, depth: depth, filters: filters, read: &read)
    }

    /// `keywordRanking`, adding to `read` the passages it read for the second stage (so that the hits need not
    /// be read again).
    private func keywordRanking(
        _ query: String, depth: Int, filters: SearchFilters, read: inout [Int64: Passage]
    ) throws -> [(id: Int64, score: Double)] {
        let (weights, idf) = try selectiveTerms(query)
        if idf.isEmpty { return [] }
        // Any term may match; BM25 ranks passages that match more (and rarer) terms higher.
        let ranking = Searcher.breakingTies(
            try index.bestKeywordMatches(idf.keys.sorted(), weights: weights, depth: depth, filters: filters), places: 9)
        let dictionary = index.meta.keywordDictionary
        let words = KeywordProximity.queryWords(query, idf: idf, dictionary: dictionary)
        guard words.filter({ !$0.isEmpty }).count > 1 else { return ranking }
        for passage in try index.chunks(ids: ranking.prefix(KeywordProximity.candidates).map(\.id)) { read[passage.id] = passage }
        let texts = read.mapValues(\.text)
        return Searcher.breakingTies(
            KeywordProximity.rescored(ranking, query: words, idf: idf, texts: texts, dictionary: dictionary), places: 9)
    }

    /// The passages around a chunk in its document: up to `before` chunks before it, the chunk, and up to
    /// `after` after it, in document order.
    public func context(of chunkId: Int64, before: Int, after: Int) throws -> [Passage] {
        try index.neighbours(of: chunkId, before: before, after: after)
    }
}
