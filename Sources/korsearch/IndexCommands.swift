import ArgumentParser
import Foundation
import KorSearch

/// `korsearch index FOLDER`: bring an index in line with a folder.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Index a folder of documents (\(DocumentFormats.types.joined(separator: ", "))); run again after files change."
    )

    @Argument(help: "The folder to index.")
    var folder: String

    @OptionGroup var target: IndexOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(
        name: .long,
        help:
            "FAISS type of a new index: auto (the default: exact Flat below 50,000 passages, IVF with 8-bit codes and exact re-ranking above) or a factory string (Flat, HNSW32, IVF256,Flat, ...)."
    )
    var faiss: String?

    @Option(name: .long, help: "Most model tokens per passage, [CLS] and [SEP] included.")
    var chunkTokens: Int = 256

    @Option(name: .long, help: "Tokens of trailing sentences repeated at the start of the next passage.")
    var chunkOverlap: Int = 32

    @Option(name: .long, help: "Texts per forward pass.")
    var batchSize: Int = 32

    @Option(
        name: .long,
        help: ArgumentHelp("Index only this worker's share of the folder: shard I of N, by a stable hash of each path.", valueName: "I/N"))
    var shard: String?

    @Flag(name: .long, help: "Follow symbolic links that lead out of the folder (links inside it are always followed).")
    var followLinks = false

    @Flag(name: .customLong("no-reuse"), help: "Embed every new passage, even when a stored one has the same encoder input (for comparison).")
    var noReuse = false

    @Flag(
        name: .customLong("no-ocr"),
        help: "Do not read PDF pages without a text layer (scans) by OCR (Tesseract, Korean and English; on by default where installed).")
    var noOCR = false

    @Flag(name: .long, help: "Print the summary as one JSON object.")
    var json = false

    @Flag(name: .long, help: "No progress on stderr.")
    var quiet = false

    @Option(
        name: .long,
        help: "Make this cross-encoder (a folder or hub id) the index's default reranker for searches; \"none\" removes it.")
    var rerank: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Keep these words whole in the keyword terms (company names, accounts): one Hangul word per line; stored with the index, an empty file clears it. Changing it derives the keyword terms again (no re-embedding).",
            valueName: "FILE"))
    var dictionary: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Alias groups keyword search widens queries by, besides the defaults: one group a line, forms separated by commas (삼성전자, 삼전); `!no-defaults` leaves the default list out. Stored with the index; an empty file clears it.",
            valueName: "FILE"))
    var aliases: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Raise or lower a per-file reading limit: \(DocumentLimits.names.joined(separator: ", ")) (repeat for several; the defaults and what each bounds are in Documents.md). Files an earlier run skipped are read again on every run.",
            valueName: "NAME=VALUE"))
    var limit: [String] = []

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, not \(batchSize)") }
        var limits = DocumentLimits()
        for assignment in limit {
            do { try limits.set(assignment) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() throws {
        var options = KorSearchCore.IndexOptions()
        options.chunking = ChunkingOptions(chunkTokens: chunkTokens, overlapTokens: chunkOverlap)
        options.faissFactory = faiss
        options.batchSize = batchSize
        options.shard = try shard.map(Shard.init)
        options.followLinks = followLinks
        options.reuseVectors = !noReuse
        for assignment in limit { try options.limits.set(assignment) }
        if noOCR { options.limits.maxOCRPages = 0 }
        // The lists are read and checked before anything is indexed.
        options.keywordDictionary = try dictionary.map { try KeywordDictionary(parsing: readInputLines($0).joined(separator: "\n"), source: $0) }
        options.keywordAliases = try aliases.map { try KeywordAliases(parsing: readInputLines($0).joined(separator: "\n"), source: $0) }
        let location = try target.location
        if target.usesDefault {
            FileHandle.standardError.write(
                Data("korsearch: index \(shown(location.description)) (the default; name another with --index DIR or --store URL)\n".utf8))
        }
        // An existing index keeps its model and precision unless told otherwise (indexing into it with another is refused).
        let choice = try OpenedIndex.indexingModel(for: location, model: modelOptions.model, precision: modelOptions.precision, warn: warn)
        // A reranker named as the default is checked before anything is indexed (then let go).
        if let rerank, rerank != "none" {
            _ = try ModelLocator.loadReranker(rerank, precision: choice.precision, hub: ModelHub(progress: ModelCommand.progressReporter()))
        }
        let loaded = try ModelLocator.load(choice.model, precision: choice.precision, hub: ModelHub(progress: ModelCommand.progressReporter()))
        let indexer = try Indexer(
            location: location, embedder: loaded.embedder, model: loaded.identity,
            options: options, warn: warn)
        let reporter = ProgressReporter(quiet: quiet)
        let signals = StopSignals { [reporter] in reporter.note($0) }
        var summary = try indexer.index(folder: URL(fileURLWithPath: folder), stop: signals.stop) { reporter.update($0) }
        // A changed index (or one with no weight yet) gets its hybrid weight chosen from its own text, unless a
        // weight from judgments is stored.
        let changed = summary.added + summary.updated + summary.removed > 0
        if try changed || IndexStores.meta(of: location).vectorWeight == nil {
            // The run's work is stored: failing to choose a weight is a warning, not a failed run.
            do {
                summary.vectorWeight = try indexer.chooseVectorWeight()
            } catch {
                warn("the hybrid weight was not chosen: \(error)")
            }
        }
        if let rerank { try IndexStores.setDefaultReranker(location, rerank == "none" ? nil : rerank) }
        if json {
            writeOutput(try jsonLine(summary))
        } else {
            var text =
                "added \(summary.added), updated \(summary.updated), removed \(summary.removed), unchanged \(summary.unchanged), skipped \(summary.skipped.count)"
            if summary.claimedElsewhere > 0 { text += ", left to other workers \(summary.claimedElsewhere)" }
            if summary.otherShards > 0 { text += ", in other shards \(summary.otherShards)" }
            if summary.ignored > 0 { text += ", ignored \(summary.ignored) (.korsearchignore)" }
            text += "\nindex: \(summary.documents) documents, \(summary.chunks) chunks in \(shown(location.description))\n"
            text += String(format: "%.1f s; embedded %d tokens at %.0f tokens/s", summary.seconds, summary.tokens, summary.tokensPerSecond)
            text += summary.reused > 0 ? "; \(summary.reused) passages reused their stored vectors\n" : "\n"
            if summary.metadataUpdated > 0 { text += "metadata updated on \(summary.metadataUpdated) unchanged documents\n" }
            if let choice = summary.vectorWeight { text += "hybrid vector weight \(choice.weight), chosen from \(choice.source)\n" }
            for file in summary.skipped { text += "skipped \(shown(file.path)): \(shown(file.reason))\n" }
            for file in summary.trimmed { text += "trimmed \(shown(file.path)): \(shown(file.reason))\n" }
            writeOutput(text)
        }
        if summary.stopped {
            let kept = summary.added + summary.updated
            FileHandle.standardError.write(
                Data("korsearch: stopped: \(kept) document\(kept == 1 ? "" : "s") kept; run again to finish\n".utf8))
            throw ExitCode(128 + (signals.signalNumber ?? SIGINT))
        }
    }
}

/// `korsearch info`: what an index holds.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Describe an index.")

    @OptionGroup var target: IndexOptions

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func run() throws {
        let location = try target.existingLocation
        let info = try IndexStores.open(location, warn: warn).info()
        if json {
            writeOutput(try jsonLine(info))
        } else {
            var text = """
                index      \(shown(location.description))
                folder     \(shown(info.folder ?? "?"))
                documents  \(info.documents)
                chunks     \(info.chunks) (vectors in the vector index: \(info.vectors); distinct: \(info.distinctVectors))
                model      \(shown(info.model)) (dimension \(info.dimension), \(info.pooling) pooling, \(info.precision), fingerprint \(info.modelFingerprint.prefix(12)))
                prompts    \(info.queryPrompt.isEmpty && info.passagePrompt.isEmpty ? "none" : "query \"\(shown(info.queryPrompt))\", passage \"\(shown(info.passagePrompt))\"")
                chunking   \(info.chunkTokens) tokens, overlap \(info.chunkOverlap)
                vectors    \(info.faiss)\(info.faissSetting == "auto" ? " (auto: chosen by size)" : "")
                hybrid     vector weight \(info.vectorWeight) (0 keyword only, 1 vector only; \(info.vectorWeightSource.map(shown) ?? "the default: none chosen yet"))
                reranker   \(info.reranker.map(shown) ?? "none (korsearch index --rerank MODEL sets one)")
                keywords   dictionary \(counted(info.keywordDictionary.count, "word")), aliases \(counted(info.keywordAliases.count, "group"))\(info.defaultAliases ? " and the default list" : " (no default list)") (korsearch index --dictionary/--aliases FILE)
                indexed    \(info.lastIndexedAt ?? "?")
                formats    \(info.formats.map(\.type).joined(separator: ", "))

                """
            for (name, values) in [("companies", info.facets.company), ("reports", info.facets.reportType), ("periods", info.facets.period)]
            where !values.isEmpty {
                text +=
                    name.padding(toLength: 11, withPad: " ", startingAt: 0)
                    + values.prefix(10).map { "\(shown($0.value)) (\($0.documents))" }.joined(separator: ", ") + (values.count > 10 ? ", …" : "")
                    + "\n"
            }
            text += "skipped    \(info.skipped.count) files\n"
            for file in info.skipped { text += "  \(shown(file.path)): \(shown(file.reason))\n" }
            writeOutput(text)
        }
    }
}

