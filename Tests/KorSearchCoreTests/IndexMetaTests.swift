import Foundation
import KorEncoder
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore

final class IndexMetaTests: XCTestCase {
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

    func testTheFormatsInfoListsAreTheRegistrys() {
        XCTAssertEqual(FormatInfo.all.map(\.type), DocumentFormats.types)
    }
}
