import Foundation
import KorSearchCore

/// A kind of DART report as OpenDART's filing search names it (`pblntf_detail_ty`): `A001` 사업보고서 and so on.
public struct DARTReportKind: Sendable, Equatable, Hashable {
    /// OpenDART's detail type code (`A001`).
    public let code: String
    /// The report's name (`사업보고서`), or the code for a kind not in `known`.
    public let name: String

    /// The kinds known by name: the periodic reports, the major-event report and the audit reports.
    public static let known: [DARTReportKind] = [
        DARTReportKind(code: "A001", name: "사업보고서"), DARTReportKind(code: "A002", name: "반기보고서"),
        DARTReportKind(code: "A003", name: "분기보고서"), DARTReportKind(code: "A004", name: "등록법인결산서류"),
        DARTReportKind(code: "B001", name: "주요사항보고서"), DARTReportKind(code: "B002", name: "주요경영사항신고"),
        DARTReportKind(code: "F001", name: "감사보고서"), DARTReportKind(code: "F002", name: "연결감사보고서"),
        DARTReportKind(code: "I001", name: "수시공시"), DARTReportKind(code: "I002", name: "공정공시"),
    ]

    /// What `sync` fetches unless told otherwise: the periodic reports and 주요사항보고서.
    public static let defaults = Array(known.filter { ["A001", "A002", "A003", "B001"].contains($0.code) })

    private init(code: String, name: String) {
        self.code = code
        self.name = name
    }

    /// The kind a name (`사업보고서`) or a detail type code (`A001`, any letter A–J and three digits) stands for.
    public init(_ text: String) throws {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let kind = DARTReportKind.known.first(where: { $0.name == text || $0.code == text.uppercased() }) {
            self = kind
        } else if text.range(of: #"^[A-Ja-j]\d{3}$"#, options: .regularExpression) != nil {
            self.init(code: text.uppercased(), name: text.uppercased())
        } else {
            throw KorSearchError(
                .invalidArgument,
                "\(text) is not a report kind: give one of \(DARTReportKind.known.map { "\($0.name) (\($0.code))" }.joined(separator: ", ")) or another of OpenDART's detail type codes",
                parameter: "kind")
        }
    }
}

/// What `korsearch dart sync` fetches: whose filings, of which kinds, filed between which days.
public struct DARTSyncRequest: Sendable {
    /// Companies by name, 8-digit corp code or 6-character stock code.
    public var companies: [String]
    /// The report kinds.
    public var kinds: [DARTReportKind] = DARTReportKind.defaults
    /// The first and last filing day, `YYYY-MM-DD`.
    public var since: String
    public var until: String
    /// Whether the periodic reports' financial statements are fetched into `financials.jsonl`.
    public var financials = true

    /// A request; `since`/`until` as `YYYY-MM-DD` or `YYYYMMDD`, by default the three years up to today (in Korea).
    public init(
        companies: [String], kinds: [DARTReportKind] = DARTReportKind.defaults, since: String? = nil, until: String? = nil, today: Date = Date()
    ) throws {
        guard !companies.isEmpty else {
            throw KorSearchError(.invalidArgument, "name at least one company with --corp (a name, a corp code or a stock code)", parameter: "corp")
        }
        self.companies = companies
        self.kinds = kinds.isEmpty ? DARTReportKind.defaults : kinds
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Seoul") ?? .current
        let formatter = DateFormatter()
        formatter.calendar = calendar
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Seoul")
        formatter.dateFormat = "yyyy-MM-dd"
        func day(_ text: String?, _ name: String, _ otherwise: Date) throws -> String {
            guard let text else { return formatter.string(from: otherwise) }
            guard let day = Manifest.date(text.trimmingCharacters(in: .whitespaces)) else {
                throw KorSearchError(.invalidArgument, "--\(name) \(text) is not a day (YYYY-MM-DD)", parameter: name)
            }
            return day
        }
        self.until = try day(until, "until", today)
        let threeYears = calendar.date(byAdding: .year, value: -3, to: formatter.date(from: self.until) ?? today) ?? today
        self.since = try day(since, "since", threeYears)
        guard self.since <= self.until else {
            throw KorSearchError(.invalidArgument, "--since \(self.since) is after --until \(self.until)", parameter: "since")
        }
    }
}

/// What a sync did.
public struct DARTSyncSummary: Sendable, Codable, Equatable {
    /// A filing OpenDART lists but would not send, and why.
    public struct Unavailable: Sendable, Codable, Equatable {
        public var rceptNo: String
        public var reason: String
        enum CodingKeys: String, CodingKey { case rceptNo = "rcept_no", reason }
    }

