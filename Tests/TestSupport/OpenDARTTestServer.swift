import Foundation
import ZIPFoundation

/// A fake OpenDART on a loopback port (`LoopbackHTTPServer`), serving team-written filings of three companies with
/// OpenDART's endpoints, fields and status codes: `corpCode.xml` (a zip of `CORPCODE.xml`), `list.json` (filing
/// search by company, days and detail type, paged), `document.xml` (a filing's zip). A key other than `key` is
/// status 010; the switches below make it answer 020 (request limit), HTTP 500, 014, or hold an answer back.
public final class OpenDARTTestServer: @unchecked Sendable {
    /// A filing it serves.
    public struct Filing: Sendable {
        public let corpCode: String
        public let company: String
        public let stockCode: String
        public let reportName: String
        public let rceptNo: String
        /// `A001` and so on.
        public let detailType: String
        /// The body text of its document.
        public let text: String
    }

    /// The key it accepts.
    public static let key = "0123456789abcdef0123456789abcdef01234567"

    /// 한빛전자 (listed), 푸른건설 (listed), 한빛전자서비스 (unlisted).
    public static let companies: [(code: String, name: String, stock: String)] = [
        ("00991234", "한빛전자", "123450"), ("00887766", "푸른건설", "045670"), ("00991299", "한빛전자서비스", ""),
    ]

    /// 한빛전자: two quarterly reports, a half-year report and its amendment, annual reports for 2021–2023;
    /// 푸른건설: annual reports for 2021–2023, a quarterly report and a major-event report.
    public static let filings: [Filing] = [
        Filing(
            corpCode: "00991234", company: "한빛전자", stockCode: "123450", reportName: "사업보고서 (2021.12)", rceptNo: "20220321000100",
            detailType: "A001", text: "2021년 연간 영업이익은 6,500억 원이다."),
        Filing(
            corpCode: "00991234", company: "한빛전자", stockCode: "123450", reportName: "사업보고서 (2022.12)", rceptNo: "20230320000100",
            detailType: "A001", text: "2022년 연간 영업이익은 7,300억 원이다."),
        Filing(
            corpCode: "00887766", company: "푸른건설", stockCode: "045670", reportName: "사업보고서 (2021.12)", rceptNo: "20220323000200",
            detailType: "A001", text: "2021년 영업손익은 1,150억 원이다."),
        Filing(
            corpCode: "00887766", company: "푸른건설", stockCode: "045670", reportName: "사업보고서 (2022.12)", rceptNo: "20230322000200",
            detailType: "A001", text: "2022년 영업손익은 980억 원이다."),
        Filing(
            corpCode: "00991234", company: "한빛전자", stockCode: "123450", reportName: "사업보고서 (2023.12)", rceptNo: "20240318000456",
            detailType: "A001", text: "2023년 연간 영업이익은 8,112억 원이다. 반도체 부문 매출이 늘었다."),
        Filing(
            corpCode: "00991234", company: "한빛전자", stockCode: "123450", reportName: "분기보고서 (2024.03)", rceptNo: "20240514000111",
            detailType: "A003", text: "1분기 영업이익은 2,104억 원이다. 재고 자산을 줄였다."),
        Filing(
            corpCode: "00991234", company: "한빛전자", stockCode: "123450", reportName: "반기보고서 (2024.06)", rceptNo: "20240814000123",
            detailType: "A002", text: "반기 영업이익은 5,376억 원이다. 유동성 위험을 점검하였다."),
        Filing(
            corpCode: "00991234", company: "한빛전자", stockCode: "123450", reportName: "[기재정정]반기보고서 (2024.06)",
            rceptNo: "20240910000222", detailType: "A002", text: "정정 후 반기 영업이익은 5,412억 원이다. 유동성 위험을 점검하였다."),
        Filing(
            corpCode: "00991234", company: "한빛전자", stockCode: "123450", reportName: "분기보고서 (2024.09)", rceptNo: "20241113000321",
            detailType: "A003", text: "3분기 누적 영업이익은 8,790억 원이다. 설비 투자를 늘렸다."),
        Filing(
            corpCode: "00887766", company: "푸른건설", stockCode: "045670", reportName: "사업보고서 (2023.12)", rceptNo: "20240320000999",
            detailType: "A001", text: "2023년 PF 보증 잔액은 9,020억 원이다. 분양률이 낮아졌다."),
        Filing(
            corpCode: "00887766", company: "푸른건설", stockCode: "045670", reportName: "분기보고서 (2024.09)", rceptNo: "20241114000789",
            detailType: "A003", text: "PF 보증 잔액은 8,210억 원이다. 유동성 위험을 점검하였다."),
        Filing(
            corpCode: "00887766", company: "푸른건설", stockCode: "045670", reportName: "주요사항보고서(자기주식취득결정)",
            rceptNo: "20241120000654", detailType: "B001", text: "자기주식 300억 원어치를 취득하기로 결정하였다."),
    ]

