import Foundation
import KorSearchCore

#if canImport(Glibc)
import Glibc
#endif

/// An index directory opened for use: the catalog, the FAISS index over its vectors and the keyword index over
/// its passages' terms, checked against each other. FAISS and the keyword index are derived data: when a file
/// is missing, unreadable, damaged or behind the catalog (a crash between the catalog commit and their write),
/// it is rebuilt from the catalog — the stored vectors, the stored passages' text — without re-embedding.
public final class EmbeddedStore: @unchecked Sendable {
    /// Where the index lives.
    public let directory: EmbeddedLocation
    /// The catalog (the truth).
    package let catalog: Catalog
    /// The vector index over the catalog's chunk vectors.
    package private(set) var vectors: VectorIndex
    /// The keyword index over the catalog's passages (nil only while `rebuild` makes it).
    package private(set) var keywords: KeywordIndex?
    /// The changes since the keyword index file was written, merged into it by `persist`.
    private var pendingKeywords = KeywordPostings()
    private var removedKeywordChunks = Set<Int64>()
    /// The catalog's meta when opened.
    public private(set) var meta: IndexMeta
    /// Whether the FAISS type in memory differs from the one the catalog records (another factory asked of
    /// `rebuild`, or a fallback to Flat).
    private var vectorIndexChanged = false

    /// The FAISS setting: `auto` (a type chosen by size, `AutoVectorIndex`) or a factory string.
    public var factory: String { EmbeddedStore.setting(of: meta) }

    /// The FAISS setting an index's meta records (`Flat` for indexes made before settings were recorded).
    static func setting(of meta: IndexMeta) -> String { meta.vectorIndex ?? "Flat" }

    /// The FAISS type a setting stands for at `count` vectors.
    static func type(of factory: String, count: Int) -> String {
        factory == AutoVectorIndex.name ? AutoVectorIndex.factory(for: count) : factory
    }

    init(directory: EmbeddedLocation, catalog: Catalog, vectors: VectorIndex, meta: IndexMeta) {
        self.directory = directory
        self.catalog = catalog
        self.vectors = vectors
        self.meta = meta
    }

    /// The catalog's meta of an existing index (model, precision, chunking), without opening its FAISS index.
    public static func meta(of directory: EmbeddedLocation) throws -> IndexMeta {
        try directory.requireExisting()
        return try Catalog(url: directory.catalogURL, create: false).indexMeta()
    }

    /// Opens an existing index for searching; a FAISS or keyword index found out of date is rebuilt in memory
    /// from the catalog. `warn` hears about repairs.
    public static func open(_ directory: EmbeddedLocation, warn: (String) -> Void = { _ in }) throws -> EmbeddedStore {
        try open(directory, writable: false, readVectors: true, warn: warn)
    }

    /// Opens an existing index. With `writable`, a FAISS index found out of date is rebuilt and written back
    /// (the caller holds the writer lock); otherwise it is rebuilt in memory only. `warn` hears about repairs.
    package static func open(_ directory: EmbeddedLocation, writable: Bool, warn: (String) -> Void = { _ in }) throws -> EmbeddedStore {
        try open(directory, writable: writable, readVectors: true, warn: warn)
    }