    /// The companies synced, as `DARTCompany.described` writes them.
    public var companies: [String] = []
    /// Filings OpenDART lists for the request.
    public var listed = 0
    /// Of those, amended filings (정정), kept beside their originals.
    public var amended = 0
    /// Filings downloaded by this run.
    public var fetched = 0
    /// Filings already in the folder from an earlier run (not fetched again).
    public var present = 0
    /// Filings OpenDART listed but did not send.
    public var unavailable: [Unavailable] = []
    /// Rows the folder's `list.json` gained.
    public var manifestAdded = 0
    /// Periods of financial statements fetched (a company's annual, half-year or quarterly report), and the
    /// facts (statement lines) written for them to `financials.jsonl`.
    public var statements = 0
    public var facts = 0
    /// Requests sent to OpenDART, retries included.
    public var requests = 0
    /// Whether the run stopped early when asked (Ctrl-C); what it fetched is kept.
    public var stopped = false

    enum CodingKeys: String, CodingKey {
        case companies, listed, amended, fetched, present, unavailable, stopped, requests, statements, facts
        case manifestAdded = "manifest_added"
    }
}

/// Brings a folder up to date with OpenDART: the filings of some companies, kinds and days saved as
/// `FOLDER/dart/{corp_code}/{rcept_no}.zip` (the `document.xml` zips the indexer reads), their rows merged into
/// `FOLDER/list.json` (the manifest the indexer reads their metadata from), the periodic reports' financial
/// statements in `FOLDER/financials.jsonl` (the facts the indexer reads), the corp-code list cached in
/// `FOLDER/dart/.corpCode.zip`. A filing already in the folder is not fetched again; each file is renamed into
/// place whole, so a run stopped at any point (Ctrl-C, a kill, a lost connection) is resumed by running it again.
public struct DARTSync {
    /// What a sync reports as it goes.
    public enum Event: Sendable {
        /// A company's filings were listed (how many of them, how many are new).
        case listed(DARTCompany, filings: Int, new: Int)
        /// A filing was downloaded (`done` of `total` new ones).
        case fetched(rceptNo: String, report: String, done: Int, total: Int)
        /// A filing could not be had.
        case unavailable(rceptNo: String, reason: String)
        /// A period's financial statements were fetched (how many statement lines).
        case statements(DARTCompany, period: String, facts: Int)
    }

    /// The folder synced.
    public let folder: URL
    /// The API client.
    public let client: OpenDART

    /// A sync of `folder` through `client`.
    public init(folder: URL, client: OpenDART) {
        self.folder = folder
        self.client = client
    }

    /// The most filing-search pages read for one company and kind (100 filings a page).
    static let maxPages = 200