    /// The statements served (`fnlttSinglAcntAll`), in 억 원 by company, business year and report code: sales,
    /// operating income and net income (IS) and total assets (BS). 한빛전자 reports consolidated and separate
    /// statements (separate at 80%); 푸른건설 separate only (its whole figures), naming its operating line 영업손익.
    public static let statements: [String: [Int: [String: (sales: Int64, operating: Int64, net: Int64, assets: Int64)]]] = [
        "00991234": [
            2021: ["11011": (52_000, 6_500, 4_900, 91_000)], 2022: ["11011": (58_000, 7_300, 5_400, 98_000)],
            2023: ["11011": (61_000, 8_112, 6_020, 104_000)],
            2024: ["11013": (15_800, 2_104, 1_560, 106_000), "11012": (31_900, 5_412, 3_990, 109_000), "11014": (47_300, 8_790, 6_480, 111_000)],
        ],
        "00887766": [
            2021: ["11011": (21_000, 1_150, 640, 35_000)], 2022: ["11011": (22_400, 980, 410, 36_500)],
            2023: ["11011": (23_100, -320, -510, 37_200)], 2024: ["11014": (16_200, 210, -90, 37_900)],
        ],
    ]

    /// The amount in won a statement line of the fake OpenDART has (`statements`, 억 원 × 10^8; 한빛전자's separate
    /// statements at 80%, `consolidated: false`).
    public static func won(_ 억: Int64, consolidated: Bool) -> Int64 { (consolidated ? 억 : 억 * 8 / 10) * 100_000_000 }

    private let lock = NSLock()
    private var server: LoopbackHTTPServer!
    private var _rateLimitNext = 0
    private var _failNext = 0
    private var _missing: Set<String> = []
    private var _hold: String?
    private var _held = false
    private var _release = DispatchSemaphore(value: 0)

    /// Filings per `list.json` page at most, whatever `page_count` asks (small, so paging is exercised).
    public let pageSize: Int

    /// Starts the server.
    public init(pageSize: Int = 2) throws {
        self.pageSize = pageSize
        server = try LoopbackHTTPServer { [unowned self] request in self.respond(to: request) }
    }

    /// The API root (`…/api`).
    public var endpoint: String { server.endpoint + "/api" }
    public func stop() {
        release()
        server.stop()
    }
    /// The requests received so far.
    public var recorded: [LoopbackHTTPServer.Request] { server.recorded }
    /// The receipt numbers whose documents were asked for, in order.
    public var documentRequests: [String] { recorded.filter { $0.route == "/api/document.xml" }.compactMap { $0.query["rcept_no"] } }

    /// The next this many requests are answered with status 020.
    public func rateLimit(next count: Int) { lock.withLock { _rateLimitNext = count } }
    /// The next this many requests fail with HTTP 500.
    public func fail(next count: Int) { lock.withLock { _failNext = count } }
    /// These filings' documents are status 014 (no file).
    public func withhold(_ receipts: Set<String>) { lock.withLock { _missing = receipts } }
    /// The document of this filing is held back until `release()` (or 20 s) once its request arrives.
    public func hold(_ receipt: String) { lock.withLock { _hold = receipt } }
    /// Whether the held document's request has arrived.
    public var isHolding: Bool { lock.withLock { _held } }
    /// Lets a held answer go.
    public func release() { _release.signal() }

