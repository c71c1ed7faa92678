import KorDocuments

/// A document format KorSearch reads, as `info` and the API list it (from `DocumentFormats`).
public struct FormatInfo: Encodable, Sendable, Equatable {
    /// The type documents of the format have, what `--type` filters on.
    public var type: String
    /// The format's name for people.
    public var name: String
    /// The file extensions read as this format.
    public var extensions: [String]

    /// Every registered format.
    public static var all: [FormatInfo] {
        DocumentFormats.readers.map { FormatInfo(type: $0.type, name: $0.name, extensions: $0.extensions) }
    }
}

/// What an index holds, as `korsearch info --json` and `GET /v1/info` print it.
public struct IndexInfo: Encodable, Sendable {
    public var documents: Int
    public var chunks: Int
    /// The vector index's own count of the vectors it holds.
    public var vectors: Int
    public var model: String
    public var modelFingerprint: String
    public var dimension: Int
    public var faiss: String
    public var chunkTokens: Int
    public var chunkOverlap: Int
    public var precision: String
    public var folder: String?
    public var lastIndexedAt: String?
    public var skipped: [SkippedFile]
    /// The formats this korsearch reads (not a property of the index: what a run over its folder would read).
    public var formats: [FormatInfo] = FormatInfo.all

    /// What a store reports: its counts, its meta, its vector index's own count and description.
    public init(meta: IndexMeta, documents: Int, chunks: Int, vectors: Int, vectorIndex: String, skipped: [SkippedFile]) {
        self.documents = documents
        self.chunks = chunks
        self.vectors = vectors
        model = meta.modelId
        modelFingerprint = meta.modelFingerprint
        dimension = meta.dimension
        faiss = vectorIndex
        chunkTokens = meta.chunking.chunkTokens
        chunkOverlap = meta.chunking.overlapTokens
        precision = meta.precision.rawValue
        folder = meta.indexedFolder
        lastIndexedAt = meta.lastIndexedAt
        self.skipped = skipped
    }

    enum CodingKeys: String, CodingKey {
        case documents, chunks, vectors, model, dimension, faiss, precision, folder, skipped, formats
        case modelFingerprint = "model_fingerprint"
        case chunkTokens = "chunk_tokens"
        case chunkOverlap = "chunk_overlap"
        case lastIndexedAt = "last_indexed_at"
    }
}
