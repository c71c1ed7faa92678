import Foundation
import KorEncoder

/// What an index records about itself, parsed once when a store opens it: the model that built it, how its
/// passages were cut, its vector index and schema. Stored as key/value entries in both stores (the keys are
/// the same everywhere); a store's own bookkeeping entries are kept in `entries` untouched.
public struct IndexMeta: Sendable, Equatable {
    /// The store's schema version, where it records one.
    public var schemaVersion: Int?
    /// The model as the user named it (a hub id or a folder path).
    public var modelId: String
    /// `ModelIdentity.fingerprint` of the model that built the index.
    public var modelFingerprint: String
    /// The embedding dimension.
    public var dimension: Int
    /// Pooling of the last hidden state ("mean").
    public var pooling: String
    /// The prompts the model put before passages and puts before queries (empty when none; indexes made before
    /// prompts were recorded have none).
    public var queryPrompt: String
    public var passagePrompt: String
    /// Normalization of pooled vectors ("l2").
    public var normalization: String
    /// The precision the index was built at; queries default to it.
    public var precision: Precision
    /// The model's maximum sequence length when the index was built.
    public var maxLength: Int
    /// How documents were cut into passages.
    public var chunking: ChunkingOptions
    /// The store's vector index as recorded: a FAISS factory string for an index directory, nil for a store
    /// whose vector index has one fixed kind.
    public var vectorIndex: String?
    /// When the index was created, when it was last indexed, and from which folder (ISO 8601, a path).
    public var createdAt: String?
    public var lastIndexedAt: String?
    public var indexedFolder: String?
    /// The vector side's weight in hybrid fusion for queries that do not set one (`korsearch eval --sweep
    /// --save-best` stores it), or nil for `Searcher.defaultVectorWeight`.
    public var vectorWeight: Double?
    /// How the stored vector weight was chosen: `WeightChoice.source` when korsearch chose it from the index's
    /// own held-out sentences, else what stored it (`korsearch eval --sweep --save-best`, a library call).
    public var vectorWeightSource: String?
    /// Whether the stored weight, if any, was chosen by korsearch from the index itself (and so may be chosen
    /// again after the index changes; a weight stored from judgments is kept).
    public var vectorWeightIsAutomatic: Bool { vectorWeightSource?.hasPrefix(WeightChoice.sourcePrefix) == true }
    /// The cross-encoder (a folder or hub id) that reorders first-stage hits by default (`korsearch index
    /// --rerank MODEL` stores it), or nil.
    public var reranker: String?
    /// The `KeywordTerms.version` the stored keyword terms were derived by (1 for indexes that record none).
    public var keywordTerms: Int
    /// The fingerprint (`KeywordDictionary.fingerprint`) of the dictionary the stored keyword terms were derived
    /// with; empty for none.
    public var keywordTermsDictionary: String
    /// The index's user dictionary (`korsearch index --dictionary FILE`): words its keyword terms keep whole.
    public var keywordDictionary: KeywordDictionary
    /// The index's own aliases (`korsearch index --aliases FILE`), applied at query time with the defaults.
    public var keywordAliases: KeywordAliases
    /// Whether the stored keyword terms were derived by this korsearch's rules with the index's dictionary.
    public var keywordTermsAreCurrent: Bool {
        keywordTerms == KeywordTerms.version && keywordTermsDictionary == keywordDictionary.fingerprint
    }
    /// Every entry as stored, bookkeeping of the store included.
    public private(set) var entries: [String: String]

