import Crypto
import Foundation
import KorDocuments
import KorEncoder
import Synchronization

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
    /// The index's user dictionary (`--dictionary FILE`: words its keyword terms keep whole) and aliases
    /// (`--aliases FILE`), stored with the index; nil keeps what the index has. A changed dictionary derives
    /// every passage's keyword terms again in this run (no re-embedding).
    public var keywordDictionary: KeywordDictionary?
    public var keywordAliases: KeywordAliases?

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
    /// Files the folder's `.korsearchignore` leaves out.
    public var ignored = 0
    public var skipped: [SkippedFile] = []
    /// Files indexed with part of their content left out to stay within the limits (`DocumentLimits`: a row
    /// past `maxTableColumns`, nesting past `maxNesting`), and what was left out.
    public var trimmed: [SkippedFile] = []
    /// Documents and chunks in the index after the run.
    public var documents = 0
    public var chunks = 0
    public var seconds = 0.0
    /// Passages whose vectors were reused (a stored passage or an earlier one of this run had the same encoder
    /// input) instead of embedded.
    public var reused = 0
    /// Model tokens embedded, and their rate.
    public var tokens = 0
    /// Tokens embedded per second of embedding (the run's one rate: the progress line shows the same).
    public var tokensPerSecond = 0.0
    /// Whether the run was stopped (`IndexStop`) before it examined every file: what it wrote is kept and
    /// consistent, and the next run does the rest.
    public var stopped = false
    /// The hybrid weight chosen after the run from the index's own text (`Indexer.chooseVectorWeight`), when
    /// one was.
    public var vectorWeight: WeightChoice?
    /// The financial facts read from the folder's `financials.jsonl` when it changed (0 when it went away), nil
    /// when it did not change.
    public var facts: Int?

    enum CodingKeys: String, CodingKey {
        case added, updated, removed, unchanged, skipped, trimmed, documents, chunks, seconds, tokens, reused, stopped, ignored
        case tokensPerSecond = "tokens_per_second"
        case claimedElsewhere = "claimed_elsewhere"
        case metadataUpdated = "metadata_updated"
        case otherShards = "other_shards"
        case vectorWeight = "vector_weight"
        case facts
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
    /// While OCR reads a scanned file's pages: the page it is on and how many it will read (from 1).
    public var ocrPage: (page: Int, of: Int)?
    /// The run's work in bytes of the files it reads: the sizes of the files still to examine and of those
    /// being read and embedded (an unchanged or skipped file leaves the total), and how much of it is done (a
    /// file counts as its passages embed, so one large file moves the count while it embeds).
    public var bytesTotal: Int64 = 0
    public var bytesDone: Int64 = 0
    /// Seconds spent embedding so far.
    public var embeddingSeconds = 0.0
    /// At the end: whether the run was stopped before it finished.
    public var stopped = false

    /// Tokens embedded per second of embedding: the run's one rate, the same as the summary's.
    public var tokensPerSecond: Double { embeddingSeconds > 0 ? Double(tokensEmbedded) / embeddingSeconds : 0 }
    /// The share of the work done, 0...1.
    public var fraction: Double { bytesTotal > 0 ? min(1, Double(bytesDone) / Double(bytesTotal)) : (stage == .done ? 1 : 0) }
}

/// The run, for the progress callback of a file being read: the reader calls it on the indexing thread,
/// synchronously, before the read returns, so the run is never touched from two threads.
private struct UncheckedRun: @unchecked Sendable {
    let run: IndexRun
}

/// A request to stop an indexing run early (Ctrl-C, SIGTERM): the run stops before its next file or its next
/// group of passages, writes what it finished, and returns a summary marked `stopped`. Thread-safe; `request`
/// may be called from any thread.
public final class IndexStop: Sendable {
    private let requested = Atomic<Bool>(false)

    /// A stop not yet requested.
    public init() {}

    /// Asks the run to stop.
    public func request() { requested.store(true, ordering: .sequentiallyConsistent) }

