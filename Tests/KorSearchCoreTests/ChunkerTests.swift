import Foundation
import KorEncoder
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore

/// Sentence splitting and token-budget packing, counted with the real tokenizer.
final class ChunkerTests: XCTestCase {
    private func sentences(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return SentenceSplitter.split(scalars).map { String(String.UnicodeScalarView(scalars[$0])) }
    }

    func testKoreanSentenceEndings() {
        XCTAssertEqual(
            sentences("금리를 동결했다. 시장은 안정적이에요. 추가 인하 여부는 미정임. 검토 완료함. 이상 없음."),
            ["금리를 동결했다.", "시장은 안정적이에요.", "추가 인하 여부는 미정임.", "검토 완료함.", "이상 없음."])
        XCTAssertEqual(
            sentences("금리가 오를까? 오른다! 아마도… 그렇다.\n다음 줄"),
            ["금리가 오를까?", "오른다!", "아마도…", "그렇다.", "다음 줄"])
        XCTAssertEqual(sentences("그는 \"동결한다.\" 라고 말했다. 끝."), ["그는 \"동결한다.\"", "라고 말했다.", "끝."])
    }

    func testNumbersDatesAndArticlesAreNotSentenceEnds() {
        XCTAssertEqual(
            sentences("환율은 1,350.5원이다. 이사회는 2024. 3. 15. 결의했다. 제3조에 따른다."),
            ["환율은 1,350.5원이다.", "이사회는 2024. 3. 15. 결의했다.", "제3조에 따른다."])
        XCTAssertEqual(sentences("1. 개요 2. 실적"), ["1. 개요 2. 실적"])
    }

