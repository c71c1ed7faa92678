import Foundation
import KorSearchTestSupport
import XCTest
import ZIPFoundation

@testable import KorDocuments

/// The attacks of the robustness issue, each read within its budget: spans that would amplify a table, padding,
/// nesting, archives of many entries and text far past the limits. Each asserts what the reader's own budget
/// counted (`ReadingBudget`) — work proportional to the file, never to what it declares — and what was kept.
/// (Times and peak memory of the full-size files, in a real `korsearch index` process, are in
/// `Scripts/bench/hostile_files.py`.)
final class HostileInputTests: XCTestCase {
    private let fixtures = TestPaths.fixtures.appendingPathComponent("documents")

    /// Reads `data` as the file `name` within `limits`; the document or the failure, and what reading cost.
    private func read(
        _ name: String, _ data: Data, limits: DocumentLimits = DocumentLimits()
    ) throws -> (
        document: LoadedDocument?, failure: String?, budget: ReadingBudget
    ) {
        let url = try temporaryFolder().appendingPathComponent(name)
        try data.write(to: url)
        let file = DocumentFile(url: url, data: data, limits: limits)
        do {
            return (try DocumentLoader.load(file, reader: DocumentLoader.reader(for: url)), nil, file.budget)
        } catch let failure as DocumentFailure {
            return (nil, failure.description, file.budget)
        }
    }

    /// Eight cells of colspan=rowspan=65535 over 10,000 rows (6.3 GB and minutes before): laid out sparsely, the
    /// spans end with the table, each merged cell's text is stored once and as the rows' left labels, and every
    /// row keeps its own cells.
    func testSpansOverTenThousandRowsStayProportionalToTheTable() throws {
        for (name, markup) in [
            ("spans.html", "<html><body>\(HostileFiles.spannedTable(cell: "td", rows: 10_000))</body></html>"),
            ("spans.xml", HostileFiles.dart(HostileFiles.spannedTable(cell: "TD", rows: 10_000))),
        ] {
            let (document, failure, budget) = try read(name, Data(markup.utf8))
            let text = try XCTUnwrap(document?.text, failure ?? "")
            XCTAssertTrue(text.contains("병합0 | 병합1 | 병합2 | 병합3 | 병합4 | 병합5 | 병합6 | 병합7 | 행9999 | 69993"), name)
            // 20,008 cells read, 8 spans passed on each of 10,000 rows, 10,001 rows x 10 columns stored.
            XCTAssertLessThanOrEqual(budget.cells, 20_008 + 80_000 + 100_010, name)
            XCTAssertLessThan(text.unicodeScalars.count, 2 * markup.unicodeScalars.count, name)
        }
    }

