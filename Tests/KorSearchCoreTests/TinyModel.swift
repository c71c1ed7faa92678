import Foundation
import KorEncoder
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore

/// The tiny test model loaded by the encoder itself (the core's tests build no store and no hub client).
private let tiny = Result { () throws -> (embedder: Embedder, identity: ModelIdentity) in
    let embedder = try Embedder(modelDirectory: TestPaths.tinyModel)
    let identity = try ModelIdentity(id: TestPaths.tinyModel.path, directory: TestPaths.tinyModel, dimension: embedder.model.config.hiddenSize)
    return (embedder, identity)
}

extension XCTestCase {
    /// The tiny test model, loaded once per process.
    var tinyModel: (embedder: Embedder, identity: ModelIdentity) {
        get throws { try tiny.get() }
    }
}
