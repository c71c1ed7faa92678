import KorEncoder
import KorSearchCore

extension Searcher {
    /// Opens an index directory for searching. With an embedder, its model must be the one that built the index.
    public convenience init(
        directory: EmbeddedLocation, embedder: Embedder?, model: ModelIdentity?,
        warn: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        try self.init(location: .directory(directory), embedder: embedder, model: model, warn: warn)
    }
}

extension Indexer {
    /// An indexer writing to an index directory with a model.
    public convenience init(
        directory: EmbeddedLocation, embedder: Embedder, model: ModelIdentity, options: IndexOptions = IndexOptions(),
        warn: @escaping (String) -> Void = { _ in }
    ) throws {
        try self.init(location: .directory(directory), embedder: embedder, model: model, options: options, warn: warn)
    }
}
