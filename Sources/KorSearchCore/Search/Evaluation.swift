import Foundation

/// A query with the documents (paths) or chunks judged relevant to it.
public struct JudgedQuery: Sendable, Codable, Equatable {
    public var query: String
    /// Relevant document paths, relative to the indexed folder.
    public var relevant: [String]?
    /// Relevant chunk ids, for chunk-level judgments.
    public var relevantChunks: [Int64]?
    /// Passage-level judgment that survives any chunking: with `relevant` documents, a hit answers when it is a
    /// passage of one of them whose text contains this phrase (whitespace ignored, so a reader's spacing does not
    /// matter); the question is then scored by the rank of its first answering passage.
    public var answer: String?
    /// Filters this question is asked with (the `filters` object of a search request: `{"company": ...,
    /// "report_type": ..., "period": ..., "types": [...], ...}`), set on top of the run's.
    public var filters: SearchFilters?
    /// Passages left out of the rankings before they are fused and scored (a held-out sentence's own passage:
    /// see `Searcher.heldOutQuestions`). Not part of the qrels format.
    package var excludedChunks: Set<Int64> = []

    enum CodingKeys: String, CodingKey {
        case query, relevant, filters, answer
        case relevantChunks = "relevant_chunks"
    }

    /// A query judged at the document level.
    public init(query: String, relevant: [String]) {
        self.query = query
        self.relevant = relevant
    }

    /// Text without its whitespace, for `answer` matching.
    static func withoutWhitespace(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { !$0.properties.isWhitespace }))
    }

    /// Reads one judged query per line (JSON lines; blank lines and lines starting with # are skipped).
    public static func load(_ url: URL) throws -> [JudgedQuery] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw KorSearchError(.invalidArgument, "cannot read qrels file \(url.path)")
        }
        var queries: [JudgedQuery] = []
        guard let text = String(validating: data, as: UTF8.self) else {
            throw KorSearchError(.invalidArgument, "\(url.path) is not UTF-8 text; save the qrels file as UTF-8")
        }
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let judged: JudgedQuery?
            do {
                judged = try JSONDecoder().decode(JudgedQuery.self, from: Data(trimmed.utf8))
            } catch let error as KorSearchError {
                throw KorSearchError(.invalidArgument, "\(url.path) line \(number + 1): \(error.message)")
            } catch {
                judged = nil
            }
            guard let judged, judged.relevant?.isEmpty == false || judged.relevantChunks?.isEmpty == false else {
                throw KorSearchError(
                    .invalidArgument,
                    "\(url.path) line \(number + 1): expected {\"query\": \"...\", \"relevant\": [\"path\", ...]} or \"relevant_chunks\": [id, ...]")
            }
            queries.append(judged)
        }
        if queries.isEmpty { throw KorSearchError(.invalidArgument, "\(url.path) holds no judged queries") }
        return queries
    }
}

/// Retrieval quality of one mode over a set of judged queries.
/// What one judged query got (`korsearch eval --per-query`, a JSON line each): its first relevant rank as MRR
/// counts it — among the distinct documents of its hits (passages, for `relevant_chunks`; answering passages,
/// for `answer`), null when none was found — and its top k hits, each marked relevant or not.
public struct QueryOutcome: Sendable, Encodable, Equatable {
    public struct Hit: Sendable, Encodable, Equatable {
        public var rank: Int
        public var path: String
        public var chunkId: Int64
        public var relevant: Bool
        enum CodingKeys: String, CodingKey {
            case rank, path, relevant
            case chunkId = "chunk_id"
        }
    }
    public var query: String
    /// The mode measured (`hybrid`, `keyword+rerank`, ...).
    public var mode: String
    public var firstRelevantRank: Int?
    public var hits: [Hit]

    enum CodingKeys: String, CodingKey {
        case query, mode, hits
        case firstRelevantRank = "first_relevant_rank"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(query, forKey: .query)
        try container.encode(mode, forKey: .mode)
        try container.encode(firstRelevantRank, forKey: .firstRelevantRank)
        try container.encode(hits, forKey: .hits)
    }
}

public struct RetrievalMetrics: Sendable, Codable, Equatable {
    /// Mean fraction of the relevant items found in the top k.
    public var recall: Double
    /// Mean reciprocal rank of the first relevant item within the top 10.
    public var mrr: Double
    /// Mean normalized discounted cumulative gain at 10 (binary relevance).
    public var ndcg: Double
    public var queries: Int
    /// The standard error of the MRR@10 (the standard deviation of the queries' reciprocal ranks over √queries):
    /// how far apart two MRRs over these queries must be to tell them apart.
    public var mrrStandardError = 0.0

    enum CodingKeys: String, CodingKey {
        case recall, mrr, ndcg, queries
        case mrrStandardError = "mrr_standard_error"
    }

