import Foundation

/// The FAISS type of an index whose factory is `auto` (the default for new indexes), chosen by its size:
/// exact search (`Flat`) while it is small, an inverted file with 8-bit codes (`IVF<lists>,SQ8`) once exact
/// search would cost more than about 10 ms a query. The IVF index answers from a quarter of the memory, and its
/// candidates are re-ranked exactly with the catalog's stored vectors (`EmbeddedStore.nearest`), so what is
/// approximate is only which passages become candidates. The type follows the index as it grows or shrinks:
/// it is built again from the stored vectors when the size crosses the threshold or the number of lists it
/// was trained with is 4× off.
package enum AutoVectorIndex {
    /// The factory value that asks for this choice.
    package static let name = "auto"

    /// From this many vectors on, an inverted file; below it, exact search (a `Flat` scan of 50,000
    /// 768-dimensional vectors takes about 14 ms on the reference machine). `KORSEARCH_TEST_EXACT_BELOW`
    /// lowers it for tests.
    package static var exactBelow: Int {
        ProcessInfo.processInfo.environment["KORSEARCH_TEST_EXACT_BELOW"].flatMap(Int.init) ?? 50_000
    }

    /// Training points per list: FAISS's k-means asks for at least 39.
    static let pointsPerList = 50

    /// The FAISS factory string for an index of `count` vectors.
    package static func factory(for count: Int) -> String {
        count < exactBelow ? "Flat" : "IVF\(lists(for: count)),SQ8"
    }

    /// The number of inverted lists for `count` vectors: the power of two nearest 4·√count (the usual rule,
    /// about 250 vectors a list at a million), no more than the vectors can train.
    package static func lists(for count: Int) -> Int {
        let wanted = Int(pow(2, (log2(4 * Double(max(count, 1)).squareRoot())).rounded()))
        var trainable = 1
        while trainable * 2 * 39 <= count { trainable *= 2 }
        return max(1, min(wanted, trainable))
    }

    /// How many lists a query probes in an index of `lists` lists (FAISS's default is 1).
    package static func probes(lists: Int) -> Int {
        min(lists, max(16, lists / 256))
    }

    /// The number of lists of an `IVF<lists>,…` factory string, nil for other types.
    package static func lists(in factory: String) -> Int? {
        guard factory.hasPrefix("IVF") else { return nil }
        return Int(factory.dropFirst(3).prefix { $0.isNumber })
    }

    /// The type an `auto` index built as `current` should be rebuilt as now that it holds `count` vectors, or
    /// nil to keep it. Inverted files go back to exact search only below half the threshold, so an index
    /// near it does not flip on every run.
    package static func rebuild(_ current: String, count: Int) -> String? {
        let wanted = factory(for: count)
        guard let built = lists(in: current), current.hasSuffix(",SQ8") else {
            return current == "Flat" && wanted == "Flat" ? nil : wanted
        }
        if count < exactBelow / 2 { return "Flat" }
        let ratio = Double(lists(for: count)) / Double(built)
        return ratio >= 4 || ratio <= 0.25 ? wanted : nil
    }

    /// Vectors sampled to train an index of `lists` lists.
    static func trainingSample(lists: Int) -> Int { lists * pointsPerList }
}
