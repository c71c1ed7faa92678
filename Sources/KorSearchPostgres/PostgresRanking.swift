import Foundation
import KorSearchCore
import PostgresNIO

/// Keyword ranking in SQL: term statistics, and BM25 over the posting lists, pruned by each term's bound
/// (`KeywordBound`) or exhaustive.
extension PostgresStore {
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
    /// A term's weight multiplies its idf (1 when absent).
    public func bestKeywordMatches(
        _ terms: [String], weights: [String: Double], depth: Int, filters: SearchFilters
    ) throws -> [(id: Int64, score: Double)] {
        try prunedKeywordMatches(terms, weights: weights, depth: depth, filters: filters).ranking
    }

    /// The pruned ranking, with how many posting-list entries its passes read in full and how many the query
    /// terms' lists hold (`lookupShare` as `KeywordBound.Plan.essentialCount` takes it).
    func prunedKeywordMatches(
        _ terms: [String], weights: [String: Double] = [:], depth: Int, filters: SearchFilters, lookupShare: Double = 0.2
    ) throws
        -> (ranking: [(id: Int64, score: Double)], read: Int, postings: Int)
    {
        if terms.isEmpty || depth <= 0 { return ([], 0, 0) }
        return try pool.withSession { session in
            guard let (plan, average) = try keywordPlan(terms, weights: weights, session) else { return ([], 0, 0) }
            func entries(_ count: Int) -> Int { plan.terms.prefix(count).map(\.passages).reduce(0, +) }
            let postings = entries(plan.terms.count)
            let probe = plan.probeCount(budget: postings / 8)
            if postings <= KeywordBound.exhaustiveBelow || probe == plan.terms.count {
                return (try keywordRanking(session, plan: plan, average: average, depth: depth, filters: filters), postings, postings)
            }
            let estimate = try keywordRanking(
                session, plan: plan, essential: probe, average: average, depth: depth, filters: filters,
                candidates: .best(max(4 * depth, 100)))
            guard estimate.count == depth, let threshold = estimate.last?.score else {
                return (
                    try keywordRanking(session, plan: plan, average: average, depth: depth, filters: filters),
                    entries(probe) + postings, postings
                )
            }
            let essential = plan.essentialCount(reaching: threshold, lookupShare: lookupShare)
            let ranking = try keywordRanking(
                session, plan: plan, essential: essential, average: average, depth: depth, filters: filters,
                candidates: .reaching(threshold - plan.rest[essential] - KeywordBound.slack))
            return (ranking, entries(probe) + entries(essential), postings)
        }
    }

    /// The same ranking without pruning: every query term's posting list summed per passage (the reference the
    /// tests hold the pruned ranking to).
    func exhaustiveKeywordMatches(
        _ terms: [String], weights: [String: Double] = [:], depth: Int, filters: SearchFilters
    ) throws -> [(id: Int64, score: Double)] {
        if terms.isEmpty || depth <= 0 { return [] }
        return try pool.withSession { session in
            guard let (plan, average) = try keywordPlan(terms, weights: weights, session) else { return [] }
            return try keywordRanking(session, plan: plan, average: average, depth: depth, filters: filters)
        }
    }

    /// The query terms found in the store with their idf and bounds, and the average passage length; nil when
    /// the store has no passages.
    private func keywordPlan(_ terms: [String], weights: [String: Double], _ session: PostgresSession) throws -> (KeywordBound.Plan, Double)? {
        let totals = try session.query("SELECT chunks, terms FROM keyword_totals")[0].makeRandomAccess()
        let passages = Double(try totals[0].decode(Int64.self))
        if passages == 0 { return nil }
        let average = Double(try totals[1].decode(Int64.self)) / passages
        var found: [KeywordBound.Term] = []
        for row in try session.query(
            "SELECT term, chunks, weight_bound, bound_length FROM keyword_terms WHERE term = ANY($1) AND chunks > 0",
            binds(Array(Set(terms))))
        {
            let cells = row.makeRandomAccess()
            let n = try cells[1].decode(Int64.self)
            let term = try cells[0].decode(String.self)
            let idf = keywordIDF(passages: Int(passages), containing: Int(n)) * (weights[term] ?? 1)
            let bound = KeywordBound.bound(try cells[2].decode(Double.self), reference: try cells[3].decode(Double.self), average: average)
            found.append(.init(term: term, idf: idf, bound: idf * bound, passages: Int(n)))
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
    private func keywordRanking(
        _ session: PostgresSession, plan: KeywordBound.Plan, essential: Int? = nil, average: Double, depth: Int,
        filters: SearchFilters, candidates: Candidates = .all
    ) throws -> [(id: Int64, score: Double)] {
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
        if !filters.isEmpty { conditions.append(try filters.postgresCondition(&bindings, session: session)) }
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
        let rows = try session.query(
            """
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
}
