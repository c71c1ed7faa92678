import Foundation
import KorSearchTestSupport
import XCTest

@testable import KorDocuments

/// PDF tables found from the words' positions, checked against what pdfplumber (pdfminer's layout, an
/// independent reader) extracts by the ruling lines of the same file, and against the rows the dev-only script
/// wrote (`Scripts/make_document_fixtures.py`). Prose, including two columns of it, stays prose.
final class PDFReaderTests: XCTestCase {
    private let folder = TestPaths.fixtures.appendingPathComponent("documents")

    private func expected() throws -> [String: Any] {
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as! [String: Any]
        return all["quarterly-results.pdf"] as! [String: Any]
    }

    /// The table's rows with a spanning cell over each column it covers, as pdfplumber lists them (korsearch
    /// stores it once).
    private func cells(_ table: DocumentTable) -> [[String]] {
        table.rows.map { $0.flatMap { Array(repeating: $0.text, count: $0.columnSpan) } }
    }

    func testTablesAsPdfplumberReadsThemAndTheHeaderCarriedOntoTheNextPage() throws {
        let document = try DocumentLoader.load(folder.appendingPathComponent("quarterly-results.pdf"))
        XCTAssertEqual(document.type, "pdf")
        XCTAssertEqual(document.title, "새봄은행 2024년 3분기 경영실적")
        let tables = document.blocks.compactMap { placed -> (DocumentTable, Int?)? in
            if case .table(let table) = placed.block.kind { (table, placed.block.page) } else { nil }
        }
        guard tables.count == 3 else { return XCTFail("the ruled table's two parts and the borderless ratios: \(tables.map { cells($0.0) })") }
        let reference = try expected()
        let ruled = try XCTUnwrap(reference["ruled_tables_by_page"] as? [[[[String]]]])
        // The ruled table, page by page, exactly as pdfplumber finds it by its lines.
        XCTAssertEqual(tables[0].1, 1)
        XCTAssertEqual(cells(tables[0].0), ruled[0][0])
        XCTAssertEqual(tables[0].0.headerRows, 1)
        XCTAssertEqual(tables[0].0.unit, "(단위: 억원)", "the unit line above the table")
        XCTAssertEqual(tables[1].1, 2)
        XCTAssertEqual(cells(tables[1].0), ruled[1][0], "the printed header repeated on page 2")
        XCTAssertEqual(tables[1].0.headerRows, 1)
        // Together, the rows the script wrote.
        let written = try XCTUnwrap(reference["written_rows"] as? [[String]])
        XCTAssertEqual(cells(tables[0].0) + cells(tables[1].0).dropFirst(), written)
        // The borderless table, which pdfplumber's line strategy does not see, as written.
        XCTAssertEqual(tables[2].1, 2)
        XCTAssertEqual(cells(tables[2].0), try XCTUnwrap(reference["written_ratios"] as? [[String]]))
        XCTAssertEqual(tables[2].0.headerRows, 1)
        // Stored text: one line a row, cells separated.
        XCTAssertTrue(document.text.contains("(단위: 억원)\n구분 | 2023년 3분기 | 2024년 3분기 | 증감률\n이자수익 | 41,230 | 44,980 | 9.1%\n"), document.text)
        XCTAssertTrue(document.text.contains("기타 영업이익 | -640 | -710 | -10.9%"))

        // Two columns of prose are paragraphs in reading order (left column, then right), not a table.
        let columns = try XCTUnwrap(reference["columns"] as? [String])
        let third = document.blocks.filter { $0.block.page == 3 }
        XCTAssertTrue(third.allSatisfy { $0.block.kind == .paragraph })
        let flat = third.map(\.block.text).joined(separator: " ").replacingOccurrences(of: "\n", with: " ")
        var at = flat.startIndex
        for paragraph in columns {
            let start = try XCTUnwrap(
                flat.range(of: String(paragraph.prefix(20)), range: at ..< flat.endIndex), "\(paragraph.prefix(20)) in order in \(flat)")
            at = start.upperBound
        }
    }

