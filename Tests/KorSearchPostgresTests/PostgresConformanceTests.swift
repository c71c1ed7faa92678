import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

/// The store conformance suite (`StoreConformance`) against PostgreSQL stores, each in a schema of its own.
final class PostgresConformanceTests: XCTestCase {
    func testTheStoreConformanceSuite() throws {
        _ = try TestPostgres.requireLocation("conformance")
        try StoreConformance(self) { try TestPostgres.requireLocation("conformance") }.all()
    }
}
