import Foundation
import KorSearchTestSupport
import XCTest

@testable import KorDocuments

/// The search page in a real headless browser (Debian's chromium): the DOM after the page's script has run,
/// for each state a person reaches (a query, another mode, a filter, expanded context, a document).
final class WebPageTests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func browser() throws -> String {
        guard let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("chromium is not installed (Scripts/bootstrap installs it)")
        }
        return path
    }

    /// The DOM of a page once its scripts have run, in a window of `size` (CSS pixels) for a reader of `language`.
    private func dom(_ browser: String, _ url: URL, size: String = "1280,900", language: String = "en-US") throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let run = try ProcessRunner.run(
            URL(fileURLWithPath: browser),
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--window-size=\(size)",
                "--accept-lang=\(language)", "--virtual-time-budget=10000", "--dump-dom", url.absoluteString,
            ])
        let data = run.standardOutput
        return String(decoding: data, as: UTF8.self)
    }

    private func url(_ server: ServerProcess, _ query: String) -> URL {
        URL(string: query, relativeTo: server.base)!.absoluteURL
    }

    private func count(_ text: String, _ pattern: String) -> Int {
        text.components(separatedBy: pattern).count - 1
    }

    func testSearchPageInAHeadlessBrowser() throws {
        let browser = try browser()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-web-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let model = repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path
        // A document whose text contains markup must show it as text.
        let index = try buildCorpusIndex(in: folder, model: model)
        try Data("<script>document.title='pwned'</script> 마크업이 들어 있는 공시 <b>굵게</b> 문서.\n".utf8)
            .write(to: folder.appendingPathComponent("corpus/markup.txt"))
        XCTAssertEqual(
            try runKorsearch(["index", folder.appendingPathComponent("corpus").path, "--index", index, "--model", model, "--quiet"]).status, 0)
        let server = try ServerProcess.start(index: index, for: self)

        // The page, with the index overview.
        let home = try dom(browser, url(server, "/"))
        XCTAssertTrue(home.contains("<label for=\"q\">"), "labelled query box")
        XCTAssertTrue(home.contains("문서 \(TestCorpus.documents + 1)개"), "overview of the index")
        XCTAssertNil(home.range(of: #"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"#, options: .regularExpression), "the index time in local words, not raw UTC")

        // A Korean query: results render with the query's terms highlighted.
        let query = "자기주식 소각".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
        let results = try dom(browser, url(server, "/?q=\(query)&k=5"))
        XCTAssertGreaterThan(count(results, "class=\"hit\""), 0)
        XCTAssertTrue(results.contains("<mark>자기주식</mark>"), "highlighted terms")
        XCTAssertTrue(results.contains("data-mode=\"hybrid\""))
        XCTAssertTrue(results.contains("disclosures/buyback-decision.html"))
        // Long passages show a snippet around the match, with a button for the whole passage.
        let long = try dom(
            browser, url(server, "/?q=\("한빛전자 3분기 영업이익".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&mode=keyword&k=3"))
        XCTAssertGreaterThan(count(long, "class=\"secondary whole\""), 0, "a snippet with 전체 보기")
        XCTAssertTrue(long.contains("전체 보기"))
        // Marks are what matched, as the CLI marks them: the 3 of 3분기, never the 3 of 3,812 or 2023; amounts whole.
        XCTAssertTrue(long.contains("2024년 <mark>3분기</mark>"), "the number 3 and the word 분기, side by side")
        XCTAssertFalse(long.contains("<mark>3</mark>,812"), "not a digit inside a longer number")
        XCTAssertTrue(long.contains("<mark>영업이익</mark>"))
        let amount = try dom(
            browser, url(server, "/?q=\("매출 42,315억원".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&mode=keyword&k=3"))
        XCTAssertTrue(amount.contains("<mark>4조 2,315억 원</mark>"), "an amount written another way, marked whole")
        let unrelated = try dom(
            browser, url(server, "/?q=\("운전 전자".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&mode=keyword&k=10"))
        XCTAssertTrue(unrelated.contains("<mark>운전</mark>자본"), "운전 is the start of 운전자본; 전자 inside it is a coincidence")

        // Another mode.
        let keyword = try dom(browser, url(server, "/?q=\(query)&mode=keyword&k=5"))
        XCTAssertTrue(keyword.contains("data-mode=\"keyword\""))
        XCTAssertTrue(keyword.contains("키워드 1위"))
        XCTAssertFalse(keyword.contains("벡터 1위"))

        // A filter: only PDFs.
        let pdf = try dom(browser, url(server, "/?q=\("조기상환 손실".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&type=pdf"))
        XCTAssertGreaterThan(count(pdf, "class=\"hit\""), 0)
        XCTAssertEqual(count(pdf, "class=\"source\""), count(pdf, ".pdf (p"), "every hit is a PDF with its page")
        XCTAssertTrue(pdf.contains(".pdf (pp. 1–2)"), "a passage over two pages cites both")

        // A filing's hit shows the section it is in.
        let filing = try dom(
            browser, url(server, "/?q=\("인천 송도 주상복합".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&type=dart&mode=keyword&k=1"))
        XCTAssertTrue(filing.contains("<span class=\"section\"> · IV. 우발부채 등에 관한 사항 &gt; 1. PF 대출 지급보증</span>"), filing)
        // The section filter (섹션) by the standard code of that section, which this filing numbers IV.
        let inSection = try dom(
            browser, url(server, "/?q=\("보증".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&mode=keyword&section=XI-2"))
        XCTAssertGreaterThan(count(inSection, "class=\"hit\""), 0)
        XCTAssertEqual(count(inSection, "class=\"hit\""), count(inSection, "<span class=\"section\"> · IV. 우발부채 등에 관한 사항"), inSection)

        // The index's companies, reports and periods as filters; a hit says what its document is.
        XCTAssertTrue(home.contains("data-facet=\"company\""), "facets on the page")
        XCTAssertTrue(home.contains("한빛전자 (4)"), home)
        let byCompany = try dom(
            browser,
            url(
                server,
                "/?q=\("영업이익".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&mode=keyword&company=\("푸른건설".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)"
            ))
        XCTAssertGreaterThan(count(byCompany, "class=\"hit\""), 0)
        XCTAssertEqual(count(byCompany, "class=\"hit\""), count(byCompany, "<span class=\"about\"> · 푸른건설㈜"), "only 푸른건설's documents, each saying so")

        // Expanded context of a hit.
        let first = try XCTUnwrap(results.range(of: "data-chunk-id=\"").map { results[$0.upperBound...].prefix { $0.isNumber } }).description
        let expanded = try dom(browser, url(server, "/?q=\(query)&k=5&expand=\(first)"))
        XCTAssertTrue(expanded.contains("aria-expanded=\"true\""), "the hit's context is open")

        // The whole document, with the passage marked.
        let documentLink = try XCTUnwrap(results.range(of: "href=\"/?doc=").map { results[$0.upperBound...].prefix { $0 != "\"" } })
        let document = try dom(browser, url(server, "/?doc=" + documentLink.replacingOccurrences(of: "&amp;", with: "&")))
        XCTAssertTrue(document.contains("<mark id=\"passage\">"), "passage marked in the document")
        XCTAssertTrue(document.contains("id=\"doc-title\""))

        // Markup in a document is text, not markup.
        let markup = try dom(browser, url(server, "/?q=\("마크업".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&mode=keyword"))
        XCTAssertTrue(markup.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "escaped")
        XCTAssertFalse(markup.contains("<title>pwned</title>"))
        XCTAssertFalse(markup.contains("<b>굵게</b>"))

        // The page marks what the server says matched — the CLI's highlights — and holds no keyword logic.
        let cli = try runKorsearch(["search", "자기주식 소각", "--index", index, "--mode", "keyword", "--json", "-k", "1"])
        let top = try XCTUnwrap(
            ((try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])?.first)
        let scalars = Array(try XCTUnwrap(top["text"] as? String).unicodeScalars)
        let cliMarks = try XCTUnwrap(top["highlights"] as? [[Int]]).map { String(String.UnicodeScalarView(scalars[$0[0] ..< $0[1]])) }
        let page = try dom(browser, url(server, "/?q=\(query)&mode=keyword&k=1"))
        let firstHit = try XCTUnwrap(page.range(of: "class=\"hit\"").map { String(page[$0.lowerBound...]) })
        XCTAssertTrue(page.contains("함께 찾은 말: 자기주식 → 자사주"), "the aliases the query was widened by are shown")
        let pageMarks = firstHit.matches(of: /<mark>([^<]*)<\/mark>/).map { String($0.output.1) }
        XCTAssertFalse(pageMarks.isEmpty, firstHit)
        XCTAssertTrue(
            (0 ... max(0, cliMarks.count - pageMarks.count)).contains {
                Array(cliMarks[$0 ..< min(cliMarks.count, $0 + pageMarks.count)]) == pageMarks
            },
            "the page's marks \(pageMarks) are the CLI's highlights \(cliMarks)")
        let script = try String(contentsOf: repository.appendingPathComponent("Sources/KorSearchServer/Page/app.js"), encoding: .utf8)
        for logic in ["ENDINGS", "stem(", "amounts(", "tokens(", "matchAll", "\\uAC00"] {
            XCTAssertFalse(script.contains(logic), "keyword analysis (\(logic)) in the page's script")
        }
        let served = try Data(contentsOf: url(server, "/app.js"))
        XCTAssertEqual(String(decoding: served, as: UTF8.self), script, "the script served is the file, embedded at build time")

        // Ids that are not numbers never reach a file.
        XCTAssertTrue(try dom(browser, url(server, "/?doc=..%2F..%2Fetc%2Fpasswd")).contains("must be an integer"))
    }

    /// The page as a phone (390×844) and a desktop (1280×900) show it to a Korean reader: on the phone the filters
    /// are folded behind 상세 검색 and the results begin on the first screen; on both, a table is a table with its
    /// numbers right-aligned, a filing links to DART's viewer, the time is Korea's and says so, the mode is named
    /// in Korean, the model by its name; periods run newest year first, each year counting what selecting it
    /// keeps; filed-date filters work.
    func testThePageOnAPhoneAndADesktop() throws {
        let browser = try browser()
        let folder = try temporaryFolder()
        let model = repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path
        let index = try buildCorpusIndex(in: folder, model: model)
        let server = try ServerProcess.start(index: index, for: self)
        let query = "/?q=\("PF 대출 보증 잔액".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&mode=keyword&k=5"
        for (size, height, phone) in [("390,844", 844, true), ("1280,900", 900, false)] {
            let page = try dom(browser, url(server, query), size: size, language: "ko-KR")
            XCTAssertTrue(
                page.contains(phone ? "<details id=\"advanced\" class=\"advanced\">" : "<details id=\"advanced\" class=\"advanced\" open=\"\">"), size
            )
            let top = try XCTUnwrap(page.firstMatch(of: /data-top="(-?\d+)"/).flatMap { Int($0.output.1) }, page)
            XCTAssertTrue((0 ..< height - 200).contains(top), "\(size): the results begin at \(top), on the first screen")
            XCTAssertTrue(page.contains("<td class=\"num\">315</td>"), "a table's number, right-aligned")
            XCTAssertTrue(page.contains("<div class=\"table-box\"><table>"), "a table in a box that scrolls sideways")
            XCTAssertTrue(page.contains("https://dart.fss.or.kr/dsaf001/main.do?rcpNo=20240816000456"), "the filing's DART viewer")
            XCTAssertTrue(page.contains("(KST)"), "Korea's time, labelled")
            XCTAssertTrue(page.contains("결과 5건 (키워드)"), "the mode in Korean")
            XCTAssertTrue(page.contains("모델 mdeberta-tiny-safetensors ("), "the model's name, not its path")
        }
        let home = try dom(browser, url(server, "/"), language: "ko-KR")
        let periods = home.matches(of: /aria-pressed="false">(\d{4}(?:-[HQ]\d)?) \((\d+)\)/).map { (String($0.output.1), Int($0.output.2)!) }
        XCTAssertEqual(periods.map(\.0), ["2025", "2025-H1", "2024", "2024-H1", "2024-Q2", "2024-Q3", "2023"], "\(periods)")
        for (period, count) in periods where period.count == 4 {
            let parts = periods.filter { $0.0.hasPrefix(period + "-") }.map(\.1).reduce(0, +)
            let selected = try runKorsearch(["info", "--index", index, "--json"])
            let facets = ((try JSONSerialization.jsonObject(with: Data(selected.stdout.utf8)) as? [String: Any])?["facets"] as? [String: Any])?[
                "period"]
            let exact = (facets as? [[String: Any]] ?? []).filter { $0["value"] as? String == period }.compactMap { $0["documents"] as? Int }.reduce(
                0, +)
            XCTAssertEqual(count, parts + exact, "\(period) counts every document of the year")
        }
        let filed = try dom(
            browser, url(server, "/?q=\("보증".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&mode=keyword&filed_after=2024-08-01"),
            language: "ko-KR")
        let about = filed.matches(of: /공시 (\d{4}-\d{2}-\d{2})/).map { String($0.output.1) }
        XCTAssertFalse(about.isEmpty, "filed dates shown")
        XCTAssertTrue(about.allSatisfy { $0 >= "2024-08-01" }, "\(about)")
        XCTAssertTrue(filed.contains("상세 검색 (필터 1개)"), "the folded filters say how many are set")

        // After a query the facets count what it matches, as `korsearch search --facets` counts it.
        let cli = try runKorsearch(["search", "영업이익", "--index", index, "--mode", "keyword", "--facets", "--json"])
        let counted = try XCTUnwrap(
            ((try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])?["facets"] as? [String: Any])?["company"]
                as? [[String: Any]])
        let queried = try dom(browser, url(server, "/?q=\("영업이익".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&mode=keyword"))
        XCTAssertTrue(queried.contains("data-scope=\"query\""), "the query's facets")
        for company in counted {
            XCTAssertTrue(queried.contains(">\(company["value"] as! String) (\(company["documents"] as! Int))</button>"), "\(company)")
        }
        XCTAssertTrue(home.contains("data-scope=\"index\""), "without a query, the index's")
    }
}
