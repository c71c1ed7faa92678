import Foundation
import KorDocuments

/// The read and chunk stages of an indexing run: a claimed file read into a document, cut into passages
/// (each with its model input and keyword terms), and described by its reader's metadata under the folder's
/// manifest — a `DocumentUpdate` waiting for its vectors.
package struct DocumentReading {
    /// What reading one file may cost.
    package let limits: DocumentLimits
    /// How passages are cut.
    package let chunker: Chunker
    /// The folder's manifest.
    package let manifest: Manifest

    package init(limits: DocumentLimits, chunker: Chunker, manifest: Manifest) {
        self.limits = limits
        self.chunker = chunker
        self.manifest = manifest
    }

    /// Reads and cuts a file whose content hash is `sha256`; a `DocumentFailure` says why it cannot be indexed.
    package func read(
        _ file: FoundFile, sha256: String, progress: @escaping @Sendable (ReadingProgress) -> Void = { _ in }
    ) throws -> DocumentUpdate {
        let loaded = try DocumentLoader.load(file.url, limits: limits, progress: progress)
        let chunks = try chunker.chunks(of: loaded)
        var update = DocumentUpdate(
            path: file.path, sha256: sha256, size: file.size, modified: file.modified,
            document: loaded, chunks: chunks, vectors: [])
        if let entry = manifest.entry(for: file.path) { update.metadata = entry.over(update.readMetadata) }
        return update
    }

    /// The metadata change an unchanged document needs, or nil: the manifest's entry over what its reader found
    /// (read again, without embedding, when an earlier version stored the document without it).
    package func metadataChange(_ previous: StoredDocument, _ file: FoundFile) -> MetadataUpdate? {
        var read = previous.readMetadata
        if read == nil, let document = try? DocumentLoader.load(file.url, limits: limits) { read = FilingMetadata(document: document) }
        let base = read ?? FilingMetadata()
        let wanted = manifest.entry(for: previous.path)?.over(base) ?? base
        guard wanted != previous.metadata || previous.readMetadata == nil else { return nil }
        return MetadataUpdate(metadata: wanted, readMetadata: base)
    }
}
