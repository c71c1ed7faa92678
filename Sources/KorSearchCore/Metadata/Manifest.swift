import Foundation

/// The metadata files at an indexed folder's root — OpenDART's `list.json` as downloaded, and a plain
/// `metadata.jsonl` — that say what its documents are. They are read on every run (a change to them updates
/// the documents' fields without re-embedding anything) and are not indexed as documents.
public struct Manifest: Sendable {
    /// The file names read at the folder's root.
    public static let fileNames: Set<String> = ["list.json", "metadata.jsonl"]

    /// `metadata.jsonl` entries by path.
    private var byPath: [String: FilingMetadata] = [:]
    /// `list.json` rows by receipt number.
    private var byReceipt: [String: FilingMetadata] = [:]
    /// Manifests that could not be read, with the reason (listed among the run's skipped files).
    public private(set) var problems: [SkippedFile] = []

    /// No entries.
    public init() {}

    /// Reads the manifests at a folder's root; one that cannot be read is a problem, not a failure of the run.
    public init(folder: URL) {
        let list = folder.appendingPathComponent("list.json")
        if FileManager.default.fileExists(atPath: list.path) {
            do { try readList(try Manifest.contents(list)) } catch { problems.append(SkippedFile(path: "list.json", reason: "\(error)")) }
        }
        let lines = folder.appendingPathComponent("metadata.jsonl")
        if FileManager.default.fileExists(atPath: lines.path) {
            do { try readLines(try Manifest.contents(lines)) } catch { problems.append(SkippedFile(path: "metadata.jsonl", reason: "\(error)")) }
        }
    }

    /// What the manifests say of a document: its `metadata.jsonl` entry, else the `list.json` row whose
    /// receipt number its file name holds; nil when neither does.
    public func entry(for path: String) -> FilingMetadata? {
        if let entry = byPath[path] { return entry }
        let name = (path as NSString).lastPathComponent
        guard !byReceipt.isEmpty, let match = name.range(of: #"(19|20)\d{12}"#, options: .regularExpression) else { return nil }
        return byReceipt[String(name[match])]
    }

    private static func contents(_ url: URL) throws -> Data {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size <= 64 << 20 else { throw KorSearchError(.invalidArgument, "larger than 64 MiB, the limit for a manifest") }
        let data = try Data(contentsOf: url)
        // Not replaced silently: a manifest's values are what filters match.
        guard String(validating: data, as: UTF8.self) != nil else { throw KorSearchError(.invalidArgument, "not UTF-8 text") }
        return data
    }

    /// OpenDART's list: `{"status": "000", "list": [{"corp_name", "corp_code", "stock_code", "report_nm",
    /// "rcept_no", "rcept_dt", ...}]}` (or the bare array).
    private mutating func readList(_ data: Data) throws {
        let object = try? JSONSerialization.jsonObject(with: data)
        guard let rows = (object as? [String: Any])?["list"] as? [[String: Any]] ?? object as? [[String: Any]] else {
            throw KorSearchError(.invalidArgument, "not an OpenDART list.json (no \"list\" of filings)")
        }
        for (number, row) in rows.enumerated() {
            let place = "filing \(number + 1) of its list"
            guard let receipt = try Manifest.string(row["rcept_no"], place), receipt.count == 14, receipt.allSatisfy(\.isNumber) else { continue }
            var entry = FilingMetadata(
                company: try Manifest.string(row["corp_name"], place), corpCode: try Manifest.string(row["corp_code"], place),
                stockCode: try Manifest.string(row["stock_code"], place), rceptNo: receipt)
            if let name = try Manifest.string(row["report_nm"], place) {
                let report = FilingMetadata.report(name: name)
                entry.reportType = report.type.isEmpty ? nil : report.type
                entry.period = report.period
                entry.amendment = report.amendment
            }
            entry.filed = Manifest.date(try Manifest.string(row["rcept_dt"], place) ?? String(receipt.prefix(8)))
            byReceipt[receipt] = entry
        }
    }

    /// One JSON object per line: `{"path": ..., "company": ..., "corp_code": ..., "stock_code": ...,
    /// "report_type": ..., "period": ..., "filed": ..., "rcept_no": ..., "amendment": ...}`; blank lines and `#` comments skipped.
    private mutating func readLines(_ data: Data) throws {
        // (The bytes are UTF-8: `contents` checked them.)
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any],
                let path = try Manifest.string(object["path"], "line \(number + 1)")
            else {
                throw KorSearchError(.invalidArgument, "line \(number + 1) is not a JSON object with a \"path\"")
            }
            let place = "line \(number + 1)"
            var entry = FilingMetadata(
                company: try Manifest.string(object["company"], place), corpCode: try Manifest.string(object["corp_code"], place),
                stockCode: try Manifest.string(object["stock_code"], place), reportType: try Manifest.string(object["report_type"], place),
                rceptNo: try Manifest.string(object["rcept_no"], place), amendment: try Manifest.string(object["amendment"], place))
            if let period = try Manifest.string(object["period"], place) {
                guard let normalized = FilingMetadata.period(period) else {
                    throw KorSearchError(.invalidArgument, "line \(number + 1): period \"\(period)\" is not YYYY, YYYY-H1/H2 or YYYY-Q1..Q4")
                }
                entry.period = normalized
            }
            if let filed = try Manifest.string(object["filed"], place) {
                guard let date = Manifest.date(filed) else {
                    throw KorSearchError(.invalidArgument, "line \(number + 1): filed \"\(filed)\" is not a date (YYYY-MM-DD)")
                }
                entry.filed = date
            }
            byPath[path] = entry
        }
    }

    /// A text value trimmed, nil when absent or empty; throws, naming `place`, for a value holding a control
    /// character (a NUL cut the facet column short while the stored JSON kept it whole).
    private static func string(_ value: Any?, _ place: String) throws -> String? {
        guard let text = (value as? String)?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let control = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            throw KorSearchError(
                .invalidArgument,
                "\(place): \(String(format: "U+%04X", control.value)) (a control character) in \"\(text.debugDescription.dropFirst().dropLast())\"")
        }
        return text
    }

    /// `YYYYMMDD` or `YYYY-MM-DD` as `YYYY-MM-DD` when it is a day of the calendar (`2024-02-30` is not), or nil.
    public static func date(_ text: String) -> String? {
        let digits = text.filter(\.isNumber)
        guard digits.count == 8, text.count == 8 || text.count == 10, let year = Int(digits.prefix(4)),
            let month = Int(digits.dropFirst(4).prefix(2)), (1 ... 12).contains(month),
            let day = Int(digits.suffix(2))
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1 ... days).contains(day) else { return nil }
        return "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))"
    }
}
