import Foundation
import KorSearchTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `korsearch dart sync` as a user runs it, against a fake OpenDART on loopback: filings fetched and indexed with
/// their metadata, a second run that fetches nothing, a run killed mid-download and resumed, and the failures a
/// user meets (no key, a refused key, an unknown company, no network) as one line and an exit code.
final class DARTCLITests: XCTestCase {
    private var model: String { TestPaths.tinyModel.path }
    private var server: OpenDARTTestServer!

    override func setUpWithError() throws {
        server = try OpenDARTTestServer()
    }

    override func tearDown() {
        server.stop()
    }

    private func sync(_ folder: URL, _ extra: [String] = [], key: String = OpenDARTTestServer.key) throws -> KorsearchRun {
        try runKorsearch(
            ["dart", "sync", folder.path, "--corp", "한빛전자", "--corp", "00887766", "--since", "2024-01-01", "--until", "2024-12-31"] + extra,
            environment: ["DART_API_KEY": key, "OPENDART_ENDPOINT": server.endpoint])
    }

    private func object(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    func testSyncedFilingsAreIndexedWithTheirMetadataAndASecondRunFetchesNothing() throws {
        let base = try temporaryFolder()
        let folder = base.appendingPathComponent("filings")
        let index = base.appendingPathComponent("index").path
        let first = try sync(folder, ["--index", index, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.lines.count, 2, "the sync's summary, then the index's: \(first.stdout)")
        let synced = try object(first.lines[0])
        XCTAssertEqual(synced["fetched"] as? Int, 8)
        XCTAssertEqual(synced["amended"] as? Int, 1)
        XCTAssertEqual(try object(first.lines[1])["added"] as? Int, 8)

        let search = try runKorsearch(["search", "정정 후 반기 영업이익", "--index", index, "--mode", "keyword", "--json", "-k", "1"])
        XCTAssertEqual(search.status, 0, search.stderr)
        let hit = try XCTUnwrap((try object(search.stdout)["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(hit["path"] as? String, "dart/00991234/20240910000222.zip")
        let metadata = try XCTUnwrap(hit["metadata"] as? [String: Any])
        XCTAssertEqual(metadata["rcept_no"] as? String, "20240910000222")
        XCTAssertEqual(metadata["amendment"] as? String, "기재정정")
        XCTAssertEqual(metadata["period"] as? String, "2024-H1")
        XCTAssertEqual(metadata["stock_code"] as? String, "123450")

        let documentsBefore = server.documentRequests.count
        let second = try sync(folder, ["--index", index, "--model", model])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("fetched 0, already here 8"), second.stdout)
        XCTAssertTrue(second.stdout.contains("unchanged 8"), second.stdout)
        XCTAssertEqual(server.documentRequests.count, documentsBefore, "nothing is downloaded again")
        XCTAssertTrue(second.stderr.contains("한빛전자 (corp code 00991234, stock code 123450): 5 filings listed, 0 to fetch"), second.stderr)
    }

    func testASyncKilledMidDownloadIsResumedByRunningItAgain() throws {
        let folder = try temporaryFolder().appendingPathComponent("filings")
        // 한빛전자's filings come first, newest first within each kind: its annual report, then the half-year ones.
        server.hold("20240814000123")
        let process = Process()
        process.executableURL = Bundle.main.bundleURL.appendingPathComponent("korsearch")
        process.arguments = ["dart", "sync", folder.path, "--corp", "한빛전자", "--corp", "푸른건설", "--since", "2024-01-01", "--quiet"]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["DART_API_KEY": OpenDARTTestServer.key, "OPENDART_ENDPOINT": server.endpoint]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !server.isHolding { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertTrue(server.isHolding, "the run reached the held filing")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        server.release()

        let dart = folder.appendingPathComponent("dart")
        let names = try FileManager.default.subpathsOfDirectory(atPath: dart.path).map { ($0 as NSString).lastPathComponent }
        let kept = names.filter { $0.hasSuffix(".zip") && !$0.hasPrefix(".") }
        XCTAssertFalse(kept.contains("20240814000123.zip"), "the held filing was never written under its name")
        XCTAssertGreaterThan(kept.count, 0)
        let asked = server.documentRequests.count
        let resumed = try sync(folder, ["--json", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let summary = try object(resumed.stdout)
        XCTAssertEqual(summary["present"] as? Int, kept.count)
        XCTAssertEqual(summary["fetched"] as? Int, 8 - kept.count)
        let again = Set(server.documentRequests.dropFirst(asked).map { "\($0).zip" })
        XCTAssertTrue(again.isDisjoint(with: kept), "fetched twice: \(again.intersection(kept))")
        XCTAssertTrue(again.contains("20240814000123.zip"))
    }

    /// `--section` over the example corpus's DART filing: passages of a standard section found by its code
    /// whatever the filing numbers it; an empty one is a usage error.
    func testSearchBySection() throws {
        let index = try buildCorpusIndex(in: try temporaryFolder(), model: model)
        let run = try runKorsearch(["search", "보증 잔액", "--index", index, "--mode", "keyword", "--section", "XI-2", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let hits = try XCTUnwrap(try object(run.stdout)["results"] as? [[String: Any]])
        XCTAssertFalse(hits.isEmpty)
        XCTAssertTrue(hits.allSatisfy { ($0["section"] as? String)?.hasPrefix("IV. 우발부채 등에 관한 사항") == true }, run.stdout)
        let empty = try runKorsearch(["search", "보증", "--index", index, "--mode", "keyword", "--section", " "])
        XCTAssertEqual(empty.status, 64)
        XCTAssertTrue(empty.stderr.contains("section is empty"), empty.stderr)
    }

    func testFailuresAreOneLineWithTheirExitCodes() throws {
        let folder = try temporaryFolder().appendingPathComponent("filings")
        let wrong = try sync(folder, key: "ffffffffffffffffffffffffffffffffffffffff")
        XCTAssertEqual(wrong.status, 64)
        XCTAssertEqual(wrong.stderr, "Error: OpenDART refused the API key (status 010: 등록되지 않은 키입니다.); check --api-key or DART_API_KEY\n")

        let noKey = try runKorsearch(["dart", "sync", folder.path, "--corp", "한빛전자", "--endpoint", server.endpoint])
        XCTAssertEqual(noKey.status, 64)
        XCTAssertTrue(noKey.stderr.contains("no OpenDART API key: pass --api-key or set DART_API_KEY"), noKey.stderr)

        let noCompany = try runKorsearch(["dart", "sync", folder.path, "--api-key", OpenDARTTestServer.key, "--endpoint", server.endpoint])
        XCTAssertEqual(noCompany.status, 64)
        XCTAssertTrue(noCompany.stderr.contains("--corp"), noCompany.stderr)

        let unknown = try runKorsearch(
            ["dart", "sync", folder.path, "--corp", "없는회사", "--api-key", OpenDARTTestServer.key, "--endpoint", server.endpoint])
        XCTAssertEqual(unknown.status, 66)
        XCTAssertEqual(unknown.stderr, "Error: no company named 없는회사 in OpenDART's list\n")

        let nothing = try runKorsearch(
            ["dart", "sync", folder.path, "--corp", "00991299", "--api-key", OpenDARTTestServer.key, "--endpoint", server.endpoint])
        XCTAssertEqual(nothing.status, 0, "no filings is not a failure")
        XCTAssertTrue(
            nothing.stderr.contains("한빛전자서비스 (corp code 00991299): OpenDART lists no filings of 사업보고서, 반기보고서, 분기보고서, 주요사항보고서 filed "),
            nothing.stderr)

        let badKind = try sync(folder, ["--kind", "연말보고서"])
        XCTAssertEqual(badKind.status, 64)
        XCTAssertTrue(badKind.stderr.contains("연말보고서 is not a report kind"), badKind.stderr)

        let offline = try runKorsearch(
            [
                "dart", "sync", try temporaryFolder().path, "--corp", "한빛전자", "--api-key", OpenDARTTestServer.key, "--endpoint",
                "http://127.0.0.1:9/api",
            ])
        XCTAssertEqual(offline.status, 69)
        XCTAssertTrue(offline.stderr.hasPrefix("Error: cannot reach http://127.0.0.1:9/api/corpCode.xml?crtfc_key=…"), offline.stderr)
        XCTAssertFalse(offline.stderr.contains(OpenDARTTestServer.key), "the key is never printed")
        XCTAssertEqual(offline.stderr.split(separator: "\n").count, 1)
    }

    /// The done-when of the facts: an account across two companies and three years, the same from the CLI
    /// and the HTTP API; a question naming a company, a year and an account carries the fact with its filing.
    func testFactsAcrossTwoCompaniesAndThreeYearsFromTheCLIAndTheAPI() throws {
        let index = try buildDARTIndex(in: try temporaryFolder(), server: server, model: model)
        let years = ["--period", "2021", "--period", "2022", "--period", "2023"]
        let run = try runKorsearch(["facts", "--index", index, "--company", "한빛전자", "--company", "045670", "--account", "영업이익", "--json"] + years)
        XCTAssertEqual(run.status, 0, run.stderr)
        let facts = try XCTUnwrap(try object(run.stdout)["facts"] as? [[String: Any]])
        func summary(_ facts: [[String: Any]]) -> [String] {
            facts.map { "\($0["company"]!) \($0["period"]!) \($0["account"]!) \($0["current"]!) \($0["rcept_no"]!)" }
        }
        let expected = [
            "푸른건설 2023 영업손익 \(OpenDARTTestServer.won(-320, consolidated: true)) 20240320000999",
            "푸른건설 2022 영업손익 \(OpenDARTTestServer.won(980, consolidated: true)) 20230322000200",
            "푸른건설 2021 영업손익 \(OpenDARTTestServer.won(1_150, consolidated: true)) 20220323000200",
            "한빛전자 2023 영업이익(손실) \(OpenDARTTestServer.won(8_112, consolidated: true)) 20240318000456",
            "한빛전자 2022 영업이익(손실) \(OpenDARTTestServer.won(7_300, consolidated: true)) 20230320000100",
            "한빛전자 2021 영업이익(손실) \(OpenDARTTestServer.won(6_500, consolidated: true)) 20220321000100",
        ]
        XCTAssertEqual(summary(facts), expected)
        let table = try runKorsearch(["facts", "--index", index, "--company", "한빛전자", "--account", "영업이익", "--period", "2023"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("| 한빛전자 | 2023 | IS 연결 | 영업이익(손실) | 8,112.00억 | 7,300.00억 | 20240318000456 |"), table.stdout)

        let search = try runKorsearch(["search", "한빛전자 2023년 영업이익", "--index", index, "--mode", "keyword", "--json", "-k", "3"])
        XCTAssertEqual(search.status, 0, search.stderr)
        XCTAssertEqual(
            summary(try XCTUnwrap(try object(search.stdout)["facts"] as? [[String: Any]])),
            ["한빛전자 2023 영업이익(손실) \(OpenDARTTestServer.won(8_112, consolidated: true)) 20240318000456"])
        let plain = try runKorsearch(["search", "한빛전자 2023년 영업이익", "--index", index, "--mode", "keyword", "-k", "1"])
        XCTAssertTrue(plain.stdout.hasPrefix("| company | period | statement | account | current | previous | rcept_no |\n"), plain.stdout)
        let none = try runKorsearch(["search", "유동성 위험", "--index", index, "--mode", "keyword", "--json", "-k", "1"])
        XCTAssertEqual((try object(none.stdout)["facts"] as? [Any])?.count, 0, "a question naming no company and account carries none")

        for (arguments, status, message) in [
            (["--company", "누리바이오"], 66, "the index holds no financial statements of 누리바이오; it has those of: 푸른건설, 한빛전자"),
            (["--company", "한빛전자", "--account", "자본총계"], 66, "no account named 자본총계 in these statements"),
            (["--company", "한빛전자", "--period", "2024-Q2"], 64, "period \"2024-Q2\" is not one statements are reported for"),
            ([], 64, "name at least one company"),
        ] {
            let wrong = try runKorsearch(["facts", "--index", index] + arguments)
            XCTAssertEqual(wrong.status, Int32(status), "\(arguments)")
            XCTAssertTrue(wrong.stderr.hasPrefix("Error: \(message)"), wrong.stderr)
        }

        let served = try ServerProcess.start(index: index, ["--model", model], for: self)
        let posted = try served.fetch(
            "POST", "/v1/facts", json: ["company": ["한빛전자", "00887766"], "account": "영업이익", "period": ["2021", "2022", "2023"]])
        XCTAssertEqual(posted.status, 200, String(decoding: posted.data, as: UTF8.self))
        XCTAssertEqual(summary(try XCTUnwrap(try object(String(decoding: posted.data, as: UTF8.self))["facts"] as? [[String: Any]])), expected)
        let query =
            "company=%ED%95%9C%EB%B9%9B%EC%A0%84%EC%9E%90&company=045670&account=%EC%98%81%EC%97%85%EC%9D%B4%EC%9D%B5&period=2021&period=2022&period=2023"
        let got = try served.fetch("GET", "/v1/facts?" + query)
        XCTAssertEqual(got.status, 200)
        XCTAssertEqual(summary(try XCTUnwrap(try object(String(decoding: got.data, as: UTF8.self))["facts"] as? [[String: Any]])), expected)
        let missing = try served.fetch("POST", "/v1/facts", json: ["company": "누리바이오"])
        XCTAssertEqual(missing.status, 404)
        let bad = try served.fetch("POST", "/v1/facts", json: ["company": "한빛전자", "statement": "XX"])
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(String(decoding: bad.data, as: UTF8.self).contains("statement"), String(decoding: bad.data, as: UTF8.self))
    }
}

/// Syncs the fake OpenDART's filings of 2022–2024 of both its companies, with their statements, into
/// `folder`/filings and indexes them into `folder`/index with `model`; returns the index path.
func buildDARTIndex(in folder: URL, server: OpenDARTTestServer, model: String) throws -> String {
    let index = folder.appendingPathComponent("index").path
    let run = try runKorsearch(
        [
            "dart", "sync", folder.appendingPathComponent("filings").path, "--corp", "한빛전자", "--corp", "푸른건설", "--since", "2022-01-01",
            "--until", "2024-12-31", "--index", index, "--model", model, "--quiet",
        ], environment: ["DART_API_KEY": OpenDARTTestServer.key, "OPENDART_ENDPOINT": server.endpoint])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stdout.contains("statements: 10 periods, 64 lines"), run.stdout)
    return index
}
