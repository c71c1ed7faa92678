import Foundation
import KorSearchTestSupport
import XCTest
import ZIPFoundation

@testable import KorDocuments

/// Inputs that once took time growing with the square of their size: each now finishes, and still obeys the
/// limits it must (these sizes took minutes to hours before).
final class BoundedWorkTests: XCTestCase {

    func testABareLessThanIsTextAndUnclosedTagsDoNotRescan() throws {
        let extracted = try HTMLText.extract("<p>부채비율 < 100% 인 기업</p><p>1 <2 이고 3 > 2, x<=y</p>")
        XCTAssertEqual(TextNormalizer.normalize(extracted.text), "부채비율 < 100% 인 기업\n\n1 <2 이고 3 > 2, x<=y")
        // 200,000 unclosed tags: read in one pass.
        let hostile = String(repeating: "<a", count: 200_000)
        XCTAssertEqual(try HTMLText.extract(hostile).text.count, hostile.count)
    }

    /// Links and images as the regular expressions read them, in one pass; a 1 MB line of unclosed `[`
    /// (minutes before) is read as it is.
    func testMarkdownLinksInOnePass() throws {
        XCTAssertEqual(
            MarkdownText.withoutLinks("보고서 [공시](https://dart.fss.or.kr) 와 ![그림](a.png), ![](b.png) [](c) [x] (y)"), "보고서 공시 와 그림,  [](c) [x] (y)")
        XCTAssertEqual(MarkdownText.withoutLinks("[a [b](c) d](e)"), "a [b d](e)", "as the regular expression read it")
        let brackets = String(repeating: "[", count: 1_000_000)
        XCTAssertEqual(MarkdownText.plain(brackets), brackets)
        let folder = try temporaryFolder()
        try Data(("# 제목\n" + brackets + "](x\n").utf8).write(to: folder.appendingPathComponent("brackets.md"))
        XCTAssertTrue(try DocumentLoader.load(folder.appendingPathComponent("brackets.md")).text.hasSuffix("[[[](x"))
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
        var xml =
            #"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#
        var count = 0
        while xml.utf8.count < 12_000_000 {
            xml += "<w:p><w:r><w:t>제\(count)조 한국은행은 기준금리를 동결했다.</w:t></w:r></w:p>"
            count += 1
        }
        xml += "</w:body></w:document>"
        let url = try temporaryFolder().appendingPathComponent("large.docx")
        let archive = try Archive(url: url, accessMode: .create)
        let data = Data(xml.utf8)
        try archive.addEntry(with: "word/document.xml", type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) {
            position, size in
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
