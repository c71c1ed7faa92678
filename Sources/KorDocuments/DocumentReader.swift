import Foundation

/// Reads one file format into blocks and metadata. A new format is one type conforming to this protocol and
/// one line in `DocumentFormats.readers`; everything that lists formats (the CLI's help, `info`, the API,
/// the search page) reads that list.
public protocol DocumentReader: Sendable {
    /// The type recorded for this format's documents and matched by `--type` (txt, md, html, pdf, ...).
    var type: String { get }
    /// The format's name for people (`PDF`, `Word (DOCX)`).
    var name: String { get }
    /// The file extensions read as this format, lowercased, without the dot.
    var extensions: [String] { get }
    /// Why a file of this format that holds no text is skipped.
    var noTextReason: String { get }
    /// The blocks and metadata of a file; throws `DocumentFailure` with the reason to skip it.
    func read(_ file: DocumentFile) throws -> DocumentContent
}

extension DocumentReader {
    public var noTextReason: String { "no text" }
}

/// A file handed to a reader: where it is, its bytes (memory-mapped where the system allows) and the limits
/// reading it must keep.
/// A slow step of reading one file, reported while it happens.
public enum ReadingProgress: Sendable, Equatable {
    /// OCR is reading the `page`th of the `of` pages it will read of a scan (counted from 1).
    case recognizing(page: Int, of: Int)
}

public struct DocumentFile: Sendable {
    /// The file.
    public let url: URL
    /// Its bytes.
    public let data: Data
    /// What reading it may cost.
    public let limits: DocumentLimits
    /// What reading it has cost so far: the reader counts against it as it goes.
    public let budget: ReadingBudget
    /// Hears of slow steps while it is read (each page OCR reads), for progress displays.
    public let progress: @Sendable (ReadingProgress) -> Void

    /// A file and its bytes, with a budget of nothing spent.
    public init(url: URL, data: Data, limits: DocumentLimits = DocumentLimits(), progress: @escaping @Sendable (ReadingProgress) -> Void = { _ in }) {
        self.url = url
        self.data = data
        self.limits = limits
        self.progress = progress
        budget = ReadingBudget(limits: limits)
    }

    /// The bytes as text, as `text()` decodes them, for a format whose every character is text (plain text,
    /// Markdown, CSV): counted as gathered, and refused before decoding when the size alone passes the limit.
    public func allText() throws -> (text: String, encoding: String) {
        try budget.gather(textFile: data) { try text() }
    }

    /// The bytes as text (UTF-8 with or without BOM, UTF-16 with BOM, CP949), with the encoding found;
    /// `preferringCP949` when the file declares a Korean legacy encoding.
    public func text(preferringCP949: Bool = false) throws -> (text: String, encoding: String) {
        switch TextDecoding.decode(data, preferring: preferringCP949 ? .cp949 : nil) {
        case .failure(.binary): throw DocumentFailure("binary file, not text")
        case .failure: throw DocumentFailure("not text in UTF-8, UTF-16 or CP949")
        case .success(let decoded): return (decoded.text, decoded.encoding.rawValue)
        }
    }
}

/// The formats KorSearch reads, in one list.
public enum DocumentFormats {
    /// Every reader, one per format.
    public static let readers: [any DocumentReader] = [
        PlainTextReader(),
        MarkdownReader(),
        HTMLReader(),
        PDFReader(),
        DOCXReader(),
        HWPXReader(),
        HWPReader(),
        XLSXReader(),
        PPTXReader(),
        CSVReader(),
        DARTReader(),
    ]

    /// The document types, in the registry's order (txt, md, html, pdf, docx, hwpx, hwp, xlsx, pptx, csv, dart).
    public static var types: [String] { readers.map(\.type) }

    /// The reader of a file extension (any case), or nil when the format is not read.
    public static func reader(forExtension ext: String) -> (any DocumentReader)? {
        let ext = ext.lowercased()
        return readers.first { $0.extensions.contains(ext) }
    }

    /// The reader of a document type, or nil.
    public static func reader(forType type: String) -> (any DocumentReader)? {
        readers.first { $0.type == type }
    }
}