    /// Whether a stop was asked for.
    public var isRequested: Bool { requested.load(ordering: .sequentiallyConsistent) }

    /// Ends the process at once with `status` (a second Ctrl-C, for a user who will not wait for the file
    /// being read): the index is left as a `kill` leaves it (the next open repairs it), but the file being read
    /// is not taken for one that crashed the reader.
    public static func exitNow(status: Int32) -> Never {
        ReaderCrashes.withdrawMarkers()
        _exit(status)
    }
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
    ///
    /// - Parameters:
    ///   - location: where the index is or is to be (`IndexLocation(index:store:)`, `.directory(...)`).
    ///   - embedder: the model's embedder.
    ///   - model: the model's identity, recorded by a new index and checked against an existing one.
    ///   - options: chunking, batching, sharding, limits, reuse.
    ///   - warn: hears about repairs and files that could not be read.
    /// - Throws: `KorSearchError` `.invalidArgument` when the chunking options do not fit the model.
    public init(
        location: IndexLocation, embedder: Embedder, model: ModelIdentity, options: IndexOptions = IndexOptions(),
        warn: @escaping (String) -> Void = { _ in }
    ) throws {
        try options.chunking.validate(maxLength: embedder.maxLength)
        self.location = location
        self.embedder = embedder
        self.model = model
        self.options = options
        self.warn = warn
    }

    /// Chooses the index's hybrid vector weight from its own text (`Searcher.chooseVectorWeight`: held-out
    /// sentences, no judgments) and stores it with how it was chosen — unless a weight chosen otherwise (from
    /// judgments, `eval --sweep --save-best`) is stored, which is kept. `korsearch index` calls it after a run that
    /// changed the index, or when no weight is stored.
    ///
    /// - Returns: the choice, or nil when none was made (a weight from judgments is stored, or the index gives
    ///   too few questions).
    public func chooseVectorWeight(questions: Int = 100) throws -> WeightChoice? {
        let meta = try IndexStores.meta(of: location)
        if meta.vectorWeight != nil, !meta.vectorWeightIsAutomatic { return nil }
        let searcher = try Searcher(location: location, embedder: embedder, model: model)
        guard let choice = try searcher.chooseVectorWeight(questions: questions) else { return nil }
        try IndexStores.setDefaultVectorWeight(location, choice.weight, source: choice.source)
        return choice
    }

    /// The meta of a new index built by this indexer.
    private var newMeta: IndexMeta {
        var meta = IndexMeta(model: model, maxLength: embedder.maxLength, chunking: options.chunking, vectorIndex: options.faissFactory)
        meta.keywordDictionary = options.keywordDictionary ?? .empty
        meta.keywordTermsDictionary = meta.keywordDictionary.fingerprint
        meta.keywordAliases = options.keywordAliases ?? .none
        return meta
    }

    /// Opens the store for writing (creating the index when new) and checks it against the model and options.
    package func openForWriting() throws -> any IndexWriting {
        guard let store = location.store as? any IndexStoreWriting else {
            throw KorSearchError(.invalidArgument, "the index \(location) is in a store this korsearch cannot write")
        }
        // New lists go into an existing index's meta first, so that opening it derives its terms again.
        if let existing = try IndexStores.existingMeta(of: location),
            options.keywordDictionary.map({ $0 != existing.keywordDictionary }) == true
                || options.keywordAliases.map({ $0 != existing.keywordAliases }) == true
        {
            try store.setMeta(IndexMeta.keywordListEntries(dictionary: options.keywordDictionary, aliases: options.keywordAliases))
        }
        let writer = try store.openForWriting(creating: newMeta, options: options, warn: warn)
        let meta = writer.meta
        try model.check(against: meta, index: location)
        let chunking = options.chunking
        if meta.chunking != chunking {
            throw KorSearchError(
                .invalidArgument,
                "index \(location) was built with --chunk-tokens \(meta.chunking.chunkTokens) --chunk-overlap \(meta.chunking.overlapTokens); use the same, or index into a new \(location.newHint)"
            )
        }
        if meta.precision != model.precision {
            throw KorSearchError(
                .invalidArgument,
                "index \(location) was built at precision \(meta.precision.rawValue); index with --precision \(meta.precision.rawValue), or into a new \(location.newHint)"
            )
        }
        return writer
    }

