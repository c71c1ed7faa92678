import ArgumentParser
import Foundation
import KorSearch

/// `korsearch rerank`: a cross-encoder's scores of passages for a query, without an index.
struct RerankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerank",
        abstract:
            "Score passages for a query with a cross-encoder: JSON lines {\"query\": ..., \"passages\": [...]} in, {\"scores\": [...]} out (sentence-transformers' CrossEncoder.predict)."
    )

    @Option(name: .long, help: "The cross-encoder: a folder or hub id (e.g. BAAI/bge-reranker-v2-m3).")
    var model: String

    @Option(name: .long, help: "Read requests from this file, one JSON object per line (default: standard input).")
    var input: String?

    @Option(name: .long, help: "Pairs per forward pass.")
    var batchSize: Int = 16

    @Option(name: .long, help: "Cut each pair to this many tokens (default: the model's length, at most 512).")
    var maxLength: Int?

    @Option(name: .long, help: ArgumentHelp("fp32 (exact), bf16 or int8; default as for embed.", valueName: "precision"))
    var precision: Precision?

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, not \(batchSize)") }
    }

    func run() throws {
        struct Request: Decodable {
            var query: String
            var passages: [String]
        }
        struct Scores: Encodable { var scores: [Float] }
        let folder = try ModelLocator.resolve(model, hub: ModelHub(progress: ModelCommand.progressReporter()))
        let reranker = try CrossEncoder(modelDirectory: folder, maxLength: maxLength, precision: precision ?? .recommended)
        for (number, line) in try readInputLines(input).enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let request = try? JSONDecoder().decode(Request.self, from: Data(line.utf8)) else {
                throw CommandFailure(
                    "input line \(number + 1) is not {\"query\": \"...\", \"passages\": [\"...\", ...]}", code: ExitCodes.data)
            }
            writeOutput(try jsonLine(Scores(scores: try reranker.scores(query: request.query, passages: request.passages, batchSize: batchSize))))
        }
    }
}
