import ArgumentParser
import Foundation
import KorSearch
import KorSearchMCP

/// `korsearch mcp`: the index as a Model Context Protocol server over stdio.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve an index to MCP hosts (agents, assistants) over stdio: search, get_context, get_document, index_info.")

    @OptionGroup var target: IndexOptions
    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var reranker: RerankerOption

    @Flag(name: .customLong("keyword-only"), help: "Load no model: only keyword search (starts at once, needs no model files).")
    var keywordOnly = false

    func run() async throws {
        // stdout carries only protocol messages: everything else goes to stderr.
        let location = try target.existingLocation
        let opened = try OpenedIndex.open(
            location, model: modelOptions.model, precision: modelOptions.precision,
            loadModel: !keywordOnly, reranker: reranker.rerank, defaultReranker: !reranker.noRerank, warn: { warn($0) })
        let server = try MCPServer(opened: opened, location: location, warn: { warn($0) })
        FileHandle.standardError.write(Data("korsearch: MCP server on stdio (\(opened.store.location.description))\n".utf8))
        try await server.run()
    }
}