    /// Brings the index in line with a folder (this worker's shard of it) and returns what changed: the stages
    /// in order — `FolderDiff`, then per file `FileClaim`, `DocumentReading` (read and chunk), and per group of
    /// documents `VectorReuse`, `PassageEmbedding` and the store's write.
    ///
    /// - Parameters:
    ///   - folder: the folder to index; paths are stored relative to it.
    ///   - progress: hears where the run is, before each file and after each group of passages embedded.
    ///   - stop: asked before each file and each group of passages; once requested, the run writes what it
    ///     finished (documents whose passages were all embedded) and returns with `stopped` set.
    /// - Returns: what was added, updated, removed, kept, reused and skipped (with why), and the counts after.
    /// - Throws: `KorSearchError` `.folderNotFound`; `.locked` when another process writes the index
    ///   directory; `.modelMismatch` or `.invalidArgument` when the index was built by another model, chunking
    ///   or precision; the store's errors. A file that cannot be read is skipped with its reason, not thrown.
    @discardableResult
    public func index(folder: URL, stop: IndexStop = IndexStop(), progress: (IndexProgress) -> Void = { _ in }) throws -> IndexSummary {
        try withoutActuallyEscaping(progress) { try index(folder: folder, stop: stop, reporting: $0) }
    }

    private func index(folder: URL, stop: IndexStop, reporting progress: @escaping (IndexProgress) -> Void) throws -> IndexSummary {
        let folder = folder.standardizedFileURL
        var walk = try FolderWalker.walk(folder, excluding: location.store.ownFolder, followLinks: options.followLinks)
        // What the folder's .korsearchignore leaves out is as if it were not there (a stored one is removed).
        let ignore = try IgnoreRules(folder: folder)
        let found = walk.files.count
        walk.files.removeAll { ignore.ignores($0.path) }
        walk.skipped.removeAll { ignore.ignores($0.path) }
        let ignored = found - walk.files.count
        let manifest = Manifest(folder: folder)
        let writer = try openForWriting()
        let diff = FolderDiff(walk: walk, manifestProblems: manifest.problems, stored: try writer.documents(), shard: options.shard)
        let run = IndexRun(diff: diff, writer: writer, stop: stop, progress: progress)
        run.summary.ignored = ignored
        let claim = FileClaim(writer: writer, limits: options.limits)
        let reading = DocumentReading(
            limits: options.limits,
            chunker: try Chunker(
                tokenizer: embedder.tokenizer, options: options.chunking, passagePrompt: embedder.prompts.passage,
                dictionary: writer.meta.keywordDictionary),
            manifest: manifest)
        let crashes = ReaderCrashes(store: location.store, description: location.description)
        let reuse = VectorReuse(enabled: options.reuseVectors)
        let embedding = PassageEmbedding(embedder: embedder, batchSize: options.batchSize)

        var examined = Set<String>()
        for file in diff.files {
            if stop.isRequested { break }
            run.report(.reading, file.path)
            examined.insert(file.path)
            defer { run.status.filesDone += 1 }
            switch try claim.examine(file, stored: diff.stored[file.path]) {
            case .unchanged(let previous):
                run.keep(previous, change: reading.metadataChange(previous, file), bytes: file.size)
            case .claimedElsewhere:
                run.leftToAnotherWorker(bytes: file.size)
            case .skipped(let skipped, let wasStored):
                run.skip(skipped, wasStored: wasStored, bytes: file.size)
            case .changed(let hash, let previous):
                if let reason = crashes.skipReason(sha256: hash) {
                    try writer.release([file.path])
                    run.skip(SkippedFile(path: file.path, reason: reason), wasStored: previous != nil, bytes: file.size)
                    continue
                }
                crashes.begin(path: file.path, sha256: hash)
                defer { crashes.end() }
                do {
                    // Reading runs on this thread, within this call: the progress it reports reaches the run here.
                    let reporter = UncheckedRun(run: run)
                    defer { run.status.ocrPage = nil }
                    let update = try reading.read(file, sha256: hash) { event in
                        guard case .recognizing(let page, let of) = event else { return }
                        reporter.run.status.ocrPage = (page, of)
                        reporter.run.report(.reading, file.path)
                    }
                    if !update.document.notes.isEmpty {
                        run.summary.trimmed.append(SkippedFile(path: file.path, reason: update.document.notes.joined(separator: "; ")))
                    }
                    run.add(update, bytes: file.size, wasStored: previous != nil)
                } catch let failure as DocumentFailure {
                    try writer.release([file.path])
                    run.skip(SkippedFile(path: file.path, reason: failure.description), wasStored: previous != nil, bytes: file.size)
                }
                if run.pendingChunks >= options.commitChunks { try run.flush(reuse: reuse, embedding: embedding) }
            }
        }
        try run.flush(reuse: reuse, embedding: embedding)
        try writer.setMetadata(run.metadataChanges)
        run.summary.metadataUpdated = run.metadataChanges.count
        // Facts are the folder's, not a file's: one worker of a split run (shard 0) keeps them.
        if (options.shard?.index ?? 0) == 0, !stop.isRequested {
            let files = walk.files.filter { FinancialFacts.isFactsFile($0.path) }.map { ($0.path, $0.url) }
            do { run.summary.facts = try FinancialFacts.update(from: files, writer: writer) } catch let failure as FinancialFacts.FileFailure {
                run.skipped.append(SkippedFile(path: failure.path, reason: failure.error.message))
            }
        }
        run.summary.stopped = stop.isRequested && (examined.count < diff.files.count || run.dropped)
        run.status.stopped = run.summary.stopped
        run.report(.done, nil)
        // A stopped run keeps the skip records of the files it did not reach.
        let stopped = run.summary.stopped
        try writer.finish(folder: folder.path, skipped: run.skipped) { path in stopped ? examined.contains(path) : diff.owns(path) }
        return try run.summary(counts: writer.counts())
    }
}

