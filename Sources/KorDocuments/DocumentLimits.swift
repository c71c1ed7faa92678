import Foundation

/// What reading one file may cost at most. A file beyond a limit is skipped with the limit named in its
/// reason, so one huge or hostile file never exhausts memory or stalls a run.
public struct DocumentLimits: Sendable, Equatable {
    /// The largest file read, in bytes (256 MiB). Larger files are skipped without being read or hashed.
    public var maxFileBytes: Int64 = 256 << 20
    /// The longest stored text of one document, in characters (Unicode scalars; 5,000,000, about 2,000
    /// pages of Korean). Longer documents are skipped: split such a file.
    public var maxTextCharacters = 5_000_000
    /// The most bytes a reader inflates out of one zip-based file (DOCX, HWPX, ...) in all (256 MiB); a zip
    /// bomb stops there.
    public var maxInflatedBytes: Int64 = 256 << 20
    /// The longest an external converter (pdftotext) may run on one file, in seconds (300).
    public var converterSeconds: Double = 300
    /// The most memory (address space) an external converter may use, in bytes (4 GiB).
    public var converterMemoryBytes: Int = 4 << 30
    /// The most characters a reader gathers from one file before its text is tidied (spaces collapsed,
    /// entities decoded), counted as it reads, a merged cell's text each time it is repeated (20,000,000: four
    /// times `maxTextCharacters`, room for the indentation of markup). A reader stops there, so a file of
    /// hundreds of megabytes of text costs time and memory for this much, not for all of it.
    public var maxGatheredCharacters = 20_000_000
    /// The most cells the tables of one document may lay out, all tables together (2,500,000). A cell costs
    /// at least two characters of stored text (its separator or line break), so a document with more could not
    /// be stored within `maxTextCharacters` anyway; the count is taken before a table's grid is built, so a
    /// declared span or a padded row never allocates past it.
    public var maxTableCells = 2_500_000
    /// The most columns of a table row kept (1,000); the cells past them are left out with a note.
    public var maxTableColumns = 1_000
    /// The deepest nesting read as structure (32): tables inside cells inside tables, sections inside
    /// sections, headings' levels. Deeper tables are read as text of the cell that holds them, deeper sections
    /// and headings at this level.
    public var maxNesting = 32
    /// The most entries a zip-based file (DOCX, HWPX, XLSX, PPTX, a DART zip) may list in its central directory
    /// (10,000), checked before any is read.
    public var maxArchiveEntries = 10_000
    /// The most pages of one PDF read by OCR (100): pages without a text layer, or whose text is not language,
    /// rendered by poppler and read by Tesseract (Korean and English); 0 reads none (`korsearch index --no-ocr`).
    public var maxOCRPages = 100
    /// The longest OCR may take on one PDF, all its pages together, in seconds (600). Pages past either limit
    /// are left out with a note.
    public var ocrSeconds: Double = 600

    /// The defaults.
    public init() {}

    /// The limits by the names the command line sets them with (`korsearch index --limit NAME=VALUE`), each with
    /// its default, in the order the docs list them.
    public static let names = [
        "file-bytes", "text-characters", "inflated-bytes", "gathered-characters", "table-cells", "table-columns", "nesting",
        "archive-entries", "converter-seconds", "converter-memory-bytes", "ocr-pages", "ocr-seconds",
    ]

