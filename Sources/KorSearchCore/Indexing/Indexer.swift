import Crypto
import Foundation
import KorDocuments
import KorEncoder

/// Settings of an indexing run.
public struct IndexOptions: Sendable {
    /// How documents are cut into passages.
    public var chunking = ChunkingOptions()
    /// The FAISS factory string for a new index (an existing index keeps its own; change it with `rebuild`).
    public var faissFactory: String?
    /// Texts per forward pass.
    public var batchSize = 32
    /// Chunks embedded and committed together (one SQLite transaction per group of documents).
    public var commitChunks = 256
    /// This worker's part of the folder when several workers split it (`--shard I/N`); nil takes all files.
    public var shard: Shard?
    /// Whether symbolic links that lead out of the folder are followed (`--follow-links`); links inside it
    /// always are.
    public var followLinks = false
    /// What reading one file may cost (size, inflated size, text length, converter time and memory).
    public var limits = DocumentLimits()
    /// Whether a passage whose exact encoder input is already stored (in any document) takes that vector
    /// instead of being embedded again (`--no-reuse` turns it off, for comparison).
    public var reuseVectors = true

    /// Default settings.
    public init() {}
}

/// A file left out of the index, and why.
public struct SkippedFile: Sendable, Codable, Equatable {
    /// Path relative to the indexed folder.
    public var path: String
    /// Why it was skipped.
    public var reason: String

    /// A skipped file and its reason.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// What an indexing run did.
public struct IndexSummary: Sendable, Codable, Equatable {
    public var added = 0
    public var updated = 0
    public var removed = 0
    public var unchanged = 0
    /// Unchanged documents whose metadata changed (a manifest changed, or they were stored before metadata
    /// was kept): updated without re-embedding.
    public var metadataUpdated = 0
    /// Files another worker was indexing at the same time (left to it).
    public var claimedElsewhere = 0
    /// Files of the folder that belong to other shards.
    public var otherShards = 0
    public var skipped: [SkippedFile] = []
    /// Documents and chunks in the index after the run.
    public var documents = 0
    public var chunks = 0
    public var seconds = 0.0
    /// Passages whose vectors were reused (a stored passage or an earlier one of this run had the same encoder
    /// input) instead of embedded.
    public var reused = 0
    /// Model tokens embedded, and their rate.
    public var tokens = 0
    public var tokensPerSecond = 0.0

    enum CodingKeys: String, CodingKey {
        case added, updated, removed, unchanged, skipped, documents, chunks, seconds, tokens, reused
        case tokensPerSecond = "tokens_per_second"
        case claimedElsewhere = "claimed_elsewhere"
        case metadataUpdated = "metadata_updated"
        case otherShards = "other_shards"
    }
}

/// Where an indexing run is, for progress displays: reported before each file is read, after each group of
/// passages is embedded (so a large file moves the display while it embeds), and once at the end.
public struct IndexProgress: Sendable {
    /// What the run is doing.
    public enum Stage: Sendable, Equatable {
        /// Reading and cutting a file into passages.
        case reading
        /// Embedding passages.
        case embedding
        /// Finished.
        case done
    }

    /// Files examined so far, of all found.
    public var filesDone: Int
    public var filesTotal: Int
    /// Chunks embedded so far, and tokens.
    public var chunksEmbedded: Int
    public var tokensEmbedded: Int
    /// Chunks whose vectors were reused instead of embedded.
    public var chunksReused = 0
    /// Passages cut and waiting to be embedded.
    public var chunksPending = 0
    /// Seconds since the run started.
    public var seconds: Double
    /// What the run is doing, and the file it is doing it to (the first of a group being embedded).
    public var stage = Stage.reading
    public var currentFile: String?
}

/// Builds and updates an index from a folder: loads and chunks new and changed files, embeds the chunks,
/// writes them to the store (each document atomically), keeps the vector index in step, and removes what
/// vanished. A second run over an unchanged folder embeds nothing. An index directory takes one writer at a
/// time (a lock file); a PostgreSQL store takes many at once, each file claimed by one of them.
public final class Indexer {
    /// Where the index lives.
    public let location: IndexLocation
    public let embedder: Embedder
    public let model: ModelIdentity
    public let options: IndexOptions
    private let warn: (String) -> Void

