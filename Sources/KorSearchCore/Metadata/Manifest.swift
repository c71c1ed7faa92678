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
        return try Data(contentsOf: url)
    }

    /// OpenDART's list: `{"status": "000", "list": [{"corp_name", "corp_code", "stock_code", "report_nm",
    /// "rcept_no", "rcept_dt", ...}]}` (or the bare array).
    private mutating func readList(_ data: Data) throws {
        let object = try? JSONSerialization.jsonObject(with: data)
        guard let rows = (object as? [String: Any])?["list"] as? [[String: Any]] ?? object as? [[String: Any]] else {
            throw KorSearchError(.invalidArgument, "not an OpenDART list.json (no \"list\" of filings)")
        }
        for row in rows {
            guard let receipt = Manifest.string(row["rcept_no"]), receipt.count == 14, receipt.allSatisfy(\.isNumber) else { continue }
            var entry = FilingMetadata(
                company: Manifest.string(row["corp_name"]), corpCode: Manifest.string(row["corp_code"]),
                stockCode: Manifest.string(row["stock_code"]), rceptNo: receipt)
            if let name = Manifest.string(row["report_nm"]) {
                let report = FilingMetadata.report(name: name)
                entry.reportType = report.type.isEmpty ? nil : report.type
                entry.period = report.period
            }
            entry.filed = Manifest.date(Manifest.string(row["rcept_dt"]) ?? String(receipt.prefix(8)))
            byReceipt[receipt] = entry
        }
    }

    /// One JSON object per line: `{"path": ..., "company": ..., "corp_code": ..., "stock_code": ...,
    /// "report_type": ..., "period": ..., "filed": ..., "rcept_no": ...}`; blank lines and `#` comments skipped.
    private mutating func readLines(_ data: Data) throws {
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any],
                let path = Manifest.string(object["path"])
            else {
                throw KorSearchError(.invalidArgument, "line \(number + 1) is not a JSON object with a \"path\"")
            }
            var entry = FilingMetadata(
                company: Manifest.string(object["company"]), corpCode: Manifest.string(object["corp_code"]),
                stockCode: Manifest.string(object["stock_code"]), reportType: Manifest.string(object["report_type"]),
                rceptNo: Manifest.string(object["rcept_no"]))
            if let period = Manifest.string(object["period"]) {
                guard let normalized = FilingMetadata.period(period) else {
                    throw KorSearchError(.invalidArgument, "line \(number + 1): period \"\(period)\" is not YYYY, YYYY-H1/H2 or YYYY-Q1..Q4")
                }
                entry.period = normalized
            }
            if let filed = Manifest.string(object["filed"]) {
                guard let date = Manifest.date(filed) else {
                    throw KorSearchError(.invalidArgument, "line \(number + 1): filed \"\(filed)\" is not a date (YYYY-MM-DD)")
                }
                entry.filed = date
            }
            byPath[path] = entry
        }
    }

    private static func string(_ value: Any?) -> String? {
        guard let text = (value as? String)?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }

    /// `YYYYMMDD` or `YYYY-MM-DD` as `YYYY-MM-DD`, or nil.
    static func date(_ text: String) -> String? {
        let digits = text.filter(\.isNumber)
        guard digits.count == 8, text.count == 8 || text.count == 10,
            let month = Int(digits.dropFirst(4).prefix(2)), (1 ... 12).contains(month),
            let day = Int(digits.suffix(2)), (1 ... 31).contains(day)
        else { return nil }
        return "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))"
    }
}
