import Foundation

/// Why a file was not indexed; its text becomes the `reason` of a skipped entry.
struct DocumentFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A document's stored text, normalized, with the character offset at which each page starts (one page for
/// formats without pages).
public struct LoadedDocument: Sendable, Equatable {
    /// txt, md, html, pdf, docx or hwpx.
    public var type: String
    /// The document's title where the format has one (HTML `<title>`, a Markdown `#` heading, docx core
    /// properties, a short first line of a text file), else nil.
    public var title: String?
    /// The normalized text that chunks point into.
    public var text: String
    /// Offsets (in Unicode scalars) where each page starts; `[0]` for formats without pages.
    public var pageStarts: [Int]
    /// Whether the format has real pages (PDF).
    public var paged: Bool
    /// The encoding a text file was found in (UTF-8, UTF-16LE, UTF-16BE, CP949), nil for other formats.
    public var encoding: String?

    /// A document from its parts.
    public init(type: String, title: String?, text: String, pageStarts: [Int], paged: Bool, encoding: String?) {
        self.type = type
        self.title = title
        self.text = text
        self.pageStarts = pageStarts
        self.paged = paged
        self.encoding = encoding
    }
}

/// Reads the files KorSearch indexes: `.txt`, `.md` (UTF-8 with or without BOM, UTF-16 with BOM, CP949),
/// `.html`/`.htm`, `.pdf` (pdftotext, per page), `.docx` and `.hwpx`.
public enum DocumentLoader {
    /// The file extensions (lowercased) that are indexed, and the type each maps to.
    public static let types: [String: String] = [
        "txt": "txt", "text": "txt", "md": "md", "markdown": "md", "html": "html", "htm": "html",
        "pdf": "pdf", "docx": "docx", "hwpx": "hwpx",
    ]

    /// Loads and normalizes a file; throws with the reason to skip it.
    public static func load(_ url: URL) throws -> LoadedDocument {
        let ext = url.pathExtension.lowercased()
        guard let type = types[ext] else {
            throw DocumentFailure(ext.isEmpty ? "unsupported file type (no extension)" : "unsupported file type .\(ext)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw DocumentFailure("unreadable: \(error.localizedDescription)")
        }
        if data.isEmpty { throw DocumentFailure("empty file") }

        var title: String?
        var pages: [String]
        var encoding: String?
        switch type {
        case "pdf":
            pages = try PDFText.pages(url)
        case "docx", "hwpx":
            let extracted = try OfficeText.extract(url, type: type)
            title = extracted.title
            pages = [extracted.text]
        default:
            let hint: TextDecoding.Encoding? = type == "html"
                && ["euc-kr", "cp949", "ks_c_5601-1987", "x-windows-949"].contains(HTMLText.declaredCharset(data) ?? "")
                ? .cp949 : nil
            switch TextDecoding.decode(data, preferring: hint) {
            case .failure(.binary): throw DocumentFailure("binary file, not text")
            case .failure: throw DocumentFailure("not text in UTF-8, UTF-16 or CP949")
            case .success(let decoded):
                encoding = decoded.encoding.rawValue
                if type == "html" {
                    let extracted = HTMLText.extract(decoded.text)
                    title = extracted.title
                    pages = [extracted.text]
                } else {
                    if type == "md" {
                        title = markdownTitle(decoded.text)
                        pages = [MarkdownText.plain(decoded.text)]
                    } else {
                        title = firstLineTitle(decoded.text)
                        pages = [decoded.text]
                    }
                }
            }
        }

        var text = ""
        var starts: [Int] = []
        var offset = 0
        for page in pages {
            let normalized = TextNormalizer.normalize(page)
            if !text.isEmpty, !normalized.isEmpty {
                text += "\n\n"
                offset += 2
            }
            starts.append(offset)
            text += normalized
            offset += normalized.unicodeScalars.count
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw DocumentFailure(type == "pdf" ? "no extractable text (a scanned PDF needs OCR first)" : "no text")
        }
        return LoadedDocument(type: type, title: title.map { TextNormalizer.collapseSpaces($0) }, text: text,
                              pageStarts: starts, paged: type == "pdf", encoding: encoding)
    }

    /// A plain text file's first line, when it is short enough to be a heading.
    private static func firstLineTitle(_ text: String) -> String? {
        guard let line = text.split(separator: "\n", maxSplits: 20).first(where: {
            !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }) else { return nil }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count <= 80 && !".?!".contains(trimmed.last ?? ".") ? trimmed : nil
    }

    private static func markdownTitle(_ text: String) -> String? {
        for line in text.split(separator: "\n", maxSplits: 50) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("# ") { return String(trimmed.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}
