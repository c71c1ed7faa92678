import ArgumentParser
import Foundation
import KorSearch

/// `korsearch tokenize`: token ids of each input line, as the model sees them.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of each input line as JSON lines: {\"ids\":[...]}."
    )

    @Option(name: .long, help: modelHelp)
    var model: String = ModelLocator.defaultModel

    @OptionGroup var input: TextInputOptions

    func run() throws {
        let tokenizer = try DebertaTokenizer(directory: try ModelLocator.resolve(model, hub: ModelHub(progress: ModelCommand.progressReporter())))
        let lines = try readInputLines(input.input)
        var output = ""
        for line in lines {
            let ids = try tokenizer.encode(line, maxLength: input.maxLength)
            output += "{\"ids\":[" + ids.map(String.init).joined(separator: ",") + "]}\n"
            if output.utf8.count > 1 << 16 {
                writeOutput(output)
                output = ""
            }
        }
        writeOutput(output)
    }
}
