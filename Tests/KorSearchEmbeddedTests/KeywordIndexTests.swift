import Foundation
import GRDB
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorSearchCore
@testable import KorSearchEmbedded

/// The pruned keyword engine against SQLite's FTS5 (an independent BM25: its own index, its own `bm25()`,
/// ranking every match) on randomized corpora and queries: the same top-k, the same scores.
final class KeywordIndexTests: XCTestCase {
    static func build(_ passages: [(id: Int64, terms: [String])], at url: URL) throws -> KeywordIndex {
        let postings = KeywordPostings()
        for passage in passages { postings.add(chunkId: passage.id, terms: passage.terms) }
        try KeywordIndexFile.write(to: url, base: nil, removing: [], adding: postings)
        return try KeywordIndex(contentsOf: url)
    }

    /// The same passages in an FTS5 table, ranked by its `bm25()` over every match.
    final class Reference {
        let database: DatabaseQueue

        init(_ passages: [(id: Int64, terms: [String])]) throws {
            database = try DatabaseQueue()
            try database.write { db in
                try db.execute(sql: "CREATE VIRTUAL TABLE t USING fts5(terms, tokenize = \"unicode61 remove_diacritics 0 tokenchars '.'\")")
                for passage in passages {
                    try db.execute(sql: "INSERT INTO t (rowid, terms) VALUES (?, ?)", arguments: [passage.id, passage.terms.joined(separator: " ")])
                }
            }
        }

