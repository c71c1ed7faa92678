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

    /// The defaults.
    public init() {}

    /// Bytes as people read them: `256 MiB`, `3.0 GiB`.
    static func describe(bytes: Int64) -> String {
        if bytes >= 1 << 30 { return String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
        if bytes >= 1 << 20 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
