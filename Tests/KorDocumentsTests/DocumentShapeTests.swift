import Foundation
import KorSearchTestSupport
import XCTest
import ZIPFoundation

@testable import KorDocuments

/// How real documents are shaped beyond their formats: headings marked by numbering rather than styles,
/// paragraphs that are only numbers, page numbers in the margins, glyphs a PDF exporter places as words of
/// their own, page headers and footers, and tables inside table cells.
final class DocumentShapeTests: XCTestCase {
    private func outline(_ blocks: [DocumentBlock]) -> [String] {
        blocks.map { block in
            switch block.kind {
            case .heading(let level): "h\(level) \(block.text)"
            case .paragraph: "p \(block.text)"
            case .table: "table"
            }
        }
    }

    /// A report numbered 제1장 / Ⅰ. / 1. / 가. / (1) gets those headings at levels by the usual order, each
    /// split from the paragraph it was a line of; sentences, lists, tables of contents (entries with dot leaders
    /// and the titles beside them) and rows of figures that start with a number stay text.
    func testHeadingsFoundByTheirNumbering() {
        let blocks: [DocumentBlock] = [
            .paragraph("목차\nⅠ. 회사의 개요 ···· 3\nⅡ. 사업의 내용 ···· 7"),
            .paragraph("Ⅲ. 재무에 관한 사항\n1. 요약재무정보 ········ 9"),
            .paragraph("Ⅰ. 회사의 개요\n1. 회사의 개요\n가. 회사의 법적ㆍ상업적 명칭"),
            .paragraph("당사의 명칭은 한빛전자 주식회사입니다."),
            .paragraph("(1) 주요 사업\n1. 매출이 증가했다.\n① 회사는 이사회를 둔다."),
            .paragraph("2. 회사의 연혁"),
            .paragraph("주요 제품은 다음과 같습니다.\n1. 반도체\n2. 디스플레이\n3. 전지"),
            .paragraph("1. 2023 1,234 5,678"),
            .table(DocumentTable(rows: [[DocumentTable.Cell("1. 구분")]])),
            .paragraph("Ⅱ. 사업의 내용"),
            .paragraph("3"),
        ]
        XCTAssertEqual(
            outline(NumberedHeadings.infer(blocks)),
            [
                "p 목차\nⅠ. 회사의 개요 ···· 3\nⅡ. 사업의 내용 ···· 7", "p Ⅲ. 재무에 관한 사항\n1. 요약재무정보 ········ 9",
                "h1 Ⅰ. 회사의 개요", "h2 1. 회사의 개요", "h3 가. 회사의 법적ㆍ상업적 명칭",
                "p 당사의 명칭은 한빛전자 주식회사입니다.",
                "h4 (1) 주요 사업", "p 1. 매출이 증가했다.\n① 회사는 이사회를 둔다.",
                "h2 2. 회사의 연혁",
                "p 주요 제품은 다음과 같습니다.\n1. 반도체\n2. 디스플레이\n3. 전지",
                "p 1. 2023 1,234 5,678",
                "table",
                "h1 Ⅱ. 사업의 내용",
                "p 3",
            ])
    }

    /// A contract's articles (`제3조(이자)`) are headings even when the article's text follows on the line, and
    /// articles in a row are each one; chapters above them take the higher level.
    func testArticlesOfAContract() {
        let blocks: [DocumentBlock] = [
            .paragraph("제1장 총칙"),
            .paragraph("제1조(목적) 이 약정은 대출의 조건을 정한다.\n제2조 (정의) 이 약정에서 쓰는 용어의 뜻은 다음과 같다."),
            .paragraph("1. \"대출\"이란 은행이 빌려주는 돈을 말한다."),
            .paragraph("제3조의2(이자) 이자는 매월 낸다.", page: 2),
        ]
        XCTAssertEqual(
            outline(NumberedHeadings.infer(blocks)),
            [
                "h1 제1장 총칙", "h2 제1조(목적)", "p 이 약정은 대출의 조건을 정한다.", "h2 제2조 (정의)", "p 이 약정에서 쓰는 용어의 뜻은 다음과 같다.",
                "p 1. \"대출\"이란 은행이 빌려주는 돈을 말한다.", "h2 제3조의2(이자)", "p 이자는 매월 낸다.",
            ])
        XCTAssertEqual(NumberedHeadings.infer(blocks).last?.page, 2, "the page stays with the text")
        var scanned = blocks
        for index in scanned.indices { scanned[index].ocr = true }
        XCTAssertTrue(NumberedHeadings.infer(scanned).allSatisfy(\.ocr), "and so does OCR's mark")
    }

