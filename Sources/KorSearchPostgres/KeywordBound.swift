import Foundation

/// Bounds on BM25's weights, kept per term, and the MaxScore split they allow: the PostgreSQL store's pruning.
///
/// A posting's BM25 weight is `idf · w`, with `w = tf · 2.2 / (tf + 1.2 · (0.25 + 0.75 · length / average))`
/// (k1 1.2, b 0.75, as FTS5 and the embedded store rank). `keyword_terms` keeps, per term, `weight_bound`: the
/// largest `w` of its postings at the average length `bound_length` it was computed at. `w` grows with the
/// average, at most in proportion (`w(a) ≤ w(r) · max(1, a / r)` for any reference `r`), so a bound stays
/// valid at every later average and needs no rewrite when the corpus grows; a writer converts the stored
/// bound to its own reference and takes the larger of it and its new postings' weights (removals leave a
/// bound that is still valid, only looser, until the terms are derived again).
///
/// MaxScore: with the query terms ordered by their bounds, the terms whose bounds sum below the k-th best
/// score so far can lift no passage into the top k on their own, so only the others' posting lists are read
/// (the "essential" terms); a candidate's other terms are looked up by (term, passage) in the posting index.
enum KeywordBound {
    /// `w` in SQL over the posting `p`, with the average length as `average` (an expression), in float8
    /// throughout (a numeric literal times an integer column is numeric arithmetic, several times slower).
    static func weightSQL(average: String) -> String {
        "p.tf * 2.2::float8 / (p.tf + 0.3::float8 + p.length * (0.9::float8 / \(average)))"
    }

    /// `w` of one posting.
    static func weight(frequency: Int32, length: Int32, average: Double) -> Double {
        Double(frequency) * 2.2 / (Double(frequency) + 0.3 + Double(length) * (0.9 / average))
    }

    /// A stored bound (computed at average length `reference`) at the average length `average` now.
    static func bound(_ stored: Double, reference: Double, average: Double) -> Double {
        stored * max(1, average / reference)
    }

    /// Every term's bound computed again from its postings at the current average length (after a migration or
    /// a re-derivation of all terms).
    static let recomputeStatement = """
        UPDATE keyword_terms k SET weight_bound = b.bound, bound_length = b.average
        FROM (
            SELECT p.term, t.average, max(\(weightSQL(average: "t.average"))) AS bound
            FROM keyword_postings p
            CROSS JOIN (SELECT greatest(terms::float8 / greatest(chunks, 1), 1) AS average FROM keyword_totals) t
            GROUP BY p.term, t.average
        ) b
        WHERE k.term = b.term
        """

    /// The combination a writer's upsert makes: the stored bound converted to the new reference, or the new
    /// postings' largest weight, whichever is larger (a transaction that only removes keeps the stored bound).
    static let upsertAssignments = """
        weight_bound = CASE WHEN excluded.weight_bound > 0
            THEN greatest(excluded.weight_bound, keyword_terms.weight_bound * greatest(1, excluded.bound_length / keyword_terms.bound_length))
            ELSE keyword_terms.weight_bound END,
        bound_length = CASE WHEN excluded.weight_bound > 0 THEN excluded.bound_length ELSE keyword_terms.bound_length END
        """

    /// Slack for floating point: the same sum added in another order differs in its last bits, and ranking
    /// compares scores rounded to 9 places.
    static let slack = 1e-6

    /// Below how many postings in all a query's lists are simply summed (two passes cost more than one).
    static let exhaustiveBelow = 2_000

    /// A query term with its idf and its bound on any passage's score from it (idf times the weight bound).
    struct Term: Equatable {
        var term: String
        var idf: Double
        var bound: Double
        /// How many passages hold it.
        var passages: Int
    }

    /// The query's terms, largest bound first (the rarest, roughly), for the split.
    struct Plan {
        let terms: [Term]
        /// `rest[m]`: the sum of the bounds of the terms from `m` on (`rest[terms.count]` = 0).
        let rest: [Double]

        init(_ terms: [Term]) {
            self.terms = terms.sorted { ($0.bound, $1.passages, $1.term) > ($1.bound, $0.passages, $0.term) }
            var sums = [Double](repeating: 0, count: self.terms.count + 1)
            for index in self.terms.indices.reversed() { sums[index] = sums[index + 1] + self.terms[index].bound }
            rest = sums
        }

        /// The terms whose passages give a first estimate of the k-th best score: the leading ones while their
        /// posting lists hold at most `budget` entries in all (at least one term).
        func probeCount(budget: Int) -> Int {
            var count = 0, entries = 0
            while count < terms.count, count == 0 || entries + terms[count].passages <= budget {
                entries += terms[count].passages
                count += 1
            }
            return count
        }

        /// How many leading terms to read in full, given `threshold` (a score some `k` passages are known to
        /// reach): enough that a passage holding none of them cannot reach it (the remaining bounds sum below
        /// it), and more while those bounds exceed `lookupShare` of it — a candidate whose read part falls
        /// short of the threshold by less than the remaining bounds has its other terms looked up one by one,
        /// and in PostgreSQL one lookup costs about what three postings read in a list do, so a small
        /// remainder (few candidates to complete) beats reading the fewest lists. (0.2 was the fastest of 0.1,
        /// 0.15, 0.25, 0.5 and 1 on search-benchmark's 100,000 passages.) At least one term.
        func essentialCount(reaching threshold: Double, lookupShare: Double = 0.2) -> Int {
            var count = 1
            while count < terms.count, rest[count] >= threshold - KeywordBound.slack || rest[count] > lookupShare * threshold { count += 1 }
            return count
        }
    }
}
