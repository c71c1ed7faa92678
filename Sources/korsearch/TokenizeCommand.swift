import ArgumentParser
import Foundation
import KorSearch

/// `korsearch tokenize`: token ids of each input line, as the model sees them.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of each input line as JSON lines: {\"ids\":[...]}."
    )

    @OptionGroup var options: ModelOptions

    func run() throws {
        let tokenizer = try DebertaTokenizer(directory: options.modelURL)
        let lines = try readInputLines(options.input)
        var output = ""
        for line in lines {
            let ids = try tokenizer.encode(line, maxLength: options.maxLength)
            output += "{\"ids\":[" + ids.map(String.init).joined(separator: ",") + "]}\n"
            if output.utf8.count > 1 << 16 {
                writeOutput(output)
                output = ""
            }
        }
        writeOutput(output)
    }
}