/// Thrown inside the embed stage when a stop is requested; caught by the run.
private struct IndexStopped: Error {}

/// One indexing run's state as the stages pass through it: what is waiting to be written, what it did, and
/// where it is for progress displays.
private final class IndexRun {
    let writer: any IndexWriting
    let started = Date()
    let progress: (IndexProgress) -> Void
    var summary = IndexSummary()
    var status: IndexProgress
    var skipped: [SkippedFile]
    var metadataChanges: [String: MetadataUpdate] = [:]
    let stop: IndexStop
    /// Documents read and waiting for their vectors (with whether each was stored before), their passage
    /// count and bytes, and paths to remove with them.
    var pending: [DocumentUpdate] = []
    var pendingWasStored: [Bool] = []
    var pendingChunks = 0
    var pendingBytes: Int64 = 0
    var removals: [String]
    /// Whether a stop dropped documents read but not yet embedded.
    var dropped = false

    init(diff: FolderDiff, writer: any IndexWriting, stop: IndexStop, progress: @escaping (IndexProgress) -> Void) {
        self.writer = writer
        self.stop = stop
        self.progress = progress
        status = IndexProgress(filesDone: 0, filesTotal: diff.files.count, chunksEmbedded: 0, tokensEmbedded: 0, seconds: 0)
        status.bytesTotal = diff.files.reduce(0) { $0 + $1.size }
        skipped = diff.skipped
        removals = diff.removed
        summary.removed = diff.removed.count
        summary.otherShards = diff.otherShards
    }

    func report(_ stage: IndexProgress.Stage, _ file: String?) {
        status.stage = stage
        status.currentFile = file
        status.seconds = Date().timeIntervalSince(started)
        progress(status)
    }