    /// An indexer writing to an index (directory or PostgreSQL store) with a model.
    public init(location: IndexLocation, embedder: Embedder, model: ModelIdentity, options: IndexOptions = IndexOptions(),
                warn: @escaping (String) -> Void = { _ in }) throws {
        try options.chunking.validate(maxLength: embedder.maxLength)
        self.location = location
        self.embedder = embedder
        self.model = model
        self.options = options
        self.warn = warn
    }

    /// The meta of a new index built by this indexer.
    private var newMeta: IndexMeta {
        IndexMeta(model: model, maxLength: embedder.maxLength, chunking: options.chunking, vectorIndex: options.faissFactory)
    }

    /// Opens the store for writing (creating the index when new) and checks it against the model and options.
    package func openForWriting() throws -> any IndexWriting {
        let writer = try location.store.openForWriting(creating: newMeta, options: options, warn: warn)
        let meta = writer.meta
        try model.check(against: meta, index: location)
        let chunking = options.chunking
        if meta.chunking != chunking {
            throw KorSearchError(.invalidArgument, "index \(location) was built with --chunk-tokens \(meta.chunking.chunkTokens) --chunk-overlap \(meta.chunking.overlapTokens); use the same, or index into a new \(location.newHint)")
        }
        if meta.precision != model.precision {
            throw KorSearchError(.invalidArgument, "index \(location) was built at precision \(meta.precision.rawValue); index with --precision \(meta.precision.rawValue), or into a new \(location.newHint)")
        }
        return writer
    }

