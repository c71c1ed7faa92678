import Foundation
import GRDB
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore
@testable import KorSearchEmbedded

final class FilingMetadataTests: XCTestCase {
    func testNormalizations() {
        XCTAssertEqual(FilingMetadata.companyKey("한빛전자 주식회사"), "한빛전자")
        XCTAssertEqual(FilingMetadata.companyKey("㈜한빛전자"), "한빛전자")
        XCTAssertEqual(FilingMetadata.companyKey("(주) 한빛 전자"), "한빛전자")
        XCTAssertEqual(FilingMetadata.period("2024"), "2024")
        XCTAssertEqual(FilingMetadata.period("2024-q3"), "2024-Q3")
        XCTAssertEqual(FilingMetadata.period("2024H1"), "2024-H1")
        XCTAssertNil(FilingMetadata.period("2024-Q5"))
        XCTAssertNil(FilingMetadata.period("24-Q1"))
        XCTAssertEqual(FilingMetadata.report(name: "반기보고서 (2024.06)").type, "반기보고서")
        XCTAssertEqual(FilingMetadata.report(name: "반기보고서 (2024.06)").period, "2024-H1")
        XCTAssertEqual(FilingMetadata.report(name: "[기재정정]사업보고서 (2023.12)").type, "사업보고서")
        XCTAssertEqual(FilingMetadata.report(name: "[기재정정]사업보고서 (2023.12)").period, "2023")
        XCTAssertEqual(FilingMetadata.report(name: "[기재정정]사업보고서 (2023.12)").amendment, "기재정정")
        XCTAssertEqual(FilingMetadata.report(name: " [첨부정정] 반기보고서 (2024.06)").amendment, "첨부정정")
        XCTAssertNil(FilingMetadata.report(name: "사업보고서 (2023.12)").amendment)
        XCTAssertNil(FilingMetadata.report(name: "[발행조건확정]증권신고서(채무증권)").amendment)
        XCTAssertEqual(FilingMetadata.report(name: "분기보고서 (2024.03)").period, "2024-Q1")
        XCTAssertNil(FilingMetadata.report(name: "주요사항보고서(자기주식취득결정)").period)
        // Inferred only where unambiguous.
        let title = FilingMetadata.inferred(from: "한빛전자㈜ 2024년 3분기 실적")
        XCTAssertEqual([title.company, title.period, title.reportType], ["한빛전자㈜", "2024-Q3", nil])
        XCTAssertEqual(title.inferred, [.company, .period])
        let annual = FilingMetadata.inferred(from: "한빛전자㈜ 2023 사업보고서 발췌: 위험 요인")
        XCTAssertEqual([annual.company, annual.period, annual.reportType], ["한빛전자㈜", "2023", "사업보고서"])
        let two = FilingMetadata.inferred(from: "한빛전자㈜와 푸른건설㈜의 2023년과 2024년 비교")
        XCTAssertNil(two.company, "two companies: none")
        XCTAssertNil(two.period, "two years: none")
        XCTAssertTrue(FilingMetadata.inferred(from: "국고채 금리 주간 동향").isEmpty)
        XCTAssertNil(FilingMetadata.inferred(from: "외환시장 일일 동향 (2024년 11월 5일)").period, "a date is not a period")
        // A title of 1,000,000 Hangul characters (a 50,000-character one took a minute in the company pattern):
        // only its start is read.
        let long = FilingMetadata.inferred(from: "한빛전자㈜ 2024년 3분기 " + String(repeating: "가", count: 1_000_000))
        XCTAssertEqual(long.company, "한빛전자㈜")
        XCTAssertEqual(long.period, "2024-Q3")
        // JSON: known keys only.
        XCTAssertEqual(FilingMetadata(company: "한빛전자", period: "2024").json, #"{"company":"한빛전자","period":"2024"}"#)
    }

    private func index(_ folder: URL) throws -> (EmbeddedLocation, IndexSummary) {
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        let model = try tinyModel
        let summary = try Indexer(directory: directory, embedder: model.embedder, model: model.identity).index(folder: folder)
        return (directory, summary)
    }

    /// Periods and days as people and DART write them, in the stored form; what is not one is refused naming
    /// the forms.
    func testPeriodsAndDaysAsPeopleWriteThem() throws {
        let periods = [
            "2024년 3분기": "2024-Q3", "2024 3Q": "2024-Q3", "2024년3분기": "2024-Q3", "2024년 상반기": "2024-H1", "2024년 반기": "2024-H1",
            "2024년 하반기": "2024-H2", "2024 1H": "2024-H1", "2024년": "2024", "2024-q3": "2024-Q3", "2024Q3": "2024-Q3", "2024": "2024",
        ]
        for (written, stored) in periods { XCTAssertEqual(FilingMetadata.period(written), stored, written) }
        for bad in ["2024년 5분기", "3분기", "2024 3H", "24년 3분기"] { XCTAssertNil(FilingMetadata.period(bad), bad) }
        for (written, stored) in ["2024-08-01": "2024-08-01", "20240801": "2024-08-01", "2024.08.01": "2024-08-01", "2024/08/01": "2024-08-01"] {
            XCTAssertEqual(SearchFilters.day(written), stored, written)
            XCTAssertEqual(SearchFilters(filedAfter: written).filedAfter, stored)
        }
        for bad in ["2024-02-30", "2024.08-01", "240801", "2024-8-1"] {
            XCTAssertNil(SearchFilters.day(bad), bad)
            XCTAssertThrowsError(try SearchFilters(filedBefore: bad).validate(), bad) { error in
                XCTAssertTrue("\(error)".contains("is not a day as YYYY-MM-DD, YYYYMMDD or YYYY.MM.DD"), "\(error)")
            }
        }
        XCTAssertEqual(SearchFilters(period: "2024년 3분기").period, "2024-Q3")
        XCTAssertEqual(SearchFilters.date(from: "20240801"), SearchFilters.date(from: "2024-08-01"))
    }

    func testFieldsFromManifestsFilingsAndTitles() throws {
        let folder = try temporaryFolder()
        try FilingFolder.write(folder)
        let (directory, summary) = try index(folder)
        XCTAssertEqual(summary.documents, 7, "the manifests are not documents")
        XCTAssertTrue(summary.skipped.isEmpty, "\(summary.skipped)")
        let documents = try EmbeddedStore.open(directory).catalog.documents()
        func fields(_ path: String) -> FilingMetadata { documents[path]!.metadata }
        // The DART markup, the list.json row over it (its [기재정정] mark kept as the amendment, not in the report
        // type; its stock code added).
        XCTAssertEqual(
            fields(FilingFolder.hanbitHalf),
            FilingMetadata(
                company: "한빛전자", corpCode: "00991234", stockCode: "123450", reportType: "반기보고서", period: "2024-H1",
                filed: "2024-08-14", rceptNo: "20240814000123", amendment: "기재정정"))
        XCTAssertEqual(
            fields(FilingFolder.hanbitAnnual),
            FilingMetadata(
                company: "한빛전자㈜", corpCode: "00991234", reportType: "사업보고서", period: "2023", filed: "2024-03-18", rceptNo: "20240318000456"))
        XCTAssertEqual(
            fields(FilingFolder.purunQuarter),
            FilingMetadata(
                company: "푸른건설 주식회사", corpCode: "00887766", reportType: "분기보고서", period: "2024-Q3", filed: "2024-11-14", rceptNo: "20241114000789"))
        XCTAssertEqual(
            fields(FilingFolder.hanbitQ3Listed),
            FilingMetadata(
                company: "한빛전자", corpCode: "00991234", stockCode: "123450", reportType: "분기보고서", period: "2024-Q3", filed: "2024-11-13",
                rceptNo: "20241113000321"))
        XCTAssertEqual(fields(FilingFolder.purunBuybackListed).reportType, "주요사항보고서(자기주식취득결정)")
        XCTAssertEqual(fields(FilingFolder.memo), FilingMetadata(company: "(주)푸른건설", reportType: "내부메모", period: "2024-Q4", filed: "2024-12-02"))
        XCTAssertEqual(fields(FilingFolder.inferred), FilingMetadata(company: "한빛전자㈜", period: "2024-Q3", inferred: [.company, .period]))
    }

    func testFiltersKeepOnlyMatchingDocumentsAndNeverComeBackShort() throws {
        let folder = try temporaryFolder()
        try FilingFolder.write(folder)
        let (directory, _) = try index(folder)
        let model = try tinyModel
        let searcher = try Searcher(index: try EmbeddedStore.open(directory), embedder: model.embedder, model: model.identity)
        func paths(_ filters: SearchFilters, mode: SearchMode = .keyword, limit: Int = 10) throws -> Set<String> {
            Set(try searcher.search("유동성 위험", limit: limit, mode: mode, filters: filters).map(\.path))
        }
        let hanbit: Set = [FilingFolder.hanbitHalf, FilingFolder.hanbitAnnual, FilingFolder.hanbitQ3Listed, FilingFolder.inferred]
        for name in ["한빛전자", "한빛전자 주식회사", "㈜한빛전자"] {
            XCTAssertEqual(try paths(SearchFilters(company: name)), hanbit, name)
        }
        XCTAssertEqual(
            try paths(SearchFilters(company: "00991234")), hanbit.subtracting([FilingFolder.inferred]),
            "the corp_code, where known (a title gives none)")
        XCTAssertEqual(
            try paths(SearchFilters(company: "123450")), [FilingFolder.hanbitHalf, FilingFolder.hanbitQ3Listed], "the stock code, where known")
        XCTAssertEqual(try paths(SearchFilters(company: "푸른건설")), [FilingFolder.purunQuarter, FilingFolder.purunBuybackListed, FilingFolder.memo])
        XCTAssertEqual(try paths(SearchFilters(reportType: "분기보고서")), [FilingFolder.purunQuarter, FilingFolder.hanbitQ3Listed])
        XCTAssertEqual(
            try paths(SearchFilters(period: "2024")),
            [
                FilingFolder.hanbitHalf, FilingFolder.purunQuarter, FilingFolder.hanbitQ3Listed,
                FilingFolder.memo, FilingFolder.inferred,
            ], "every period in 2024")
        XCTAssertEqual(try paths(SearchFilters(period: "2024-Q3")), [FilingFolder.purunQuarter, FilingFolder.hanbitQ3Listed, FilingFolder.inferred])
        XCTAssertEqual(try paths(SearchFilters(company: "한빛전자", period: "2024-q3")), [FilingFolder.hanbitQ3Listed, FilingFolder.inferred])
        XCTAssertEqual(
            try paths(SearchFilters(filedAfter: "2024-11-13", filedBefore: "2024-11-20")), [FilingFolder.purunQuarter, FilingFolder.hanbitQ3Listed])
        // Before the cut, in every mode: as many hits as asked for while matching passages remain.
        for mode in SearchMode.allCases {
            let hits = try searcher.search("유동성 위험", limit: 3, mode: mode, filters: SearchFilters(company: "한빛전자"))
            XCTAssertEqual(hits.count, 3, "\(mode)")
            XCTAssertTrue(hits.allSatisfy { hanbit.contains($0.path) }, "\(mode): \(hits.map(\.path))")
            XCTAssertTrue(hits.allSatisfy { $0.metadata.companyKey == "한빛전자" }, "hits carry their metadata")
        }
        XCTAssertThrowsError(try searcher.search("유동성", limit: 3, mode: .keyword, filters: SearchFilters(period: "2024-Q5"))) {
            XCTAssertTrue("\($0)".contains("is not YYYY, YYYY-H1/H2 or YYYY-Q1..Q4"), "\($0)")
        }
        XCTAssertThrowsError(try searcher.search("유동성", limit: 3, mode: .keyword, filters: SearchFilters(filedAfter: "2024-11-31")))
    }

    func testEvalTakesEachQuestionsFilters() throws {
        let folder = try temporaryFolder()
        try FilingFolder.write(folder)
        let (directory, _) = try index(folder)
        let qrels = try temporaryFolder().appendingPathComponent("qrels.jsonl")
        try Data(
            """
            {"query": "유동성 위험", "relevant": ["\(FilingFolder.memo)"], "filters": {"company": "푸른건설", "report_type": "내부메모"}}
            {"query": "유동성 위험", "relevant": ["\(FilingFolder.hanbitQ3Listed)"], "filters": {"company": "123450", "period": "2024-Q3"}}
            """.utf8
        ).write(to: qrels)
        let queries = try JudgedQuery.load(qrels)
        XCTAssertEqual(queries[1].filters?.period, "2024-Q3")
        let searcher = try Searcher(index: try EmbeddedStore.open(directory), embedder: nil, model: nil)
        XCTAssertEqual(try searcher.evaluate(queries, mode: .keyword, k: 1).recall, 1, "each question searched within its filters")
        let unfiltered = queries.map { JudgedQuery(query: $0.query, relevant: $0.relevant ?? []) }
        XCTAssertLessThan(try searcher.evaluate(unfiltered, mode: .keyword, k: 1).recall, 1)
    }

    /// `info`'s facets count documents through an index on each facet column (never reading the documents
    /// table, whose facet columns lie after each document's text); a catalog without those indexes (made
    /// before them) gets them at its next writable open and counts the same.
    func testFacetsReadTheirColumnIndexes() throws {
        let folder = try temporaryFolder()
        try FilingFolder.write(folder)
        let (directory, _) = try index(folder)
        let facets = try EmbeddedStore.open(directory).info().facets
        XCTAssertEqual(facets.company.first, KorSearchCore.IndexInfo.FacetValue(value: "한빛전자", documents: 4))
        XCTAssertEqual(facets.reportType.map(\.documents).reduce(0, +), 6, "\(facets.reportType)")
        func plans() throws -> [String] {
            try DatabaseQueue(path: directory.catalogURL.path).read { db in
                try KorSearchCore.IndexInfo.Facets.columns.map { column in
                    try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + KorSearchCore.IndexInfo.Facets.query(column)).map { $0["detail"] as String }
                        .joined(separator: "; ")
                }
            }
        }
        for (column, plan) in zip(KorSearchCore.IndexInfo.Facets.columns, try plans()) {
            XCTAssertTrue(plan.contains("COVERING INDEX documents_\(column)"), "\(column): \(plan)")
        }
        try DatabaseQueue(path: directory.catalogURL.path).write { db in
            for column in KorSearchCore.IndexInfo.Facets.columns { try db.execute(sql: "DROP INDEX documents_\(column)") }
        }
        XCTAssertFalse(try plans().contains { $0.contains("COVERING INDEX") })
        XCTAssertEqual(try EmbeddedStore.open(directory).info().facets, facets)
        XCTAssertTrue(try plans().allSatisfy { $0.contains("COVERING INDEX") })
    }

