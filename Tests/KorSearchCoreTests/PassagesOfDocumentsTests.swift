import Foundation
import KorEncoder
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore

/// Documents as the readers give them, cut into passages: section paths, slides, pages, long text.
final class PassagesOfDocumentsTests: XCTestCase {
    func testDocxHeadingsByTheirStyles() throws {
        let document = try DocumentLoader.load(TestPaths.corpus.appendingPathComponent("products/saebom-term-deposit.docx"))
        let headings = document.blocks.compactMap { placed -> String? in
            if case .heading(let level) = placed.block.kind { return "\(level) \(placed.block.text)" } else { return nil }
        }
        XCTAssertEqual(Array(headings.prefix(3)), ["0 새봄은행 정기예금 상품설명서", "1 상품 개요", "1 금리"], "Title, then Heading 1")
        let model = try tinyModel
        let chunks = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 48, overlapTokens: 0)).chunks(
            of: document)
        XCTAssertEqual(chunks.first { $0.text.contains("우대금리") }?.section, "새봄은행 정기예금 상품설명서 > 금리")
    }

    func testSlidesTitlesTextsAndTables() throws {
        let folder = TestPaths.fixtures.appendingPathComponent("documents")
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as! [String: Any]
        let slides = try XCTUnwrap(all["ir-deck.pptx"] as? [[String: Any]])
        let document = try DocumentLoader.load(folder.appendingPathComponent("ir-deck.pptx"))
        XCTAssertEqual(document.type, "pptx")
        XCTAssertTrue(document.paged)
        XCTAssertEqual(document.pageStarts.count, slides.count)
        for (index, slide) in slides.enumerated() {
            let blocks = document.blocks.map(\.block).filter { $0.page == index + 1 }
            let headings = blocks.compactMap { if case .heading = $0.kind { $0.text } else { nil } }
            XCTAssertEqual(headings, [slide["title"] as! String], "slide \(index + 1)")
            let paragraphs = blocks.compactMap { if case .paragraph = $0.kind { $0.text } else { nil } }
            XCTAssertEqual(paragraphs, slide["texts"] as! [String], "slide \(index + 1)")
            let tables = blocks.compactMap { if case .table(let table) = $0.kind { table.rows.map { $0.map(\.text) } } else { nil } }
            // As the fixture was written, but a header cell spanning two columns (written once, listed under both)
            // stored once.
            let written = (slide["tables"] as! [[[String]]]).map { table -> [[String]] in
                guard let first = table.first, first.count >= 3, first[first.count - 1] == first[first.count - 2] else { return table }
                return [Array(first.dropLast())] + table.dropFirst()
            }
            XCTAssertEqual(tables, written, "slide \(index + 1)")
        }
        // Passages know their slide.
        let model = try tinyModel
        let chunks = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 24, overlapTokens: 0)).chunks(
            of: document)
        XCTAssertEqual(chunks.first { $0.text.contains("영업이익 | 231 | 402") }?.page, 3)
        XCTAssertEqual(chunks.first { $0.text.contains("영업이익률 29.0%") }?.page, 2)
    }

    func testALongTextWithoutSentenceEndsIsCutInLinearTime() throws {
        let model = try tinyModel
        // 1 MB on one line: no sentence end, no line break, few spaces.
        var text = ""
        let words = ["가나다라마바사", "기준금리", "원달러환율", "국고채3년물", "영업이익률"]
        var index = 0
        while text.utf8.count < 1 << 20 {
            text += words[index % words.count]
            if index % 97 == 0 { text += " " }
            index += 1
        }
        let document = LoadedDocument(type: "txt", title: nil, text: text, pageStarts: [0], paged: false, encoding: nil)
        let chunker = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 256, overlapTokens: 32))
        let chunks = try chunker.chunks(of: document)
        XCTAssertGreaterThan(chunks.count, 1000)
        let scalars = Array(text.unicodeScalars)
        var covered = 0
        for chunk in chunks {
            XCTAssertLessThanOrEqual(chunk.ids.count, 256)
            XCTAssertEqual(String(String.UnicodeScalarView(scalars[chunk.start ..< chunk.end])), chunk.text)
            if chunk.start > covered {
                XCTAssertTrue(scalars[covered ..< chunk.start].allSatisfy(\.properties.isWhitespace), "no text is left out between passages")
            }
            covered = max(covered, chunk.end)
        }
        XCTAssertEqual(covered, scalars.count)
        // The one-character case of the report: 200 KB of one syllable.
        let same = String(repeating: "가", count: 70_000)
        let cut = try chunker.chunks(of: LoadedDocument(type: "txt", title: nil, text: same, pageStarts: [0], paged: false, encoding: nil))
        XCTAssertEqual(cut.map(\.text).joined().count, same.count)
        XCTAssertTrue(cut.allSatisfy { $0.ids.count <= 256 })
    }

    func testBlocksAreLaidOutWithTheirOffsetsAndPages() throws {
        let content = DocumentContent(
            blocks: [
                .heading("1. 개요", level: 1, page: 1),
                .paragraph("기준금리를 동결했다.", page: 1),
                .table(
                    DocumentTable(
                        rows: [
                            [.init("과목"), .init("2023년"), .init("2024년")],
                            [.init("영업이익"), .init("260,750"), .init("399,963")],
                        ],
                        headerRows: 1, unit: "(단위: 백만원)"), page: 3),
            ], pageCount: 4)
        let document = LoadedDocument(type: "pdf", content: content)
        XCTAssertEqual(document.text, "1. 개요\n\n기준금리를 동결했다.\n\n(단위: 백만원)\n과목 | 2023년 | 2024년\n영업이익 | 260,750 | 399,963")
        let scalars = Array(document.text.unicodeScalars)
        for placed in document.blocks {
            XCTAssertEqual(String(String.UnicodeScalarView(scalars[placed.start ..< placed.end])), placed.block.text)
        }
        // Page 2 has no text: it starts where page 1's text ends; page 4 likewise after page 3.
        XCTAssertEqual(document.pageStarts, [0, document.blocks[1].end, document.blocks[2].start, document.blocks[2].end])
        XCTAssertTrue(document.paged)
        // The chunker takes the blocks: a table row is never cut or fused, each passage knows its page.
        let model = try tinyModel
        let chunks = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 32, overlapTokens: 0)).chunks(
            of: document)
        let lines = Set(document.text.split(separator: "\n").map(String.init))
        for chunk in chunks {
            XCTAssertTrue(chunk.text.split(separator: "\n").allSatisfy { lines.contains(String($0)) }, "a passage holds whole lines: \(chunk.text)")
        }
        XCTAssertEqual(chunks.first { $0.text.contains("영업이익 | 260,750 | 399,963") }?.page, 3, chunks.map(\.text).description)
        XCTAssertEqual(chunks.first?.page, 1)
    }
}
