import Foundation
import KorSearchTestSupport
import XCTest
import ZIPFoundation

@testable import KorDocuments

/// Loading every supported format from real files, and the reasons files are skipped.
final class DocumentTests: XCTestCase {
    func testTextEncodings() throws {
        let folder = try temporaryFolder()
        let text = "원/달러 환율은 1,350.5원에 마감했다."
        let variants: [(String, Data, String)] = [
            ("utf8.txt", Data(text.utf8), "UTF-8"),
            ("bom.txt", Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8), "UTF-8"),
            (
                "le.txt",
                Data([0xFF, 0xFE])
                    + text.utf16.reduce(into: Data()) {
                        $0.append(UInt8($1 & 0xFF)); $0.append(UInt8($1 >> 8))
                    }, "UTF-16LE"
            ),
            (
                "be.txt",
                Data([0xFE, 0xFF])
                    + text.utf16.reduce(into: Data()) {
                        $0.append(UInt8($1 >> 8)); $0.append(UInt8($1 & 0xFF))
                    }, "UTF-16BE"
            ),
        ]
        for (name, data, encoding) in variants {
            let url = folder.appendingPathComponent(name)
            try data.write(to: url)
            let document = try DocumentLoader.load(url)
            XCTAssertEqual(document.text, text, name)
            XCTAssertEqual(document.encoding, encoding, name)
        }
        let cp949 = try DocumentLoader.load(TestPaths.corpus.appendingPathComponent("disclosures/hanbit-dividend-cp949.txt"))
        XCTAssertEqual(cp949.encoding, "CP949")
        XCTAssertTrue(cp949.text.contains("1주당 배당금: 보통주 1,444원"), cp949.text)
    }

    func testSkipReasons() throws {
        let folder = try temporaryFolder()
        try Data().write(to: folder.appendingPathComponent("empty.txt"))
        try Data([0x00, 0x01, 0x02, 0xFF, 0x00]).write(to: folder.appendingPathComponent("binary.txt"))
        try Data("x".utf8).write(to: folder.appendingPathComponent("report.hwp"))
        try Data("x".utf8).write(to: folder.appendingPathComponent("slides.key"))
        try Data("%PDF-1.4 broken".utf8).write(to: folder.appendingPathComponent("broken.pdf"))
        try Data("not a zip".utf8).write(to: folder.appendingPathComponent("broken.docx"))
        try Data(" \n\t\n".utf8).write(to: folder.appendingPathComponent("blank.md"))
        let expectations = [
            "empty.txt": "empty file", "binary.txt": "binary file", "report.hwp": "not a valid HWP file", "slides.key": "unsupported file type .key",
            "broken.pdf": "unreadable PDF", "broken.docx": "not a valid docx file", "blank.md": "no text",
        ]
        for (name, reason) in expectations {
            XCTAssertThrowsError(try DocumentLoader.load(folder.appendingPathComponent(name)), name) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(name): \(error)")
            }
        }
    }

    func testHTMLVisibleTextTitleAndEntities() throws {
        let html = """
            <html><head><title>금리 &amp; 환율</title><style>p { color: red }</style>
            <script>document.write("<p>숨김</p>")</script></head>
            <body><!-- 주석 --><h1>제목</h1><p>기준금리는&nbsp;3.50%<br>동결&#46; &#xD55C;국은행 &lt;발표&gt;</p>
            <noscript>자바스크립트</noscript><table><tr><td>A</td><td>B</td></tr></table></body></html>
            """
        let extracted = try HTMLText.extract(html)
        XCTAssertEqual(extracted.title, "금리 & 환율")
        let text = TextNormalizer.normalize(extracted.text)
        // Block elements break paragraphs; a <br> inside a sentence is joined like any wrapped line.
        XCTAssertEqual(text, "제목\n\n기준금리는 3.50% 동결. 한국은행 <발표>\n\nA | B", "a table's cells stay apart")
        XCTAssertFalse(text.contains("숨김"))
        XCTAssertFalse(text.contains("color"))
        XCTAssertFalse(text.contains("주석"))
        let headings = extracted.segments.compactMap { if case .heading(let level, let text) = $0 { "\(level) \(text)" } else { nil } }
        XCTAssertEqual(headings, ["1 제목"])
    }

    func testPDFPagesAndPageNumberLinesDropped() throws {
        let document = try DocumentLoader.load(TestPaths.corpus.appendingPathComponent("products/els-1234-prospectus.pdf"))
        XCTAssertTrue(document.paged)
        XCTAssertEqual(document.pageStarts.count, 2)
        XCTAssertEqual(document.title, "ELS 투자설명서 요약", "the information dictionary's Title")
        XCTAssertFalse(document.text.contains("-1-"))
        XCTAssertFalse(document.text.contains("- 2 -"))
        // Hard-wrapped lines are joined back into one paragraph.
        XCTAssertTrue(document.text.contains("최초 기준가격의 90%(6개월)"), document.text)
        let scalars = Array(document.text.unicodeScalars)
        let secondPage = String(String.UnicodeScalarView(scalars[document.pageStarts[1]...]))
        XCTAssertTrue(secondPage.hasPrefix("손실 위험"), secondPage)
    }

    func testDocxParagraphsAndTitle() throws {
        let document = try DocumentLoader.load(TestPaths.corpus.appendingPathComponent("products/saebom-term-deposit.docx"))
        XCTAssertEqual(document.title, "새봄은행 정기예금 상품설명서")
        XCTAssertTrue(document.text.contains("1인당 최고 5천만 원까지 보호됩니다."))
        XCTAssertTrue(document.text.contains("\n\n금리\n\n"))
    }

    func testHwpxSections() throws {
        let url = try temporaryFolder().appendingPathComponent("report.hwpx")
        let archive = try Archive(url: url, accessMode: .create)
        func add(_ path: String, _ text: String) throws {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position) ..< Int(position) + size)
            }
        }
        try add("mimetype", "application/hwp+zip")
        let namespace = #"xmlns:hp="http://www.hancom.co.kr/hwpml/2011/paragraph""#
        try add("Contents/section1.xml", "<hs:sec xmlns:hs=\"s\" \(namespace)><hp:p><hp:run><hp:t>둘째 구역 문단.</hp:t></hp:run></hp:p></hs:sec>")
        try add(
            "Contents/section0.xml",
            "<hs:sec xmlns:hs=\"s\" \(namespace)><hp:p styleIDRef=\"2\"><hp:run><hp:t>1. 배당</hp:t></hp:run></hp:p><hp:p styleIDRef=\"0\"><hp:run><hp:t>첫째 </hp:t><hp:t>문단입니다.</hp:t></hp:run></hp:p><hp:p><hp:run><hp:t>배당금은 1,444원이다.</hp:t></hp:run></hp:p></hs:sec>"
        )
        try add(
            "Contents/header.xml",
            "<hh:head xmlns:hh=\"h\"><hh:styles><hh:style id=\"0\" name=\"바탕글\" engName=\"Normal\"/><hh:style id=\"2\" name=\"개요 1\" engName=\"Outline 1\"/></hh:styles></hh:head>"
        )
        let document = try DocumentLoader.load(url)
        XCTAssertEqual(document.text, "1. 배당\n\n첫째 문단입니다.\n\n배당금은 1,444원이다.\n\n둘째 구역 문단.")
        XCTAssertEqual(document.blocks.first?.block.kind, .heading(level: 1), "a paragraph of the 개요 1 style")
        XCTAssertEqual(document.blocks.filter { $0.block.kind == .paragraph }.count, 3)
    }

    func testMarkdownSyntaxIsRemoved() throws {
        let url = try write("# 제목\n\n## 운용 **전략**\n\n[링크 글](http://example.com)과 `코드`, ![그림](a.png)\n- 목록 항목\n", to: try temporaryFolder(), "a.md")
        let document = try DocumentLoader.load(url)
        XCTAssertEqual(document.title, "제목")
        XCTAssertEqual(document.text, "제목\n\n운용 전략\n\n링크 글과 코드, 그림\n- 목록 항목")
        XCTAssertEqual(document.blocks.map(\.block.kind), [.heading(level: 1), .heading(level: 2), .paragraph])
        // A `#` inside a fenced code block is not a heading; closing `#`s are not part of one.
        let fenced = try DocumentLoader.load(try write("## 요약 ##\n\n```\n# 주석\n```\n", to: try temporaryFolder(), "b.md"))
        XCTAssertEqual(fenced.blocks.map(\.block.kind), [.heading(level: 2), .paragraph])
        XCTAssertEqual(fenced.blocks.first?.block.text, "요약")
    }

    func testNormalizerNFCWrapsSpacesAndPageNumbers() {
        // Pages divided by a form feed: the page numbers at their edges go.
        let decomposed = "\u{1112}\u{1161}\u{11AB}\u{1100}\u{116E}\u{11A8}은행은   금리를\n동결했다.\n- 3 -\u{0C}2 / 10\n다음  문단\t입니다.\n\n\n1. 목록\n2. 항목"
        XCTAssertEqual(
            TextNormalizer.normalize(TextNormalizer.droppingPageNumbers(pages: decomposed)), "한국은행은 금리를 동결했다.\n\n다음 문단 입니다.\n\n1. 목록\n2. 항목")
        XCTAssertTrue(TextNormalizer.isPageNumber("- 12 -"))
        XCTAssertTrue(TextNormalizer.isPageNumber("3쪽"))
        XCTAssertFalse(TextNormalizer.isPageNumber("2024"))  // a year on its own line is kept
        XCTAssertFalse(TextNormalizer.isPageNumber("제3조"))
    }
}
