import Foundation
import KorSearchCore
import KorSearchTestSupport
import XCTest

@testable import KorSearchDART

/// `DARTSync` against a fake OpenDART on loopback (`OpenDARTTestServer`): what it fetches, where it puts it,
/// the manifest it merges, and how it meets OpenDART's failures — a refused key, the request limit, a server
/// error mid-run, a filing it will not send, no network — without ever losing or half-writing a file.
final class DARTSyncTests: XCTestCase {
    private var server: OpenDARTTestServer!

    override func setUpWithError() throws {
        server = try OpenDARTTestServer(pageSize: 1)
    }

    override func tearDown() {
        server.stop()
    }

    private func client(key: String = OpenDARTTestServer.key) throws -> OpenDART {
        let client = try OpenDART(key: key, endpoint: server.endpoint)
        client.backoff = { _ in 0.01 }
        client.pace = 0
        return client
    }

    private let year2024 = { try! DARTSyncRequest(companies: ["한빛전자", "045670"], since: "2024-01-01", until: "20241231") }()

    private func receipts(in folder: URL) -> Set<String> {
        let files = FileManager.default.enumerator(atPath: folder.appendingPathComponent("dart").path)?.allObjects as? [String] ?? []
        return Set(
            files.filter { $0.hasSuffix(".zip") && !($0 as NSString).lastPathComponent.hasPrefix(".") }.map { ($0 as NSString).lastPathComponent })
    }

    /// The filings of `year2024`: those filed in 2024.
    private var filed2024: [OpenDARTTestServer.Filing] { OpenDARTTestServer.filings.filter { $0.rceptNo.hasPrefix("2024") } }
    private var allReceipts: Set<String> { Set(filed2024.map { "\($0.rceptNo).zip" }) }

