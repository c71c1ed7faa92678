import ArgumentParser
import Foundation
import KorSearch

/// `korsearch embed`: the embedding of each input line.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print the pooled embedding of each input line as JSON lines: {\"embedding\":[...],\"tokens\":N}."
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var input: TextInputOptions

    @Option(name: .long, help: "Texts per forward pass.")
    var batchSize: Int = 32

    @Flag(name: .long, help: "Print the raw pooled vector instead of the L2-normalized one.")
    var noNormalize = false

    @Option(
        name: .long,
        help: "Put the model's prompt for this role before each line: query or passage (sentence-transformers' prompt_name; default: none).")
    var promptName: PromptName?

    /// The roles a sentence-transformers folder names prompts for.
    enum PromptName: String, ExpressibleByArgument, CaseIterable {
        case query, passage
    }

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, not \(batchSize)") }
    }

    func run() throws {
        let lines = try readInputLines(input.input)
        let folder = try ModelLocator.resolve(
            modelOptions.model ?? ModelLocator.defaultModel, hub: ModelHub(progress: ModelCommand.progressReporter()))
        let embedder = try Embedder(modelDirectory: folder, maxLength: input.maxLength, precision: modelOptions.precision ?? .recommended)
        let positions = embedder.model.config.maxPositionEmbeddings
        if let asked = input.maxLength, asked > positions {
            warn(
                "--max-length \(asked) is more than the \(positions) positions the model was trained on; longer texts embed, but the model has never seen such distances"
            )
        }
        let prompt: String =
            switch promptName {
            case .query?: embedder.prompts.query
            case .passage?: embedder.prompts.passage
            case nil: ""
            }
        let ids = try embedder.tokenize(lines, prompt: prompt)
        var start = 0
        while start < ids.count {
            let batch = Array(ids[start ..< min(start + batchSize, ids.count)])
            var output = ""
            for embedding in try embedder.embed(ids: batch, normalize: !noNormalize, batchSize: batchSize) {
                guard embedding.vector.allSatisfy(\.isFinite) else {
                    throw CommandFailure("the model produced a non-finite value for input line \(start + 1); its weights may be corrupt")
                }
                output +=
                    "{\"embedding\":[" + embedding.vector.map { "\($0)" }.joined(separator: ",")
                    + "],\"tokens\":\(embedding.tokens)}\n"
            }
            writeOutput(output)
            start += batchSize
        }
    }
}
