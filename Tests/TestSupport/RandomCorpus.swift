import Foundation

/// A seeded generator, so a failure can be replayed.
public struct SplitMix: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random keyword corpora for the ranking tests (the embedded keyword index, the PostgreSQL store).
public enum RandomCorpus {
    /// Terms FTS5's tokenizer keeps whole: Hangul pairs, Latin words, numbers with a point.
    public static func vocabulary(_ size: Int) -> [String] {
        let syllables = Array("금리환율예산채권주식배당부채자본이익손실매출영업분기연도증가감소".unicodeScalars)
        return (0 ..< size).map { index in
            switch index % 5 {
            case 0: return "w\(index)"
            case 1: return "\(index).5"
            default:
                let a = syllables[index % syllables.count], b = syllables[(index / syllables.count) % syllables.count]
                return String(String.UnicodeScalarView([a, b])) + (index >= syllables.count * syllables.count ? "\(index)" : "")
            }
        }
    }

    /// A corpus of `count` passages over a Zipf-like vocabulary, with ascending chunk ids that have gaps.
    public static func corpus(_ count: Int, vocabulary: [String], random: inout SplitMix) -> [(id: Int64, terms: [String])] {
        var id: Int64 = 0
        return (0 ..< count).map { _ in
            id += Int64.random(in: 1 ... 3, using: &random)
            let length = Int.random(in: 1 ... 60, using: &random)
            let terms = (0 ..< length).map { _ in
                vocabulary[min(vocabulary.count - 1, Int(pow(Double.random(in: 0 ..< 1, using: &random), 3) * Double(vocabulary.count)))]
            }
            return (id, terms)
        }
    }
}
