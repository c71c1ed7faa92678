import ArgumentParser

/// The `korsearch` command: a thin shell over the KorSearch library.
@main
struct Korsearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "korsearch",
        abstract: "Semantic search over Korean documents with mDeBERTa-v3 embeddings.",
        subcommands: [IndexCommand.self, SearchCommand.self, EvalCommand.self, InfoCommand.self, RemoveCommand.self, RebuildCommand.self, ModelCommand.self, TokenizeCommand.self, EmbedCommand.self]
    )
}
