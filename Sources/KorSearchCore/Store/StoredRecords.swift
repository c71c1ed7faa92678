import KorDocuments

/// A document as a store keeps it.
public struct StoredDocument: Sendable, Equatable {
    public var id: Int64
    /// Path relative to the indexed folder, `/`-separated.
    public var path: String
    public var sha256: String
    public var size: Int64
    /// Modification time, seconds since 1970.
    public var modified: Double
    public var type: String
    public var title: String?
    public var chunkCount: Int
    /// What the document is (company, report, period, ...): the manifest's entry over what its reader found.
    public var metadata: FilingMetadata
    /// What its reader found (the filing's markup, or what its title implies), kept so a changed manifest
    /// can be applied again without reading the file; nil for a document stored by an earlier version.
    public var readMetadata: FilingMetadata?

    /// A stored document's facts.
    package init(
        id: Int64, path: String, sha256: String, size: Int64, modified: Double, type: String, title: String?, chunkCount: Int,
        metadata: FilingMetadata = FilingMetadata(), readMetadata: FilingMetadata? = nil
    ) {
        self.id = id
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.modified = modified
        self.type = type
        self.title = title
        self.chunkCount = chunkCount
        self.metadata = metadata
        self.readMetadata = readMetadata
    }
}

/// New metadata for a stored document whose passages stay as they are.
package struct MetadataUpdate: Sendable, Equatable {
    /// What the document is now.
    package var metadata: FilingMetadata
    /// What its reader found.
    package var readMetadata: FilingMetadata

    package init(metadata: FilingMetadata, readMetadata: FilingMetadata) {
        self.metadata = metadata
        self.readMetadata = readMetadata
    }
}

/// A document ready to be written: its file facts, its stored text, its passages (with their keyword terms)
/// and their vectors at the stored precision — everything a store persists, derived once here so that a store
/// only persists.
package struct DocumentUpdate {
    package var path: String
    package var sha256: String
    package var size: Int64
    /// Modification time, seconds since 1970.
    package var modified: Double
    package var document: LoadedDocument
    package var chunks: [Chunk]
    /// One vector per chunk, as stores keep it: rounded to `StoredVector` precision when set.
    package var vectors: [[Float]] {
        get { storedVectors }
        set { storedVectors = newValue.map(StoredVector.rounded) }
    }
    private var storedVectors: [[Float]] = []
    /// What the document is, and what its reader found of that (see `StoredDocument`).
    package var metadata: FilingMetadata
    package var readMetadata: FilingMetadata

    /// A document's replacement.
    package init(
        path: String, sha256: String, size: Int64, modified: Double, document: LoadedDocument, chunks: [Chunk], vectors: [[Float]],
        metadata: FilingMetadata? = nil, readMetadata: FilingMetadata? = nil
    ) {
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.modified = modified
        self.document = document
        self.chunks = chunks
        self.storedVectors = vectors.map(StoredVector.rounded)
        let read = readMetadata ?? FilingMetadata(document: document)
        self.readMetadata = read
        self.metadata = metadata ?? read
    }
}
