import Foundation

/// BM25's idf as SQLite's FTS5 computes it, which both stores reproduce: ln((N − n + 0.5) / (n + 0.5)) for a term
/// in `containing` of `passages` passages, at least 1e-6.
package func keywordIDF(passages: Int, containing: Int) -> Double {
    let value = log((Double(passages) - Double(containing) + 0.5) / (Double(containing) + 0.5))
    return value <= 0 ? 1e-6 : value
}

/// The keyword ranking's second stage: BM25's best passages scored again for the query's words standing
/// together, in the query's order.
///
/// For each two neighbouring words of the query (`U`, then `V`; words none of whose terms are searched are
/// skipped), a passage earns
///
///     max over a term a of U at [sa, ea) and a term b of V at [sb, eb) in the passage, with 0 ≤ sb − ea ≤ 3,
///         of min(idf(a), idf(b)) / (1 + (sb − ea))
///
/// (positions in Unicode scalars; 0 when no such pair stands within three characters), and its score becomes
/// BM25 + 0.25 × the sum over the query's word pairs. `펀드 규모` thus lifts `펀드규모` and `펀드 규모` (gaps 0
/// and 1) above `펀드의 규모` (2), and a passage holding the two words apart not at all. Pairs inside a word
/// (its overlapping bigrams) are not counted: that is the whole-word match the terms deliberately leave out.
///
/// Only the first `candidates` passages of BM25's ranking are scored again — a fixed number, so that a deeper
/// ranking's top is the same as a shallower one's; the bonus only raises a score, so they stay above the rest.
/// Measured on both question sets in the Benchmarks article.
package enum KeywordProximity {
    /// How many of BM25's best passages are scored again.
    package static let candidates = 20
    /// The bonus's weight against BM25.
    package static let weight = 0.25
    /// The largest gap, in characters, between two words that still stand together.
    package static let maximumGap = 3

    /// The bonus before its weight: the sum over the query's neighbouring word pairs (`query`: each word's
    /// searched terms, in order; empty words are skipped) of the best pair standing together in `passage`.
    package static func bonus(query: [[String]], passage: [[KeywordTerms.Placed]], idf: [String: Double]) -> Double {
        bonus(query: query, placed: placements(of: Set(query.joined()), among: passage), idf: idf)
    }

    /// The placed terms that are wanted, by term.
    private static func placements(of wanted: Set<String>, among words: [[KeywordTerms.Placed]]) -> [String: [KeywordTerms.Placed]] {
        var placed: [String: [KeywordTerms.Placed]] = [:]
        for word in words {
            for term in word where wanted.contains(term.term) { placed[term.term, default: []].append(term) }
        }
        return placed
    }

    /// `bonus` over where the query's terms stand in the passage (`placements`).
    static func bonus(query: [[String]], placed: [String: [KeywordTerms.Placed]], idf: [String: Double]) -> Double {
        let words = query.filter { !$0.isEmpty }
        guard words.count > 1 else { return 0 }
        var total = 0.0
        for (first, second) in zip(words, words.dropFirst()) {
            var best = 0.0
            for a in first {
                guard let left = placed[a], let idfA = idf[a] else { continue }
                for b in second {
                    guard let right = placed[b], let idfB = idf[b] else { continue }
                    for x in left {
                        for y in right where y.start >= x.end && y.start - x.end <= maximumGap {
                            best = max(best, min(idfA, idfB) / Double(1 + y.start - x.end))
                        }
                    }
                }
            }
            total += best
        }
        return total
    }

    /// The query's words as `bonus` takes them: each word's terms that are searched (those `idf` holds).
    package static func queryWords(_ query: String, idf: [String: Double], dictionary: KeywordDictionary = .empty) -> [[String]] {
        KeywordTerms.placedWords(query, dictionary: dictionary).map { $0.map(\.term).filter { idf[$0] != nil } }
    }

    /// BM25's ranking (best first) with its first `candidates` passages' scores raised by the bonus (`texts`
    /// gives their text; `idf` the searched terms'), in the same order: the caller sorts again.
    package static func rescored(
        _ ranking: [(id: Int64, score: Double)], query: [[String]], idf: [String: Double], texts: [Int64: String],
        dictionary: KeywordDictionary = .empty
    ) -> [(id: Int64, score: Double)] {
        let wanted = Set(query.joined())
        return ranking.enumerated().map { index, item in
            guard index < candidates, let text = texts[item.id] else { return item }
            let placed = placements(of: wanted, in: text, dictionary: dictionary)
            return (item.id, item.score + weight * bonus(query: query, placed: placed, idf: idf))
        }
    }

    /// Where each of `wanted` stands in a text: the terms of `KeywordTerms.placedWords` that are wanted, found
    /// without making a string of every bigram (a passage has hundreds; the query wants a few) — Hangul pairs are
    /// compared as scalar pairs, and numbers and Latin words read only when a wanted term is one. With a
    /// dictionary, whose words change where bigrams are, the terms are placed in full.
    static func placements(of wanted: Set<String>, in text: String, dictionary: KeywordDictionary) -> [String: [KeywordTerms.Placed]] {
        guard dictionary.words.isEmpty else { return placements(of: wanted, among: KeywordTerms.placedWords(text, dictionary: dictionary)) }
        var placed: [String: [KeywordTerms.Placed]] = [:]
        // Hangul terms by their scalars: a bigram as its two scalars, a lone syllable as itself and a marker.
        let lone: UInt64 = 0xFFFF_FFFF
        var hangul: [UInt64: String] = [:]
        var others = false
        for term in wanted {
            let scalars = Array(term.unicodeScalars)
            if scalars.allSatisfy(KeywordTerms.isHangul), (1 ... 2).contains(scalars.count) {
                hangul[UInt64(scalars[0].value) << 32 | (scalars.count == 2 ? UInt64(scalars[1].value) : lone)] = term
            } else {
                others = true
            }
        }
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            guard KeywordTerms.isHangul(scalars[index]) else {
                index += 1
                continue
            }
            var end = index + 1
            while end < scalars.count, KeywordTerms.isHangul(scalars[end]) { end += 1 }
            if end - index == 1 {
                if let term = hangul[UInt64(scalars[index].value) << 32 | lone] {
                    placed[term, default: []].append(KeywordTerms.Placed(term: term, start: index, end: end))
                }
            } else {
                for start in index ..< end - 1 {
                    if let term = hangul[UInt64(scalars[start].value) << 32 | UInt64(scalars[start + 1].value)] {
                        placed[term, default: []].append(KeywordTerms.Placed(term: term, start: start, end: start + 2))
                    }
                }
            }
            index = end
        }
        if others {
            for token in KeywordTerms.tokens(scalars) where token.kind != .hangul && wanted.contains(token.term) {
                placed[token.term, default: []].append(
                    KeywordTerms.Placed(term: token.term, start: token.range.lowerBound, end: token.range.upperBound))
            }
        }
        return placed
    }
}