    /// With `readVectors` false the FAISS and keyword files are neither read nor checked (`rebuild` replaces
    /// them anyway).
    private static func open(
        _ directory: EmbeddedLocation, writable: Bool, readVectors: Bool,
        warn: (String) -> Void
    ) throws -> EmbeddedStore {
        try directory.requireExisting()
        if writable { removeLeftTemporaryFiles(directory) }
        let catalog = try Catalog(url: directory.catalogURL, create: false)
        let meta = try catalog.indexMeta()
        let dimension = meta.dimension
        let factory = setting(of: meta)
        let chunks = try catalog.counts().chunks
        // The type the file was written as (recorded since `auto`; before, the setting was the type).
        let built = meta.entries[Catalog.vectorTypeKey] ?? type(of: factory, count: 0)
        var vectors: VectorIndex?
        var problem: String?
        let present = FileManager.default.fileExists(atPath: directory.vectorsURL.path)
        if readVectors, present {
            let recorded = Catalog.vectorsChecksum(meta.entries)
            let current = Catalog.vectorsAreCurrent(meta.entries)
            if let recorded, current, FileChecksum.of(directory.vectorsURL) != recorded {
                problem = "does not match the checksum recorded when it was written (damaged or changed since)"
            } else {
                do {
                    let loaded = try VectorIndex(contentsOf: directory.vectorsURL, factory: built)
                    if loaded.isGraph, current, loaded.count > chunks {
                        // A graph keeps removed passages' vectors as waypoints: the ones the catalog no
                        // longer holds are marked removed again.
                        let live = try catalog.chunkIds()
                        _ = loaded.remove(ids: loaded.ids().filter { !live.contains($0) })
                    }
                    if loaded.isGraph, let ef = meta.entries[EmbeddedStore.efSearchKey].flatMap(Int.init) { loaded.efSearch = ef }
                    if loaded.dimension != dimension {
                        problem = "has dimension \(loaded.dimension), the catalog \(dimension)"
                    } else if !current || loaded.count != chunks {
                        if !writable, directory.isBeingWritten {
                            // A run is writing: its FAISS file comes at its end. Searching uses the last one
                            // written rather than rebuilding it on every open.
                            warn("index \(directory.url.path) is being indexed; vector results come from its last completed write until the run ends")
                            vectors = loaded
                        } else {
                            problem = "holds \(loaded.count) vectors for \(chunks) chunks (an interrupted write)"
                        }
                    } else {
                        vectors = loaded
                    }
                } catch {
                    problem = "cannot be read (\(error))"
                }
            }
        } else if readVectors, chunks > 0 {
            problem = "is missing"
        }
        let index = EmbeddedStore(
            directory: directory, catalog: catalog,
            vectors: try vectors ?? VectorIndex(dimension: dimension, factory: type(of: factory, count: 0)), meta: meta)
        let repair =
            writable
            ? ""
            : catalog.isReadOnly
                ? " in memory (the index is read-only: it cannot be repaired on disk)"
                : " in memory (`korsearch rebuild --index \(directory.url.path)` stores it)"
        if let problem {
            warn("FAISS index \(directory.vectorsURL.path) \(problem); rebuilding it\(repair) from the \(chunks) stored vectors")
            try index.rebuildVectors(factory: factory, persist: writable, warn: warn)
        } else if vectors == nil, writable, readVectors {
            try index.persistVectors()
        }
        if readVectors {
            let (keywords, problem) = openKeywords(directory, meta: meta, chunks: chunks, writable: writable)
            if let keywords {
                index.keywords = keywords
            } else {
                if let problem {
                    warn("keyword index \(directory.keywordsURL.path) \(problem); rebuilding it\(repair) from the \(chunks) stored passages")
                }
                try index.rebuildKeywords(persist: writable)
            }
        }
        return index
    }