    /// Syncs what `request` asks for; `stop` is checked between filings.
    public func run(
        _ request: DARTSyncRequest, stop: IndexStop = IndexStop(), warn: (String) -> Void = { _ in }, progress: (Event) -> Void = { _ in }
    ) throws -> DARTSyncSummary {
        var summary = DARTSyncSummary()
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), !isFolder.boolValue {
            throw KorSearchError(.invalidArgument, "\(folder.path) is a file, not a folder to sync into")
        }
        let dart = folder.appendingPathComponent("dart")
        try FileManager.default.createDirectory(at: dart, withIntermediateDirectories: true)
        // Read before anything is fetched: a manifest that cannot be read is the user's, never replaced.
        var manifest = try DARTManifest(file: folder.appendingPathComponent("list.json"))
        let codes = try CorpCodeList.cached(in: dart, client: client, warn: warn)
        var companies: [DARTCompany] = []
        for name in request.companies {
            let company = try codes.company(name)
            if !companies.contains(company) { companies.append(company) }
        }
        summary.companies = companies.map(\.described)
        var wanted: [[String: Any]] = []
        var missing: [[String: Any]] = []
        for company in companies {
            var rows: [[String: Any]] = []
            for kind in request.kinds { rows += try filings(of: company, kind: kind, request) }
            var seen = Set<String>()
            rows = rows.filter { seen.insert($0["rcept_no"] as? String ?? "").inserted }
            let absent = rows.filter { !FileManager.default.fileExists(atPath: path(of: $0).path) }
            summary.manifestAdded += manifest.merge(rows)
            // The manifest first: a filing fetched later always has its metadata beside it.
            try manifest.write()
            progress(.listed(company, filings: rows.count, new: absent.count))
            wanted += rows
            missing += absent
        }
        summary.listed = wanted.count
        summary.amended = wanted.filter { FilingMetadata.report(name: $0["report_nm"] as? String ?? "").amendment != nil }.count
        summary.present = wanted.count - missing.count
        for row in missing {
            if stop.isRequested {
                summary.stopped = true
                break
            }
            let receipt = row["rcept_no"] as? String ?? ""
            let file = path(of: row)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            do {
                try client.zip("document.xml", [("rcept_no", receipt)], to: file)
                summary.fetched += 1
                progress(.fetched(rceptNo: receipt, report: row["report_nm"] as? String ?? "", done: summary.fetched, total: missing.count))
            } catch let error as KorSearchError where error.kind == .notFound {
                summary.unavailable.append(.init(rceptNo: receipt, reason: error.message))
                progress(.unavailable(rceptNo: receipt, reason: error.message))
            }
        }
        if request.financials, !summary.stopped {
            let financials = DARTFinancials(folder: folder, client: client)
            let written = try financials.sync(DARTFinancials.periods(of: wanted, companies: companies), stop: stop, progress: progress)
            summary.statements = written.periods
            summary.facts = written.facts
            summary.stopped = stop.isRequested
        }
        summary.requests = client.requestCount
        return summary
    }

    /// Where a listed filing is saved: `dart/{corp_code}/{rcept_no}.zip`.
    func path(of row: [String: Any]) -> URL {
        folder.appendingPathComponent("dart").appendingPathComponent(row["corp_code"] as? String ?? "unknown")
            .appendingPathComponent("\(row["rcept_no"] as? String ?? "unknown").zip")
    }

    /// Every page of OpenDART's filing search for one company and kind (originals and amendments alike);
    /// none when OpenDART has none (status 013). Rows without a well-formed receipt number or corp code are left out.
    private func filings(of company: DARTCompany, kind: DARTReportKind, _ request: DARTSyncRequest) throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        var page = 1
        while page <= DARTSync.maxPages {
            let answer: [String: Any]
            do {
                answer = try client.json(
                    "list.json",
                    [
                        ("corp_code", company.corpCode), ("bgn_de", request.since.filter(\.isNumber)), ("end_de", request.until.filter(\.isNumber)),
                        ("pblntf_detail_ty", kind.code), ("last_reprt_at", "N"), ("page_no", "\(page)"), ("page_count", "100"),
                    ])
            } catch let error as KorSearchError where error.code == "013" {
                return rows
            }
            let list = answer["list"] as? [[String: Any]] ?? []
            for row in list {
                guard let receipt = row["rcept_no"] as? String, receipt.count == 14, receipt.allSatisfy({ $0.isASCII && $0.isNumber }),
                    let code = row["corp_code"] as? String, code.count == 8, code.allSatisfy({ $0.isASCII && $0.isNumber })
                else { continue }
                rows.append(row)
            }
            let pages = (answer["total_page"] as? Int) ?? Int(answer["total_page"] as? String ?? "") ?? 1
            if list.isEmpty || page >= pages { break }
            page += 1
        }
        return rows
    }
}

/// A folder's OpenDART `list.json` as `sync` keeps it: the rows it had, with the rows of the filings listed
/// merged in by receipt number, newest first.
struct DARTManifest {
    let file: URL
    private var top: [String: Any] = ["status": "000", "message": "정상"]
    private var rows: [[String: Any]] = []
    /// Where each receipt number's row is in `rows`.
    private var places: [String: Int] = [:]

    /// The manifest at `file`, empty when there is none; one that is not an OpenDART list is refused.
    init(file: URL) throws {
        self.file = file
        guard FileManager.default.fileExists(atPath: file.path) else { return }
        let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: file))
        if let array = object as? [[String: Any]] {
            rows = array
        } else if let dictionary = object as? [String: Any], let list = dictionary["list"] as? [[String: Any]] {
            top = dictionary
            rows = list
        } else {
            throw KorSearchError(
                .invalidArgument, "\(file.path) is not an OpenDART list.json (no \"list\" of filings); move it aside to sync into this folder")
        }
        for (place, row) in rows.enumerated() { if let receipt = row["rcept_no"] as? String { places[receipt] = place } }
    }

    /// Adds the rows whose receipt numbers it lacks and replaces those it has (OpenDART's `rm` gains `정` when a
    /// filing is later amended); returns how many it added.
    mutating func merge(_ new: [[String: Any]]) -> Int {
        var added = 0
        for row in new {
            guard let receipt = row["rcept_no"] as? String else { continue }
            if let place = places[receipt] {
                rows[place] = row
            } else {
                places[receipt] = rows.count
                rows.append(row)
                added += 1
            }
        }
        return added
    }

    /// Writes it in one step (a temporary file renamed over the old one).
    func write() throws {
        var object = top
        object["list"] = rows.sorted { ($0["rcept_no"] as? String ?? "") > ($1["rcept_no"] as? String ?? "") }
        object["total_count"] = rows.count
        for paging in ["page_no", "page_count", "total_page"] { object.removeValue(forKey: paging) }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".list.json.part")
        try data.write(to: temporary)
        try AtomicFile.syncAndRename(temporary, to: file, role: "the folder's list.json", kind: .catalog)
    }
}