    /// A document that marks its headings by style keeps them and nothing else becomes one; loading infers them
    /// for a text file, whose passages then carry the section path.
    func testStyledHeadingsWinAndLoadingInfers() throws {
        let styled: [DocumentBlock] = [.heading("요약", level: 1), .paragraph("1. 회사의 개요")]
        XCTAssertEqual(NumberedHeadings.infer(styled), styled)
        let url = try write("Ⅰ. 회사의 개요\n\n당사는 반도체를 만듭니다.\n\nⅡ. 사업의 내용\n\n1. 사업의 개요\n\n매출은 늘었습니다.\n", to: try temporaryFolder(), "report.txt")
        let document = try DocumentLoader.load(url)
        XCTAssertEqual(
            document.blocks.map(\.block.kind), [.heading(level: 1), .paragraph, .heading(level: 1), .heading(level: 2), .paragraph])
    }

    /// A paragraph that is only a number is text in every format; a page number is dropped only from a page's
    /// top or bottom lines (PDF pages, text divided by form feeds).
    func testNumbersAreTextExceptAtAPagesEdge() throws {
        XCTAssertEqual(TextNormalizer.paragraphs("항목 수\n\n57\n\n- 3 -"), ["항목 수", "57", "- 3 -"])
        let pages = "머리말\n본문 첫 줄.\n57\n끝 줄.\n- 1 -\u{0C}2\n둘째 쪽 본문.\n"
        XCTAssertEqual(TextNormalizer.paragraphs(TextNormalizer.droppingPageNumbers(pages: pages)), ["머리말 본문 첫 줄.\n57 끝 줄.", "둘째 쪽 본문."])
        let text = try DocumentLoader.load(try write("분기 수\n\n4\n\n분기마다 보고한다.\n", to: try temporaryFolder(), "count.txt")).text
        XCTAssertEqual(text, "분기 수\n\n4\n\n분기마다 보고한다.")
        func line(_ text: String, y: Double) -> PDFLayout.Line {
            PDFLayout.Line(x0: 10, y0: y, x1: 50, y1: y + 10, words: [PDFLayout.Word(text: text, x0: 10, x1: 50)])
        }
        let page = PDFLayout.Page(lines: [
            line("3", y: 40), line("본문 첫 줄", y: 100), line("본문 둘째 줄", y: 120), line("12", y: 140), line("본문 셋째 줄", y: 160),
            line("본문 끝", y: 180), line("- 7 -", y: 800),
        ])
        XCTAssertEqual(page.droppingPageNumbers().lines.map(\.text), ["본문 첫 줄", "본문 둘째 줄", "12", "본문 셋째 줄", "본문 끝"])
    }

    /// Words whose boxes touch are one run of text (punctuation an exporter placed on its own); a gap as wide as
    /// a space is a space.
    func testPDFWordsJoinedByTheirGaps() {
        let words = [("탄소중립", 280.8, 347.1), ("ㆍ", 347.9, 363.9), ("녹색성장", 363.9, 430.2), ("기본법", 439.1, 488.6), ("(이하", 500, 520), ("“", 520, 524)]
        let line = PDFLayout.Line(x0: 280, y0: 64.5, x1: 530, y1: 106, words: words.map { PDFLayout.Word(text: $0.0, x0: $0.1, x1: $0.2) })
        XCTAssertEqual(line.text, "탄소중립ㆍ녹색성장 기본법 (이하“")
    }

