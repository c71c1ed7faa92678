import Crypto
import Foundation
import KorSearchTestSupport
import XCTest
import _CryptoExtras

@testable import KorDocuments

/// HWP 5.0 read from the compound file's records, checked against the grid the fixture was written with
/// (hwp-converter-ai) and against what hwp-hwpx-parser, an independent reader, reads from the same bytes
/// (`Scripts/make_document_fixtures.py`).
final class HWPReaderTests: XCTestCase {
    private let folder = TestPaths.fixtures.appendingPathComponent("documents")
    private var report: URL { folder.appendingPathComponent("report.hwp") }

    private func expected() throws -> [String: Any] {
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as! [String: Any]
        return try XCTUnwrap(all["report.hwp"] as? [String: Any])
    }

    func testHeadingsParagraphsAndTableAsWrittenAndAsAnotherReaderReadsThem() throws {
        let reference = try expected()
        let document = try DocumentLoader.load(report)
        XCTAssertEqual(document.type, "hwp")
        XCTAssertEqual(document.title, reference["title"] as? String, "the title from HwpSummaryInformation")
        let kinds = document.blocks.map { placed -> String in
            switch placed.block.kind {
            case .heading(let level): "h\(level)"
            case .paragraph: "p"
            case .table: "table"
            }
        }
        XCTAssertEqual(kinds, ["h1", "h2", "p", "p", "h2", "table", "p"], "headings from the 제목 styles")
        let table = try XCTUnwrap(document.blocks.compactMap { if case .table(let table) = $0.block.kind { table } else { nil } }.first)
        // The grid as written, but the 실적 cell, which spans two columns, stored once.
        var grid = reference["grid"] as! [[String]]
        XCTAssertEqual(grid[0], ["과목", "실적", "실적"])
        grid[0] = ["과목", "실적"]
        XCTAssertEqual(table.rows.map { $0.map(\.text) }, grid, "spans placed on the grid as written, a merged cell stored once")
        XCTAssertEqual(table.headerRows, 2, "the first row's cell spans two rows")
        XCTAssertEqual(table.unit, "(단위: 억원)")
        // hwp-hwpx-parser lists a spanned cell once: its rows are, in order, within ours.
        let theirRows = reference["rows"] as! [[String]]
        XCTAssertEqual(theirRows.count, table.rows.count)
        for (theirs, ours) in zip(theirRows, table.rows.map { $0.map(\.text) }) {
            var remaining = ours[...]
            for cell in theirs {
                guard let at = remaining.firstIndex(of: cell) else { XCTFail("\(theirs) not within \(ours)"); break }
                remaining = remaining[(at + 1)...]
            }
        }
        // Its body text, table aside, is our headings and paragraphs (the unit line now the table's).
        let theirLines = (reference["text"] as! String).split(separator: "\n").map(String.init).filter { !$0.hasPrefix("|") }
        let ourLines = document.blocks.compactMap { placed -> String? in
            if case .table(let table) = placed.block.kind { return table.unit }
            return placed.block.text
        }
        XCTAssertEqual(ourLines, theirLines)
        XCTAssertTrue(document.text.contains("부채비율 < 100% 인 기업만"))
        XCTAssertTrue(document.text.contains("(단위: 억원)\n과목 | 실적\n과목 | 2023년 | 2024년\n매출액 | 456,780 | 512,340\n"), document.text)
    }

    func testControlCharactersOfParagraphText() {
        // "가" tab(8 units) "나" line break, an extended control (a table: 8 units), "다", paragraph end.
        var units: [UInt16] = [0xAC00, 9, 0, 0, 0, 0, 0, 0, 9, 0xB098, 10, 11]
        units += Array("tbl ".utf16.reversed()) + [0, 0, 11]
        units += [0xB2E4, 30, 0xB77C, 13]
        let bytes = units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let pieces = HWPText.pieces(bytes)
        guard pieces.count == 3, case .text(let before) = pieces[0], case .control(11) = pieces[1], case .text(let after) = pieces[2] else {
            return XCTFail("\(pieces)")
        }
        XCTAssertEqual(before, "가\t나\n")
        XCTAssertEqual(after, "다 라")
        XCTAssertEqual(HWPText.controlID(0x7462_6C20), "tbl ")
    }

