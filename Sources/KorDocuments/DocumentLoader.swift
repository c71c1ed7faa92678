import Foundation

/// Reads a file with the reader its content or else its extension names (`DocumentFormats`) and lays its
/// blocks out as the stored text.
public enum DocumentLoader {
    /// The reader of a file, by its extension (a file without one by its first bytes: a PDF or an HWP 5.0
    /// compound file); throws `DocumentFailure` when no format reads it. Reading then goes by the content
    /// (`reader(for:data:)`).
    public static func reader(for url: URL) throws -> any DocumentReader {
        let ext = url.pathExtension.lowercased()
        if let reader = DocumentFormats.reader(forExtension: ext) { return reader }
        if ext.isEmpty, let handle = try? FileHandle(forReadingFrom: url) {
            defer { try? handle.close() }
            if let head = try? handle.read(upToCount: 8), let reader = binaryReader(head, entries: nil) { return reader }
        }
        throw DocumentFailure(ext.isEmpty ? "unsupported file type (no extension)" : "unsupported file type .\(ext)")
    }

    /// The reader of a file by what its bytes are, where they say so clearly — a PDF header, an OLE compound file
    /// (HWP 5.0), a zip whose parts are an HWPX, DOCX, XLSX or PPTX — else the extension's; with a note when the
    /// two differ (an HWP file named `.hwpx` is read as HWP, not refused as a broken HWPX).
    static func reader(
        for url: URL, data: Data, byExtension: (any DocumentReader)?, limits: DocumentLimits
    ) -> (
        reader: (any DocumentReader)?, note: String?
    ) {
        var entries: [String]?
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) || data.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            entries = (try? ZipArchive(data, maxEntries: limits.maxArchiveEntries))?.entries.map(\.path)
        }
        guard let found = binaryReader(data.prefix(1024), entries: entries) else { return (byExtension, nil) }
        guard let byExtension else { return (found, "read as \(found.name) by its content (it has no extension)") }
        if found.type == byExtension.type { return (byExtension, nil) }
        let ext = url.pathExtension.lowercased()
        return (found, "read as \(found.name) by its content; its extension .\(ext) says \(byExtension.name)")
    }

    /// The binary format `head` (a file's first bytes) and a zip's entry names say, or nil.
    private static func binaryReader(_ head: Data, entries: [String]?) -> (any DocumentReader)? {
        if head.starts(with: Array("%PDF-".utf8)) { return DocumentFormats.reader(forType: "pdf") }
        if head.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return DocumentFormats.reader(forType: "hwp") }
        guard let entries else { return nil }
        let names = Set(entries)
        for (part, type) in [
            ("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"), ("ppt/presentation.xml", "pptx"), ("Contents/content.hpf", "hwpx"),
        ]
        where names.contains(part) {
            return DocumentFormats.reader(forType: type)
        }
        return nil
    }

    /// Throws `DocumentFailure` when a file of `size` bytes is larger than the limits allow (before reading it).
    public static func check(size: Int64, limits: DocumentLimits) throws {
        if size > limits.maxFileBytes {
            throw DocumentFailure(
                "larger than \(DocumentLimits.describe(bytes: limits.maxFileBytes)), the limit per file (\(DocumentLimits.describe(bytes: size)))")
        }
    }

    /// Loads and normalizes a file within `limits`; throws `DocumentFailure` with the reason to skip it.
    /// `progress` hears of the slow steps of reading it (each page OCR reads).
    public static func load(
        _ url: URL, limits: DocumentLimits = DocumentLimits(), progress: @escaping @Sendable (ReadingProgress) -> Void = { _ in }
    ) throws -> LoadedDocument {
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
        let file = DocumentFile(url: url, data: data, limits: limits, progress: progress)
        let (actual, note) = Self.reader(
            for: url, data: data, byExtension: DocumentFormats.reader(forExtension: url.pathExtension), limits: limits)
        if let note { file.budget.note(note) }
        return try load(file, reader: actual ?? reader)
    }

    /// Reads `file` with `reader` and lays its blocks out; the file's budget shows afterwards what reading cost.
    static func load(_ file: DocumentFile, reader: any DocumentReader) throws -> LoadedDocument {
        let limits = file.limits
        var content = try reader.read(file)
        content.metadata.title = content.metadata.title.map { TextNormalizer.collapseSpaces($0) }
        content.blocks = NumberedHeadings.infer(content.blocks)
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
