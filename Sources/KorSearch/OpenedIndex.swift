import Foundation

/// An index opened with the model that built it: the one way the CLI, the HTTP server and other front ends
/// open an index for search. It owns the defaults: the model is the one the index records unless another is
/// named, queries are embedded at the index's precision unless told otherwise.
public struct OpenedIndex: Sendable {
    /// The open store.
    public let store: any IndexStore
    /// The model's embedder; nil when opened for keyword search only.
    public let embedder: Embedder?
    /// The model's identity, checked against the index.
    public let model: ModelIdentity?
    /// The name of the model in use (the index's own unless another was named).
    public let modelName: String
    /// The cross-encoder that reorders first-stage hits, when one was named.
    public var reranker: Reranker?

    /// Opens the index at `location` with the model that built it.
    ///
    /// - Parameters:
    ///   - location: the index (`IndexLocation(index:store:)`).
    ///   - model: a folder or hub id replacing the index's own model, which must still be the one that built it.
    ///   - precision: replaces the index's precision for queries.
    ///   - loadModel: false opens for keyword search without loading any model.
    ///   - reranker: a cross-encoder (a folder or hub id) that reorders first-stage hits (`Reranker`), run at
    ///     the same precision as the queries; nil takes the index's default reranker, if it has one and
    ///     `defaultReranker` is true (and the model is loaded).
    ///   - defaultReranker: whether the index's default reranker is loaded when `reranker` is nil.
    ///   - hub: where hub ids are fetched from and cached.
    ///   - warn: hears about repairs.
    /// - Throws: `KorSearchError` `.indexNotFound`, `.corruptIndex`, `.modelMismatch`, `.hub` or `.network`
    ///   (a model that must be fetched), `.store` (an unreachable PostgreSQL); `EncoderError` for a reranker
    ///   that is not a cross-encoder.
    public static func open(
        _ location: IndexLocation, model: String? = nil, precision: Precision? = nil, loadModel: Bool = true, reranker: String? = nil,
        defaultReranker: Bool = true, hub: ModelHub = ModelHub(), warn: (String) -> Void = { _ in }
    ) throws -> OpenedIndex {
        let store = try IndexStores.open(location, warn: warn)
        let name = model ?? store.meta.modelId
        let precision = precision ?? Self.runnable(store.meta.precision, of: location, warn: loadModel ? warn : { _ in })
        var opened = OpenedIndex(store: store, embedder: nil, model: nil, modelName: name)
        if loadModel {
            let loaded = try ModelLocator.load(name, maxLength: store.meta.maxLength, precision: precision, hub: hub)
            opened = OpenedIndex(store: store, embedder: loaded.embedder, model: loaded.identity, modelName: name)
        }
        let rerankerName = reranker ?? (defaultReranker && loadModel ? store.meta.reranker : nil)
        if let rerankerName { opened.reranker = try ModelLocator.loadReranker(rerankerName, precision: precision, hub: hub) }
        return opened
    }

    /// The model and precision an indexing run into `location` uses: the ones named, else the index's own
    /// (an index keeps its model and precision), else for a new index the default model at the precision
    /// this processor runs best (`Precision.recommended`).
    public static func indexingModel(
        for location: IndexLocation, model: String?, precision: Precision?, warn: (String) -> Void = { _ in }
    ) throws -> (model: String, precision: Precision) {
        if let model, let precision { return (model, precision) }
        let existing = try IndexStores.existingMeta(of: location)
        return (
            model ?? existing?.modelId ?? ModelLocator.defaultModel,
            precision ?? existing.map { runnable($0.precision, of: location, warn: warn) } ?? .recommended
        )
    }

    /// The index's own precision, or fp32 where this processor cannot run it (a bf16 index built on a machine
    /// with AVX-512, opened on one without: oneDNN has no bf16 product there), said through `warn`. fp32 vectors
    /// are within a cosine of 0.9999 of bf16 ones, so queries still find the index's passages.
    static func runnable(_ precision: Precision, of location: IndexLocation, warn: (String) -> Void) -> Precision {
        guard !precision.isAvailable else { return precision }
        warn(
            "the index \(location) was built at \(precision.rawValue), which this processor cannot run (oneDNN has no \(precision.rawValue) matrix product for it); its model runs at fp32 here, within a cosine of 0.9999 of \(precision.rawValue)"
        )
        return .fp32
    }

    /// A searcher over the opened index.
    public func searcher(warn: @escaping @Sendable (String) -> Void = { _ in }) throws -> Searcher {
        try Searcher(index: store, embedder: embedder, model: model, reranker: reranker, warn: warn)
    }
}

extension Searcher {
    /// Opens an index with the model that built it (or `model` when given): the common case for a CLI or a
    /// RAG pipeline. Keyword-only use can pass `loadModel: false` and skip loading the model.
    /// Queries are embedded at `precision`, by default the one that built the index.
    public convenience init(
        location: IndexLocation, model: String? = nil, precision: Precision? = nil, loadModel: Bool = true, reranker: String? = nil,
        defaultReranker: Bool = true, warn: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        let opened = try OpenedIndex.open(
            location, model: model, precision: precision, loadModel: loadModel, reranker: reranker, defaultReranker: defaultReranker, warn: warn)
        try self.init(index: opened.store, embedder: opened.embedder, model: opened.model, reranker: opened.reranker, warn: warn)
    }

    /// Opens an index directory with the model that built it (or `model` when given).
    public convenience init(
        directory: EmbeddedLocation, model: String? = nil, precision: Precision? = nil, loadModel: Bool = true,
        warn: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        try self.init(location: .directory(directory), model: model, precision: precision, loadModel: loadModel, warn: warn)
    }
}