    func testBadHWPFilesAreSkippedWithTheirReason() throws {
        let work = try temporaryFolder()
        let original = try Data(contentsOf: report)
        // The FileHeader's flags sit 36 bytes after its signature (the file also holds a stale copy of the
        // stream in a free sector: both are changed).
        var signatures: [Range<Data.Index>] = []
        while let next = original.range(of: Data("HWP Document File".utf8), in: (signatures.last?.upperBound ?? 0) ..< original.endIndex) {
            signatures.append(next)
        }
        XCTAssertFalse(signatures.isEmpty)
        func flagged(_ bit: Int) -> Data {
            var data = original
            for signature in signatures { data[signature.lowerBound + 36] |= UInt8(1 << bit) }
            return data
        }
        var notHWP = original
        for signature in signatures { notHWP.replaceSubrange(signature, with: Data("XYZ Document File".utf8)) }
        let cases: [(String, Data, String)] = [
            ("password.hwp", flagged(1), "password-protected HWP document"),
            ("distribution.hwp", flagged(2), "damaged HWP distribution document (배포용 문서): no ViewText/Section streams"),
            ("drm.hwp", flagged(4), "DRM-protected HWP document"),
            ("other.hwp", notHWP, "not an HWP 5.0 document"),
            ("text.hwp", Data("한글 문서가 아니다".utf8), "not a valid HWP file"),
            ("truncated.hwp", original.prefix(3000), "HWP file"),
            ("old.hwp", Data("HWP Document File V3.00 \u{1A}\u{01}\u{02}\u{03}\u{04}\u{05}".utf8) + Data(count: 200), "HWP 3.0 document"),
        ]
        for (name, data, reason) in cases {
            try data.write(to: work.appendingPathComponent(name))
            XCTAssertThrowsError(try DocumentLoader.load(work.appendingPathComponent(name)), name) {
                XCTAssertTrue("\($0)".contains(reason), "\(name): \($0)")
            }
        }
        // Inflating stops at the limit, whatever the streams claim.
        var limits = DocumentLimits()
        limits.maxInflatedBytes = 4000
        XCTAssertThrowsError(try DocumentLoader.load(report, limits: limits)) {
            XCTAssertTrue("\($0)".contains("HWP file holds more than 3 KiB, the limit per file"), "\($0)")
        }
    }

    func testRecordsCutOffOrRunningPastTheirStreamAreDamage() {
        // tag 66, level 0, size 10 — but only 4 payload bytes follow.
        let header = UInt32(66) | UInt32(10) << 20
        var records = HWPRecords(withUnsafeBytes(of: header.littleEndian, Array.init) + [1, 2, 3, 4])
        XCTAssertThrowsError(try records.next()) { XCTAssertTrue("\($0)".contains("runs past its stream"), "\($0)") }
        // An extended size (0xFFF) whose 32-bit size is missing.
        let extended = UInt32(67) | UInt32(0xFFF) << 20
        records = HWPRecords(withUnsafeBytes(of: extended.littleEndian, Array.init) + [1, 2])
        XCTAssertThrowsError(try records.next()) { XCTAssertTrue("\($0)".contains("cut off"), "\($0)") }
        // An extended size that fits.
        records = HWPRecords(withUnsafeBytes(of: extended.littleEndian, Array.init) + [5, 0, 0, 0] + [1, 2, 3, 4, 5])
        XCTAssertEqual(try records.next().map { [$0.tag, $0.level, $0.payload.count] }, [67, 0, 5])
        XCTAssertNil(try records.next())
    }

