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
        return try load(DocumentFile(url: url, data: data, limits: limits), reader: reader)
    }

    /// Reads `file` with `reader` and lays its blocks out; the file's budget shows afterwards what reading cost.
    static func load(_ file: DocumentFile, reader: any DocumentReader) throws -> LoadedDocument {
        let limits = file.limits
        var content = try reader.read(file)
        content.metadata.title = content.metadata.title.map { TextNormalizer.collapseSpaces($0) }
        // Headings deeper than the nesting limit are read at it (a path of headings stays that short).
        for index in content.blocks.indices {
            if case .heading(let level) = content.blocks[index].kind, level > limits.maxNesting {
                content.blocks[index].kind = .heading(level: limits.maxNesting)
            }
        }
        var document = LoadedDocument(type: reader.type, content: content)
        document.notes = file.budget.notes
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
