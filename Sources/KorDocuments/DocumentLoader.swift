import Foundation

/// Reads a file with the reader its extension names (`DocumentFormats`) and lays its blocks out as the
/// stored text.
public enum DocumentLoader {
    /// Loads and normalizes a file; throws `DocumentFailure` with the reason to skip it.
    public static func load(_ url: URL) throws -> LoadedDocument {
        let ext = url.pathExtension.lowercased()
        guard let reader = DocumentFormats.reader(forExtension: ext) else {
            throw DocumentFailure(ext.isEmpty ? "unsupported file type (no extension)" : "unsupported file type .\(ext)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw DocumentFailure("unreadable: \(error.localizedDescription)")
        }
        if data.isEmpty { throw DocumentFailure("empty file") }
        var content = try reader.read(DocumentFile(url: url, data: data))
        content.metadata.title = content.metadata.title.map { TextNormalizer.collapseSpaces($0) }
        let document = LoadedDocument(type: reader.type, content: content)
        if document.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw DocumentFailure(reader.noTextReason)
        }
        return document
    }
}