/// `korsearch remove PATH...`: drop documents from an index.
struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract:
            "Remove documents from an index: paths relative to the indexed folder, folders (everything under them) or globs (*.pdf, reports/2023/**); list them in the folder's .korsearchignore to keep them out of later runs."
    )

    @Argument(help: "Paths relative to the indexed folder, folders, or globs in .korsearchignore's syntax.")
    var paths: [String]

    @OptionGroup var target: IndexOptions

    func run() throws {
        let matches = try IndexStores.removeDocuments(try target.existingLocation, matching: paths, warn: warn)
        let removed = Set(matches.flatMap(\.removed))
        writeOutput("removed \(removed.count) document\(removed.count == 1 ? "" : "s")\n")
        let missing = matches.filter(\.removed.isEmpty).map(\.pattern)
        if !missing.isEmpty {
            // None found: what was named does not exist (66); some: part of what was asked (1).
            throw CommandFailure(
                "not in the index (paths are relative to the indexed folder, as `korsearch search` prints them): "
                    + missing.map(shown).joined(separator: ", "), code: removed.isEmpty ? ExitCodes.noInput : 1)
        }
        if !removed.isEmpty {
            FileHandle.standardError.write(
                Data(
                    "korsearch: a file removed here comes back at the next `korsearch index` of its folder unless it is deleted or listed in the folder's .korsearchignore\n"
                        .utf8))
        }
    }
}

/// `korsearch rebuild`: the vector index again from stored vectors.
struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract:
            "Rebuild the vector index (FAISS, or pgvector's HNSW) from the stored vectors (no re-embedding), optionally with another FAISS factory string."
    )

    @OptionGroup var target: IndexOptions

    @Option(name: .long, help: "A new FAISS type: auto (chosen by size) or a factory string (Flat, HNSW32, IVF256,Flat, ...).")
    var faiss: String?

    func run() throws {
        writeOutput(try IndexStores.rebuild(try target.existingLocation, factory: faiss, warn: warn) + "\n")
    }
}

/// "1 word", "2 words".
private func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