    /// Brings the index in line with a folder (this worker's shard of it) and returns what changed.
    @discardableResult
    public func index(folder: URL, progress: (IndexProgress) -> Void = { _ in }) throws -> IndexSummary {
        let started = Date()
        let folder = folder.standardizedFileURL
        let walk = try FolderWalker.walk(folder, excluding: location.store.ownFolder, followLinks: options.followLinks)
        // The manifests at the root describe documents; they are not documents.
        let allFiles = walk.files.filter { !Manifest.fileNames.contains($0.path) }
        let manifest = Manifest(folder: folder)
        let owns: (String) -> Bool = { [shard = options.shard] path in shard?.owns(path) ?? true }
        let files = allFiles.filter { owns($0.path) }
        let writer = try openForWriting()
        let stored = try writer.documents().filter { owns($0.key) }
        let chunker = Chunker(tokenizer: embedder.tokenizer, options: options.chunking)

        var summary = IndexSummary()
        summary.otherShards = allFiles.count - files.count
        var skipped: [SkippedFile] = (walk.skipped + manifest.problems).filter { owns($0.path) }
        var metadataChanges: [String: MetadataUpdate] = [:]
        /// An unchanged document: its metadata brought up to date with the manifest (its reader's part read
        /// again, without embedding, when an earlier version stored it without).
        func keep(_ previous: StoredDocument, _ file: FoundFile) {
            summary.unchanged += 1
            var read = previous.readMetadata
            if read == nil, let document = try? DocumentLoader.load(file.url, limits: options.limits) { read = FilingMetadata(document: document) }
            let base = read ?? FilingMetadata()
            let wanted = manifest.entry(for: previous.path)?.over(base) ?? base
            if wanted != previous.metadata || previous.readMetadata == nil {
                metadataChanges[previous.path] = MetadataUpdate(metadata: wanted, readMetadata: base)
            }
        }
        var pending: [DocumentUpdate] = []
        var pendingChunks = 0
        var removals: [String] = []
        var status = IndexProgress(filesDone: 0, filesTotal: files.count, chunksEmbedded: 0, tokensEmbedded: 0, seconds: 0)
        var embeddingSeconds = 0.0

        func flush() throws {
            if pending.isEmpty && removals.isEmpty { return }
            let begin = Date()
            // Each distinct encoder input once: from the store when a passage already has it, else embedded.
            let hashes = pending.map { $0.chunks.map(\.inputHash) }
            var known = options.reuseVectors ? try writer.vectors(forInputs: Array(Set(hashes.joined()))) : [:]
            var missing: [(hash: String, ids: [Int32])] = []
            var queued = Set<String>()
            for (update, inputs) in zip(pending, hashes) {
                for (chunk, hash) in zip(update.chunks, inputs) where known[hash] == nil && (!options.reuseVectors || queued.insert(hash).inserted) {
                    missing.append((hash, chunk.ids))
                }
            }
            let total = hashes.reduce(0) { $0 + $1.count }
            status.chunksReused += total - missing.count
            status.chunksPending -= total - missing.count
            summary.reused += total - missing.count
            // In groups of a few forward passes, reporting after each.
            var embedded: [[Float]] = []
            embedded.reserveCapacity(missing.count)
            let group = max(options.batchSize * 4, 64)
            status.stage = .embedding
            status.currentFile = pending.first?.path
            for start in stride(from: 0, to: missing.count, by: group) {
                let slice = missing[start ..< min(missing.count, start + group)].map(\.ids)
                embedded += try embedder.embed(ids: slice, normalize: true, batchSize: options.batchSize).map(\.vector)
                status.chunksEmbedded += slice.count
                status.chunksPending -= slice.count
                status.tokensEmbedded += slice.reduce(0) { $0 + $1.count }
                status.seconds = Date().timeIntervalSince(started)
                progress(status)
            }
            embeddingSeconds += Date().timeIntervalSince(begin)
            var cursor = 0
            for index in pending.indices {
                pending[index].vectors = hashes[index].map { hash in
                    if options.reuseVectors, let vector = known[hash] { return vector }
                    let vector = embedded[cursor]
                    cursor += 1
                    if options.reuseVectors { known[hash] = vector }
                    return vector
                }
            }
            try writer.write(updates: pending, removing: removals)
            try writer.release(pending.map(\.path))
            pending = []
            pendingChunks = 0
            removals = []
        }

        let present = Set(files.map(\.path))
        removals = stored.keys.filter { !present.contains($0) }.sorted()
        summary.removed = removals.count

        for file in files {
            status.stage = .reading
            status.currentFile = file.path
            status.seconds = Date().timeIntervalSince(started)
            progress(status)
            defer { status.filesDone += 1 }
            var previous = stored[file.path]
            if let previous, previous.size == file.size, previous.modified == file.modified {
                keep(previous, file)
                continue
            }
            // The type and the size decide before a byte is read: an unsupported or oversized file is never
            // read or hashed.
            let hash: String
            do {
                _ = try DocumentLoader.reader(for: file.url)
                try DocumentLoader.check(size: file.size, limits: options.limits)
                hash = try FileDigest.sha256(of: file.url)
            } catch let failure as DocumentFailure {
                skipped.append(SkippedFile(path: file.path, reason: failure.description))
                if previous != nil { removals.append(file.path); summary.removed += 1 }
                continue
            }
            if let previous, previous.sha256 == hash {
                try writer.touch(path: file.path, modified: file.modified)
                keep(previous, file)
                continue
            }
            if writer.concurrentWriters {
                // Another worker may hold this file, or may have stored it since this run read the list.
                guard try writer.claim(file.path) else {
                    summary.claimedElsewhere += 1
                    continue
                }
                previous = try writer.storedDocument(path: file.path)
                if let previous, previous.sha256 == hash {
                    try writer.release([file.path])
                    if previous.modified != file.modified { try writer.touch(path: file.path, modified: file.modified) }
                    keep(previous, file)
                    continue
                }
            }
            let loaded: LoadedDocument
            let chunks: [Chunk]
            do {
                loaded = try DocumentLoader.load(file.url, limits: options.limits)
                chunks = try chunker.chunks(of: loaded)
            } catch let failure as DocumentFailure {
                try writer.release([file.path])
                skipped.append(SkippedFile(path: file.path, reason: failure.description))
                if previous != nil { removals.append(file.path); summary.removed += 1 }
                continue
            }
            if previous == nil { summary.added += 1 } else { summary.updated += 1 }
            var update = DocumentUpdate(path: file.path, sha256: hash, size: file.size, modified: file.modified,
                                        document: loaded, chunks: chunks, vectors: [])
            if let entry = manifest.entry(for: file.path) { update.metadata = entry.over(update.readMetadata) }
            pending.append(update)
            pendingChunks += chunks.count
            status.chunksPending += chunks.count
            if pendingChunks >= options.commitChunks { try flush() }
        }
        try flush()
        try writer.setMetadata(metadataChanges)
        summary.metadataUpdated = metadataChanges.count
        status.stage = .done
        status.currentFile = nil
        status.seconds = Date().timeIntervalSince(started)
        progress(status)
        try writer.finish(folder: folder.path, skipped: skipped, owns: owns)

        let counts = try writer.counts()
        summary.skipped = skipped
        summary.documents = counts.documents
        summary.chunks = counts.chunks
        summary.seconds = Date().timeIntervalSince(started)
        summary.tokens = status.tokensEmbedded
        summary.tokensPerSecond = embeddingSeconds > 0 ? Double(status.tokensEmbedded) / embeddingSeconds : 0
        return summary
    }
}