    private func respond(to request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        let query = request.query
        let status: (limited: Bool, fail: Bool) = lock.withLock {
            defer {
                if _rateLimitNext > 0 { _rateLimitNext -= 1 } else if _failNext > 0 { _failNext -= 1 }
            }
            return (_rateLimitNext > 0, _rateLimitNext == 0 && _failNext > 0)
        }
        if status.fail { return .init(status: "500 Internal Server Error", headers: ["Content-Length": "0"]) }
        let zipAPI = request.route.hasSuffix(".xml")
        func answer(_ code: String, _ message: String) -> LoopbackHTTPServer.Response {
            if zipAPI {
                return .init(
                    headers: ["Content-Type": "application/xml;charset=UTF-8"],
                    body: Data(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><result><status>\(code)</status><message>\(message)</message></result>".utf8))
            }
            return json(["status": code, "message": message])
        }
        guard query["crtfc_key"] == OpenDARTTestServer.key else { return answer("010", "등록되지 않은 키입니다.") }
        if status.limited { return answer("020", "요청 제한을 초과하였습니다.") }
        switch request.route {
        case "/api/corpCode.xml":
            var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<result>\n"
            for company in OpenDARTTestServer.companies {
                xml +=
                    "<list><corp_code>\(company.code)</corp_code><corp_name>\(company.name)</corp_name><corp_eng_name>Co &amp; Ltd</corp_eng_name><stock_code>\(company.stock.isEmpty ? " " : company.stock)</stock_code><modify_date>20240101</modify_date></list>\n"
            }
            return zip(["CORPCODE.xml": xml + "</result>\n"])
        case "/api/list.json":
            let begin = query["bgn_de"] ?? "00000000"
            let end = query["end_de"] ?? "99999999"
            let matching = OpenDARTTestServer.filings.filter {
                (query["corp_code"] == nil || $0.corpCode == query["corp_code"])
                    && (query["pblntf_detail_ty"] == nil || $0.detailType == query["pblntf_detail_ty"])
                    && $0.rceptNo.prefix(8) >= begin && $0.rceptNo.prefix(8) <= end
            }.sorted { $0.rceptNo > $1.rceptNo }
            guard !matching.isEmpty else { return answer("013", "조회된 데이타가 없습니다.") }
            let perPage = min(pageSize, Int(query["page_count"] ?? "10") ?? 10)
            let page = Int(query["page_no"] ?? "1") ?? 1
            let pages = (matching.count + perPage - 1) / perPage
            let rows = matching.dropFirst((page - 1) * perPage).prefix(perPage).map { filing -> [String: Any] in
                [
                    "corp_cls": "Y", "corp_name": filing.company, "corp_code": filing.corpCode, "stock_code": filing.stockCode,
                    "report_nm": filing.reportName, "rcept_no": filing.rceptNo, "flr_nm": filing.company,
                    "rcept_dt": String(filing.rceptNo.prefix(8)), "rm": "",
                ]
            }
            return json([
                "status": "000", "message": "정상", "page_no": page, "page_count": perPage, "total_count": matching.count,
                "total_page": pages, "list": rows,
            ])
        case "/api/document.xml":
            guard let receipt = query["rcept_no"], let filing = OpenDARTTestServer.filings.first(where: { $0.rceptNo == receipt }) else {
                return answer("014", "파일이 존재하지 않습니다.")
            }
            if lock.withLock({ _missing.contains(receipt) }) { return answer("014", "파일이 존재하지 않습니다.") }
            if lock.withLock({ _hold == receipt }) {
                lock.withLock { _held = true }
                _ = _release.wait(timeout: .now() + 20)
                lock.withLock { _hold = nil }
            }
            return zip(["\(receipt).xml": OpenDARTTestServer.document(filing)])
        case "/api/fnlttSinglAcntAll.json":
            let code = query["corp_code"] ?? "", report = query["reprt_code"] ?? "", consolidated = query["fs_div"] == "CFS"
            guard let year = Int(query["bsns_year"] ?? ""), ["CFS", "OFS"].contains(query["fs_div"] ?? ""),
                let lines = OpenDARTTestServer.statements[code]?[year]?[report], consolidated ? code == "00991234" : true
            else { return answer("013", "조회된 데이타가 없습니다.") }
            let previous = OpenDARTTestServer.statements[code]?[year - 1]?["11011"]
            // The latest filing of the period: the amendment over the original.
            let receipt =
                OpenDARTTestServer.filings.filter {
                    $0.corpCode == code && $0.detailType.hasPrefix("A")
                        && $0.reportName.contains(
                            report == "11011"
                                ? "(\(year).12)" : report == "11012" ? "(\(year).06)" : report == "11013" ? "(\(year).03)" : "(\(year).09)")
                }.map(\.rceptNo).max() ?? ""
            func amount(_ value: Int64?) -> String {
                guard let value else { return "" }
                let formatter = NumberFormatter()
                formatter.numberStyle = .decimal
                formatter.locale = Locale(identifier: "en_US")
                // A company without consolidated statements reports its whole figures separately.
                return formatter.string(from: NSNumber(value: OpenDARTTestServer.won(value, consolidated: consolidated || code == "00887766"))) ?? ""
            }
            let operating = code == "00887766" ? "영업손익" : "영업이익(손실)"
            let rows: [(String, String, String, Int64, Int64?)] = [
                ("BS", "ifrs-full_Assets", "자산총계", lines.assets, previous?.assets),
                ("IS", "ifrs-full_Revenue", "매출액", lines.sales, previous?.sales),
                ("IS", "dart_OperatingIncomeLoss", operating, lines.operating, previous?.operating),
                ("IS", "ifrs-full_ProfitLoss", "당기순이익(손실)", lines.net, previous?.net),
            ]
            return json([
                "status": "000", "message": "정상",
                "list": rows.enumerated().map { order, row -> [String: Any] in
                    [
                        "rcept_no": receipt, "reprt_code": report, "bsns_year": "\(year)", "corp_code": code, "sj_div": row.0,
                        "sj_nm": row.0 == "BS" ? "재무상태표" : "손익계산서", "account_id": row.1, "account_nm": row.2, "account_detail": "-",
                        "thstrm_nm": "제 \(year - 1960) 기", "thstrm_amount": amount(row.3), "frmtrm_nm": "제 \(year - 1961) 기",
                        "frmtrm_amount": amount(row.4), "ord": "\(order + 1)", "currency": "KRW",
                    ]
                },
            ])
        default:
            return .init(status: "404 Not Found", headers: ["Content-Length": "0"])
        }
    }

    /// The DART markup of a filing's main document.
    public static func document(_ filing: Filing) -> String {
        let report = reportParts(filing.reportName)
        return FilingFolder.dartXML(
            company: filing.company + "㈜", corpCode: filing.corpCode, acode: "11011", report: report.type, from: report.from, to: report.to,
            body: filing.text)
    }

    private func json(_ object: [String: Any]) -> LoopbackHTTPServer.Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return .init(headers: ["Content-Type": "application/json;charset=UTF-8", "Content-Length": "\(data.count)"], body: data)
    }

    private func zip(_ entries: [String: String]) -> LoopbackHTTPServer.Response {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("opendart-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: file) }
        guard (try? FilingFolder.zip(file, entries)) != nil, let data = try? Data(contentsOf: file) else {
            return .init(status: "500 Internal Server Error", headers: ["Content-Length": "0"])
        }
        return .init(headers: ["Content-Type": "application/x-msdownload", "Content-Length": "\(data.count)"], body: data)
    }

    /// The report kind and days a team-written `report_nm` stands for (`반기보고서 (2024.06)` → 반기보고서,
    /// 2024-01-01 … 2024-06-30).
    private static func reportParts(_ name: String) -> (type: String, from: String, to: String) {
        var type = name.replacingOccurrences(of: #"^\[[^\]]*\]"#, with: "", options: .regularExpression)
        guard let range = type.range(of: #"\((\d{4})\.(\d{2})\)"#, options: .regularExpression) else { return (type, "20240101", "20241231") }
        let digits = type[range].filter(\.isNumber)
        type.removeSubrange(range)
        let year = digits.prefix(4)
        let month = Int(digits.suffix(2)) ?? 12
        let last = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (type.trimmingCharacters(in: .whitespaces), "\(year)0101", "\(year)\(String(format: "%02d", month))\(last)")
    }
}