    /// Removes the temporary files (`.NAME.PID.tmp`, as large as the FAISS file) that a writer killed during its
    /// final write left behind: the caller holds the writer lock, so no live writer owns one — but a process
    /// still running under that pid is left alone all the same.
    private static func removeLeftTemporaryFiles(_ directory: EmbeddedLocation) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.url.path)) ?? []
        for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            let parts = name.dropLast(".tmp".count).split(separator: ".")
            guard let pid = parts.last.flatMap({ Int32($0) }), pid == getpid() || kill(pid, 0) != 0 else { continue }
            try? FileManager.default.removeItem(at: directory.url.appendingPathComponent(name))
        }
    }

    /// The keyword index file if it can be used as it is, else why not (nil: missing from an empty index).
    private static func openKeywords(
        _ directory: EmbeddedLocation, meta: IndexMeta, chunks: Int,
        writable: Bool
    ) -> (KeywordIndex?, String?) {
        let url = directory.keywordsURL
        guard FileManager.default.fileExists(atPath: url.path) else { return (nil, chunks > 0 ? "is missing" : nil) }
        let current = Catalog.keywordsAreCurrent(meta.entries)
        if let recorded = meta.entries["keywords_checksum"], current, FileChecksum.of(url) != recorded {
            return (nil, "does not match the checksum recorded when it was written (damaged or changed since)")
        }
        let loaded: KeywordIndex
        do { loaded = try KeywordIndex(contentsOf: url) } catch { return (nil, "cannot be read (\(error))") }
        if loaded.termsVersion != KeywordTerms.version {
            return (nil, "holds terms by other rules (version \(loaded.termsVersion); this korsearch's is \(KeywordTerms.version))")
        }
        if meta.keywordTermsDictionary != meta.keywordDictionary.fingerprint {
            return (nil, "holds terms derived with another dictionary than the index's")
        }
        if !current || loaded.passages != chunks {
            // A run is writing: its file comes at its end; searching uses the last one written meanwhile.
            if !writable, directory.isBeingWritten { return (loaded, nil) }
            return (nil, "holds \(loaded.passages) passages for \(chunks) chunks (an interrupted write)")
        }
        return (loaded, nil)
    }

    /// Derives the keyword index again from every stored passage's text, and with `persist` writes it and
    /// records it as current (otherwise it lives in a temporary file that is already unlinked).
    package func rebuildKeywords(persist: Bool) throws {
        let postings = KeywordPostings()
        let dictionary = meta.keywordDictionary
        try catalog.forEachChunkText { id, text in postings.add(chunkId: id, terms: KeywordTerms.terms(text, dictionary: dictionary)) }
        let target =
            persist
            ? directory.keywordsURL
            : FileManager.default.temporaryDirectory
                .appendingPathComponent("korsearch-keywords-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).postings")
        try KeywordIndexFile.write(to: target, base: nil, removing: [], adding: postings)
        keywords = try KeywordIndex(contentsOf: target)
        if persist {
            try catalog.markKeywordsCurrent(checksum: FileChecksum.of(target), dictionary: meta.keywordDictionary)
        } else {
            try? FileManager.default.removeItem(at: target)
        }
        pendingKeywords = KeywordPostings()
        removedKeywordChunks = []
    }

    /// Writes the keyword index with this run's changes merged in (atomically), and records it as current.
    func persistKeywords() throws {
        do {
            try KeywordIndexFile.write(to: directory.keywordsURL, base: keywords, removing: removedKeywordChunks, adding: pendingKeywords)
        } catch is KeywordIndexFile.OutOfOrder {
            try rebuildKeywords(persist: true)
            return
        }
        keywords = try KeywordIndex(contentsOf: directory.keywordsURL)
        try catalog.markKeywordsCurrent(checksum: FileChecksum.of(directory.keywordsURL), dictionary: meta.keywordDictionary)
        pendingKeywords = KeywordPostings()
        removedKeywordChunks = []
    }

    /// Notes a catalog change for the keyword index; it is merged into the file by `persist`.
    func applyToKeywords(_ change: CatalogChange) {
        removedKeywordChunks.formUnion(change.removed)
        for added in change.added { pendingKeywords.add(chunkId: added.id, terms: added.terms) }
    }

    /// Writes both derived files with the changes so far: the keyword index, then FAISS.
    func persist() throws {
        try persistKeywords()
        try persistVectors()
    }

    /// Rebuilds the FAISS index from the catalog's stored vectors (training it first when the type needs it),
    /// optionally with another setting (`auto` or a factory string), and with `persist` writes it and records
    /// it as current. A factory that needs training (IVF, PQ) on an index too small to train it falls back to
    /// an exact `Flat` index, recorded as such, and `warn` says so: `rebuild` can always repair an index.
    package func rebuildVectors(factory: String? = nil, persist: Bool, warn: (String) -> Void = { _ in }) throws {
        let setting = factory ?? self.factory
        let count = try catalog.counts().chunks
        try rebuildVectors(
            setting: setting, type: EmbeddedStore.type(of: setting, count: count), count: count,
            persist: persist, warn: warn)
    }

    private func rebuildVectors(setting: String, type: String, count: Int, persist: Bool, warn: (String) -> Void) throws {
        let dimension = meta.dimension
        let fresh = try VectorIndex(dimension: dimension, factory: type)
        if !fresh.isTrained {
            let sample = try trainingSample(count: count, size: AutoVectorIndex.lists(in: type).map(AutoVectorIndex.trainingSample) ?? 200_000)
            if !sample.isEmpty {
                do {
                    try fresh.train(sample)
                } catch let error as KorSearchError where type != "Flat" {
                    let auto = setting == AutoVectorIndex.name
                    warn(
                        "FAISS \"\(type)\" cannot be trained on the \(sample.count / dimension) vectors the index holds (\(error.message)); using an exact Flat index instead"
                            + (auto ? "" : " — once the index is larger, run `korsearch rebuild --index \(directory.url.path) --faiss \(type)`"))
                    try rebuildVectors(setting: auto ? setting : "Flat", type: "Flat", count: count, persist: persist, warn: warn)
                    return
                }
            }
        }
        try catalog.forEachVectorBatch(dimension: dimension) { ids, floats in
            try fresh.add(floats, ids: ids)
        }
        // A graph of the type recorded keeps the search list chosen for it until `persistVectors` chooses again.
        if fresh.isGraph, meta.entries[Catalog.vectorTypeKey] == type, let ef = meta.entries[EmbeddedStore.efSearchKey].flatMap(Int.init) {
            fresh.efSearch = ef
        }
        vectors = fresh
        if setting != meta.vectorIndex {
            meta.vectorIndex = setting
            vectorIndexChanged = true
        }
        if persist { try persistVectors() }
    }

    /// Up to `size` stored vectors spread evenly over the index (every k-th in chunk order, so a corpus
    /// indexed folder by folder trains on all of its folders), row-major.
    private func trainingSample(count: Int, size: Int) throws -> [Float] {
        let step = max(1, count / max(size, 1))
        let dimension = meta.dimension
        var sample: [Float] = []
        sample.reserveCapacity(min(count, size) * dimension)
        var row = 0
        try catalog.forEachVectorBatch(dimension: dimension) { ids, floats in
            for index in ids.indices {
                if row % step == 0, sample.count < size * dimension {
                    sample += floats[index * dimension ..< (index + 1) * dimension]
                }
                row += 1
            }
        }
        return sample
    }

    /// The meta keys of a graph's search list, the size it was calibrated at, and the recall measured then.
    static let efSearchKey = "faiss_ef_search"
    static let efCountKey = "faiss_ef_count"
    static let efRecallKey = "faiss_ef_recall"

    /// Writes the FAISS index atomically and records that it matches the catalog's current generation. A
    /// graph's search list is chosen again from the recall target when it was built anew or its size has moved
    /// by a quarter since the last choice.
    func persistVectors() throws {
        var extra: [String: String] = [:]
        if vectors.isGraph {
            let recordedCount = meta.entries[EmbeddedStore.efCountKey].flatMap(Int.init)
            let recorded = meta.entries[EmbeddedStore.efSearchKey].flatMap(Int.init)
            let moved = recordedCount.map { abs(vectors.count - $0) > Int(AutoVectorIndex.recalibrateAfter * Double(max($0, 1))) } ?? true
            if let recorded, !moved, !vectorIndexChanged, meta.entries[Catalog.vectorTypeKey] == vectors.factory {
                vectors.efSearch = recorded
            } else {
                let (ef, recall) = try vectors.calibrate(recall: AutoVectorIndex.recallTarget, samples: AutoVectorIndex.calibrationQueries)
                extra = [
                    EmbeddedStore.efSearchKey: String(ef), EmbeddedStore.efCountKey: String(vectors.count),
                    EmbeddedStore.efRecallKey: String(format: "%.4f", recall),
                ]
            }
        }
        try vectors.write(to: directory.vectorsURL)
        try catalog.markVectorsCurrent(
            checksum: FileChecksum.of(directory.vectorsURL),
            factory: vectorIndexChanged ? meta.vectorIndex : nil, type: vectors.factory, extra: extra)
        vectorIndexChanged = false
        meta = try catalog.indexMeta()
    }

    /// Applies a catalog change to the in-memory FAISS index: removes and adds vectors, or, when the index type
    /// cannot remove or is not trained yet, rebuilds it from the catalog. An `auto` index that has grown or
    /// shrunk out of its type is built again as the type its size asks for.
    func applyToVectors(removed: [Int64], added: [CatalogChange.Added], warn: (String) -> Void) throws {
        if vectors.remove(ids: removed) == nil || (!vectors.isTrained && !added.isEmpty) {
            try rebuildVectors(persist: false, warn: warn)
            return
        }
        if !added.isEmpty {
            try vectors.add(added.flatMap(\.vector), ids: added.map(\.id))
        }
        if factory == AutoVectorIndex.name,
            let type = AutoVectorIndex.rebuild(vectors.factory, count: vectors.count, removed: vectors.removedCount)
        {
            warn("the vector index holds \(vectors.count) passages; building it again as FAISS \(type) from the stored vectors (auto)")
            try rebuildVectors(setting: factory, type: type, count: vectors.count, persist: false, warn: warn)
        } else if vectors.isGraph, AutoVectorIndex.tooManyRemoved(count: vectors.count, removed: vectors.removedCount) {
            warn("\(vectors.removedCount) removed passages are still in the vector index's graph; building it again from the stored vectors")
            try rebuildVectors(setting: factory, type: vectors.factory, count: vectors.count, persist: false, warn: warn)
        }
    }
}

