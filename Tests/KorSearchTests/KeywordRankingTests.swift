import Foundation
import GRDB
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorSearchCore
@testable import KorSearchEmbedded
@testable import KorSearchPostgres

/// Korean-aware keyword terms: Hangul bigrams, amounts with Korean units as one term, highlights of exactly what
/// matched, and older indexes' terms derived again (both stores).
final class KeywordRankingTests: XCTestCase {
    /// A new folder holding these files (name, text).
    private func writtenFolder(_ files: [(String, String)]) throws -> URL {
        let folder = try temporaryFolder()
        for (name, text) in files { try Data(text.utf8).write(to: folder.appendingPathComponent(name)) }
        return folder
    }

    /// A new index directory, and a new PostgreSQL store named `name` where the test server runs.
    private func stores(_ name: String) throws -> [IndexLocation] {
        var stores: [IndexLocation] = [.directory(EmbeddedLocation(try temporaryFolder().appendingPathComponent(name)))]
        if let postgres = try TestPostgres.freshLocation(name) { stores.append(postgres) }
        return stores
    }

    /// `육아휴직을` ranks a passage with 육아휴직 (three of its bigrams, two rare) above one that repeats the
    /// common 휴직 and 직을, and an amount finds its other spelling.
    func testSharedBigramsOutrankRepeatedCoincidences() throws {
        let files = [
            ("leave.txt", "육아휴직 제도를 확대하여 자녀가 여덟 살 이하인 직원은 최대 2년까지 쓸 수 있다."),
            ("other.txt", "질병으로 휴직을 신청한 직원은 복직 전에 진단서를 내야 하며 휴직을 연장할 수 있다."),
            ("sales.txt", "올해 매출은 13,200억원으로 전년보다 늘었다."),
        ]
        let folder = try writtenFolder(files)
        let (_, searcher) = try indexedCopies(of: files.map { folder.appendingPathComponent($0.0) }, chunkTokens: 64)
        XCTAssertEqual(try searcher.search("육아휴직을", limit: 2, mode: .keyword).first?.path, "leave.txt")
        XCTAssertEqual(try searcher.search("1조 3,200억 원 매출", limit: 1, mode: .keyword).first?.path, "sales.txt")
    }

    /// An index whose keyword terms older rules derived gets them derived again by the next indexing run, with
    /// no re-embedding, and then searches as a fresh index does: both stores. (An index directory's keyword
    /// index file records its rules; one by other rules, or none, is derived again from the passages' text.)
    func testOlderTermsAreDerivedAgainOnTheNextRun() throws {
        let corpus = try temporaryFolder()
        try FileManager.default.copyItem(at: TestPaths.corpus, to: corpus.appendingPathComponent("corpus"))
        let model = try tinyModel
        for location in try stores("terms") {
            let indexer = try Indexer(location: location, embedder: model.embedder, model: model.identity)
            try indexer.index(folder: corpus.appendingPathComponent("corpus"))
            let fresh = try Searcher(location: location, embedder: nil, model: nil)
            let queries = ["육아휴직을", "반도체 업황", "부동산 PF 보증 잔액", "새봄은행 순이자마진"]
            let expected = try queries.map { try fresh.search($0, limit: 5, mode: .keyword).map { ($0.path, $0.score) } }
            // As an older korsearch left it: bigram terms only, and no version recorded.
            if let postgres = location.store as? PostgresLocation {
                let session = try PostgresSession(postgres)
                try session.execute("UPDATE chunks SET terms = ''::tsvector")
                try session.execute("DELETE FROM keyword_postings")
                try session.execute("DELETE FROM meta WHERE key = 'keyword_terms'")
            } else {
                let directory = location.store as! EmbeddedLocation
                var file = try Data(contentsOf: directory.keywordsURL)
                file[12] = 1  // the header's rules version
                try file.write(to: directory.keywordsURL)
                let catalog = try DatabaseQueue(path: directory.catalogURL.path)
                try catalog.write { db in
                    try db.execute(sql: "DELETE FROM meta WHERE key IN ('keyword_terms', 'keywords_checksum')")
                }
            }
            XCTAssertEqual(try IndexStores.meta(of: location).keywordTerms, 1)
            var warnings: [String] = []
            let summary = try Indexer(location: location, embedder: model.embedder, model: model.identity, warn: { warnings.append($0) })
                .index(folder: corpus.appendingPathComponent("corpus"))
            XCTAssertEqual(summary.tokens, 0, "no re-embedding")
            XCTAssertTrue(warnings.contains { $0.contains("derived again") || $0.contains("terms by other rules (version 1") }, "\(warnings)")
            XCTAssertEqual(try IndexStores.meta(of: location).keywordTerms, KeywordTerms.version)
            let again = try Searcher(location: location, embedder: nil, model: nil)
            for (query, hits) in zip(queries, expected) {
                let found = try again.search(query, limit: 5, mode: .keyword).map { ($0.path, $0.score) }
                XCTAssertEqual(found.map(\.0), hits.map(\.0), "\(location): \(query)")
                for (a, b) in zip(found, hits) { XCTAssertEqual(a.1, b.1, accuracy: 1e-9, "\(location): \(query)") }
            }
        }
    }

