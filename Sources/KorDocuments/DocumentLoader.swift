import Foundation

/// Reads a file with the reader its extension names (`DocumentFormats`) and lays its blocks out as the
/// stored text.
public enum DocumentLoader {
    /// The reader of a file, by its extension; throws `DocumentFailure` when no format reads it.
    public static func reader(for url: URL) throws -> any DocumentReader {
        let ext = url.pathExtension.lowercased()
        guard let reader = DocumentFormats.reader(forExtension: ext) else {
            throw DocumentFailure(ext.isEmpty ? "unsupported file type (no extension)" : "unsupported file type .\(ext)")
        }
        return reader
    }

    /// Throws `DocumentFailure` when a file of `size` bytes is larger than the limits allow (before reading it).
    public static func check(size: Int64, limits: DocumentLimits) throws {
        if size > limits.maxFileBytes {
            throw DocumentFailure(
                "larger than \(DocumentLimits.describe(bytes: limits.maxFileBytes)), the limit per file (\(DocumentLimits.describe(bytes: size)))")
        }
    }

    /// Loads and normalizes a file within `limits`; throws `DocumentFailure` with the reason to skip it.
    public static func load(_ url: URL, limits: DocumentLimits = DocumentLimits()) throws -> LoadedDocument {
        let reader = try reader(for: url)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int64) ?? 0
        try check(size: size, limits: limits)
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw DocumentFailure("unreadable: \(error.localizedDescription)")
        }
        if data.isEmpty { throw DocumentFailure("empty file") }
        var content = try reader.read(DocumentFile(url: url, data: data, limits: limits))
        content.metadata.title = content.metadata.title.map { TextNormalizer.collapseSpaces($0) }
        let document = LoadedDocument(type: reader.type, content: content)
        if document.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw DocumentFailure(reader.noTextReason)
        }
        let characters = document.text.unicodeScalars.count
        if characters > limits.maxTextCharacters {
            throw DocumentFailure(
                "its text has \(characters) characters, more than the limit of \(limits.maxTextCharacters) per document; split the file")
        }
        return document
    }
}