    func testAChangedManifestUpdatesFieldsWithoutEmbedding() throws {
        let folder = try temporaryFolder()
        try FilingFolder.write(folder)
        let (directory, _) = try index(folder)
        let model = try tinyModel
        try Data(FilingFolder.list.replacingOccurrences(of: "\"045670\"", with: "\"045671\"").utf8).write(
            to: folder.appendingPathComponent("list.json"))
        try Data(
            """
            {"path": "\(FilingFolder.memo)", "company": "새봄은행", "period": "2025"}
            """.utf8
        ).write(to: folder.appendingPathComponent("metadata.jsonl"))
        let again = try Indexer(directory: directory, embedder: model.embedder, model: model.identity).index(folder: folder)
        XCTAssertEqual(again.tokens, 0, "nothing re-embedded")
        XCTAssertEqual(again.unchanged, 7)
        XCTAssertEqual(again.metadataUpdated, 2)
        let documents = try EmbeddedStore.open(directory).catalog.documents()
        XCTAssertEqual(documents[FilingFolder.purunBuybackListed]?.metadata.stockCode, "045671")
        XCTAssertEqual(documents[FilingFolder.memo]?.metadata, FilingMetadata(company: "새봄은행", period: "2025"))
        let searcher = try Searcher(index: try EmbeddedStore.open(directory), embedder: nil, model: nil)
        XCTAssertEqual(
            try searcher.search("유동성 위험", limit: 10, mode: .keyword, filters: SearchFilters(company: "새봄은행")).map(\.path), [FilingFolder.memo])
        // Removing the manifest takes its fields away again; the files' own stay.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("metadata.jsonl"))
        let third = try Indexer(directory: directory, embedder: model.embedder, model: model.identity).index(folder: folder)
        XCTAssertEqual(third.tokens, 0)
        XCTAssertEqual(try EmbeddedStore.open(directory).catalog.documents()[FilingFolder.memo]?.metadata, FilingMetadata())
        // A manifest that cannot be read is listed with the reason; the run goes on.
        try Data("{\"path\": 1}\n".utf8).write(to: folder.appendingPathComponent("metadata.jsonl"))
        let broken = try Indexer(directory: directory, embedder: model.embedder, model: model.identity).index(folder: folder)
        XCTAssertEqual(broken.skipped.map(\.path), ["metadata.jsonl"])
        XCTAssertTrue(broken.skipped.first?.reason.contains("line 1 is not a JSON object with a \"path\"") == true, "\(broken.skipped)")
    }