    public init(recall: Double, mrr: Double, ndcg: Double, queries: Int, mrrStandardError: Double = 0) {
        self.recall = recall
        self.mrr = mrr
        self.ndcg = ndcg
        self.queries = queries
        self.mrrStandardError = mrrStandardError
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            recall: try container.decode(Double.self, forKey: .recall), mrr: try container.decode(Double.self, forKey: .mrr),
            ndcg: try container.decode(Double.self, forKey: .ndcg), queries: try container.decode(Int.self, forKey: .queries),
            mrrStandardError: try container.decodeIfPresent(Double.self, forKey: .mrrStandardError) ?? 0)
    }

    /// Scores ranked results: `ranked` holds, per query, the item keys in rank order (documents are counted
    /// once, at their best rank).
    public static func score(ranked: [[String]], relevant: [Set<String>], k: Int) -> RetrievalMetrics {
        var recall = 0.0, mrr = 0.0, ndcg = 0.0
        var reciprocalRanks: [Double] = []
        for (items, judged) in zip(ranked, relevant) {
            var seen = Set<String>()
            let unique = items.filter { seen.insert($0).inserted }
            let topK = unique.prefix(k)
            recall += Double(topK.filter(judged.contains).count) / Double(max(judged.count, 1))
            let reciprocal = unique.prefix(10).firstIndex(where: judged.contains).map { 1 / Double($0 + 1) } ?? 0
            mrr += reciprocal
            reciprocalRanks.append(reciprocal)
            var dcg = 0.0
            for (index, item) in unique.prefix(10).enumerated() where judged.contains(item) { dcg += 1 / log2(Double(index + 2)) }
            let ideal = (0 ..< min(judged.count, 10)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
            ndcg += ideal > 0 ? dcg / ideal : 0
        }
        let count = Double(max(ranked.count, 1))
        let mean = mrr / count
        let variance = reciprocalRanks.count > 1 ? reciprocalRanks.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1) : 0
        return RetrievalMetrics(
            recall: recall / count, mrr: mean, ndcg: ndcg / count, queries: ranked.count, mrrStandardError: (variance / count).squareRoot())
    }
}

extension Searcher {
    /// Throws when the judged documents are not in the index at all (a qrels file for another folder, or
    /// paths not relative to the indexed folder); returns the judged paths the index lacks.
    public func checkJudgments(_ queries: [JudgedQuery]) throws -> [String] {
        let judged = Set(queries.flatMap { $0.relevant ?? [] })
        if judged.isEmpty { return [] }
        let stored = try index.documentPaths()
        let missing = judged.subtracting(stored).sorted()
        if missing.count == judged.count {
            throw KorSearchError(
                .invalidArgument,
                "none of the \(judged.count) documents the qrels judge relevant is in the index (paths must be relative to the indexed folder, as `korsearch search` prints them); first: \(missing[0])"
            )
        }
        return missing
    }

    /// Recall@k, MRR@10 and nDCG@10 of a search mode over judged queries, each asked with `filters` and its
    /// own metadata filters (hybrid with `vectorWeight`, else the index's default weight). With `rerankTop`, the
    /// searcher's reranker reorders the first `rerankTop` hits of each (as a search asking `rerank` does).
    public func evaluate(
        _ queries: [JudgedQuery], mode: SearchMode, k: Int, filters: SearchFilters = SearchFilters(),
        vectorWeight: Double? = nil, rerankTop: Int? = nil
    ) throws -> RetrievalMetrics {
        try evaluatePerQuery(queries, mode: mode, k: k, filters: filters, vectorWeight: vectorWeight, rerankTop: rerankTop).metrics
    }

    /// `evaluate`'s metrics and what each query got (`eval --per-query`): its first relevant rank and its top
    /// `k` hits, each marked relevant or not.
    public func evaluatePerQuery(
        _ queries: [JudgedQuery], mode: SearchMode, k: Int, filters: SearchFilters = SearchFilters(),
        vectorWeight: Double? = nil, rerankTop: Int? = nil
    ) throws -> (metrics: RetrievalMetrics, outcomes: [QueryOutcome]) {
        if rerankTop != nil, reranker == nil { throw KorSearchError(.invalidArgument, "reranking was asked for, but no reranker is loaded") }
        let limit = max(k, 10) * 3
        let label = mode.rawValue + (rerankTop == nil ? "" : "+rerank")
        return try evaluateWithOutcomes(queries, k: k, mode: label) { _, judged in
            let hits = try search(
                judged.query, limit: max(limit, rerankTop ?? 0), mode: mode, filters: judged.filters?.applied(to: filters) ?? filters,
                vectorWeight: vectorWeight)
            guard let rerankTop, let reranker else { return hits }
            return try reranker.reorder(Array(hits.prefix(rerankTop)), query: judged.query, limit: limit)
        }
    }