    /// Proximity, the second stage: three passages with the same BM25 score for `펀드 규모` rank by how close the
    /// two words stand (`펀드규모`, `펀드의 규모`, `펀드 실적 규모`), each scored exactly BM25 plus 0.25 × min(idf)
    /// / (1 + gap) — both stores; and a query of one word is BM25 alone.
    func testWordsStandingTogetherOutrankTheSameWordsApart() throws {
        var files = [("together.txt", "펀드규모"), ("near.txt", "펀드의 규모"), ("apart.txt", "펀드 실적 규모")]
        files += (0 ..< 12).map { ("other\($0).txt", "채권 금리 \($0)") }
        let folder = try writtenFolder(files)
        let model = try tinyModel
        for location in try stores("proximity") {
            try Indexer(location: location, embedder: model.embedder, model: model.identity).index(folder: folder)
            let searcher = try Searcher(location: location, embedder: nil, model: nil)
            let hits = try searcher.search("펀드 규모", limit: 3, mode: .keyword)
            XCTAssertEqual(hits.map(\.path), ["together.txt", "near.txt", "apart.txt"], "\(location)")
            // Each passage has three terms, one 펀드 and one 규모: the same BM25, from the store's own engine.
            let bm25 = try searcher.index.bestKeywordMatches(["규모", "펀드"], depth: 3, filters: SearchFilters())
            XCTAssertEqual(Set(bm25.map(\.score)).count, 1, "\(location): \(bm25)")
            let idf = keywordIDF(passages: files.count, containing: 3)
            for (hit, gap) in zip(hits, [0.0, 2, nil]) {
                let expected = bm25[0].score + (gap.map { 0.25 * idf / (1 + $0) } ?? 0)
                XCTAssertEqual(hit.score, expected, accuracy: 1e-9, "\(location): \(hit.path)")
            }
            let single = try searcher.search("펀드", limit: 3, mode: .keyword)
            XCTAssertEqual(single.map(\.score), try searcher.index.bestKeywordMatches(["펀드"], depth: 3, filters: SearchFilters()).map(\.score))
        }
    }

