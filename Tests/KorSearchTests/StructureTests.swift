import Foundation
import KorSearch
@testable import KorDocuments
@testable import KorSearchCore
@testable import KorSearchEmbedded
@testable import KorSearchHub
import XCTest

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
        XCTAssertEqual(FormatInfo.all.map(\.type), DocumentFormats.types)
        // Every corpus file is read by the reader its extension names, and records that reader's type.
        for url in try FileManager.default.subpathsOfDirectory(atPath: TestPaths.corpus.path).map({ TestPaths.corpus.appendingPathComponent($0) })
            where DocumentFormats.reader(forExtension: url.pathExtension) != nil {
            XCTAssertEqual(try DocumentLoader.load(url).type, DocumentFormats.reader(forExtension: url.pathExtension)?.type, url.path)
        }
    }

    func testBlocksAreLaidOutWithTheirOffsetsAndPages() throws {
        let content = DocumentContent(blocks: [
            .heading("1. 개요", level: 1, page: 1),
            .paragraph("기준금리를 동결했다.", page: 1),
            .table(DocumentTable(rows: [[.init("과목"), .init("2023년"), .init("2024년")],
                                        [.init("영업이익"), .init("260,750"), .init("399,963")]],
                                 headerRows: 1, unit: "(단위: 백만원)"), page: 3),
        ], pageCount: 4)
        let document = LoadedDocument(type: "pdf", content: content)
        XCTAssertEqual(document.text, "1. 개요\n\n기준금리를 동결했다.\n\n(단위: 백만원)\n과목 | 2023년 | 2024년\n영업이익 | 260,750 | 399,963")
        let scalars = Array(document.text.unicodeScalars)
        for placed in document.blocks {
            XCTAssertEqual(String(String.UnicodeScalarView(scalars[placed.start ..< placed.end])), placed.block.text)
        }
        // Page 2 has no text: it starts where page 1's text ends; page 4 likewise after page 3.
        XCTAssertEqual(document.pageStarts, [0, document.blocks[1].end, document.blocks[2].start, document.blocks[2].end])
        XCTAssertTrue(document.paged)
        // The chunker takes the blocks: a table row is never cut or fused, each passage knows its page.
        let model = try tinyModel
        let chunks = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 32, overlapTokens: 0)).chunks(of: document)
        let lines = Set(document.text.split(separator: "\n").map(String.init))
        for chunk in chunks {
            XCTAssertTrue(chunk.text.split(separator: "\n").allSatisfy { lines.contains(String($0)) }, "a passage holds whole lines: \(chunk.text)")
        }
        XCTAssertEqual(chunks.first { $0.text.contains("영업이익 | 260,750 | 399,963") }?.page, 3, chunks.map(\.text).description)
        XCTAssertEqual(chunks.first?.page, 1)
    }

    func testBlocksFromStoredTextMatchTheReadersLayout() throws {
        let pdf = try DocumentLoader.load(TestPaths.corpus.appendingPathComponent("products/els-1234-prospectus.pdf"))
        let again = LoadedDocument(type: pdf.type, title: pdf.title, text: pdf.text, pageStarts: pdf.pageStarts, paged: true, encoding: nil)
        XCTAssertEqual(again.blocks.map(\.start), pdf.blocks.map(\.start))
        XCTAssertEqual(again.blocks.map(\.block.page), pdf.blocks.map(\.block.page))
    }

    func testIndexMetaRoundTripsAndRefusesWhatItCannotRead() throws {
        var identity = try tinyModel.identity
        identity.precision = .bf16
        let meta = IndexMeta(model: identity, maxLength: 512, chunking: ChunkingOptions(chunkTokens: 128, overlapTokens: 16), vectorIndex: "HNSW32")
        let parsed = try IndexMeta(entries: meta.storedEntries, owner: "test")
        XCTAssertEqual(parsed.precision, .bf16)
        XCTAssertEqual(parsed.chunking, ChunkingOptions(chunkTokens: 128, overlapTokens: 16))
        XCTAssertEqual(parsed.vectorIndex, "HNSW32")
        XCTAssertEqual(parsed.dimension, identity.dimension)
        XCTAssertEqual(parsed.modelFingerprint, identity.fingerprint)
        // An index made before precision was recorded was built at fp32.
        var entries = meta.storedEntries
        entries["precision"] = nil
        XCTAssertEqual(try IndexMeta(entries: entries, owner: "test").precision, .fp32)
        entries["precision"] = "fp8"
        XCTAssertThrowsError(try IndexMeta(entries: entries, owner: "test")) { XCTAssertEqual(($0 as? KorSearchError)?.kind, .corruptIndex) }
        entries = meta.storedEntries
        entries["chunk_tokens"] = nil
        XCTAssertThrowsError(try IndexMeta(entries: entries, owner: "test")) { XCTAssertEqual(($0 as? KorSearchError)?.kind, .corruptIndex) }
        // No dimension: the creation was interrupted before anything was written, so there is no index yet.
        entries = meta.storedEntries
        entries["dimension"] = nil
        XCTAssertThrowsError(try IndexMeta(entries: entries, owner: "test")) { XCTAssertEqual(($0 as? KorSearchError)?.kind, .indexNotFound) }
    }

    func testAnUnreachableHubIsANetworkError() throws {
        // A port nothing listens on: connection refused.
        let settings = HubSettings(environment: ["HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_CACHE": try temporaryFolder().path])
        XCTAssertThrowsError(try ModelHub(settings: settings).download("lighthouse/nothing")) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .network, "\(error)")
            XCTAssertFalse("\(error)".contains("kept"), "nothing was downloaded, so nothing is kept: \(error)")
        }
    }
}