    /// Hybrid search's metrics at each vector weight of `weights` (0 keyword ranking only … 1 vector only): each
    /// query embedded and ranked both ways once, the two rankings fused at every weight — the hits `evaluate`
    /// gets from hybrid search at that weight, without highlights.
    public func sweep(
        _ queries: [JudgedQuery], weights: [Double], k: Int, filters: SearchFilters = SearchFilters()
    ) throws -> [(weight: Double, metrics: RetrievalMetrics)] {
        for weight in weights { try Searcher.checkVectorWeight(weight) }
        let limit = max(k, 10) * 3
        var vectors: [String: [Float]] = [:]
        var rankings:
            [(query: String, lists: (vector: [(id: Int64, score: Double)], keyword: [(id: Int64, score: Double)]), passages: [Int64: Passage])] = []
        for judged in queries {
            let allowed = judged.filters?.applied(to: filters) ?? filters
            let query = try checkedQuery(judged.query, filters: allowed)
            if vectors[query] == nil { vectors[query] = try embedQuery(query) }
            var lists = try hybridRankings(query, queryVector: vectors[query], depth: Searcher.fusionDepth(limit), filters: allowed)
            if !judged.excludedChunks.isEmpty {
                lists.vector.removeAll { judged.excludedChunks.contains($0.id) }
                lists.keyword.removeAll { judged.excludedChunks.contains($0.id) }
            }
            // The passages of both lists, read once for every weight.
            let ids = Array(Set(lists.vector.map(\.id) + lists.keyword.map(\.id)))
            rankings.append((query, lists, Dictionary(uniqueKeysWithValues: try index.chunks(ids: ids).map { ($0.id, $0) })))
        }
        return try weights.map { weight in
            (
                weight,
                try evaluate(queries, k: k) { index, _ in
                    let (query, lists, passages) = rankings[index]
                    return try distinctHits(Searcher.fuse(lists, weight: weight), limit: limit, query: query, highlights: false, passages: passages)
                }
            )
        }
    }

    /// The metrics of the hits `search` gives each judged query (with its position in `queries`).
    private func evaluate(_ queries: [JudgedQuery], k: Int, hits search: (Int, JudgedQuery) throws -> [SearchHit]) throws -> RetrievalMetrics {
        try evaluateWithOutcomes(queries, k: k, mode: "", hits: search).metrics
    }

    /// The metrics, and each query's outcome.
    private func evaluateWithOutcomes(
        _ queries: [JudgedQuery], k: Int, mode: String, hits search: (Int, JudgedQuery) throws -> [SearchHit]
    ) throws -> (metrics: RetrievalMetrics, outcomes: [QueryOutcome]) {
        var ranked: [[String]] = []
        var relevant: [Set<String>] = []
        var outcomes: [QueryOutcome] = []
        for (index, judged) in queries.enumerated() {
            let hits = try search(index, judged)
            defer {
                let items = ranked[ranked.count - 1], wanted = relevant[relevant.count - 1]
                var seen = Set<String>()
                let distinct = items.filter { seen.insert($0).inserted }
                outcomes.append(
                    QueryOutcome(
                        query: judged.query, mode: mode, firstRelevantRank: distinct.firstIndex(where: wanted.contains).map { $0 + 1 },
                        hits: zip(hits, items).prefix(k).map { hit, item in
                            QueryOutcome.Hit(rank: hit.rank, path: hit.path, chunkId: hit.chunkId, relevant: wanted.contains(item))
                        }))
            }
            if let answer = judged.answer.map(JudgedQuery.withoutWhitespace), !answer.isEmpty {
                // Every answering passage is the one relevant item, counted once at its best rank.
                let documents = Set(judged.relevant ?? [])
                ranked.append(
                    hits.map {
                        documents.contains($0.path) && JudgedQuery.withoutWhitespace($0.passage.text).contains(answer) ? "answer" : "\($0.chunkId)"
                    }
                )
                relevant.append(["answer"])
            } else if let chunks = judged.relevantChunks, !chunks.isEmpty {
                ranked.append(hits.map { String($0.chunkId) })
                relevant.append(Set(chunks.map(String.init)))
            } else {
                ranked.append(hits.map(\.path))
                relevant.append(Set(judged.relevant ?? []))
            }
        }
        return (RetrievalMetrics.score(ranked: ranked, relevant: relevant, k: k), outcomes)
    }

    /// The weight of a sweep that retrieves best: the highest MRR@10, then nDCG@10, then Recall@k; among
    /// equals, the one nearest 0.5 (both rankings alike).
    public static func bestWeight(_ sweep: [(weight: Double, metrics: RetrievalMetrics)]) -> Double? {
        sweep.max { a, b in
            let x = (a.metrics.mrr, a.metrics.ndcg, a.metrics.recall, -abs(a.weight - 0.5))
            let y = (b.metrics.mrr, b.metrics.ndcg, b.metrics.recall, -abs(b.weight - 0.5))
            return x < y
        }?.weight
    }
}
