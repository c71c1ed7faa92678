import Foundation
import KorSearch
@testable import KorDocuments
@testable import KorSearchCore
import XCTest
import ZIPFoundation

/// Inputs that once took time growing with the square of their size: each now finishes, and still obeys the
/// limits it must (these sizes took minutes to hours before).
final class BoundedWorkTests: XCTestCase {
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
        let chunker = Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 256, overlapTokens: 32))
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

    func testABareLessThanIsTextAndUnclosedTagsDoNotRescan() {
        let extracted = HTMLText.extract("<p>부채비율 < 100% 인 기업</p><p>1 <2 이고 3 > 2, x<=y</p>")
        XCTAssertEqual(TextNormalizer.normalize(extracted.text), "부채비율 < 100% 인 기업\n\n1 <2 이고 3 > 2, x<=y")
        // 200,000 unclosed tags: read in one pass.
        let hostile = String(repeating: "<a", count: 200_000)
        XCTAssertEqual(HTMLText.extract(hostile).text.count, hostile.count)
    }
}

/// The limits on what one file may cost, each a skip with its reason.
final class DocumentLimitTests: XCTestCase {
    func testAZipThatInflatesPastTheLimitIsSkipped() throws {
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("bomb.docx")
        let archive = try Archive(url: url, accessMode: .create)
        let size = 4 << 20
        try archive.addEntry(with: "word/document.xml", type: .file, uncompressedSize: Int64(size), compressionMethod: .deflate) { position, chunk in
            Data(repeating: 0x20, count: chunk)
        }
        var limits = DocumentLimits()
        limits.maxInflatedBytes = 1 << 20
        XCTAssertThrowsError(try DocumentLoader.load(url, limits: limits)) { error in
            XCTAssertEqual("\(error)", "docx file inflates to more than 1 MiB, the limit per file (word/document.xml)")
        }
    }

    func testTextLongerThanTheLimitIsSkipped() throws {
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("long.txt")
        try Data(String(repeating: "기준금리를 동결했다. ", count: 200).utf8).write(to: url)
        var limits = DocumentLimits()
        limits.maxTextCharacters = 1000
        XCTAssertThrowsError(try DocumentLoader.load(url, limits: limits)) { error in
            XCTAssertTrue("\(error)".contains("more than the limit of 1000 per document; split the file"), "\(error)")
        }
        limits.maxFileBytes = 100
        XCTAssertThrowsError(try DocumentLoader.load(url, limits: limits)) { error in
            XCTAssertTrue("\(error)".hasPrefix("larger than 100 bytes, the limit per file"), "\(error)")
        }
        XCTAssertNoThrow(try DocumentLoader.load(url))
    }
}

/// Genuine large documents are read, and damaged ones say so truly.
final class LargeDocumentTests: XCTestCase {
    func testADocxWithA12MBDocumentXMLIsRead() throws {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#
        var count = 0
        while xml.utf8.count < 12_000_000 {
            xml += "<w:p><w:r><w:t>제\(count)조 한국은행은 기준금리를 동결했다.</w:t></w:r></w:p>"
            count += 1
        }
        xml += "</w:body></w:document>"
        let url = try temporaryFolder().appendingPathComponent("large.docx")
        let archive = try Archive(url: url, accessMode: .create)
        let data = Data(xml.utf8)
        try archive.addEntry(with: "word/document.xml", type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position) ..< Int(position) + size)
        }
        let document = try DocumentLoader.load(url)
        XCTAssertEqual(document.blocks.count, count)
        XCTAssertTrue(document.text.hasSuffix("제\(count - 1)조 한국은행은 기준금리를 동결했다."))
        // Cut in the middle of a tag: damaged, and said so.
        let broken = url.deletingLastPathComponent().appendingPathComponent("broken.docx")
        let cut = try Archive(url: broken, accessMode: .create)
        let half = data.prefix(data.count / 2)
        try cut.addEntry(with: "word/document.xml", type: .file, uncompressedSize: Int64(half.count), compressionMethod: .deflate) { position, size in
            half.subdata(in: Int(position) ..< Int(position) + size)
        }
        XCTAssertThrowsError(try DocumentLoader.load(broken)) { XCTAssertTrue("\($0)".contains("damaged XML inside the document"), "\($0)") }
    }
}
