import Foundation
import XCTest

/// `korsearch search` and `korsearch eval` as real processes.
final class SearchCLITests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func builtIndex() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-cli-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let index = folder.appendingPathComponent("index").path
        let model = repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path
        let run = try runKorsearch([
            "index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", model, "--quiet",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        return index
    }

    func testSearchJSONContractHumanOutputAndQueriesFile() throws {
        let index = try builtIndex()
        let run = try runKorsearch(["search", "스트레스 DSR", "--index", index, "--json", "-k", "3", "--mode", "keyword"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["query"] as? String, "스트레스 DSR")
        let results = try XCTUnwrap(object["results"] as? [[String: Any]])
        XCTAssertFalse(results.isEmpty)
        XCTAssertLessThanOrEqual(results.count, 3)
        let first = results[0]
        for key in ["rank", "score", "path", "chunk_id", "text", "start", "end", "page", "section"] {
            XCTAssertTrue(first.keys.contains(key), key)
        }
        XCTAssertEqual(first["rank"] as? Int, 1)
        XCTAssertEqual(first["path"] as? String, "market/household-debt.txt")
        XCTAssertTrue(first["page"] is NSNull, "page is null for a text file")
        XCTAssertTrue(first["section"] is NSNull, "section is null for a document without headings")

        let filing = try runKorsearch(["search", "인천 송도 주상복합", "--index", index, "--json", "-k", "1", "--mode", "keyword", "--type", "dart"])
        let filingHit = try XCTUnwrap(
            (try JSONSerialization.jsonObject(with: Data(filing.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]]
        ).first
        XCTAssertEqual(filingHit?["path"] as? String, "disclosures/20240816000456.zip")
        XCTAssertEqual(filingHit?["section"] as? String, "IV. 우발부채 등에 관한 사항 > 1. PF 대출 지급보증")
        let filingMetadata = try XCTUnwrap(filingHit?["metadata"] as? [String: Any])
        XCTAssertEqual(filingMetadata["company"] as? String, "푸른건설㈜")
        XCTAssertEqual(filingMetadata["corp_code"] as? String, "00887766")
        XCTAssertEqual(filingMetadata["report_type"] as? String, "반기보고서")
        XCTAssertEqual(filingMetadata["period"] as? String, "2024-H1")
        XCTAssertEqual(filingMetadata["filed"] as? String, "2024-08-16")
        XCTAssertEqual(filingMetadata["rcept_no"] as? String, "20240816000456")
        XCTAssertNil(filingMetadata["stock_code"], "unknown keys are left out")
        XCTAssertEqual((first["metadata"] as? [String: Any])?["period"] as? String, "2024-Q2", "inferred from its first lines")
        XCTAssertEqual((first["metadata"] as? [String: Any])?["inferred"] as? [String], ["period"])

        // Metadata filters: only the company's documents, by name or code; a bad period is a usage error.
        let company = try runKorsearch(["search", "영업이익", "--index", index, "--json", "-k", "5", "--mode", "keyword", "--company", "한빛전자 주식회사"])
        XCTAssertEqual(company.status, 0, company.stderr)
        let companyHits = try XCTUnwrap(
            (try JSONSerialization.jsonObject(with: Data(company.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])
        XCTAssertFalse(companyHits.isEmpty)
        XCTAssertTrue(
            companyHits.allSatisfy { ($0["metadata"] as? [String: Any])?["company"] as? String == "한빛전자㈜" }, "\(companyHits.map { $0["path"] ?? "" })"
        )
        let code = try runKorsearch([
            "search", "보증", "--index", index, "--json", "-k", "5", "--mode", "keyword", "--company", "00887766", "--period", "2024", "--report-type",
            "반기보고서",
        ])
        let codeHits = try XCTUnwrap(
            (try JSONSerialization.jsonObject(with: Data(code.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])
        XCTAssertEqual(Set(codeHits.compactMap { $0["path"] as? String }), ["disclosures/20240816000456.zip"])
        let badPeriod = try runKorsearch(["search", "보증", "--index", index, "--period", "2024-Q5"])
        XCTAssertEqual(badPeriod.status, 64, badPeriod.stderr)
        XCTAssertTrue(badPeriod.stderr.contains("is not YYYY, YYYY-H1/H2 or YYYY-Q1..Q4"), badPeriod.stderr)
        // A company or report type no document has is said so, with the nearest the index has; a code is not
        // checked (facets hold names), and a known name with no match for the query is simply no results.
        for (option, value, nearest) in [("--company", "한빗전자", "한빛전자"), ("--report-type", "사업보고사", "사업보고서")] {
            let unknown = try runKorsearch(["search", "보증", "--index", index, option, value, "--mode", "keyword"])
            XCTAssertEqual(unknown.status, 64, unknown.stderr)
            XCTAssertTrue(unknown.stderr.contains("is in the index; the nearest it has: \(nearest)"), unknown.stderr)
        }
        let noMatch = try runKorsearch(["search", "zzzzqqq", "--index", index, "--company", "한빛전자", "--mode", "keyword"])
        XCTAssertEqual(noMatch.status, 0, noMatch.stderr)
        XCTAssertEqual(try runKorsearch(["search", "zzzzqqq", "--index", index, "--company", "00000000", "--mode", "keyword"]).status, 0)
        let badDate = try runKorsearch(["search", "보증", "--index", index, "--filed-after", "2024-13-01"])
        XCTAssertEqual(badDate.status, 64, badDate.stderr)
        // DART's own day form and a Korean period give what the canonical forms give.
        func paths(_ arguments: [String]) throws -> [String] {
            let run = try runKorsearch(["search", "보증", "--index", index, "--json", "--mode", "keyword"] + arguments)
            XCTAssertEqual(run.status, 0, run.stderr)
            return ((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])?
                .compactMap { $0["path"] as? String } ?? []
        }
        let canonical = try paths(["--filed-after", "2024-08-01", "--period", "2024-H1"])
        XCTAssertFalse(canonical.isEmpty)
        XCTAssertEqual(try paths(["--filed-after", "20240801", "--period", "2024년 상반기"]), canonical)
        XCTAssertEqual(try paths(["--filed-after", "2024.08.01", "--period", "2024 1H"]), canonical)
        let info = try JSONSerialization.jsonObject(with: Data(try runKorsearch(["info", "--index", index, "--json"]).stdout.utf8)) as? [String: Any]
        let companies = ((info?["facets"] as? [String: Any])?["company"] as? [[String: Any]]) ?? []
        XCTAssertEqual(companies.first?["value"] as? String, "한빛전자")
        XCTAssertEqual(companies.first?["documents"] as? Int, 4)

        let pdf = try runKorsearch(["search", "조기상환", "--index", index, "--json", "-k", "1", "--type", "pdf", "--context", "1"])
        let pdfHit = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(pdf.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])
            .first
        XCTAssertEqual(pdfHit?["page"] as? Int, 1)
        XCTAssertNotNil(pdfHit?["context"] as? [[String: Any]])

        let human = try runKorsearch(["search", "자기주식 소각", "--index", index, "-k", "2"])
        XCTAssertEqual(human.status, 0, human.stderr)
        XCTAssertTrue(human.stdout.contains(" 1. "))
        XCTAssertTrue(human.stdout.contains("**자기주식**"), human.stdout)

        let queries = FileManager.default.temporaryDirectory.appendingPathComponent("queries-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: queries) }
        try Data("환율\n\n배당금\n국고채\n".utf8).write(to: queries)
        let batch = try runKorsearch(["search", "--queries", queries.path, "--index", index, "-k", "2"])
        XCTAssertEqual(batch.status, 0, batch.stderr)
        XCTAssertEqual(batch.lines.count, 3)
        XCTAssertEqual(
            try batch.lines.map { (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["query"] as? String },
            ["환율", "배당금", "국고채"])
    }

    func testEvalReportsEveryMode() throws {
        let index = try builtIndex()
        let run = try runKorsearch([
            "eval", "--index", index, "--qrels", repository.appendingPathComponent("Examples/eval/qrels.jsonl").path, "--json",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let modes = try XCTUnwrap(report["modes"] as? [String: [String: Any]])
        XCTAssertEqual(Set(modes.keys), ["hybrid", "vector", "keyword"])
        XCTAssertGreaterThan(modes["keyword"]?["recall"] as? Double ?? 0, 0.9)
        XCTAssertGreaterThanOrEqual(report["queries"] as? Int ?? 0, 30)

        // --per-query: a JSON line per query and mode, whose first relevant ranks give the summary's MRR@10.
        let perQuery = try runKorsearch([
            "eval", "--index", index, "--qrels", repository.appendingPathComponent("Examples/eval/qrels.jsonl").path, "--per-query", "--json",
            "-k", "3",
        ])
        XCTAssertEqual(perQuery.status, 0, perQuery.stderr)
        let lines = try perQuery.lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(lines.count, (report["queries"] as? Int ?? 0) * 3)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(perQuery.stderr.utf8)) as? [String: Any], "the summary on stderr")
        for mode in ["hybrid", "vector", "keyword"] {
            let rows = lines.filter { $0["mode"] as? String == mode }
            let mrr =
                rows.map { row in (row["first_relevant_rank"] as? Int).map { $0 <= 10 ? 1 / Double($0) : 0 } ?? 0 }.reduce(0, +) / Double(rows.count)
            let expected = try XCTUnwrap(((summary["modes"] as? [String: [String: Any]])?[mode])?["mrr"] as? Double)
            XCTAssertEqual(mrr, expected, accuracy: 1e-9, mode)
            XCTAssertTrue(rows.allSatisfy { ($0["hits"] as? [[String: Any]])?.count ?? 0 <= 3 }, "the top k")
        }
        let first = try XCTUnwrap((lines.first?["hits"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(first.keys), ["rank", "path", "chunk_id", "relevant"])
    }

    /// `index` chooses the hybrid weight from held-out sentences and says so; `info` shows how it was chosen;
    /// `eval --rerank MODEL` measures each mode before and after the reranker.
    func testIndexChoosesAWeightAndEvalMeasuresAReranker() throws {
        let folder = try temporaryFolder()
        let index = folder.appendingPathComponent("index").path
        let model = repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path
        let indexed = try runKorsearch([
            "index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", model, "--json",
        ])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(indexed.stdout.utf8)) as? [String: Any])
        let choice = try XCTUnwrap(summary["vector_weight"] as? [String: Any])
        XCTAssertGreaterThanOrEqual(choice["questions"] as? Int ?? 0, 10)
        XCTAssertNotNil(choice["keyword_only_mrr"] as? Double)
        let info = try runKorsearch(["info", "--index", index])
        XCTAssertTrue(info.stdout.contains("held-out sentences: \(choice["questions"] as? Int ?? 0) questions from the index"), info.stdout)

        let reranker = repository.appendingPathComponent("Tests/Fixtures/models/xlmr-tiny-reranker").path
        let qrels = repository.appendingPathComponent("Examples/eval/qrels.jsonl").path
        let run = try runKorsearch(["eval", "--index", index, "--qrels", qrels, "--rerank", reranker, "--rerank-top", "10", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["reranker"] as? String, reranker)
        let modes = try XCTUnwrap(report["modes"] as? [String: [String: Any]])
        XCTAssertEqual(Set(modes.keys), ["hybrid", "vector", "keyword", "hybrid+rerank", "vector+rerank", "keyword+rerank"])
        let human = try runKorsearch(["eval", "--index", index, "--qrels", qrels, "--rerank", reranker, "--mode", "keyword", "--rerank-top", "10"])
        XCTAssertTrue(human.stdout.contains("reranker \(reranker), top 10") && human.stdout.contains("keyword+rerank"), human.stdout)
        let refused = try runKorsearch(["eval", "--index", index, "--qrels", qrels, "--rerank", model])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("not a cross-encoder"), refused.stderr)
    }

    /// `eval --sweep` reports hybrid at each weight and names the best; `--save-best` stores it, `info` and
    /// `search --json` then show it, and `--vector-weight` on a query still wins. Bad weights are usage errors.
    func testSweepStoresTheBestWeightAndQueriesMaySetTheirOwn() throws {
        let index = try builtIndex()
        let qrels = repository.appendingPathComponent("Examples/eval/qrels.jsonl").path
        let human = try runKorsearch(["eval", "--index", index, "--qrels", qrels, "--sweep"])
        XCTAssertEqual(human.status, 0, human.stderr)
        XCTAssertTrue(human.stdout.contains("weight   Recall@10   MRR@10  nDCG@10\n0.0 "), human.stdout)
        XCTAssertTrue(human.stdout.contains("  best"), human.stdout)
        XCTAssertTrue(human.stdout.contains("0.5 ") && human.stdout.contains("(index default)"), human.stdout)
        XCTAssertTrue(human.stdout.contains("add --save-best"), human.stdout)

        let saved = try runKorsearch(["eval", "--index", index, "--qrels", qrels, "--sweep", "--save-best", "--json"])
        XCTAssertEqual(saved.status, 0, saved.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(saved.stdout.utf8)) as? [String: Any])
        let sweep = try XCTUnwrap(report["sweep"] as? [[String: Any]])
        XCTAssertEqual(sweep.compactMap { $0["vector_weight"] as? Double }, (0 ... 10).map { Double($0) / 10 })
        let best = try XCTUnwrap(report["best"] as? Double)
        XCTAssertEqual(report["saved"] as? Bool, true)
        XCTAssertEqual(report["index_default"] as? Double, best)
        let bestMRR = sweep.compactMap { $0["mrr"] as? Double }.max()
        XCTAssertEqual(sweep.first { $0["vector_weight"] as? Double == best }?["mrr"] as? Double, bestMRR)

        let info = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(try runKorsearch(["info", "--index", index, "--json"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(info["vector_weight"] as? Double, best)
        XCTAssertTrue(try runKorsearch(["info", "--index", index]).stdout.contains("hybrid     vector weight \(best)"))
        let search = try runKorsearch(["search", "국고채 금리", "--index", index, "--json", "-k", "2"])
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [String: Any])?["vector_weight"] as? Double, best)
        let own = try runKorsearch(["search", "국고채 금리", "--index", index, "--json", "-k", "2", "--vector-weight", "0.7"])
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(own.stdout.utf8)) as? [String: Any])?["vector_weight"] as? Double, 0.7)
        let fixed = try runKorsearch(["eval", "--index", index, "--qrels", qrels, "--mode", "hybrid", "--vector-weight", "0", "--json"])
        let hybrid = try XCTUnwrap(
            ((try JSONSerialization.jsonObject(with: Data(fixed.stdout.utf8)) as? [String: Any])?["modes"] as? [String: [String: Any]])?["hybrid"])
        XCTAssertEqual(hybrid["mrr"] as? Double, sweep[0]["mrr"] as? Double, "eval at one weight agrees with the sweep")

        for (arguments, message) in [
            (["search", "금리", "--index", index, "--vector-weight", "1.5"], "--vector-weight must be between 0 and 1"),
            (["eval", "--index", index, "--qrels", qrels, "--save-best"], "add --sweep"),
            (["eval", "--index", index, "--qrels", qrels, "--sweep", "--vector-weight", "0.3"], "leave out --vector-weight"),
            (["eval", "--index", index, "--qrels", qrels, "--sweep", "--mode", "keyword"], "leave out --mode keyword"),
        ] {
            let run = try runKorsearch(arguments)
            XCTAssertEqual(run.status, 64, arguments.joined(separator: " "))
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }

    func testSearchErrors() throws {
        let index = try builtIndex()
        let cases: [([String], String)] = [
            (["search", "", "--index", index], "the query is empty"),
            (["search", "금리", "--index", "/nonexistent/index"], "no index at"),
            (
                ["search", "금리", "--index", index, "--model", repository.appendingPathComponent("Tests/Fixtures/models/log-buckets-pytorch").path],
                "was built by model"
            ),
            (["search", "--index", index], "give a QUERY or --queries FILE"),
            (["search", "금리", "--index", index, "--after", "yesterday"], "YYYY-MM-DD"),
            (["eval", "--index", index, "--qrels", "/nonexistent/qrels.jsonl"], "cannot read qrels file"),
        ]
        for (arguments, message) in cases {
            let result = try runKorsearch(arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "")
        }
        let corrupt = try runKorsearch(["search", "금리", "--index", index, "--mode", "keyword"], environment: [:])
        XCTAssertEqual(corrupt.status, 0)
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: index).appendingPathComponent("catalog.sqlite"))
        let broken = try runKorsearch(["search", "금리", "--index", index])
        XCTAssertNotEqual(broken.status, 0)
        XCTAssertTrue(broken.stderr.contains("not a valid catalog"), broken.stderr)
    }
}