extension EmbeddedStore {
    /// Removes documents by their paths relative to the indexed folder, under the writer lock; returns the
    /// paths that were in the index. No model needed.
    package static func remove(_ directory: EmbeddedLocation, paths: [String], warn: (String) -> Void = { _ in }) throws -> [String] {
        try directory.requireExisting()
        let lock = try WriterLock(directory)
        defer { withExtendedLifetime(lock) {} }
        let index = try EmbeddedStore.open(directory, writable: true, warn: warn)
        let stored = try index.catalog.documents()
        let present = paths.filter { stored[$0] != nil }
        let change = try index.catalog.apply(updates: [], removing: present)
        try index.applyToVectors(removed: change.removed, added: [], warn: warn)
        index.applyToKeywords(change)
        try index.persist()
        return present
    }

    /// Rebuilds the FAISS index of a directory from its stored vectors, optionally with a new factory string,
    /// and its keyword index from its stored passages, under the writer lock. No embedding.
    package static func rebuild(_ directory: EmbeddedLocation, factory: String?, warn: (String) -> Void = { _ in }) throws -> EmbeddedStore {
        try directory.requireExisting()
        let lock = try WriterLock(directory)
        defer { withExtendedLifetime(lock) {} }
        let index = try EmbeddedStore.open(directory, writable: false, readVectors: false, warn: { _ in })
        try index.rebuildVectors(factory: factory, persist: true, warn: warn)
        try index.rebuildKeywords(persist: true)
        return index
    }
}
