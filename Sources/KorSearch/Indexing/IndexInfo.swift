/// What an index holds, as `korsearch info --json` and `GET /v1/info` print it.
public struct IndexInfo: Encodable, Sendable {
    public var documents: Int
    public var chunks: Int
    /// FAISS's own count.
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

    enum CodingKeys: String, CodingKey {
        case documents, chunks, vectors, model, dimension, faiss, precision, folder, skipped
        case modelFingerprint = "model_fingerprint"
        case chunkTokens = "chunk_tokens"
        case chunkOverlap = "chunk_overlap"
        case lastIndexedAt = "last_indexed_at"
    }
}

extension DocumentIndex {
    /// Counts, model, chunking, FAISS type and the files the last run skipped.
    public func info() throws -> IndexInfo {
        let counts = try catalog.counts()
        return IndexInfo(
            documents: counts.documents, chunks: counts.chunks, vectors: vectors.count,
            model: meta["model_id"] ?? "?", modelFingerprint: meta["model_fingerprint"] ?? "?",
            dimension: dimension, faiss: factory,
            chunkTokens: Int(meta["chunk_tokens"] ?? "") ?? 0, chunkOverlap: Int(meta["chunk_overlap"] ?? "") ?? 0,
            precision: meta["precision"] ?? "fp32", folder: meta["indexed_folder"], lastIndexedAt: meta["last_indexed_at"],
            skipped: try catalog.skipped().map { SkippedFile(path: $0.path, reason: $0.reason) })
    }
}