    /// A user dictionary given to a run derives every passage's terms again (no re-embedding) and the index then
    /// ranks exactly as one built with it from the start; removing it goes back. Aliases need no new terms: a
    /// query for a short name finds the passage with the full one, says so, and marks it. Both stores.
    func testDictionaryAndAliasesChangeRankingWithoutReembedding() throws {
        let folder = try writtenFolder([
            ("hanbit.txt", "한빛전자의 자기주식 취득 결정 공시."),
            ("driver.txt", "운전자본 변동과 전자 부품 재고 증가."),
            ("samsung.txt", "삼성전자 반도체 부문 실적 발표."),
        ])
        let model = try tinyModel
        let dictionary = try KeywordDictionary(words: ["한빛전자"])
        func index(_ location: IndexLocation, dictionary: KeywordDictionary?, aliases: KeywordAliases? = nil) throws -> (IndexSummary, [String]) {
            var options = IndexOptions()
            options.keywordDictionary = dictionary
            options.keywordAliases = aliases
            nonisolated(unsafe) var warnings: [String] = []
            let summary = try Indexer(
                location: location, embedder: model.embedder, model: model.identity, options: options, warn: { warnings.append($0) }
            )
            .index(folder: folder)
            return (summary, warnings)
        }
        func ranking(_ location: IndexLocation, _ query: String) throws -> [String] {
            try Searcher(location: location, embedder: nil, model: nil).search(query, limit: 3, mode: .keyword).map { "\($0.path) \($0.score)" }
        }
        for (plain, fresh) in zip(try stores("lexicon"), try stores("lexicon_fresh")) {
            try index(plain, dictionary: nil)
            try index(fresh, dictionary: dictionary)
            XCTAssertEqual(try ranking(plain, "전자").count, 3, "bigrams: 전자 inside 한빛전자 and 운전자본")
            let (summary, warnings) = try index(plain, dictionary: dictionary)
            XCTAssertEqual(summary.tokens, 0, "no re-embedding")
            XCTAssertTrue(warnings.contains { $0.contains("dictionary") }, "\(warnings)")
            XCTAssertEqual(try IndexStores.meta(of: plain).keywordDictionary, dictionary)
            XCTAssertTrue(try IndexStores.meta(of: plain).keywordTermsAreCurrent)
            for query in ["전자", "한빛전자", "한빛전자 자기주식", "운전자본"] {
                XCTAssertEqual(try ranking(plain, query), try ranking(fresh, query), "\(plain): \(query) as a fresh index with the dictionary")
            }
            XCTAssertFalse(try ranking(plain, "전자").contains { $0.hasPrefix("hanbit.txt") }, "한빛전자 stays whole")
            XCTAssertEqual(try ranking(plain, "한빛전자").first?.hasPrefix("hanbit.txt"), true)
            // The dictionary removed: bigrams again.
            try index(plain, dictionary: .empty)
            XCTAssertEqual(try ranking(plain, "전자").count, 3)

            // Aliases: the default list knows 삼전; the index's own list adds 한빛 → 한빛전자.
            try index(plain, dictionary: dictionary, aliases: try KeywordAliases(parsing: "한빛전자, 한빛\n", source: "aliases"))
            let searcher = try Searcher(location: plain, embedder: nil, model: nil)
            let answer = try searcher.answer(SearchRequest(query: "한빛 자사주", k: 3, mode: .keyword))
            XCTAssertEqual(answer.aliases, [.init(form: "한빛", aliases: ["한빛전자"]), .init(form: "자사주", aliases: ["자기주식"])])
            let hit = try XCTUnwrap(answer.results.first?.hit)
            XCTAssertEqual(hit.path, "hanbit.txt")
            let scalars = Array(hit.text.unicodeScalars)
            XCTAssertEqual(
                hit.highlights.map { String(String.UnicodeScalarView(scalars[$0.lowerBound ..< $0.upperBound])) }, ["한빛전자", "자기주식"],
                "the aliases are marked")
            XCTAssertEqual(try Searcher(location: plain, embedder: nil, model: nil).search("삼전", limit: 1, mode: .keyword).first?.path, "samsung.txt")
            let withModel = try Searcher(location: plain, embedder: model.embedder, model: model.identity)
            XCTAssertEqual(try withModel.answer(SearchRequest(query: "한빛", k: 3, mode: .vector)).aliases, [], "vector search has no terms")
        }
    }

    /// Query-term weights multiply each term's share exactly, in both stores' engines (pruned or not); a query's
    /// terms weigh the bigrams they stand for, and an alias no more in all than the form the query wrote.
    func testTermWeightsScaleEachShareAndAliasesWeighWhatWasAsked() throws {
        let texts = [
            "한빛전자의 자기주식 취득 결정 공시.", "자기주식 소각 결정과 주식 수 감소.", "주식시장 동향과 금리 결정.", "자사주 매입 계획 발표.",
            "채권 금리 하락.", "정기예금 금리 안내.",
        ]
        let folder = try writtenFolder(texts.enumerated().map { ("\($0).txt", $1) })
        let model = try tinyModel
        var options = IndexOptions()
        options.keywordDictionary = try KeywordDictionary(words: ["자기주식"])
        for location in try stores("weights") {
            try Indexer(location: location, embedder: model.embedder, model: model.identity, options: options).index(folder: folder)
            let searcher = try Searcher(location: location, embedder: nil, model: nil)
            let weights = ["자기주식": 2.0, "결정": 0.5, "금리": 1.0]
            let weighted = try searcher.index.bestKeywordMatches(weights.keys.sorted(), weights: weights, depth: 10, filters: SearchFilters())
            var expected: [Int64: Double] = [:]
            for (term, weight) in weights {
                for (id, score) in try searcher.index.bestKeywordMatches([term], depth: 10, filters: SearchFilters()) {
                    expected[id, default: 0] += weight * score
                }
            }
            XCTAssertEqual(Set(weighted.map(\.id)), Set(expected.keys), "\(location)")
            for (id, score) in weighted { XCTAssertEqual(score, expected[id] ?? -1, accuracy: 1e-9, "\(location): chunk \(id)") }
            XCTAssertEqual(weighted.map(\.score), weighted.map(\.score).sorted(by: >), "best first")

            // 자사주 (two bigrams) widened by 자기주식 (a dictionary word, three bigrams' worth): it weighs 2 in all.
            XCTAssertEqual(searcher.weightedTerms("자사주 매입"), ["자사": 1, "사주": 1, "매입": 1, "자기주식": 2])
            XCTAssertEqual(searcher.weightedTerms("자기주식"), ["자기주식": 3, "자사": 1, "사주": 1], "never more than asked for itself")
        }
    }
}