    /// Two columns of prose that poppler reads across (each line a flow of its own, left and right in turn, as
    /// it reads a real fund report's page) are read column by column; a form's short labels and values beside
    /// each other keep poppler's order.
    func testTwoColumnsReadColumnByColumn() {
        func line(_ text: String, x: Double, y: Double, width: Double = 190, flow: Int) -> PDFLayout.Line {
            PDFLayout.Line(x0: x, y0: y, x1: x + width, y1: y + 9, words: [PDFLayout.Word(text: text, x0: x, x1: x + width)], flow: flow)
        }
        var lines = [line("운용 경과 및 운용 계획", x: 56, y: 200, width: 96, flow: 1)]
        for row in 0 ..< 4 {
            lines.append(line("왼쪽 \(row + 1)", x: 53, y: 239 + 10.4 * Double(row), flow: 2 + 2 * row))
            lines.append(line("오른쪽 \(row + 1)", x: 267, y: 239 + 10.4 * Double(row), flow: 3 + 2 * row))
        }
        lines.append(line("※ 기준일 : 2023년 09월 30일", x: 53, y: 400, width: 400, flow: 10))
        let pieces = PDFLayout.pieces(of: PDFLayout.Page(lines: lines))
        XCTAssertEqual(
            pieces, [.text("운용 경과 및 운용 계획\n\n왼쪽 1\n왼쪽 2\n왼쪽 3\n왼쪽 4\n\n오른쪽 1\n오른쪽 2\n오른쪽 3\n오른쪽 4\n\n※ 기준일 : 2023년 09월 30일")])
        let form = (0 ..< 4).flatMap { row in
            [
                line("항목 \(row)", x: 50, y: 150 + 10 * Double(row), width: 30, flow: 2 * row),
                line("값 \(row)", x: 105, y: 150 + 10 * Double(row), width: 40, flow: 2 * row + 1),
            ]
        }
        XCTAssertEqual(PDFLayout.readingOrder(form, tableLines: []).map(\.index), Array(0 ..< 8))
    }

    /// A chart's axis labels — evenly stepped numbers from zero, evenly spaced, across a line or down a column —
    /// are left out (they were read into the table beside them as a column and a row of figures); a table's
    /// own figures and years stay.
    func testChartAxesLeftOut() {
        func line(_ words: [(String, Double)], y: Double) -> PDFLayout.Line {
            let placed = words.map { PDFLayout.Word(text: $0.0, x0: $0.1, x1: $0.1 + 18) }
            return PDFLayout.Line(x0: placed.first!.x0, y0: y, x1: placed.last!.x1, y1: y + 9, words: placed)
        }
        var lines: [PDFLayout.Line] = []
        for (row, tick) in ["200", "150", "100", "50", "0"].enumerated() {
            lines.append(line([(tick, 40), ("Class \(row)", 140), ("-2.85", 200), ("16.17", 240)], y: 100 + 20 * Double(row)))
        }
        lines.append(line([("0", 60), ("50", 100), ("100", 140), ("150", 180), ("0.0", 240), ("20.0", 270), ("40.0", 300), ("60.0", 330)], y: 220))
        lines.append(line([("2021", 60), ("2022", 100), ("2023", 140), ("2024", 180)], y: 260))
        lines.append(line([("1", 60), ("2", 100), ("3", 140), ("4", 180)], y: 280))
        let kept = PDFLayout.Page(lines: lines).droppingChartAxes().lines.map(\.text)
        XCTAssertEqual(
            kept,
            [
                "Class 0 -2.85 16.17", "Class 1 -2.85 16.17", "Class 2 -2.85 16.17", "Class 3 -2.85 16.17", "Class 4 -2.85 16.17",
                "2021 2022 2023 2024", "1 2 3 4",
            ])
    }