        func search(_ terms: [String], depth: Int, allowed: Set<Int64>? = nil) throws -> [(id: Int64, score: Double)] {
            let match = terms.map { "\"\($0)\"" }.joined(separator: " OR ")
            let filter = allowed.map { " AND rowid IN (\($0.map(String.init).joined(separator: ",")))" } ?? ""
            return try database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT rowid AS id, bm25(t) AS score FROM t WHERE t MATCH ?\(filter) ORDER BY round(score, 9), rowid LIMIT ?",
                    arguments: [match, depth]
                ).map { ($0["id"], -($0["score"] as Double)) }
            }
        }
    }

    private func assertSame(
        _ got: [(id: Int64, score: Double)], _ expected: [(id: Int64, score: Double)], _ context: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(got.map(\.id), expected.map(\.id), context, file: file, line: line)
        for (a, b) in zip(got, expected) where abs(a.score - b.score) > 1e-9 {
            XCTFail("\(context): chunk \(a.id) scored \(a.score), FTS5 \(b.score)", file: file, line: line)
            return
        }
    }

    /// Random queries: common and rare terms, terms in no passage, one to twelve terms, depths 1 to 60.
    private func randomQueries(_ count: Int, vocabulary: [String], random: inout SplitMix) -> [(terms: [String], depth: Int)] {
        (0 ..< count).map { _ in
            let size = Int.random(in: 1 ... 12, using: &random)
            var terms: [String] = []
            for _ in 0 ..< size {
                let term =
                    Bool.random(using: &random)
                    ? vocabulary[Int.random(in: 0 ..< min(40, vocabulary.count), using: &random)]
                    : Int.random(in: 0 ..< 10, using: &random) == 0 ? "없는말\(terms.count)" : vocabulary.randomElement(using: &random)!
                if !terms.contains(term) { terms.append(term) }
            }
            return (terms, [1, 3, 10, 20, 60].randomElement(using: &random)!)
        }
    }

    func testPrunedTopKEqualsExhaustiveBM25OnRandomCorpora() throws {
        var random = SplitMix(state: 20261202)
        let folder = try temporaryFolder()
        // The last corpus has few words, so long lists: windows span several blocks of the lists looked up.
        for (round, (size, vocabularySize)) in [(300, 80), (2500, 600), (6000, 3000), (12000, 120)].enumerated() {
            let vocabulary = RandomCorpus.vocabulary(vocabularySize)
            let passages = RandomCorpus.corpus(size, vocabulary: vocabulary, random: &random)
            let index = try KeywordIndexTests.build(passages, at: folder.appendingPathComponent("\(round).postings"))
            let reference = try Reference(passages)
            XCTAssertEqual(index.passages, size)
            var (answered, scored, matched) = (0, 0, 0)
            for (terms, depth) in randomQueries(60, vocabulary: vocabulary, random: &random) {
                var fullyScored = 0
                let got = try index.search(terms, depth: depth, allowed: nil, scored: &fullyScored)
                let expected = try reference.search(terms, depth: depth)
                assertSame(got, expected, "\(size) passages, \(terms) top \(depth)")
                answered += expected.isEmpty ? 0 : 1
                scored += fullyScored
                matched += try reference.search(terms, depth: size).count
            }
            XCTAssertGreaterThan(answered, 45, "most queries match something")
            if size >= 2500 {
                XCTAssertLessThan(scored, matched / 2, "pruning scores a fraction of the matches (\(scored) of \(matched))")
            }
        }
    }

    /// Filters apply before the cut, both ways: a filter allowing few passages looks them up; one allowing
    /// many walks the lists skipping the rest.
    func testFilteredTopKEqualsExhaustiveBM25() throws {
        var random = SplitMix(state: 7)
        let vocabulary = RandomCorpus.vocabulary(500)
        let passages = RandomCorpus.corpus(3000, vocabulary: vocabulary, random: &random)
        let index = try KeywordIndexTests.build(passages, at: try temporaryFolder().appendingPathComponent("k.postings"))
        let reference = try Reference(passages)
        for (number, (terms, depth)) in randomQueries(24, vocabulary: vocabulary, random: &random).enumerated() {
            let share = [0.002, 0.01, 0.3, 0.9][number % 4]
            var allowed = Set(passages.filter { _ in Double.random(in: 0 ..< 1, using: &random) < share }.map(\.id))
            allowed.insert(999_999)  // a chunk id no passage has
            assertSame(
                try index.search(terms, depth: depth, allowed: allowed), try reference.search(terms, depth: depth, allowed: allowed),
                "\(terms) top \(depth), \(allowed.count) allowed")
        }
        XCTAssertEqual(try index.search(["w0"], depth: 10, allowed: []).count, 0)
    }

    /// Ties (equal scores to 9 places) are broken by chunk id, as the FTS5 query orders them.
    func testTiesAreBrokenByChunkId() throws {
        let passages: [(id: Int64, terms: [String])] = (1 ... 400).map { (Int64($0 * 2), ["금리", "w\($0 % 3)"]) }
        let index = try KeywordIndexTests.build(passages, at: try temporaryFolder().appendingPathComponent("k.postings"))
        let reference = try Reference(passages)
        for depth in [1, 5, 150, 500] {
            assertSame(try index.search(["금리"], depth: depth), try reference.search(["금리"], depth: depth), "top \(depth)")
            assertSame(try index.search(["w1", "금리"], depth: depth), try reference.search(["w1", "금리"], depth: depth), "top \(depth)")
        }
    }

    /// Merging a file with removals and additions gives the very file a fresh build of the result gives.
    func testMergingChangesEqualsAFreshBuild() throws {
        var random = SplitMix(state: 99)
        let vocabulary = RandomCorpus.vocabulary(400)
        let folder = try temporaryFolder()
        let first = RandomCorpus.corpus(1500, vocabulary: vocabulary, random: &random)
        let base = try KeywordIndexTests.build(first, at: folder.appendingPathComponent("base.postings"))
        let removed = Set(first.filter { _ in Int.random(in: 0 ..< 4, using: &random) == 0 }.map(\.id))
        let more = RandomCorpus.corpus(700, vocabulary: vocabulary + ["새말", "w99999"], random: &random)
            .map { (id: $0.id + first.last!.id, terms: $0.terms + ["새말"]) }
        let added = KeywordPostings()
        for passage in more { added.add(chunkId: passage.id, terms: passage.terms) }
        let removing = removed.union([more[3].id])  // a passage added and removed in one run
        let merged = folder.appendingPathComponent("merged.postings")
        try KeywordIndexFile.write(to: merged, base: base, removing: removing, adding: added)
        let result = (first + more).filter { !removing.contains($0.id) }
        let fresh = folder.appendingPathComponent("fresh.postings")
        _ = try KeywordIndexTests.build(result, at: fresh)
        XCTAssertEqual(try Data(contentsOf: merged), try Data(contentsOf: fresh))

        let index = try KeywordIndex(contentsOf: merged)
        let reference = try Reference(result)
        for (terms, depth) in randomQueries(30, vocabulary: vocabulary + ["새말"], random: &random) {
            assertSame(try index.search(terms, depth: depth), try reference.search(terms, depth: depth), "\(terms)")
        }
        XCTAssertEqual(index.frequencies(["새말"])["새말"], more.count - 1)

        // Passages that do not come after the base's cannot be appended: the caller rebuilds instead.
        let early = KeywordPostings()
        early.add(chunkId: first[0].id, terms: ["금리"])
        XCTAssertThrowsError(try KeywordIndexFile.write(to: merged, base: index, removing: [], adding: early)) { error in
            XCTAssertTrue(error is KeywordIndexFile.OutOfOrder, "\(error)")
        }
    }

    /// A damaged, truncated or foreign file is an error, never a crash or a wrong answer read past the file.
    func testDamagedFilesAreErrors() throws {
        var random = SplitMix(state: 5)
        let vocabulary = RandomCorpus.vocabulary(200)
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("k.postings")
        let passages = RandomCorpus.corpus(800, vocabulary: vocabulary, random: &random)
        let index = try KeywordIndexTests.build(passages, at: url)
        let good = try Data(contentsOf: url)
        let queries = randomQueries(10, vocabulary: vocabulary, random: &random)
        let damaged = folder.appendingPathComponent("damaged.postings")
        var errors = 0
        for trial in 0 ..< 60 {
            var bytes = good
            switch trial % 3 {
            case 0: bytes = bytes.prefix(Int.random(in: 0 ..< bytes.count, using: &random))
            case 1:
                for _ in 0 ..< 20 { bytes[Int.random(in: 0 ..< bytes.count, using: &random)] ^= UInt8.random(in: 1 ... 255, using: &random) }
            default:
                let start = Int.random(in: index.postingsOffset ..< index.termTableOffset, using: &random)
                for offset in start ..< min(bytes.count, start + 64) { bytes[offset] = UInt8.random(in: 0 ... 255, using: &random) }
            }
            try bytes.write(to: damaged)
            do {
                let opened = try KeywordIndex(contentsOf: damaged)
                for (terms, depth) in queries {
                    for hit in try opened.search(terms, depth: depth) {
                        XCTAssertTrue(hit.score.isFinite)
                    }
                }
            } catch let error as KorSearchError {
                XCTAssertEqual(error.kind, .corruptIndex, "\(error)")
                errors += 1
            }
        }
        XCTAssertGreaterThan(errors, 20, "truncations and most header damage are noticed")
        try Data("not an index".utf8).write(to: damaged)
        XCTAssertThrowsError(try KeywordIndex(contentsOf: damaged))
        try Data().write(to: damaged)
        XCTAssertThrowsError(try KeywordIndex(contentsOf: damaged))
    }

    /// An empty index answers nothing.
    func testAnEmptyIndex() throws {
        let index = try KeywordIndexTests.build([], at: try temporaryFolder().appendingPathComponent("k.postings"))
        XCTAssertEqual(index.passages, 0)
        XCTAssertEqual(try index.search(["금리"], depth: 10).count, 0)
        XCTAssertEqual(index.frequencies(["금리"]), [:])
    }
}
