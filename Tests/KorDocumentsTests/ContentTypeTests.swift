import Foundation
import KorSearchTestSupport
import XCTest

@testable import KorDocuments

/// A file is read by what it is, not by what its name says: an HWP 5.0 file named `.hwpx`, a DOCX named `.pdf`, a
/// PDF without an extension are read by the right reader, with a note naming the mismatch.
final class ContentTypeTests: XCTestCase {
    private let fixtures = TestPaths.fixtures.appendingPathComponent("documents")

    private func copy(_ name: String, as newName: String) throws -> URL {
        let url = try temporaryFolder().appendingPathComponent(newName)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: url)
        return url
    }

    func testFilesAreReadByTheirContent() throws {
        let cases: [(String, String, String, String)] = [
            ("report.hwp", "report.hwpx", "hwp", "read as Hancom (HWP 5.0) by its content; its extension .hwpx says Hancom (HWPX)"),
            ("quarterly.docx", "quarterly.pdf", "docx", "read as Word (DOCX) by its content; its extension .pdf says PDF"),
            ("quarterly-results.pdf", "quarterly-results", "pdf", "read as PDF by its content (it has no extension)"),
            ("financials.xlsx", "financials.txt", "xlsx", "read as Excel (XLSX) by its content; its extension .txt says Plain text"),
        ]
        for (fixture, name, type, note) in cases {
            let url = try copy(fixture, as: name)
            let expected = try DocumentLoader.load(fixtures.appendingPathComponent(fixture))
            let read = try DocumentLoader.load(url)
            XCTAssertEqual(read.type, type, name)
            XCTAssertEqual(read.text, expected.text, "\(name) reads as \(fixture) does")
            XCTAssertEqual(read.notes, [note], name)
        }
        // Files whose content agrees with their name get no note; unknown content keeps the extension's reader.
        XCTAssertEqual(try DocumentLoader.load(fixtures.appendingPathComponent("report.hwp")).notes, [])
        let text = try temporaryFolder().appendingPathComponent("memo.txt")
        try Data("PK 보고서 메모".utf8).write(to: text)
        XCTAssertEqual(try DocumentLoader.load(text).type, "txt")
        let unknown = try temporaryFolder().appendingPathComponent("README")
        try Data("plain words".utf8).write(to: unknown)
        XCTAssertThrowsError(try DocumentLoader.load(unknown)) { XCTAssertEqual("\($0)", "unsupported file type (no extension)") }
    }
}
