import ArgumentParser

/// The `korsearch` command: a thin shell over the KorSearch library.
@main
struct Korsearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "korsearch",
        abstract: "Semantic search over Korean documents with mDeBERTa-v3 embeddings.",
        subcommands: [IndexCommand.self, SearchCommand.self, EvalCommand.self, ServeCommand.self, InfoCommand.self, RemoveCommand.self, RebuildCommand.self, ModelCommand.self, TokenizeCommand.self, EmbedCommand.self]
    )
}
