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

    /// 한빛전자: two quarterly reports, a half-year report and its amendment, an annual report; 푸른건설: an annual
    /// report, a quarterly report and a major-event report.
    public static let filings: [Filing] = [
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
