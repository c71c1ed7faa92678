import CFaiss
import Foundation
import KorSearchCore

/// A FAISS index over chunk vectors, keyed by chunk id: any factory string (`Flat`, `IVF4096,SQ8` — what
/// `AutoVectorIndex` picks by size — `HNSW32`, `IVF256,PQ32`, ...) inside an `IndexIDMap2`, with inner
/// product over L2-normalized vectors, i.e. cosine similarity. Not thread-safe for writes; searches may run
/// concurrently.
package final class VectorIndex: @unchecked Sendable {
    private let handle: OpaquePointer
    /// The factory string it was built from.
    package let factory: String

    /// Debian's libfaiss is built for baseline x86-64, so its per-vector distance loop is scalar; OpenBLAS's
    /// GEMM is tuned for this processor. Exhaustive search uses BLAS from a single query on.
    private static let useBLASForEveryQuery: Void = ks_faiss_set_blas_threshold(1)

    /// An empty index of a dimension, built from a FAISS factory string.
    package init(dimension: Int, factory: String = "Flat") throws {
        _ = VectorIndex.useBLASForEveryQuery
        var error: UnsafeMutablePointer<CChar>?
        guard let handle = ks_faiss_create(Int32(dimension), factory, 1, &error) else {
            throw KorSearchError(.invalidArgument, "FAISS cannot build \"\(factory)\": \(VectorIndex.firstLine(VectorIndex.take(error)))")
        }
        self.handle = handle
        self.factory = factory
        setDefaultProbes()
    }

    /// Reads an index file written by `write(to:)`.
    package init(contentsOf url: URL, factory: String) throws {
        _ = VectorIndex.useBLASForEveryQuery
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw KorSearchError(.indexNotFound, "FAISS index \(url.path) does not exist")
        }
        if let problem = VectorIndex.headerProblem(url) {
            throw KorSearchError(.corruptIndex, "FAISS index \(url.path) cannot be read: \(problem)")
        }
        var error: UnsafeMutablePointer<CChar>?
        guard let handle = ks_faiss_read(url.path, &error) else {
            throw KorSearchError(.corruptIndex, "FAISS index \(url.path) cannot be read: \(VectorIndex.firstLine(VectorIndex.take(error)))")
        }
        self.handle = handle
        self.factory = factory
        setDefaultProbes()
    }

    /// What is wrong with a FAISS file's header, checked before FAISS reads the file (FAISS trusts it: a count
    /// of 2^40 vectors is an allocation of that size), or nil. Every index type FAISS writes starts with its
    /// four-character code, the dimension (Int32) and the vector count (Int64); each vector takes at least a
    /// byte of the file.
    static func headerProblem(_ url: URL) -> String? {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return "unreadable" }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        let size = (try? handle.seekToEnd()) ?? 0
        guard header.count == 16 else { return "shorter than a FAISS header" }
        let dimension = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: Int32.self) }
        let count = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: Int64.self) }
        guard dimension > 0, dimension <= 65_536 else { return "its header gives dimension \(dimension)" }
        guard count >= 0, UInt64(count) <= size else { return "its header gives \(count) vectors for a file of \(size) bytes" }
        return nil
    }

    /// An inverted file probes `AutoVectorIndex.probes` of its lists per query instead of FAISS's one.
    private func setDefaultProbes() {
        if let lists = AutoVectorIndex.lists(in: factory) { try? setParameter("nprobe", Double(AutoVectorIndex.probes(lists: lists))) }
    }

    /// Whether search scores come from the vectors themselves: a `Flat` index, and an HNSW graph over float16
    /// or float32 vectors (`HNSW32,SQfp16`, what `AutoVectorIndex` picks; `HNSW32`). Other types' candidates
    /// are re-ranked with the catalog's stored vectors. (An HNSW graph finds approximately the nearest; the
    /// scores of what it finds are exact.)
    package var isExact: Bool { factory == "Flat" || isGraph }

    /// Whether the index is an HNSW graph searched by korsearch's own search (`searchGraph`), with removal by
    /// marking and a search list set per query.
    package var isGraph: Bool { ks_faiss_is_hnsw(handle) != 0 }

    /// Whether `scores(_:ids:)` can score stored vectors (Flat and the HNSW graphs keep them).
    package var keepsVectors: Bool { isGraph || factory == "Flat" }

    deinit { ks_faiss_free(handle) }

    /// The vector dimension.
    package var dimension: Int { Int(ks_faiss_dimension(handle)) }

    /// How many vectors the index answers from (an HNSW graph's removed vectors left out).
    package var count: Int { Int(ks_faiss_count(handle)) }

    /// HNSW: how many vectors are marked removed but still in the graph (`AutoVectorIndex.rebuild` rebuilds
    /// it when they are too many).
    package var removedCount: Int { Int(ks_faiss_removed_count(handle)) }

    /// HNSW: the search list a search uses when it does not give one (0 before calibration: FAISS's 16).
    package var efSearch: Int {
        get { Int(ks_faiss_ef_search(handle)) }
        set { ks_faiss_set_ef_search(handle, Int32(clamping: newValue)) }
    }

    /// The ids the index answers from, in insertion order.
    package func ids() -> [Int64] {
        let total = Int(ks_faiss_stored_count(handle))
        var ids = [Int64](repeating: 0, count: total)
        let written = Int(ks_faiss_ids(handle, &ids, Int64(total)))
        return written < 0 ? [] : Array(ids.prefix(written))
    }

    /// Whether the index type needs no more training before vectors are added.
    package var isTrained: Bool { ks_faiss_is_trained(handle) != 0 }

    /// Trains an index type that needs it (IVF, PQ) on sample vectors, row-major.
    package func train(_ vectors: [Float]) throws {
        try check(vectors.count)
        var error: UnsafeMutablePointer<CChar>?
        if ks_faiss_train(handle, Int64(vectors.count / dimension), vectors, &error) != 0 {
            throw KorSearchError(.vectorIndex, "FAISS could not train \"\(factory)\": \(VectorIndex.firstLine(VectorIndex.take(error)))")
        }
    }

    /// Adds vectors (row-major, `ids.count` rows) under their ids.
    package func add(_ vectors: [Float], ids: [Int64]) throws {
        try check(vectors.count)
        guard vectors.count == ids.count * dimension else {
            throw KorSearchError(.invalidArgument, "\(ids.count) ids for \(vectors.count / max(dimension, 1)) vectors")
        }
        if ids.isEmpty { return }
        var error: UnsafeMutablePointer<CChar>?
        if ks_faiss_add(handle, Int64(ids.count), vectors, ids, &error) != 0 {
            throw KorSearchError(.vectorIndex, "FAISS could not add to \"\(factory)\": \(VectorIndex.firstLine(VectorIndex.take(error)))")
        }
    }

    /// Removes the vectors of ids; returns how many were removed, or nil when the index type cannot remove
    /// (HNSW over 8-bit codes), in which case the caller rebuilds it. An HNSW graph over float16/float32
    /// vectors marks them removed: they stay in the graph as waypoints and are never returned.
    package func remove(ids: [Int64]) -> Int? {
        if ids.isEmpty { return 0 }
        var error: UnsafeMutablePointer<CChar>?
        let removed = ks_faiss_remove(handle, Int64(ids.count), ids, &error)
        if removed < 0 {
            _ = VectorIndex.take(error)
            return nil
        }
        return Int(removed)
    }

    /// The `k` nearest vectors to a query by inner product, best first; fewer when the index holds fewer.
    package func search(_ query: [Float], k: Int) throws -> [(id: Int64, score: Float)] {
        try check(query.count)
        try checkQuery(query)
        let k = max(0, min(k, count))
        if k == 0 { return [] }
        var scores = [Float](repeating: 0, count: k)
        var ids = [Int64](repeating: -1, count: k)
        var error: UnsafeMutablePointer<CChar>?
        if ks_faiss_search(handle, 1, query, Int64(k), &scores, &ids, &error) != 0 {
            throw KorSearchError(.vectorIndex, "FAISS search failed: \(VectorIndex.firstLine(VectorIndex.take(error)))")
        }
        return zip(ids, scores).filter { $0.0 >= 0 }.map { (id: $0.0, score: $0.1) }
    }

    /// HNSW: the `k` most similar vectors to a query, best first, with a search list of `efSearch` (nil: the
    /// index's); with `allowed`, only those ids (fewer than `k` when the search list runs out of them).
    package func searchGraph(_ query: [Float], k: Int, efSearch: Int? = nil, allowed: [Int64]? = nil) throws -> [(id: Int64, score: Float)] {
        try checkQuery(query)
        let k = max(0, min(k, count))
        if k == 0 { return [] }
        var scores = [Float](repeating: 0, count: k)
        var ids = [Int64](repeating: -1, count: k)
        var found: Int64 = 0
        var error: UnsafeMutablePointer<CChar>?
        let status =
            allowed.map { allowed in
                ks_faiss_search_hnsw(
                    handle, query, Int64(k), Int32(clamping: efSearch ?? 0), allowed, Int64(allowed.count), &scores, &ids, &found, &error)
            } ?? ks_faiss_search_hnsw(handle, query, Int64(k), Int32(clamping: efSearch ?? 0), nil, 0, &scores, &ids, &found, &error)
        if status != 0 {
            throw KorSearchError(.vectorIndex, "FAISS HNSW search failed: \(VectorIndex.firstLine(VectorIndex.take(error)))")
        }
        return (0 ..< Int(found)).map { (id: ids[$0], score: scores[$0]) }
    }

    /// The inner product of a query with the stored vector of each id, in `ids`' order (nil for an id the index
    /// does not hold); for types that keep their vectors (`keepsVectors`).
    package func scores(_ query: [Float], ids: [Int64]) throws -> [Float?] {
        try checkQuery(query)
        if ids.isEmpty { return [] }
        var scores = [Float](repeating: 0, count: ids.count)
        var error: UnsafeMutablePointer<CChar>?
        if ks_faiss_score_ids(handle, query, Int64(ids.count), ids, &scores, &error) != 0 {
            throw KorSearchError(.vectorIndex, "FAISS cannot score stored vectors: \(VectorIndex.firstLine(VectorIndex.take(error)))")
        }
        return scores.map { $0.isNaN ? nil : $0 }
    }

    /// HNSW: chooses the index's search list from a recall target (`ks_faiss_hnsw_calibrate`: the shortest
    /// list whose recall@10 reaches it on `samples` stored vectors taken as queries) and returns it with the
    /// recall measured.
    @discardableResult
    package func calibrate(recall target: Double, samples: Int) throws -> (efSearch: Int, recall: Double) {
        var ef: Int32 = 0
        var recall = 0.0
        var error: UnsafeMutablePointer<CChar>?
        if ks_faiss_hnsw_calibrate(handle, target, Int32(clamping: samples), &ef, &recall, &error) != 0 {
            throw KorSearchError(.vectorIndex, "FAISS HNSW calibration failed: \(VectorIndex.firstLine(VectorIndex.take(error)))")
        }
        return (Int(ef), recall)
    }

    /// Sets a search-time parameter such as `nprobe` (IVF) or `efSearch` (HNSW).
    package func setParameter(_ name: String, _ value: Double) throws {
        var error: UnsafeMutablePointer<CChar>?
        if ks_faiss_set_parameter(handle, name, value, &error) != 0 {
            throw KorSearchError(.invalidArgument, "FAISS parameter \(name): \(VectorIndex.firstLine(VectorIndex.take(error)))")
        }
    }

    /// Writes the index atomically: to a temporary file beside `url`, fsync, then rename over it.
    package func write(to url: URL) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        var error: UnsafeMutablePointer<CChar>?
        if ks_faiss_write(handle, temporary.path, &error) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw KorSearchError(.vectorIndex, "cannot write FAISS index \(url.path): \(VectorIndex.firstLine(VectorIndex.take(error)))")
        }
        try AtomicFile.syncAndRename(temporary, to: url, role: "the FAISS index")
    }

    /// Throws unless a query has the index's dimension.
    private func checkQuery(_ query: [Float]) throws {
        guard query.count == dimension else {
            throw KorSearchError(.invalidArgument, "query has dimension \(query.count), the index \(dimension)")
        }
    }

    private func check(_ floats: Int) throws {
        guard dimension > 0, floats % dimension == 0 else {
            throw KorSearchError(.invalidArgument, "\(floats) floats are not whole vectors of dimension \(dimension)")
        }
    }

    private static func take(_ error: UnsafeMutablePointer<CChar>?) -> String {
        guard let error else { return "unknown error" }
        defer { ks_faiss_free_string(error) }
        return String(cString: error)
    }

    /// FAISS messages carry the C++ function and a failed assertion ("Error in void faiss::Clustering::train…
    /// at ./faiss/Clustering.cpp:277: Error: 'nx >= k' failed: Number of training points (32) should be at
    /// least …"); the reason for a person is the sentence after the assertion.
    static func firstLine(_ message: String) -> String {
        let lines = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        var line = lines.first { $0.hasPrefix("Error") } ?? lines.first ?? message
        if let failed = line.range(of: "' failed: ", options: .backwards) {
            line = String(line[failed.upperBound...])
        } else if let error = line.range(of: ": Error: ", options: .backwards) {
            line = String(line[error.upperBound...])
        } else if line.hasPrefix("Error in "), let at = line.range(of: ": ", options: .backwards) {
            line = String(line[at.upperBound...])
        }
        return line.trimmingCharacters(in: .whitespaces)
    }
}
