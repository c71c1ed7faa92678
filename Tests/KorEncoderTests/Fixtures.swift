import Foundation
import XCTest

/// Paths to the committed fixtures (made by Scripts/make_fixtures.py from transformers and SentencePiece).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let models = root.appendingPathComponent("models")
    static let modelNames = [
        "mdeberta-tiny-safetensors", "mdeberta-tiny-bf16-safetensors", "log-buckets-pytorch",
        "log-buckets-fp16-pytorch", "absolute-positions-safetensors",
    ]

    static func model(_ name: String) -> URL { models.appendingPathComponent(name) }

    /// Reference outputs of a fixture model: texts, ids, last hidden states and pooled embeddings.
    struct Expected: Decodable {
        let texts: [String]
        let max_length: Int
        let ids: [[Int32]]
        let hidden: [[Float]]
        let pooled: [[Float]]
        let bucket_distances: [Int]
        let buckets: [Int]
    }

    static func expected(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: model(name).appendingPathComponent("expected.json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    struct TokenizerCase: Decodable {
        let text: String
        let ids: [Int32]
        let max_length: Int?
    }

    static func tokenizerCases() throws -> [TokenizerCase] {
        struct File: Decodable { let cases: [TokenizerCase] }
        let data = try Data(contentsOf: root.appendingPathComponent("tokenizer_cases.json"))
        return try JSONDecoder().decode(File.self, from: data).cases
    }

    /// A fresh temporary folder, removed when the test ends.
    static func temporaryFolder(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A copy of a fixture model folder that a test may damage.
    static func copyOfModel(_ name: String, in test: XCTestCase) throws -> URL {
        let target = try temporaryFolder(test).appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: model(name).path) {
            let source = model(name).appendingPathComponent(file).resolvingSymlinksInPath()
            try FileManager.default.copyItem(at: source, to: target.appendingPathComponent(file))
        }
        return target
    }
}

/// The largest absolute difference between two equally long vectors.
func maxAbsDifference<A: Collection<Float>, B: Collection<Float>>(_ a: A, _ b: B) -> Float {
    precondition(a.count == b.count, "lengths differ: \(a.count) vs \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
