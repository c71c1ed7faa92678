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
        let (tokenizer, longest) = try TextTokenizer.load(
            modelDirectory: try ModelLocator.resolve(model, hub: ModelHub(progress: ModelCommand.progressReporter())))
        let lines = try readInputLines(input.input)
        var output = ""
        for line in lines {
            let ids = try tokenizer.encode(line, maxLength: input.maxLength ?? longest)
            output += "{\"ids\":[" + ids.map(String.init).joined(separator: ",") + "]}\n"
            if output.utf8.count > 1 << 16 {
                writeOutput(output)
                output = ""
            }
        }
        writeOutput(output)
    }
}

/// `korsearch terms`: the keyword terms of each input line, as the keyword index stores and queries them.
struct TermsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terms",
        abstract:
            "Print the keyword terms of each input line as JSON lines: {\"terms\":[...], \"aliases\":[...], \"weights\":{...}} (Hangul bigrams, numbers, Latin words, amounts; the alias groups a query would be widened by; the terms a query searches with their weights)."
    )

    @Option(name: .long, help: "Read texts from this file, one per line (default: standard input).")
    var input: String?

    @Option(name: .long, help: "Use this index's dictionary and aliases (default: no dictionary, the default aliases).")
    var index: String?

    @Option(name: .long, help: ArgumentHelp("Use this PostgreSQL store's dictionary and aliases.", valueName: "URL"))
    var store: String?

    func run() throws {
        struct Line: Encodable {
            var terms: [String]
            var aliases: [KeywordAliases.Match]
            var weights: [String: Double]
        }
        var (dictionary, aliases) = (KeywordDictionary.empty, KeywordAliases.none)
        if index != nil || store != nil {
            let meta = try IndexStores.meta(of: try IndexLocation(index: index ?? "", store: store))
            (dictionary, aliases) = (meta.keywordDictionary, meta.keywordAliases)
        }
        let matcher = aliases.matcher
        var output = ""
        for line in try readInputLines(input) {
            let matches = matcher.matches(in: line)
            output += try jsonLine(
                Line(
                    terms: KeywordTerms.terms(line, dictionary: dictionary), aliases: matches,
                    weights: KeywordTerms.weighted(line, dictionary: dictionary, aliases: matches)))
            if output.utf8.count > 1 << 16 {
                writeOutput(output)
                output = ""
            }
        }
        writeOutput(output)
    }
}
