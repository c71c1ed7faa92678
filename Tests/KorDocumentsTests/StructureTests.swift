import Foundation
import KorSearchTestSupport
import XCTest

@testable import KorDocuments

/// The seams between the library's parts: the format registry, documents as blocks, the typed index meta,
/// and errors that carry their kind and code.
final class StructureTests: XCTestCase {
    func testTheRegistryListsEachFormatOnceAndLoadingGoesThroughIt() throws {
        let readers = DocumentFormats.readers
        XCTAssertEqual(DocumentFormats.types, ["txt", "md", "html", "pdf", "docx", "hwpx", "hwp", "xlsx", "pptx", "csv", "dart"])
        XCTAssertEqual(Set(readers.map(\.type)).count, readers.count, "one reader per type")
        let extensions = readers.flatMap(\.extensions)
        XCTAssertEqual(Set(extensions).count, extensions.count, "an extension belongs to one format")
        XCTAssertEqual(DocumentFormats.reader(forExtension: "HTM")?.type, "html")
        XCTAssertNil(DocumentFormats.reader(forExtension: "key"))
        // Every corpus file is read by the reader its extension names, and records that reader's type.
        for url in try FileManager.default.subpathsOfDirectory(atPath: TestPaths.corpus.path).map({ TestPaths.corpus.appendingPathComponent($0) })
        where DocumentFormats.reader(forExtension: url.pathExtension) != nil {
            XCTAssertEqual(try DocumentLoader.load(url).type, DocumentFormats.reader(forExtension: url.pathExtension)?.type, url.path)
        }
    }

    func testBlocksFromStoredTextMatchTheReadersLayout() throws {
        let pdf = try DocumentLoader.load(TestPaths.corpus.appendingPathComponent("products/els-1234-prospectus.pdf"))
        let again = LoadedDocument(type: pdf.type, title: pdf.title, text: pdf.text, pageStarts: pdf.pageStarts, paged: true, encoding: nil)
        XCTAssertEqual(again.blocks.map(\.start), pdf.blocks.map(\.start))
        XCTAssertEqual(again.blocks.map(\.block.page), pdf.blocks.map(\.block.page))
    }

}