    /// A page printed by Chromium, set tighter than the report above: a two-row header with spans, a label
    /// wrapped beside vertically centred amounts, and two columns of prose after it.
    func testSpannedHeaderAndWrappedLabelOfAPrintedWebPage() throws {
        let document = try DocumentLoader.load(folder.appendingPathComponent("segment-sales.pdf"))
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as! [String: Any]
        let reference = try XCTUnwrap(all["segment-sales.pdf"] as? [String: Any])
        let tables = document.blocks.compactMap { if case .table(let table) = $0.block.kind { table } else { nil } }
        XCTAssertEqual(tables.count, 1)
        let table = try XCTUnwrap(tables.first)
        XCTAssertEqual(cells(table), try XCTUnwrap(reference["table"] as? [[String]]), "as pdfplumber reads it")
        XCTAssertEqual(table.rows[0].map(\.text), ["사업부문", "2023년", "2024년"], "a spanning header stored once")
        XCTAssertEqual(table.rows[0].map(\.columnSpan), [1, 2, 2])
        XCTAssertEqual(table.headerRows, reference["header_rows"] as? Int)
        XCTAssertEqual(table.unit, "(단위: 백만원, %)")
        // The columns are paragraphs in poppler's reading order (left column, then right), none of them a table.
        let prose = document.blocks.filter { $0.block.kind == .paragraph }.map(\.block.text).joined(separator: "\n")
        let left = try XCTUnwrap(prose.range(of: "첫째 단의 본문입니다. 두 단으로"), prose)
        let right = try XCTUnwrap(prose.range(of: "둘째 단의 본문입니다. 둘째 단도"), prose)
        XCTAssertLessThan(left.lowerBound, right.lowerBound)
        XCTAssertTrue(prose.contains("2024년 매출은 1조 3,200억 원입니다."))
    }

    func testProseReadsAsPlainPdftotextReadsIt() throws {
        for path in ["products/els-1234-prospectus.pdf", "research/semiconductor-outlook.pdf"] {
            let url = TestPaths.corpus.appendingPathComponent(path)
            let plain = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/pdftotext"), ["-enc", "UTF-8", "-q", url.path, "-"])
            var pages = String(decoding: plain.standardOutput, as: UTF8.self).components(separatedBy: "\u{0C}")
            if pages.last?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true { pages.removeLast() }
            let expected = pages.enumerated().flatMap {
                DocumentContent.paragraphs(
                    of: TextNormalizer.droppingPageNumbers($0.element.components(separatedBy: "\n")).joined(separator: "\n"), page: $0.offset + 1)
            }
            let read = try DocumentLoader.load(url).blocks.map(\.block)
            XCTAssertEqual(read, expected, path)
        }
    }

    func testContinuationWithoutAHeaderTakesThePreviousPagesHeader() {
        let before = DocumentTable(
            rows: [["구분", "2023년", "2024년"].map { DocumentTable.Cell($0) }, ["매출액", "100", "120"].map { DocumentTable.Cell($0) }],
            headerRows: 1, unit: "(단위: 억원)")
        let after = DocumentTable(rows: [["영업이익", "10", "12"].map { DocumentTable.Cell($0) }])
        let continued = PDFReader.continuing(after, after: .table(before, page: 1), page: 2)
        XCTAssertEqual(continued.rows.map { $0.map(\.text) }, [["구분", "2023년", "2024년"], ["영업이익", "10", "12"]])
        XCTAssertEqual(continued.headerRows, 1)
        XCTAssertEqual(continued.unit, "(단위: 억원)")
        // Not after a paragraph, not two pages on, not with other columns.
        XCTAssertEqual(PDFReader.continuing(after, after: .paragraph("본문", page: 1), page: 2), after)
        XCTAssertEqual(PDFReader.continuing(after, after: .table(before, page: 1), page: 3), after)
        let wider = DocumentTable(rows: [["영업이익", "10", "12", "20%"].map { DocumentTable.Cell($0) }])
        XCTAssertEqual(PDFReader.continuing(wider, after: .table(before, page: 1), page: 2), wider)
    }

    func testNumericCells() {
        for text in ["1,234", "(1,234)", "△5.2", "-8.4%", "12.5배", "-", "3,100원", "0.27%", "1.5%p"] {
            XCTAssertTrue(PDFTableFinder.isNumeric(text), text)
        }
        for text in ["구분", "2023년 3분기", "매출액 1,234", "1,234 증가"] {
            XCTAssertFalse(PDFTableFinder.isNumeric(text), text)
        }
    }