    func testSyncFetchesEveryFilingPageByPageAndMergesTheManifest() throws {
        let folder = try temporaryFolder()
        let summary = try DARTSync(folder: folder, client: try client()).run(year2024)
        XCTAssertEqual(summary.companies, ["한빛전자 (corp code 00991234, stock code 123450)", "푸른건설 (corp code 00887766, stock code 045670)"])
        XCTAssertEqual(summary.listed, 8)
        XCTAssertEqual(summary.amended, 1)
        XCTAssertEqual(summary.fetched, 8)
        XCTAssertEqual(summary.present, 0)
        XCTAssertEqual(summary.manifestAdded, 8)
        XCTAssertEqual(receipts(in: folder), allReceipts)
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: folder.appendingPathComponent("dart/00991234/20240910000222.zip").path),
            "the amendment is kept beside its original, under its company's corp code")
        // One filing a page: the two quarterly reports of 한빛전자 took two pages.
        let pages = server.recorded.filter {
            $0.route == "/api/list.json" && $0.query["corp_code"] == "00991234" && $0.query["pblntf_detail_ty"] == "A003"
        }
        XCTAssertEqual(pages.map { $0.query["page_no"] }, ["1", "2"])
        XCTAssertEqual(pages.first?.query["bgn_de"], "20240101")
        XCTAssertEqual(pages.first?.query["last_reprt_at"], "N", "originals are asked for beside their amendments")
        // Each saved zip is the filing OpenDART sent: its document reads.
        let saved = try Data(contentsOf: folder.appendingPathComponent("dart/00887766/20241120000654.zip"))
        XCTAssertEqual(saved.prefix(2), Data("PK".utf8))

        // The manifest: OpenDART's rows, newest first, which the indexer reads the metadata from.
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("list.json"))) as? [String: Any])
        let rows = try XCTUnwrap(list["list"] as? [[String: Any]])
        XCTAssertEqual(rows.compactMap { $0["rcept_no"] as? String }, filed2024.map(\.rceptNo).sorted(by: >))
        let manifest = Manifest(folder: folder)
        XCTAssertTrue(manifest.problems.isEmpty)
        XCTAssertEqual(
            manifest.entry(for: "dart/00991234/20240910000222.zip"),
            FilingMetadata(
                company: "한빛전자", corpCode: "00991234", stockCode: "123450", reportType: "반기보고서", period: "2024-H1", filed: "2024-09-10",
                rceptNo: "20240910000222", amendment: "기재정정"))
        XCTAssertNil(manifest.entry(for: "dart/00991234/20240814000123.zip")?.amendment, "the original is not marked")

        // A second run fetches nothing and asks for no corp-code list (cached for a day).
        let before = server.recorded.count
        let again = try DARTSync(folder: folder, client: try client()).run(year2024)
        XCTAssertEqual(again.fetched, 0)
        XCTAssertEqual(again.present, 8)
        XCTAssertEqual(again.manifestAdded, 0)
        let second = server.recorded.dropFirst(before)
        XCTAssertFalse(second.contains { $0.route == "/api/document.xml" || $0.route == "/api/corpCode.xml" }, "\(second.map(\.route))")
    }

    func testAStoppedRunKeepsWhatItFetchedAndTheNextRunFetchesOnlyTheRest() throws {
        let folder = try temporaryFolder()
        let stop = IndexStop()
        let first = try DARTSync(folder: folder, client: try client()).run(
            year2024, stop: stop,
            progress: { event in
                if case .fetched(_, _, let done, _) = event, done == 3 { stop.request() }
            })
        XCTAssertTrue(first.stopped)
        XCTAssertEqual(first.fetched, 3)
        let kept = receipts(in: folder)
        XCTAssertEqual(kept.count, 3)
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("list.json")).isEmpty, false, "the manifest is whole before any filing")
        let asked = server.documentRequests.count
        let second = try DARTSync(folder: folder, client: try client()).run(year2024)
        XCTAssertEqual(second.fetched, 5)
        XCTAssertEqual(second.present, 3)
        let fetchedAgain = Set(server.documentRequests.dropFirst(asked).map { "\($0).zip" }).intersection(kept)
        XCTAssertTrue(fetchedAgain.isEmpty, "fetched again: \(fetchedAgain)")
        XCTAssertEqual(receipts(in: folder), allReceipts)
    }

    func testTheRequestLimitIsWaitedOutThenReportedAsTemporary() throws {
        let folder = try temporaryFolder()
        server.rateLimit(next: 3)
        let summary = try DARTSync(folder: folder, client: try client()).run(year2024)
        XCTAssertEqual(summary.fetched, 8, "three 020 answers are waited out")

        let other = try temporaryFolder()
        let limited = try client()
        limited.rateLimitRetries = 2
        _ = try DARTSync(folder: other, client: try client()).run(try DARTSyncRequest(companies: ["푸른건설"], since: "2024-01-01", until: "2024-12-31"))
        server.rateLimit(next: 100)
        XCTAssertThrowsError(try DARTSync(folder: other, client: limited).run(year2024)) { error in
            let error = error as? KorSearchError
            XCTAssertEqual(error?.kind, .rateLimited)
            XCTAssertEqual(error?.code, "020")
            XCTAssertTrue(error?.message.contains("run again later") ?? false, "\(String(describing: error))")
        }
        XCTAssertEqual(receipts(in: other).count, 3, "what an earlier run fetched is kept")
    }

    func testAServerErrorIsRetriedAndOneThatLastsStopsTheRunWithNothingHalfWritten() throws {
        let folder = try temporaryFolder()
        server.fail(next: 2)
        XCTAssertEqual(try DARTSync(folder: folder, client: try client()).run(year2024).fetched, 8, "two HTTP 500s are retried")

        let other = try temporaryFolder()
        let failing = try client()
        let sync = DARTSync(folder: other, client: failing)
        var failed = false
        XCTAssertThrowsError(
            try sync.run(
                year2024,
                progress: { event in
                    // From the second filing on, every request fails.
                    if case .fetched(_, _, 1, _) = event, !failed {
                        failed = true
                        self.server.fail(next: 1000)
                    }
                })
        ) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .network)
            XCTAssertTrue("\(error)".contains("HTTP 500"), "\(error)")
        }
        XCTAssertEqual(receipts(in: other).count, 1)
        let hidden = try FileManager.default.subpathsOfDirectory(atPath: other.path).filter { $0.hasSuffix(".part") }
        XCTAssertTrue(hidden.allSatisfy { ($0 as NSString).lastPathComponent.hasPrefix(".") }, "a partial file is hidden: \(hidden)")
        server.fail(next: 0)
        let resumed = try DARTSync(folder: other, client: try client()).run(year2024)
        XCTAssertEqual(resumed.fetched, 7)
        XCTAssertEqual(receipts(in: other), allReceipts)
    }

    func testAFilingOpenDARTWillNotSendIsListedAndTriedAgainNextTime() throws {
        let folder = try temporaryFolder()
        server.withhold(["20241120000654"])
        let summary = try DARTSync(folder: folder, client: try client()).run(year2024)
        XCTAssertEqual(summary.fetched, 7)
        XCTAssertEqual(summary.unavailable.map(\.rceptNo), ["20241120000654"])
        XCTAssertTrue(summary.unavailable[0].reason.contains("status 014"), summary.unavailable[0].reason)
        server.withhold([])
        XCTAssertEqual(try DARTSync(folder: folder, client: try client()).run(year2024).fetched, 1)
    }

    func testARefusedKeyAndNoNetworkAreClearErrorsThatNeverShowTheKey() throws {
        let folder = try temporaryFolder()
        let wrong = "ffffffffffffffffffffffffffffffffffffffff"
        XCTAssertThrowsError(try DARTSync(folder: folder, client: try client(key: wrong)).run(year2024)) { error in
            let error = error as? KorSearchError
            XCTAssertEqual(error?.kind, .invalidArgument)
            XCTAssertEqual(error?.code, "010")
            XCTAssertEqual(error?.message, "OpenDART refused the API key (status 010: 등록되지 않은 키입니다.); check --api-key or DART_API_KEY")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("list.json").path))

        let closed = try OpenDART(key: wrong, endpoint: "http://127.0.0.1:9/api")
        closed.backoff = { _ in 0.01 }
        XCTAssertThrowsError(try DARTSync(folder: folder, client: closed).run(year2024)) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .network)
            XCTAssertTrue("\(error)".contains("cannot reach"), "\(error)")
            XCTAssertFalse("\(error)".contains(wrong), "the key is not shown: \(error)")
        }
        XCTAssertThrowsError(try OpenDART(key: "", endpoint: nil)) { error in
            XCTAssertTrue("\(error)".contains("DART_API_KEY"), "\(error)")
        }
        XCTAssertThrowsError(try OpenDART(key: "abc", endpoint: "ftp://example")) { error in
            XCTAssertEqual((error as? KorSearchError)?.parameter, "endpoint")
        }
    }

    func testCompaniesAreFoundByNameCorpCodeOrStockCode() throws {
        let list = try CorpCodeList(
            xml: """
                <result>
                <list><corp_code>00991234</corp_code><corp_name>한빛전자</corp_name><stock_code>123450</stock_code></list>
                <list><corp_code>00991299</corp_code><corp_name>한빛전자서비스</corp_name><stock_code> </stock_code></list>
                <list><corp_code>00770001</corp_code><corp_name>바다&amp;산</corp_name><stock_code> </stock_code></list>
                <list><corp_code>00770002</corp_code><corp_name>동명상사</corp_name><stock_code> </stock_code></list>
                <list><corp_code>00770003</corp_code><corp_name>동명상사</corp_name><stock_code> </stock_code></list>
                <list><corp_code>bad</corp_code><corp_name>틀린줄</corp_name></list>
                </result>
                """)
        XCTAssertEqual(list.companies.count, 5)
        XCTAssertEqual(try list.company("한빛전자㈜").corpCode, "00991234")
        XCTAssertEqual(try list.company("(주)한빛전자").corpCode, "00991234")
        XCTAssertEqual(try list.company("123450").corpCode, "00991234")
        XCTAssertEqual(try list.company("00991299").name, "한빛전자서비스")
        XCTAssertNil(try list.company("00991299").stockCode, "a blank stock code is none")
        XCTAssertEqual(try list.company("바다&산").corpCode, "00770001", "entities decoded")
        XCTAssertThrowsError(try list.company("동명상사")) { error in
            XCTAssertTrue("\(error)".contains("2 companies are named 동명상사"), "\(error)")
            XCTAssertTrue("\(error)".contains("00770003"), "\(error)")
        }
        XCTAssertThrowsError(try list.company("한빛")) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .notFound)
            XCTAssertTrue("\(error)".contains("names that contain it: 한빛전자 (corp code 00991234, stock code 123450), 한빛전자서비스"), "\(error)")
        }
        XCTAssertThrowsError(try list.company("99999999")) { error in XCTAssertEqual((error as? KorSearchError)?.kind, .notFound) }
        XCTAssertThrowsError(try CorpCodeList(xml: "<result></result>"))
        XCTAssertThrowsError(try CorpCodeList(zip: Data("not a zip".utf8)))
    }

    func testTheCorpCodeListIsFetchedAgainWhenADayOldAndAnOldOneServesWhenOpenDARTCannot() throws {
        let folder = try temporaryFolder()
        let dart = folder.appendingPathComponent("dart")
        _ = try CorpCodeList.cached(in: dart, client: try client(), warn: { XCTFail($0) })
        let cache = dart.appendingPathComponent(CorpCodeList.cacheName)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cache.path))
        func corpCodeRequests() -> Int { server.recorded.filter { $0.route == "/api/corpCode.xml" }.count }
        _ = try CorpCodeList.cached(in: dart, client: try client(), now: Date().addingTimeInterval(3600), warn: { XCTFail($0) })
        XCTAssertEqual(corpCodeRequests(), 1, "an hour later the cache serves")
        _ = try CorpCodeList.cached(in: dart, client: try client(), now: Date().addingTimeInterval(25 * 3600), warn: { XCTFail($0) })
        XCTAssertEqual(corpCodeRequests(), 2, "a day later it is fetched again")
        server.fail(next: 1000)
        var warnings: [String] = []
        let stale = try CorpCodeList.cached(
            in: dart, client: try client(), now: Date().addingTimeInterval(3.5 * 86400), warn: { warnings.append($0) })
        XCTAssertEqual(stale.companies.count, OpenDARTTestServer.companies.count)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("using the one cached 3 days ago"), warnings[0])
    }

    func testAManifestThatIsNotOpenDARTsIsNeverReplaced() throws {
        let folder = try temporaryFolder()
        let manifest = folder.appendingPathComponent("list.json")
        try Data("my notes, not JSON".utf8).write(to: manifest)
        XCTAssertThrowsError(try DARTSync(folder: folder, client: try client()).run(year2024)) { error in
            XCTAssertTrue("\(error)".contains("is not an OpenDART list.json"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOf: manifest, encoding: .utf8), "my notes, not JSON")
        XCTAssertTrue(server.recorded.isEmpty, "nothing is asked of OpenDART")

        // Rows a user wrote are kept beside OpenDART's.
        try Data(#"{"list": [{"rcept_no": "20230101000001", "corp_name": "내가 쓴 회사", "report_nm": "사업보고서 (2022.12)"}]}"#.utf8).write(to: manifest)
        _ = try DARTSync(folder: folder, client: try client()).run(year2024)
        XCTAssertEqual(Manifest(folder: folder).entry(for: "x/20230101000001.pdf")?.company, "내가 쓴 회사")
    }

    func testRequestsAreCheckedBeforeAnythingIsAsked() throws {
        XCTAssertThrowsError(try DARTSyncRequest(companies: [])) { error in XCTAssertTrue("\(error)".contains("--corp"), "\(error)") }
        XCTAssertThrowsError(try DARTSyncRequest(companies: ["x"], since: "2024-02-30")) { error in
            XCTAssertEqual("\(error)", "--since 2024-02-30 is not a day (YYYY-MM-DD)")
        }
        XCTAssertThrowsError(try DARTSyncRequest(companies: ["x"], since: "2024-05-01", until: "2024-04-01"))
        let request = try DARTSyncRequest(companies: ["x"], until: "2024-06-30")
        XCTAssertEqual(request.since, "2021-06-30", "three years by default")
        XCTAssertEqual(request.kinds.map(\.code), ["A001", "A002", "A003", "B001"])
        XCTAssertEqual(try DARTReportKind("사업보고서").code, "A001")
        XCTAssertEqual(try DARTReportKind("f001").name, "감사보고서")
        XCTAssertEqual(try DARTReportKind("C001").code, "C001")
        XCTAssertThrowsError(try DARTReportKind("연말보고서")) { error in XCTAssertTrue("\(error)".contains("사업보고서 (A001)"), "\(error)") }
    }

    func testThePeriodicReportsStatementsAreFetchedIntoFinancialsOncePerFiling() throws {
        let folder = try temporaryFolder()
        let request = try DARTSyncRequest(companies: ["한빛전자", "푸른건설"], since: "2022-01-01", until: "2024-12-31")
        let summary = try DARTSync(folder: folder, client: try client()).run(request)
        // 한빛전자: three annual reports and three 2024 quarters, consolidated and separate; 푸른건설: three annual
        // reports and its third quarter, separate only (013 for consolidated); four lines each.
        XCTAssertEqual(summary.statements, 10)
        XCTAssertEqual(summary.facts, 6 * 2 * 4 + 4 * 4)
        let facts = try FinancialFacts.read(folder.appendingPathComponent(FinancialFacts.fileName))
        XCTAssertEqual(facts.count, summary.facts)
        let half = try XCTUnwrap(
            facts.first { $0.corpCode == "00991234" && $0.period == "2024-H1" && $0.consolidated && $0.statement == "IS" && $0.order == 3 })
        XCTAssertEqual(half.account, "영업이익(손실)")
        XCTAssertEqual(half.current, OpenDARTTestServer.won(5_412, consolidated: true))
        XCTAssertEqual(half.previous, OpenDARTTestServer.won(8_112, consolidated: true))
        XCTAssertEqual(half.rceptNo, "20240910000222", "the period's figures come from its amendment")
        XCTAssertEqual(half.report, "11012")
        XCTAssertEqual(half.accountId, "dart_OperatingIncomeLoss")
        let loss = try XCTUnwrap(facts.first { $0.corpCode == "00887766" && $0.period == "2023" && $0.account == "영업손익" })
        XCTAssertEqual(loss.current, OpenDARTTestServer.won(-320, consolidated: true))
        XCTAssertFalse(loss.consolidated)
        XCTAssertFalse(facts.contains { $0.corpCode == "00887766" && $0.consolidated })
        let asked = server.recorded.filter { $0.route == "/api/fnlttSinglAcntAll.json" }
        XCTAssertEqual(Set(asked.compactMap { $0.query["fs_div"] }), ["CFS", "OFS"])
        XCTAssertTrue(asked.contains { $0.query["bsns_year"] == "2024" && $0.query["reprt_code"] == "11014" && $0.query["corp_code"] == "00887766" })

        // Fetched once per filing: a second run asks nothing; a period whose record is gone is fetched again and
        // replaces its own lines only.
        let before = server.recorded.count
        let again = try DARTSync(folder: folder, client: try client()).run(request)
        XCTAssertEqual(again.statements, 0)
        XCTAssertFalse(server.recorded.dropFirst(before).contains { $0.route == "/api/fnlttSinglAcntAll.json" })
        let stateFile = folder.appendingPathComponent("dart/.financials.json")
        var state = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: stateFile)) as? [String: String])
        XCTAssertEqual(state["00991234|2024|11012"], "20240910000222")
        state.removeValue(forKey: "00991234|2024|11012")
        try JSONSerialization.data(withJSONObject: state).write(to: stateFile)
        let third = try DARTSync(folder: folder, client: try client()).run(request)
        XCTAssertEqual(third.statements, 1)
        XCTAssertEqual(third.facts, 8)
        XCTAssertEqual(
            Set(try FinancialFacts.read(folder.appendingPathComponent(FinancialFacts.fileName)).map { "\($0)" }), Set(facts.map { "\($0)" }))

        let skip = try temporaryFolder()
        var without = request
        without.financials = false
        XCTAssertEqual(try DARTSync(folder: skip, client: try client()).run(without).statements, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: skip.appendingPathComponent(FinancialFacts.fileName).path))
    }

    func testAmountsAsOpenDARTWritesThem() {
        XCTAssertEqual(DARTFinancials.amount("1,234,567"), 1_234_567)
        XCTAssertEqual(DARTFinancials.amount("-1,234"), -1234)
        XCTAssertEqual(DARTFinancials.amount("(1,234)"), -1234)
        XCTAssertEqual(DARTFinancials.amount(" 0 "), 0)
        XCTAssertNil(DARTFinancials.amount(""))
        XCTAssertNil(DARTFinancials.amount("-"))
        XCTAssertNil(DARTFinancials.amount("1.5"))
        XCTAssertNil(DARTFinancials.amount("99999999999999999999"), "past Int64 is no amount")
        XCTAssertNil(DARTFinancials.amount(nil))
    }
}