    /// A slide table whose cells span 65,535 columns and rows, and an HWP table control whose cells do: the same
    /// sparse layout.
    func testSlideAndHWPSpansStayProportional() throws {
        let head = (0 ..< 8).map { #"<a:tc gridSpan="65535" rowSpan="65535"><a:txBody><a:p><a:r><a:t>병합\#($0)</a:t></a:r></a:p></a:txBody></a:tc>"# }
        let rows = (0 ..< 2_000).map { #"<a:tr h="1"><a:tc><a:txBody><a:p><a:r><a:t>행\#($0)</a:t></a:r></a:p></a:txBody></a:tc></a:tr>"# }
        let table = "<a:tbl><a:tr h=\"1\">\(head.joined())</a:tr>\(rows.joined())</a:tbl>"
        let deck = try replacing(
            "ir-deck.pptx", "ppt/slides/slide3.xml",
            with: { $0.replacingOccurrences(of: #"<a:tbl>.*</a:tbl>"#, with: table, options: .regularExpression) })
        let (document, failure, budget) = try read("spans.pptx", deck)
        XCTAssertTrue(try XCTUnwrap(document?.text, failure ?? "").contains("병합7 | 행1999"))
        XCTAssertLessThanOrEqual(budget.cells, 2_008 + 16_000 + 2_001 * 9)

        // HWP: a table control of 2,000 rows whose first row's 8 cells span 65,535 columns and rows.
        var cells: [(row: Int, column: Int, span: Int, text: String)] = (0 ..< 8).map { (0, $0, 65535, "병합\($0)") }
        cells += (1 ..< 2_000).map { ($0, 8, 1, "행\($0)") }
        var body = HWPBody(styles: HWPStyles())
        try body.read(section: HWPSection.table(cells))
        let hwp = body.finish()
        XCTAssertEqual(hwp.count, 1)
        XCTAssertTrue(hwp[0].text.hasSuffix("병합0 | 병합1 | 병합2 | 병합3 | 병합4 | 병합5 | 병합6 | 병합7 | 행1999"))
    }

    /// `A1:ALL1048576` merged over a sheet of 8 rows: the merge is laid out over the rows and columns the sheet
    /// has, not the million it names; a sheet 100,000 columns wide keeps its first `maxTableColumns` with a note,
    /// and one whose cells pass `maxTableCells` is skipped as they are read.
    func testSheetMergesAndWidthAreBoundedByTheSheet() throws {
        let merged = try replacing("financials.xlsx", "xl/worksheets/sheet1.xml") {
            $0.replacingOccurrences(of: #"<mergeCells count="3">"#, with: #"<mergeCells count="4"><mergeCell ref="A1:ALL1048576"/>"#)
        }
        let (document, failure, budget) = try read("merge.xlsx", merged)
        XCTAssertNotNil(document, failure ?? "")
        let original = try read("financials.xlsx", Data(contentsOf: fixtures.appendingPathComponent("financials.xlsx")))
        XCTAssertEqual(budget.cells, original.budget.cells + 1 + 8 * 3, "the merge, over the sheet's 8 rows and 3 columns")

        let row = (0 ..< 3_000).map { "<c><v>\($0)</v></c>" }.joined()
        let sheet =
            #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
            + (1 ... 3).map { "<row r=\"\($0)\">\(row)</row>" }.joined() + "</sheetData></worksheet>"
        let wide = try replacing("financials.xlsx", "xl/worksheets/sheet1.xml") { _ in sheet }
        let cut = try read("wide.xlsx", wide)
        XCTAssertTrue(try XCTUnwrap(cut.document, cut.failure ?? "").text.contains("997 | 998 | 999\n"))
        XCTAssertFalse(cut.document!.text.contains("| 1000 |"))
        XCTAssertEqual(
            cut.document?.notes, ["sheet 손익계산서 is wider than 1000 columns; the columns past them were left out (DocumentLimits.maxTableColumns)"])
        var limits = DocumentLimits()
        limits.maxTableCells = 5_000
        let refused = try read("wide.xlsx", wide, limits: limits)
        XCTAssertEqual(refused.failure, "its tables hold more than 5000 cells (DocumentLimits.maxTableCells); split the file")
        XCTAssertEqual(refused.budget.cells, 5_001, "stopped at the cell that passed the limit")
    }

    /// One 200,000-column row over 2,000 short ones (padding that took 7.4 GB), and 100,000 columns: rows cut at
    /// `maxTableColumns` with a note, the padding counted before it is made; a line far past the gathering limit
    /// is refused by the file's size, before it is decoded.
    func testWideAndLongCSVRowsAreCutOrStopped() throws {
        let csv = HostileFiles.paddedCSV(columns: 200_000, rows: 2_000)
        let (document, failure, budget) = try read("padding.csv", Data(csv.utf8))
        XCTAssertNil(document)
        XCTAssertTrue(failure?.hasPrefix("its text has ") == true, failure ?? "")
        XCTAssertEqual(budget.notes, ["a row wider than 1000 columns was cut (DocumentLimits.maxTableColumns)"])
        XCTAssertLessThanOrEqual(budget.cells, 1_000 + 4_000 + 2_001 * 1_000)

        let columns = (0 ..< 100_000).map(String.init).joined(separator: ",")
        let wide = try read("columns.csv", Data((columns + "\n" + columns + "\n").utf8))
        let text = try XCTUnwrap(wide.document?.text, wide.failure ?? "")
        XCTAssertTrue(text.hasSuffix("| 998 | 999"))
        XCTAssertEqual(wide.document?.notes, ["a row wider than 1000 columns was cut (DocumentLimits.maxTableColumns)"])

        var limits = DocumentLimits()
        limits.maxGatheredCharacters = 10_000
        let line = try read("line.csv", Data((String(repeating: "x", count: 1_000_000) + "\n").utf8), limits: limits)
        XCTAssertEqual(line.failure, "it holds more than 10000 characters of text (DocumentLimits.maxGatheredCharacters); split the file")
        XCTAssertEqual(line.budget.characters, 0, "refused by its size, before it is decoded")
        let shorter = try read("line.csv", Data((String(repeating: "x", count: 30_000) + "\n").utf8), limits: limits)
        XCTAssertEqual(shorter.failure, line.failure)
        XCTAssertEqual(shorter.budget.characters, 30_001, "decoded, counted, refused")
    }

    /// 12,000 nested DART sections (4.8 GB before) and 50,000 nested tables (minutes): headings at most
    /// `maxNesting` deep, tables deeper than it read as the text of the cell that holds them — in one pass.
    func testDeepNestingIsFlattened() throws {
        let depth = 12_000
        let (document, failure, budget) = try read("sections.xml", Data(HostileFiles.dart(HostileFiles.nestedSections(depth: depth)).utf8))
        let headings = try XCTUnwrap(document, failure ?? "").blocks.compactMap { if case .heading(let level) = $0.block.kind { level } else { nil } }
        XCTAssertEqual(headings.count, depth)
        XCTAssertEqual(headings.max(), 32)
        XCTAssertEqual(budget.deepest, 33)
        XCTAssertEqual(document?.notes, ["structure nested deeper than 32 levels was flattened (DocumentLimits.maxNesting)"])

        for (name, wrap) in [("nested.html", { "<html><body>\($0)</body></html>" }), ("nested.xml", HostileFiles.dart)]
            as [(String, (String) -> String)]
        {
            let nested = try read(name, Data(wrap(HostileFiles.nestedTables(depth: 50_000)).utf8))
            let text = try XCTUnwrap(nested.document?.text, nested.failure ?? "")
            XCTAssertTrue(text.hasSuffix("안쪽 안쪽 중심"), name)
            XCTAssertEqual(nested.budget.deepest, 33, name)
            XCTAssertEqual(nested.budget.flattened, 1, "one table too deep, holding the rest: read as text, \(name)")
        }
    }

    /// A DART zip listing more entries than `maxArchiveEntries` is refused from its central directory; text
    /// inflating far past the gathering limit stops there, in a DART zip as in an HWP section.
    func testArchiveEntriesAndInflatedTextAreBounded() throws {
        var limits = DocumentLimits()
        limits.maxArchiveEntries = 50
        let url = try temporaryFolder().appendingPathComponent("20240814000999.zip")
        try HostileFiles.manyEntries(51, at: url)
        let entries = try read(url.lastPathComponent, Data(contentsOf: url), limits: limits)
        XCTAssertEqual(entries.failure, "zip file lists more than 50 entries (DocumentLimits.maxArchiveEntries)")
        limits.maxArchiveEntries = 51
        XCTAssertNotNil(try read(url.lastPathComponent, Data(contentsOf: url), limits: limits).document)

        limits.maxGatheredCharacters = 100_000
        let paragraphs = String(repeating: "<P>\(String(repeating: "한빛전자의 매출은 증가했다. ", count: 20))</P>", count: 2_000)
        let big = try read("20240814000998.xml", Data(HostileFiles.dart(paragraphs).utf8), limits: limits)
        XCTAssertEqual(big.failure, "it holds more than 100000 characters of text (DocumentLimits.maxGatheredCharacters); split the file")
        XCTAssertEqual(big.budget.characters, 100_001)

        let budget = ReadingBudget(limits: limits)
        var body = HWPBody(styles: HWPStyles(), budget: budget)
        let paragraph = HWPSection.paragraph(String(repeating: "한빛전자의 매출은 증가했다. ", count: 100))
        XCTAssertThrowsError(try body.read(section: Array(repeating: paragraph, count: 200).flatMap { $0 })) {
            XCTAssertTrue("\($0)".contains("more than 100000 characters"), "\($0)")
        }
        XCTAssertLessThan(budget.characters, 100_000 + 1_700)
    }

    /// Two inputs the mutation run (`MutationTests`) found crashing a reader, kept as they were found: an
    /// element name that is not UTF-8 inside an HWPX section (Foundation's XML parser traps on it: the part is
    /// refused as damaged first), and a table cell outside any table.
    func testInputsTheMutationRunFound() throws {
        let name = try replacingBytes("dividend.hwpx", "Contents/section0.xml") { xml in
            var bytes = xml
            let at = bytes.range(of: Data("lineWrap".utf8))!.lowerBound
            bytes[at] = 0xEA
            return bytes
        }
        XCTAssertEqual(try read("name.hwpx", name).failure, "damaged XML inside the document (not UTF-8)")
        let stray = try replacing("dividend.hwpx", "Contents/section0.xml") {
            $0.replacingOccurrences(of: "<hp:run charPrIDRef=\"0\"><hp:t>현금배당", with: "<hp:tc></hp:tc><hp:run charPrIDRef=\"0\"><hp:t>현금배당")
        }
        let read = try read("stray.hwpx", stray)
        XCTAssertTrue(try XCTUnwrap(read.document, read.failure ?? "").text.hasPrefix("현금배당 결정 내용은 다음과 같다."))
    }

    /// A DART zip whose one entry's deflate stream never ends: a stored block that claims 65,535 bytes where the
    /// file has far fewer (ZIPFoundation's inflate waited for more input forever on such a file — a run found by
    /// the mutation loop hung). Read in place, it is damage; and so is an entry whose bytes run past the file,
    /// one whose CRC-32 differs, and a directory that points outside the file.
    func testZipEntriesThatRunPastTheirFileAreDamage() throws {
        let document = Data(HostileFiles.dart("<P>본문</P>").utf8)
        func zip(method: UInt16, data: Data, crc: UInt32, size: Int, directoryShift: Int = 0) -> Data {
            func le<T: FixedWidthInteger>(_ value: T) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
            let name = Data("20240814000999.xml".utf8)
            var bytes = le(UInt32(0x0403_4B50)) + le(UInt16(20)) + le(UInt16(0)) + le(method) + le(UInt32(0)) + le(crc)
            bytes += le(UInt32(data.count)) + le(UInt32(size)) + le(UInt16(name.count)) + le(UInt16(0)) + name + data
            let directory = bytes.count + directoryShift
            bytes += le(UInt32(0x0201_4B50)) + le(UInt16(20)) + le(UInt16(20)) + le(UInt16(0)) + le(method) + le(UInt32(0)) + le(crc)
            bytes += le(UInt32(data.count)) + le(UInt32(size)) + le(UInt16(name.count)) + Data(count: 12) + le(UInt32(0)) + name
            let directorySize = bytes.count - directory + directoryShift
            bytes += le(UInt32(0x0605_4B50)) + Data(count: 4) + le(UInt16(1)) + le(UInt16(1)) + le(UInt32(directorySize)) + le(UInt32(directory))
            return bytes + le(UInt16(0))
        }
        let crc = document.crc32(checksum: 0)
        XCTAssertNotNil(try read("20240814000999.zip", zip(method: 0, data: document, crc: crc, size: document.count)).document, "as written")
        let cases: [(Data, String)] = [
            (zip(method: 8, data: Data([0x00, 0xFF, 0xFF, 0x00, 0x00]) + document, crc: crc, size: document.count), "damaged zip file"),
            (zip(method: 0, data: document, crc: crc ^ 1, size: document.count), "damaged zip file"),
            (zip(method: 0, data: document, crc: crc, size: document.count).prefix(100), "not a valid zip file"),
            (zip(method: 0, data: document, crc: crc, size: document.count, directoryShift: 1 << 20), "not a valid zip file"),
        ]
        for (index, (data, reason)) in cases.enumerated() {
            let failure = try read("20240814000999.zip", data).failure
            XCTAssertTrue(failure?.hasPrefix(reason) == true, "case \(index): \(failure ?? "read")")
        }
    }

    /// A copy of a zip fixture with one entry's text changed.
    private func replacing(_ fixture: String, _ entry: String, with change: (String) -> String) throws -> Data {
        try replacingBytes(fixture, entry) { Data(change(String(decoding: $0, as: UTF8.self)).utf8) }
    }

    /// A copy of a zip fixture with one entry's bytes changed.
    private func replacingBytes(_ fixture: String, _ entry: String, with change: (Data) -> Data) throws -> Data {
        let url = try temporaryFolder().appendingPathComponent(fixture)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent(fixture), to: url)
        let archive = try Archive(url: url, accessMode: .update)
        var original = Data()
        _ = try archive.extract(archive[entry]!) { original += $0 }
        try archive.remove(archive[entry]!)
        let data = change(original)
        try archive.addEntry(with: entry, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position) ..< Int(position) + size)
        }
        return try Data(contentsOf: url)
    }
}

/// HWP section records for tests: paragraphs and a table control, as `HWPBody` reads them.
enum HWPSection {
    static func record(_ tag: Int, level: Int, _ payload: [UInt8]) -> [UInt8] {
        let size = min(payload.count, 0xFFF)
        let header = UInt32(tag) | UInt32(level) << 10 | UInt32(size) << 20
        var bytes = withUnsafeBytes(of: header.littleEndian, Array.init)
        if size == 0xFFF { bytes += withUnsafeBytes(of: UInt32(payload.count).littleEndian, Array.init) }
        return bytes + payload
    }

    private static func utf16(_ text: String) -> [UInt8] {
        text.utf16.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
    }

    /// A paragraph of text at `level`.
    static func paragraph(_ text: String, level: Int = 0) -> [UInt8] {
        record(HWPRecord.paraHeader, level: level, [UInt8](repeating: 0, count: 22))
            + record(HWPRecord.paraText, level: level + 1, utf16(text))
    }

    /// A paragraph at `level` holding `text` and one table control whose cells are at the rows and columns given,
    /// each spanning `span` columns and rows, and `caption` in the caption list before the table record; a cell
    /// listed in `nested` holds that paragraph (made at `level` + 2, a table of its own) instead of its text.
    static func table(
        _ cells: [(row: Int, column: Int, span: Int, text: String)], level: Int = 0, text: String? = nil, caption: String? = nil,
        nested: [Int: [UInt8]] = [:]
    ) -> [UInt8] {
        let id = UInt32(0x74_62_6C_20)  // "tbl "
        var bytes = record(HWPRecord.paraHeader, level: level, [UInt8](repeating: 0, count: 22))
        if let text { bytes += record(HWPRecord.paraText, level: level + 1, utf16(text)) }
        bytes += record(HWPRecord.ctrlHeader, level: level + 1, withUnsafeBytes(of: id.littleEndian, Array.init) + [UInt8](repeating: 0, count: 40))
        if let caption {
            bytes += record(HWPRecord.listHeader, level: level + 2, [UInt8](repeating: 0, count: 14)) + paragraph(caption, level: level + 2)
        }
        bytes += record(HWPRecord.table, level: level + 2, [UInt8](repeating: 0, count: 24))
        for (index, cell) in cells.enumerated() {
            var list = [UInt8](repeating: 0, count: 34)
            for (offset, value) in [(8, cell.column), (10, cell.row), (12, cell.span), (14, cell.span)] {
                list[offset] = UInt8(value & 0xFF)
                list[offset + 1] = UInt8(value >> 8)
            }
            bytes += record(HWPRecord.listHeader, level: level + 2, list) + (nested[index] ?? paragraph(cell.text, level: level + 2))
        }
        return bytes
    }
}
