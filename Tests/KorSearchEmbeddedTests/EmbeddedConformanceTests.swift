import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

/// The store conformance suite (`StoreConformance`) against index directories.
final class EmbeddedConformanceTests: XCTestCase {
    func testTheStoreConformanceSuite() throws {
        try StoreConformance(self) { .directory(EmbeddedLocation(try self.temporaryFolder().appendingPathComponent("index"))) }.all()
    }
}