    private enum Key {
        static let schemaVersion = "schema_version", modelId = "model_id", modelFingerprint = "model_fingerprint"
        static let dimension = "dimension", pooling = "pooling", normalization = "normalization", precision = "precision"
        static let maxLength = "max_length", chunkTokens = "chunk_tokens", chunkOverlap = "chunk_overlap"
        static let vectorIndex = "faiss_factory", createdAt = "created_at", lastIndexedAt = "last_indexed_at"
        static let indexedFolder = "indexed_folder", vectorWeight = "vector_weight", keywordTerms = "keyword_terms"
        static let reranker = "reranker", queryPrompt = "query_prompt", passagePrompt = "passage_prompt"
        static let vectorWeightSource = "vector_weight_source", keywordTermsDictionary = "keyword_terms_dictionary"
        static let keywordDictionary = "keyword_dictionary", keywordAliases = "keyword_aliases"
    }

    /// The meta of a new index built by a model with these settings.
    public init(
        model: ModelIdentity, maxLength: Int, chunking: ChunkingOptions, vectorIndex: String?,
        createdAt: Date = Date()
    ) {
        schemaVersion = nil
        modelId = model.id
        modelFingerprint = model.fingerprint
        dimension = model.dimension
        pooling = model.pooling
        queryPrompt = model.queryPrompt
        passagePrompt = model.passagePrompt
        normalization = model.normalization
        precision = model.precision
        self.maxLength = maxLength
        self.chunking = chunking
        self.vectorIndex = vectorIndex
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        keywordTerms = KeywordTerms.version
        keywordTermsDictionary = ""
        keywordDictionary = .empty
        keywordAliases = .none
        entries = [:]
        entries = storedEntries
    }

    /// Parses stored entries. `owner` names the index in messages (a path or a store URL). An index whose
    /// creation was interrupted before its meta was written (no dimension) is `.indexNotFound`: it holds nothing.
    package init(entries: [String: String], owner: String) throws {
        guard entries[Key.dimension] != nil else {
            // The meta is written in one transaction, dimension with it: without one, nothing was ever indexed.
            throw KorSearchError(
                .indexNotFound, "\(owner) records no model dimension: its creation was interrupted before it held anything; index its folder again")
        }
        func required(_ key: String) throws -> String {
            guard let value = entries[key], !value.isEmpty else {
                throw KorSearchError(.corruptIndex, "\(owner) records no \(key); its meta is damaged, index its folder into a new index")
            }
            return value
        }
        func number(_ key: String) throws -> Int {
            let text = try required(key)
            guard let value = Int(text) else { throw KorSearchError(.corruptIndex, "\(owner) records \(key) \"\(text)\", not a number") }
            return value
        }
        dimension = try number(Key.dimension)
        modelId = try required(Key.modelId)
        modelFingerprint = try required(Key.modelFingerprint)
        chunking = ChunkingOptions(chunkTokens: try number(Key.chunkTokens), overlapTokens: try number(Key.chunkOverlap))
        schemaVersion = entries[Key.schemaVersion].flatMap { Int($0) }
        pooling = entries[Key.pooling] ?? "mean"
        queryPrompt = entries[Key.queryPrompt] ?? ""
        passagePrompt = entries[Key.passagePrompt] ?? ""
        normalization = entries[Key.normalization] ?? "l2"
        // Indexes made before precision was recorded were built at fp32.
        let precisionText = entries[Key.precision] ?? Precision.fp32.rawValue
        guard let precision = Precision(rawValue: precisionText) else {
            throw KorSearchError(.corruptIndex, "\(owner) records precision \"\(precisionText)\"; this korsearch knows fp32, bf16 and int8")
        }
        self.precision = precision
        maxLength = entries[Key.maxLength].flatMap { Int($0) } ?? 512
        vectorIndex = entries[Key.vectorIndex]
        createdAt = entries[Key.createdAt]
        lastIndexedAt = entries[Key.lastIndexedAt]
        indexedFolder = entries[Key.indexedFolder]
        keywordTerms = entries[Key.keywordTerms].flatMap { Int($0) } ?? 1
        keywordTermsDictionary = entries[Key.keywordTermsDictionary] ?? ""
        do {
            keywordDictionary = try KeywordDictionary(parsing: entries[Key.keywordDictionary] ?? "", source: "\(owner)'s keyword_dictionary")
            keywordAliases = try KeywordAliases(parsing: entries[Key.keywordAliases] ?? "", source: "\(owner)'s keyword_aliases")
        } catch let error as KorSearchError {
            throw KorSearchError(.corruptIndex, "\(error.message); store the list again with `korsearch index --dictionary FILE` or `--aliases FILE`")
        }
        reranker = entries[Key.reranker].flatMap { $0.isEmpty ? nil : $0 }
        if let text = entries[Key.vectorWeight] {
            guard let weight = Double(text), Searcher.isVectorWeight(weight) else {
                throw KorSearchError(
                    .corruptIndex,
                    "\(owner) records vector_weight \"\(text)\", not a weight between 0 and 1; store one again with `korsearch eval --sweep --save-best`"
                )
            }
            vectorWeight = weight
            vectorWeightSource = entries[Key.vectorWeightSource].flatMap { $0.isEmpty ? nil : $0 }
        }
        self.entries = entries
    }