    /// A real distribution document (hwplib's sample, in ../shared/realdocs): its text outside tables is exactly
    /// pyhwp's (whitespace aside; the SHA-256 from `Scripts/hwp_distribution_reference.py`, pyhwp writing tables as
    /// `<표>`), and its table is read too. A wrong key gives a clear failure, not garbage or a crash.
    func testDistributionDocumentsReadAsPyhwpReadsThem() throws {
        guard let documents = TestPaths.realDocuments else { throw XCTSkip("no real documents here (../shared/realdocs, KORSEARCH_REALDOCS)") }
        let file = documents.appendingPathComponent("hwp/hwplib_distribution.hwp")
        let blocks = try DocumentLoader.load(file).blocks.map(\.block)
        let prose = blocks.filter { if case .table = $0.kind { return false } else { return true } }.map(\.text).joined()
        let squeezed = String(prose.unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
        XCTAssertEqual(
            SHA256.hash(data: Data(squeezed.utf8)).map { String(format: "%02x", $0) }.joined(),
            "03ff0a26ec9505a7b4e304796a08c0e98d802f8af2d4c69b86a588e8cb8fc69c")
        XCTAssertTrue(blocks.contains { if case .table = $0.kind { return true } else { return false } }, "its table")

        // Every key record's key bytes changed (the file holds the record more than once: stale copies in free
        // sectors): the section decrypts to noise, which inflating refuses.
        var damaged = try Data(contentsOf: file)
        let marker = Data([0x1C, 0x00, 0x00, 0x10])  // tag 28, level 0, size 256
        var records: [Int] = []
        while let found = damaged.range(of: marker, in: (records.last ?? 0) ..< damaged.endIndex) { records.append(found.upperBound) }
        XCTAssertFalse(records.isEmpty)
        for record in records {
            let seed =
                UInt32(damaged[record]) | UInt32(damaged[record + 1]) << 8 | UInt32(damaged[record + 2]) << 16 | UInt32(damaged[record + 3]) << 24
            for byte in 0 ..< 16 { damaged[record + 4 + Int(seed & 0xF) + byte] ^= 0xFF }
        }
        let copy = try temporaryFolder().appendingPathComponent("damaged.hwp")
        try damaged.write(to: copy)
        XCTAssertThrowsError(try DocumentLoader.load(copy)) { XCTAssertTrue("\($0)".contains("HWP"), "\($0)") }
    }

    /// The decryption as the specification gives it, round-tripped: a section encrypted with a key hidden in a
    /// scrambled record decrypts to itself; a cut-off section or a stream without its key record is damage.
    func testDistributionSectionsDecryptAndRefuseDamage() throws {
        var random = SystemRandomNumberGenerator()
        let plain = (0 ..< 96).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
        var record = (0 ..< 256).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
        let key = (0 ..< 16).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
        let seed = HWPBytes.u32(record, 0)
        record.replaceSubrange(4 + Int(seed & 0xF) ..< 20 + Int(seed & 0xF), with: key)
        record = HWPDistribution.unscrambled(record)  // scrambling is the same operation
        XCTAssertEqual(HWPDistribution.key(record), key)
        var encrypted: [UInt8] = []
        for start in stride(from: 0, to: plain.count, by: 16) {
            var block = Array(plain[start ..< start + 16])
            try AES.permute(&block, key: SymmetricKey(data: key))
            encrypted += block
        }
        let header = withUnsafeBytes(of: (UInt32(28) | UInt32(256) << 20).littleEndian, Array.init)
        XCTAssertEqual(try HWPDistribution.decrypt(header + record + encrypted), plain)
        XCTAssertThrowsError(try HWPDistribution.decrypt(header + record + encrypted.dropLast(5))) {
            XCTAssertTrue("\($0)".contains("cut off (91 encrypted bytes"), "\($0)")
        }
        let other = withUnsafeBytes(of: (UInt32(66) | UInt32(256) << 20).littleEndian, Array.init)
        XCTAssertThrowsError(try HWPDistribution.decrypt(other + record + encrypted)) {
            XCTAssertTrue("\($0)".contains("does not start with its key record"), "\($0)")
        }
    }
}