    func testPopplerMarkupEntitiesAndEmptyPages() {
        let xhtml = """
            <doc><page width="10" height="10"><flow><block><line xMin="1" yMin="2" xMax="30" yMax="12">\
            <word xMin="1" yMin="2" xMax="10" yMax="12">S&amp;P500</word><word xMin="12" yMin="2" xMax="30" yMax="12">&lt;&#54620;&gt;</word>\
            </line></block></flow></page><page width="10" height="10"></page></doc>
            """
        let pages = PDFLayout.pages(Data(xhtml.utf8))
        XCTAssertEqual(pages.count, 2)
        XCTAssertEqual(pages[0].lines.map(\.text), ["S&P500 <한>"])
        XCTAssertEqual(pages[0].lines.first?.y1, 12)
        XCTAssertTrue(pages[1].lines.isEmpty)
        XCTAssertEqual(
            PDFLayout.pages(Data("<doc><page><flow><line xMin=\"1\"><word xMin=\"1\">끊긴".utf8)).first?.lines.count, 0, "cut off: no half line")
    }

    /// A scanned PDF (pages of Korean text as images, no text layer; `Scripts/make_scanned_pdf.py`) is read by
    /// OCR, each page's text on its page, within 10% of the text the pages show (character accuracy by edit
    /// distance, spaces aside); with OCR off it is skipped saying so, and pages past the OCR limit are a note.
    func testAScannedPDFIsReadByOCR() throws {
        guard PDFOCR.isAvailable else { throw XCTSkip("Tesseract with Korean is not installed (Scripts/bootstrap installs it)") }
        let url = folder.appendingPathComponent("scanned-filing.pdf")
        let shown = try String(contentsOf: folder.appendingPathComponent("scanned-filing.txt"), encoding: .utf8).components(separatedBy: "\u{0C}")
        let document = try DocumentLoader.load(url)
        for (index, page) in shown.enumerated() {
            let read = document.blocks.filter { $0.block.page == index + 1 }.map(\.block.text).joined(separator: "\n")
            let expected = page.filter { !$0.isWhitespace }, got = read.filter { !$0.isWhitespace }
            let accuracy = 1 - Double(EditDistance.between(Array(expected), Array(got))) / Double(expected.count)
            XCTAssertGreaterThan(accuracy, 0.9, "page \(index + 1): \(read)")
        }
        XCTAssertTrue(document.text.contains("자기주식"), document.text)

        var off = DocumentLimits()
        off.maxOCRPages = 0
        XCTAssertThrowsError(try DocumentLoader.load(url, limits: off)) { error in
            XCTAssertTrue("\(error)".contains("OCR is off (--no-ocr)"), "\(error)")
        }
        var one = DocumentLimits()
        one.maxOCRPages = 1
        let first = try DocumentLoader.load(url, limits: one)
        XCTAssertEqual(Set(first.blocks.compactMap(\.block.page)), [1])
        XCTAssertEqual(
            first.notes,
            ["1 page without a text layer not read by OCR (past DocumentLimits.maxOCRPages 1 or ocrSeconds 600, or the page would not render)"])
        XCTAssertFalse(PDFOCR.isLanguage("\u{E000}\u{E001}\u{E002}a"), "private-use glyphs are not language")
        XCTAssertTrue(PDFOCR.isLanguage("취득 예정 금액 960억 원"))
    }

    /// A 500-page image-only PDF stays within the OCR limits: the pages past `maxOCRPages` are left out with a
    /// note, the run bounded by them, not by the page count.
    func testAFiveHundredPageScanIsBoundedByTheOCRLimits() throws {
        guard PDFOCR.isAvailable else { throw XCTSkip("Tesseract with Korean is not installed (Scripts/bootstrap installs it)") }
        let url = try temporaryFolder().appendingPathComponent("long-scan.pdf")
        try HostileFiles.imageOnlyPDF(pages: 500, at: url)
        var limits = DocumentLimits()
        limits.maxOCRPages = 3
        limits.ocrSeconds = 60
        XCTAssertThrowsError(try DocumentLoader.load(url, limits: limits)) { error in
            // Grey squares hold no text: nothing is read, and the reason is the scan's, not a crash or a hang.
            XCTAssertTrue("\(error)".contains("no text, and OCR found none on its pages"), "\(error)")
        }
        let file = DocumentFile(url: url, data: try Data(contentsOf: url), limits: limits)
        XCTAssertEqual(try PDFOCR.read(url, pages: Array(1 ... 500), limits: limits, budget: file.budget).count, 3, "three pages read, no more")
        XCTAssertEqual(
            file.budget.notes,
            ["497 pages without a text layer not read by OCR (past DocumentLimits.maxOCRPages 3 or ocrSeconds 60, or the page would not render)"])
    }
}