    /// An unchanged document (from a file of `bytes`, which leave the run's work), with the metadata change it
    /// needs if any.
    func keep(_ previous: StoredDocument, change: MetadataUpdate?, bytes: Int64) {
        summary.unchanged += 1
        status.bytesTotal -= bytes
        if let change { metadataChanges[previous.path] = change }
    }

    /// A file another worker is indexing (its `bytes` leave this run's work).
    func leftToAnotherWorker(bytes: Int64) {
        summary.claimedElsewhere += 1
        status.bytesTotal -= bytes
    }

    /// A file left out (its `bytes` leave the run's work); its stored version, if any, goes.
    func skip(_ file: SkippedFile, wasStored: Bool, bytes: Int64) {
        skipped.append(file)
        status.bytesTotal -= bytes
        if wasStored {
            removals.append(file.path)
            summary.removed += 1
        }
    }

    /// A document read (from a file of `bytes`), waiting for its vectors.
    func add(_ update: DocumentUpdate, bytes: Int64, wasStored: Bool) {
        pending.append(update)
        pendingWasStored.append(wasStored)
        pendingChunks += update.chunks.count
        pendingBytes += bytes
        status.chunksPending += update.chunks.count
    }

    /// Gives the waiting documents their vectors (reused or embedded) and writes them with the removals. A stop
    /// requested while they embed drops them (their files stay as the index had them; the next run reads them).
    func flush(reuse: VectorReuse, embedding: PassageEmbedding) throws {
        if pending.isEmpty && removals.isEmpty { return }
        let begin = Date()
        let secondsBefore = status.embeddingSeconds
        defer { status.embeddingSeconds = secondsBefore + Date().timeIntervalSince(begin) }
        let plan = try reuse.plan(pending, writer: writer)
        let bytesBefore = status.bytesDone
        let toEmbed = max(1, plan.missing.count)
        var embeddedInputs = 0
        status.chunksReused += plan.reused
        status.chunksPending -= plan.reused
        status.stage = .embedding
        // The file whose passages embed next.
        func embeddingNow() -> String? {
            embeddedInputs < plan.missingOwners.count ? pending[plan.missingOwners[embeddedInputs]].path : pending.last?.path
        }
        status.currentFile = embeddingNow()
        let embedded: [[Float]]
        do {
            embedded = try embedding.embed(plan.missing) { inputs, tokens in
                embeddedInputs += inputs
                status.chunksEmbedded += inputs
                status.chunksPending -= inputs
                status.tokensEmbedded += tokens
                status.bytesDone = bytesBefore + pendingBytes * Int64(embeddedInputs) / Int64(toEmbed)
                status.embeddingSeconds = secondsBefore + Date().timeIntervalSince(begin)
                report(.embedding, embeddingNow())
                if stop.isRequested && embeddedInputs < plan.missing.count { throw IndexStopped() }
            }
        } catch is IndexStopped {
            if !removals.isEmpty { try writer.write(updates: [], removing: removals) }
            try writer.release(pending.map(\.path))
            status.bytesTotal -= pendingBytes - (status.bytesDone - bytesBefore)
            status.chunksPending = 0
            dropped = true
            clearPending()
            return
        }
        reuse.assign(embedded, by: plan, to: &pending)
        try writer.write(updates: pending, removing: removals)
        try writer.release(pending.map(\.path))
        summary.reused += plan.reused
        for wasStored in pendingWasStored {
            if wasStored { summary.updated += 1 } else { summary.added += 1 }
        }
        status.bytesDone = bytesBefore + pendingBytes
        clearPending()
    }

    private func clearPending() {
        pending = []
        pendingWasStored = []
        pendingChunks = 0
        pendingBytes = 0
        removals = []
    }

    /// The run's summary, with the store's counts after it.
    func summary(counts: (documents: Int, chunks: Int)) -> IndexSummary {
        var summary = summary
        summary.skipped = skipped
        summary.documents = counts.documents
        summary.chunks = counts.chunks
        summary.seconds = Date().timeIntervalSince(started)
        summary.tokens = status.tokensEmbedded
        summary.tokensPerSecond = status.tokensPerSecond
        return summary
    }
}
