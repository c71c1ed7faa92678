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

    /// Whether search scores come from the vectors themselves: a `Flat` index, exact by construction. Other
    /// types' candidates are re-ranked with the stored vectors.
    package var isExact: Bool { factory == "Flat" }

    deinit { ks_faiss_free(handle) }

    /// The vector dimension.
    package var dimension: Int { Int(ks_faiss_dimension(handle)) }

    /// How many vectors the index holds.
    package var count: Int { Int(ks_faiss_count(handle)) }

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
    /// (HNSW), in which case the caller rebuilds it.
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
        guard query.count == dimension else {
            throw KorSearchError(.invalidArgument, "query has dimension \(query.count), the index \(dimension)")
        }
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