    /// Manifest values are checked, the same rules for every store (the manifest is read before any store
    /// sees it): a date must be a day of the calendar, a control character is refused naming its line (a NUL
    /// cut the facet column short while the stored JSON kept it), and a manifest that is not UTF-8 is a
    /// problem named as such rather than read with replacement characters.
    func testManifestValuesAreChecked() throws {
        let cases: [(Data, String)] = [
            (Data(#"{"path": "a.txt", "filed": "2024-02-30"}"#.utf8), "line 1: filed \"2024-02-30\" is not a date (YYYY-MM-DD)"),
            (Data("{\"path\": \"a.txt\"}\n{\"path\": \"b.txt\", \"company\": \"한빛\\u0000전자\"}".utf8), "line 2: U+0000 (a control character) in"),
            (Data(#"{"path": "a.txt", "company": "한빛"#.utf8) + Data([0xFF, 0xFE]) + Data(#""}"#.utf8), "not UTF-8 text"),
        ]
        for (data, reason) in cases {
            let folder = try temporaryFolder()
            try data.write(to: folder.appendingPathComponent("metadata.jsonl"))
            let problems = Manifest(folder: folder).problems
            XCTAssertEqual(problems.map(\.path), ["metadata.jsonl"], reason)
            XCTAssertTrue(problems.first?.reason.contains(reason) == true, "\(problems)")
        }
        let folder = try temporaryFolder()
        try Data(#"{"path": "a.txt", "filed": "2024-02-29", "company": "한빛전자"}"#.utf8).write(to: folder.appendingPathComponent("metadata.jsonl"))
        let leap = Manifest(folder: folder)
        XCTAssertEqual(leap.problems, [])
        XCTAssertEqual(leap.entry(for: "a.txt")?.filed, "2024-02-29")
        XCTAssertNil(Manifest.date("2023-02-29"))
        XCTAssertNil(Manifest.date("2024-04-31"))
    }
}