    /// Sets the limit `name` (one of `names`) from `NAME=VALUE` text: a whole number (`_` and `,` allowed between
    /// digits; bytes may end in `KiB`, `MiB` or `GiB`), at least 1. Throws `DocumentFailure` naming what is wrong.
    public mutating func set(_ assignment: String) throws {
        let parts = assignment.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, DocumentLimits.names.contains(parts[0]) else {
            throw DocumentFailure("--limit takes NAME=VALUE, NAME one of \(DocumentLimits.names.joined(separator: ", ")); not \(assignment)")
        }
        let name = parts[0]
        var digits = parts[1].replacingOccurrences(of: "_", with: "").replacingOccurrences(of: ",", with: "")
        var unit: Int64 = 1
        for (suffix, size) in [("KiB", Int64(1) << 10), ("MiB", Int64(1) << 20), ("GiB", Int64(1) << 30)] where digits.hasSuffix(suffix) {
            guard name.hasSuffix("bytes") else { throw DocumentFailure("--limit \(name) is a count, not bytes: \(parts[1])") }
            digits = String(digits.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            unit = size
        }
        guard let number = Int64(digits), number >= 1, number.multipliedReportingOverflow(by: unit).overflow == false else {
            throw DocumentFailure("--limit \(name) must be a whole number of at least 1, not \(parts[1])")
        }
        let value = number * unit
        switch name {
        case "file-bytes": maxFileBytes = value
        case "text-characters": maxTextCharacters = Int(value)
        case "inflated-bytes": maxInflatedBytes = value
        case "gathered-characters": maxGatheredCharacters = Int(value)
        case "table-cells": maxTableCells = Int(value)
        case "table-columns": maxTableColumns = Int(value)
        case "nesting": maxNesting = Int(value)
        case "archive-entries": maxArchiveEntries = Int(value)
        case "converter-seconds": converterSeconds = Double(value)
        case "ocr-pages": maxOCRPages = Int(value)
        case "ocr-seconds": ocrSeconds = Double(value)
        default: converterMemoryBytes = Int(value)
        }
    }

    /// Bytes as people read them: `256 MiB`, `3.0 GiB`.
    static func describe(bytes: Int64) -> String {
        if bytes >= 1 << 30 { return String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
        if bytes >= 1 << 20 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}

/// What reading one file has cost so far, counted by its reader as it goes against the file's
/// `DocumentLimits`: the moment a count passes its limit the reader stops with a `DocumentFailure` naming it,
/// so memory stays proportional to the limits, never to a span, a count or a length the file declares. Also
/// collects the notes of what was left out within the limits (a row cut at `maxTableColumns`).
///
/// One budget belongs to one reading of one file, on one thread (`DocumentFile` makes it).
public final class ReadingBudget: @unchecked Sendable {
    /// The limits counted against.
    public let limits: DocumentLimits
    /// Characters gathered so far (see `DocumentLimits.maxGatheredCharacters`).
    public private(set) var characters = 0
    /// Table cells laid out so far (see `DocumentLimits.maxTableCells`).
    public private(set) var cells = 0
    /// The deepest nesting met, and how many times a nesting deeper than the limit was flattened.
    public private(set) var deepest = 0
    public private(set) var flattened = 0
    /// What was left out within the limits, one line each, in the order met.
    public private(set) var notes: [String] = []

    /// A budget with nothing spent.
    public init(limits: DocumentLimits = DocumentLimits()) { self.limits = limits }

    /// Counts `count` characters gathered; throws once they pass `maxGatheredCharacters`.
    @inline(__always)
    func gather(_ count: Int) throws {
        characters += count
        if characters > limits.maxGatheredCharacters { throw gatheredTooMuch() }
    }

    /// Whether more characters may still be gathered (for readers whose callbacks cannot throw: they stop
    /// gathering and ask `check()` at the end).
    func mayGather(_ count: Int) -> Bool {
        characters += count
        return characters <= limits.maxGatheredCharacters
    }

    /// Throws when a count has passed its limit.
    func check() throws {
        if characters > limits.maxGatheredCharacters { throw gatheredTooMuch() }
        if cells > limits.maxTableCells { throw tooManyCells(rows: nil, columns: nil) }
    }

    private func gatheredTooMuch() -> DocumentFailure {
        DocumentFailure(
            "it holds more than \(limits.maxGatheredCharacters) characters of text (DocumentLimits.maxGatheredCharacters); split the file")
    }

    /// Counts the cells of `rows` × `columns` (a cell read, a row's spans passed, a grid before it is built);
    /// throws when the document's tables together would pass `maxTableCells`.
    func layOut(rows: Int, columns: Int) throws {
        let (area, overflow) = rows.multipliedReportingOverflow(by: columns)
        cells = overflow ? Int.max : cells.addingReportingOverflow(area).overflow ? Int.max : cells + area
        if cells > limits.maxTableCells { throw tooManyCells(rows: rows, columns: columns) }
    }

    private func tooManyCells(rows: Int?, columns: Int?) -> DocumentFailure {
        let limit = "\(limits.maxTableCells) cells (DocumentLimits.maxTableCells); split the file"
        if let rows, let columns, rows.multipliedReportingOverflow(by: columns).partialValue > limits.maxTableCells || rows > limits.maxTableCells {
            return DocumentFailure("a table of \(rows) rows × \(columns) columns is more than \(limit)")
        }
        return DocumentFailure("its tables hold more than \(limit)")
    }

    /// Counts the characters of a text file that is all text (plain text, Markdown, CSV): refused before it
    /// is decoded when its size alone shows it holds more than `maxGatheredCharacters` (a character is at
    /// most four bytes), else decoded and counted.
    func gather(textFile data: Data, decode: () throws -> (text: String, encoding: String)) throws -> (text: String, encoding: String) {
        if data.count / 4 > limits.maxGatheredCharacters { throw gatheredTooMuch() }
        let decoded = try decode()
        try gather(decoded.text.unicodeScalars.count)
        return decoded
    }

    /// Whether structure at `depth` (1 the outermost) is read as structure; deeper is flattened, and counted.
    func nests(_ depth: Int) -> Bool {
        deepest = max(deepest, min(depth, limits.maxNesting + 1))
        if depth <= limits.maxNesting { return true }
        flattened += 1
        if flattened == 1 { note("structure nested deeper than \(limits.maxNesting) levels was flattened (DocumentLimits.maxNesting)") }
        return false
    }

    /// Notes something left out within the limits (each distinct note once).
    func note(_ text: String) {
        if !notes.contains(text) { notes.append(text) }
    }
}