    func testChunksRespectTheTokenBudgetAndPointIntoTheText() throws {
        let model = try tinyModel
        // The constitution text from the fixtures: long, with long sentences.
        let cases =
            try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.fixtures.appendingPathComponent("tokenizer_cases.json")))
            as! [String: Any]
        let long = ((cases["cases"] as! [[String: Any]]).map { $0["text"] as! String }).max { $0.count < $1.count }!
        let loaded = LoadedDocument(type: "txt", title: nil, text: TextNormalizer.normalize(long), pageStarts: [0], paged: false, encoding: nil)
        for options in [
            ChunkingOptions(chunkTokens: 64, overlapTokens: 16), ChunkingOptions(chunkTokens: 256, overlapTokens: 32),
            ChunkingOptions(chunkTokens: 32, overlapTokens: 0),
        ] {
            let chunks = try Chunker(tokenizer: model.embedder.tokenizer, options: options).chunks(of: loaded)
            XCTAssertGreaterThan(chunks.count, 2)
            let scalars = Array(loaded.text.unicodeScalars)
            var covered = 0
            for (index, chunk) in chunks.enumerated() {
                XCTAssertEqual(chunk.ordinal, index)
                XCTAssertEqual(chunk.text, String(String.UnicodeScalarView(scalars[chunk.start ..< chunk.end])))
                XCTAssertLessThanOrEqual(chunk.ids.count, options.chunkTokens, "chunk \(index)")
                XCTAssertEqual(chunk.ids, try model.embedder.tokenizer.encode(chunk.text, maxLength: 10_000), "ids are the text's real tokens")
                if chunk.start > covered {
                    XCTAssertTrue(scalars[covered ..< chunk.start].allSatisfy(\.properties.isWhitespace), "no text is left out between chunks")
                }
                covered = max(covered, chunk.end)
                if index > 0 { XCTAssertGreaterThan(chunk.start, chunks[index - 1].start, "chunks move forward") }
            }
            XCTAssertEqual(covered, scalars.count)
        }
    }

    func testOverlapRepeatsTrailingSentences() throws {
        let model = try tinyModel
        let text = (1 ... 40).map { "한국은행은 \($0)번째 회의에서 기준금리를 동결했다." }.joined(separator: " ")
        let loaded = LoadedDocument(type: "txt", title: nil, text: text, pageStarts: [0], paged: false, encoding: nil)
        let chunks = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 100, overlapTokens: 30)).chunks(
            of: loaded)
        XCTAssertGreaterThan(chunks.count, 3)
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            XCTAssertLessThan(next.start, previous.end, "consecutive chunks overlap")
            XCTAssertTrue(previous.text.hasSuffix(String(next.text.prefix(while: { $0 != "." })) + "."))
        }
        let none = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 64, overlapTokens: 0)).chunks(of: loaded)
        for (previous, next) in zip(none, none.dropFirst()) { XCTAssertGreaterThanOrEqual(next.start, previous.end) }
    }

    func testOverLongSentenceIsCutByTokens() throws {
        let model = try tinyModel
        let sentence = String(repeating: "가계부채와 주택담보대출 금리 동향을 점검하고 ", count: 40) + "마무리했다."
        let loaded = LoadedDocument(type: "txt", title: nil, text: sentence, pageStarts: [0], paged: false, encoding: nil)
        let chunks = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 48, overlapTokens: 8)).chunks(of: loaded)
        XCTAssertGreaterThan(chunks.count, 5)
        XCTAssertTrue(chunks.allSatisfy { $0.ids.count <= 48 })
        XCTAssertTrue(chunks.dropLast().allSatisfy { $0.ids.count > 24 }, "pieces fill their budget")
    }

    func testPagesOfPDFChunks() throws {
        let model = try tinyModel
        let document = try DocumentLoader.load(TestPaths.corpus.appendingPathComponent("research/semiconductor-outlook.pdf"))
        let chunks = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 32, overlapTokens: 0)).chunks(
            of: document)
        XCTAssertEqual(chunks.first?.page, 1)
        XCTAssertEqual(chunks.last?.page, 2)
        XCTAssertTrue(chunks.first(where: { $0.text.contains("투자 전략") })?.page == 2)
    }

    /// A passage never runs from one slide into the next (a deck's slides stand alone), even where the budget
    /// would take more; a PDF's passage may cross pages and says where it ends (`pageEnd`); a passage holding
    /// OCR'd text is marked.
    func testSlidesBoundPassagesAndPagesEndWhereTheyEnd() throws {
        let model = try tinyModel
        let chunker = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 128, overlapTokens: 16))
        var blocks: [DocumentBlock] = []
        for slide in 1 ... 3 {
            blocks.append(.heading("슬라이드 \(slide) 제목", level: 1, page: slide))
            blocks.append(.paragraph("매출은 \(slide)분기에 늘었다. 영업이익도 늘었다.", page: slide))
        }
        var content = DocumentContent(blocks: blocks, pageCount: 3)
        content.slides = true
        let deck = try chunker.chunks(of: LoadedDocument(type: "pptx", content: content))
        XCTAssertEqual(deck.map(\.page), [1, 2, 3])
        XCTAssertEqual(deck.map(\.pageEnd), [1, 2, 3])
        XCTAssertTrue(deck[1].text.hasPrefix("슬라이드 2 제목"), "no overlap carried over from slide 1: \(deck[1].text)")

        content.slides = false
        blocks[3].ocr = true
        content.blocks = blocks
        let pages = try chunker.chunks(of: LoadedDocument(type: "pdf", content: content))
        XCTAssertEqual(pages.count, 1)
        XCTAssertEqual(pages.first?.page, 1)
        XCTAssertEqual(pages.first?.pageEnd, 3)
        XCTAssertEqual(pages.first?.ocr, true)
        // The sections that begin inside it, where their headings begin in its text.
        let scalars = Array(pages[0].text.unicodeScalars)
        XCTAssertEqual(pages[0].sectionStarts.map(\.section), ["슬라이드 2 제목", "슬라이드 3 제목"])
        for start in pages[0].sectionStarts {
            XCTAssertTrue(String(String.UnicodeScalarView(scalars[start.offset...])).hasPrefix(start.section))
        }
        XCTAssertEqual(Passage.pageLabel(page: 1, pageEnd: 3, ocr: true), "pp. 1–3, OCR")
        XCTAssertEqual(Passage.pageLabel(page: 2, pageEnd: 2, ocr: false), "p. 2")
    }

    func testOptionsAreValidated() {
        XCTAssertThrowsError(try ChunkingOptions(chunkTokens: 600).validate(maxLength: 512))
        XCTAssertThrowsError(try ChunkingOptions(chunkTokens: 4).validate(maxLength: 512))
        XCTAssertThrowsError(try ChunkingOptions(chunkTokens: 64, overlapTokens: 40).validate(maxLength: 512))
        XCTAssertNoThrow(try ChunkingOptions().validate(maxLength: 512))
    }
}
