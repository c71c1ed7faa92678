import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore
@testable import KorSearchEmbedded

/// One bad file never costs the others: a folder of hostile files beside a good one, indexed in one run — each
/// hostile file skipped with its limit named or read within its budget with a note, and the good file found.
final class HostileFolderTests: XCTestCase {
    func testHostileFilesBesideAGoodOneAreSkippedOrTrimmedAndTheGoodOneIsFound() throws {
        let folder = try temporaryFolder()
        try write("배당성향은 삼십이 퍼센트로 정했다. 고유검색어 청람도원 을 찾는 시험 문장이다.", to: folder, "good.txt")
        try write("<html><body>\(HostileFiles.spannedTable(cell: "td", rows: 2_000))</body></html>", to: folder, "spans.html")
        try write("<html><body>\(HostileFiles.nestedTables(depth: 5_000))</body></html>", to: folder, "nested.html")
        try write(HostileFiles.dart(HostileFiles.nestedSections(depth: 2_000)), to: folder, "sections.xml")
        try write(HostileFiles.paddedCSV(columns: 20_000, rows: 3_000), to: folder, "padding.csv")
        try write(String(repeating: "x", count: 1_000_000) + "\n", to: folder, "line.csv")
        try HostileFiles.manyEntries(60, at: folder.appendingPathComponent("20240814000999.zip"))

        var options = KorSearchCore.IndexOptions()
        options.limits.maxArchiveEntries = 50
        options.limits.maxGatheredCharacters = 200_000
        let directory = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        let model = try tinyModel
        let summary = try Indexer(directory: directory, embedder: model.embedder, model: model.identity, options: options).index(folder: folder)

        XCTAssertEqual(
            summary.skipped.map { "\($0.path): \($0.reason)" },
            [
                "20240814000999.zip: zip file lists more than 50 entries (DocumentLimits.maxArchiveEntries)",
                "line.csv: it holds more than 200000 characters of text (DocumentLimits.maxGatheredCharacters); split the file",
                "padding.csv: a table of 3001 rows × 1000 columns is more than 2500000 cells (DocumentLimits.maxTableCells); split the file",
            ])
        XCTAssertEqual(
            summary.trimmed.map { "\($0.path): \($0.reason)" },
            [
                "nested.html: structure nested deeper than 32 levels was flattened (DocumentLimits.maxNesting)",
                "sections.xml: structure nested deeper than 32 levels was flattened (DocumentLimits.maxNesting)",
            ])
        XCTAssertEqual(summary.documents, 4)
        let searcher = try Searcher(index: try EmbeddedStore.open(directory), embedder: nil, model: nil)
        XCTAssertEqual(try searcher.search("청람도원", limit: 1, mode: .keyword).first?.path, "good.txt")
        let spans = try XCTUnwrap(try searcher.search("병합7", limit: 1, mode: .keyword).first)
        XCTAssertEqual(spans.path, "spans.html")
        XCTAssertTrue(spans.text.contains("병합6 | 병합7 | 행"), spans.text)
    }
}