    /// The entries that record this meta (the typed fields over whatever else `entries` holds).
    package var storedEntries: [String: String] {
        var stored = entries
        stored[Key.modelId] = modelId
        stored[Key.modelFingerprint] = modelFingerprint
        stored[Key.dimension] = "\(dimension)"
        stored[Key.pooling] = pooling
        stored[Key.queryPrompt] = queryPrompt
        stored[Key.passagePrompt] = passagePrompt
        stored[Key.normalization] = normalization
        stored[Key.precision] = precision.rawValue
        stored[Key.maxLength] = "\(maxLength)"
        stored[Key.chunkTokens] = "\(chunking.chunkTokens)"
        stored[Key.chunkOverlap] = "\(chunking.overlapTokens)"
        stored[Key.schemaVersion] = schemaVersion.map { "\($0)" }
        stored[Key.vectorIndex] = vectorIndex
        stored[Key.createdAt] = createdAt
        stored[Key.lastIndexedAt] = lastIndexedAt
        stored[Key.indexedFolder] = indexedFolder
        stored[Key.vectorWeight] = vectorWeight.map { "\($0)" }
        stored[Key.vectorWeightSource] = vectorWeightSource
        stored[Key.keywordTerms] = "\(keywordTerms)"
        stored[Key.keywordTermsDictionary] = keywordTermsDictionary
        stored[Key.keywordDictionary] = keywordDictionary.text
        stored[Key.keywordAliases] = keywordAliases.text
        stored[Key.reranker] = reranker
        return stored
    }

    /// The entries recording that the keyword terms were derived by this korsearch's `KeywordTerms` with this
    /// dictionary.
    package static func keywordTermsEntries(_ dictionary: KeywordDictionary) -> [String: String] {
        [Key.keywordTerms: "\(KeywordTerms.version)", Key.keywordTermsDictionary: dictionary.fingerprint]
    }

    /// The entries that store an index's user dictionary and aliases (nil: kept as they are).
    package static func keywordListEntries(dictionary: KeywordDictionary?, aliases: KeywordAliases?) -> [String: String] {
        var entries: [String: String] = [:]
        entries[Key.keywordDictionary] = dictionary?.text
        entries[Key.keywordAliases] = aliases?.text
        return entries
    }

    /// The entry that stores the default reranker (an empty value: none).
    package static func rerankerEntries(_ model: String?) -> [String: String] {
        [Key.reranker: model ?? ""]
    }

    /// The entries that store a default vector weight and how it was chosen.
    package static func vectorWeightEntries(_ weight: Double, source: String) -> [String: String] {
        [Key.vectorWeight: "\(weight)", Key.vectorWeightSource: source]
    }

    /// The entries an indexing run updates when it ends: the folder and the time.
    package static func runEntries(folder: String, at date: Date = Date()) -> [String: String] {
        [Key.indexedFolder: folder, Key.lastIndexedAt: ISO8601DateFormatter().string(from: date)]
    }
}
