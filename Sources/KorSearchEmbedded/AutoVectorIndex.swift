import Foundation

/// The FAISS type of an index whose factory is `auto` (the default for new indexes), chosen by its size:
/// exact search (`Flat`) while it is small, an HNSW graph over the float16 vectors (`HNSW32,SQfp16`) once exact
/// search would cost more than a couple of milliseconds a query. The graph keeps the vectors as the catalog
/// stores them, so the scores of what it finds are exact and nothing is re-ranked; what is approximate is only
/// which passages it finds, with a search list chosen at build time from a recall target (`recallTarget`,
/// measured on the index's own vectors) and settable per query. Removed passages are marked, not unlinked
/// (FAISS's HNSW cannot unlink a node): the graph is built again when they pass a fifth of it. The type
/// follows the index as it grows or shrinks; an `auto` index built by an earlier korsearch as an inverted file
/// (`IVF…,SQ8`) becomes a graph at its next write or `korsearch rebuild`.
package enum AutoVectorIndex {
    /// The factory value that asks for this choice.
    package static let name = "auto"

    /// The graph type `auto` builds: 32 links a node (64 in the bottom layer), vectors as float16.
    package static let graph = "HNSW32,SQfp16"

    /// From this many vectors on, a graph; below it, exact search (a `Flat` scan of 10,000 768-dimensional
    /// vectors takes about 1.5 ms). `KORSEARCH_TEST_EXACT_BELOW` lowers it for tests.
    package static var exactBelow: Int {
        ProcessInfo.processInfo.environment["KORSEARCH_TEST_EXACT_BELOW"].flatMap(Int.init) ?? 10_000
    }

    /// The recall@10 a graph's default search list is chosen for, measured with stored vectors as queries
    /// against their exhaustive nearest neighbours (`VectorIndex.calibrate`).
    package static let recallTarget = 0.98
    /// Stored vectors the calibration takes as queries.
    package static let calibrationQueries = 200
    /// The calibration is measured again when the graph's size has moved this far (a fraction) since.
    package static let recalibrateAfter = 0.25
    /// Removed vectors, as a share of those a graph holds, past which it is built again.
    package static let removedShare = 0.2

    /// Training points per list of an inverted file (FAISS's k-means asks for at least 39).
    static let pointsPerList = 50

    /// The FAISS factory string for an index of `count` vectors.
    package static func factory(for count: Int) -> String {
        count < exactBelow ? "Flat" : graph
    }

    /// How many lists a query probes in an inverted file of `lists` lists (FAISS's default is 1), for an
    /// `IVF…` factory a user chose.
    package static func probes(lists: Int) -> Int {
        min(lists, max(16, lists / 256))
    }

    /// The number of lists of an `IVF<lists>,…` factory string, nil for other types.
    package static func lists(in factory: String) -> Int? {
        guard factory.hasPrefix("IVF") else { return nil }
        return Int(factory.dropFirst(3).prefix { $0.isNumber })
    }

    /// The type an `auto` index built as `current` should be rebuilt as now that it answers from `count`
    /// vectors with `removed` more marked removed in its graph, or nil to keep it. A graph goes back to exact
    /// search only below half the threshold, so an index near it does not flip on every run; any other type
    /// (an inverted file of an earlier `auto`) becomes the type the size asks for.
    package static func rebuild(_ current: String, count: Int, removed: Int = 0) -> String? {
        let wanted = factory(for: count)
        switch current {
        case "Flat":
            return wanted == "Flat" ? nil : wanted
        case graph:
            if count < exactBelow / 2 { return "Flat" }
            return tooManyRemoved(count: count, removed: removed) ? graph : nil
        default:
            return wanted
        }
    }

    /// Whether a graph answering from `count` vectors with `removed` more marked removed should be built again.
    package static func tooManyRemoved(count: Int, removed: Int) -> Bool {
        removed > 0 && Double(removed) > removedShare * Double(count + removed)
    }

    /// Vectors sampled to train an index of `lists` lists.
    static func trainingSample(lists: Int) -> Int { lists * pointsPerList }
}