    /// An HWPX page header and footer are left out of the body (as HWP's are), and a table inside a table's
    /// cell is a table of its own after it, captioned by where it sits, its rows kept.
    func testHWPXHeadersFootersAndNestedTables() throws {
        let section = """
            <hs:sec xmlns:hs="s" xmlns:hp="p"><hp:p><hp:run><hp:ctrl><hp:header><hp:subList><hp:p><hp:run><hp:t>머리말 글</hp:t>\
            </hp:run></hp:p></hp:subList></hp:header><hp:footer><hp:subList><hp:p><hp:run><hp:t>꼬리말 글</hp:t></hp:run></hp:p>\
            </hp:subList></hp:footer></hp:ctrl><hp:t>본문 첫 문단.</hp:t></hp:run></hp:p>\
            <hp:p><hp:run><hp:tbl><hp:tr><hp:tc><hp:subList><hp:p><hp:run><hp:t>재무 정보</hp:t></hp:run></hp:p></hp:subList></hp:tc>\
            <hp:tc><hp:subList><hp:p><hp:run><hp:t>세부</hp:t><hp:tbl><hp:tr><hp:tc><hp:subList><hp:p><hp:run><hp:t>매출액</hp:t></hp:run></hp:p>\
            </hp:subList></hp:tc><hp:tc><hp:subList><hp:p><hp:run><hp:t>100</hp:t></hp:run></hp:p></hp:subList></hp:tc></hp:tr>\
            <hp:tr><hp:tc><hp:subList><hp:p><hp:run><hp:t>영업이익</hp:t></hp:run></hp:p></hp:subList></hp:tc><hp:tc><hp:subList><hp:p><hp:run>\
            <hp:t>10</hp:t></hp:run></hp:p></hp:subList></hp:tc></hp:tr></hp:tbl></hp:run></hp:p></hp:subList></hp:tc></hp:tr></hp:tbl></hp:run></hp:p>\
            <hp:p><hp:run><hp:t>끝 문단.</hp:t></hp:run></hp:p></hs:sec>
            """
        let url = try temporaryFolder().appendingPathComponent("nested.hwpx")
        let archive = try Archive(url: url, accessMode: .create)
        for (path, text) in [("mimetype", "application/hwp+zip"), ("Contents/section0.xml", section)] {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position) ..< Int(position) + size)
            }
        }
        let document = try DocumentLoader.load(url)
        XCTAssertFalse(document.text.contains("머리말 글") || document.text.contains("꼬리말 글"), document.text)
        XCTAssertEqual(
            document.text, "본문 첫 문단.\n\n재무 정보 | 세부\n\n재무 정보 세부\n매출액 | 100\n영업이익 | 10\n\n끝 문단.")
        let tables = document.blocks.compactMap { if case .table(let table) = $0.block.kind { table } else { nil } }
        XCTAssertEqual(tables.map(\.rows.count), [1, 2])
        XCTAssertEqual(tables.last?.caption, "재무 정보 세부")
    }

    /// A table's caption stays with its table, in HWP's records (the caption list before the table record) and
    /// in HWPX (`hp:caption`): a document whose only text is captioned tables is read, captions included.
    func testCaptionsKeptWithTheirTables() throws {
        var body = HWPBody(styles: HWPStyles())
        try body.read(section: HWPSection.table([(0, 0, 1, "매출액"), (0, 1, 1, "100")], caption: "<표 1> 연결 손익"))
        XCTAssertEqual(body.finish().map(\.text), ["<표 1> 연결 손익\n매출액 | 100"])
        let section = """
            <hs:sec xmlns:hs="s" xmlns:hp="p"><hp:p><hp:run><hp:tbl><hp:caption side="TOP"><hp:subList><hp:p><hp:run><hp:t>표 2. 배당 내역</hp:t>\
            </hp:run></hp:p></hp:subList></hp:caption><hp:tr><hp:tc><hp:subList><hp:p><hp:run><hp:t>주당 배당금</hp:t></hp:run></hp:p>\
            </hp:subList></hp:tc><hp:tc><hp:subList><hp:p><hp:run><hp:t>1,444원</hp:t></hp:run></hp:p></hp:subList></hp:tc></hp:tr></hp:tbl>\
            </hp:run></hp:p></hs:sec>
            """
        let segments = try OfficeBody.segments(Data(section.utf8), .hancom, budget: ReadingBudget())
        XCTAssertEqual(OfficeBody.blocks(segments).map(\.text), ["표 2. 배당 내역\n주당 배당금 | 1,444원"])
    }

    /// The same in HWP 5.0's records: the inner table follows, its rows its own.
    func testHWPNestedTables() throws {
        let inner = HWPSection.table([(0, 0, 1, "매출액"), (0, 1, 1, "100"), (1, 0, 1, "영업이익"), (1, 1, 1, "10")], level: 2, text: "세부")
        let section = HWPSection.paragraph("본문.") + HWPSection.table([(0, 0, 1, "재무 정보"), (0, 1, 1, "")], nested: [1: inner])
        var body = HWPBody(styles: HWPStyles())
        try body.read(section: section)
        let blocks = body.finish()
        XCTAssertEqual(blocks.map(\.text), ["본문.", "재무 정보 | 세부", "세부\n매출액 | 100\n영업이익 | 10"])
    }
}
