import ArgumentParser
import Foundation
import KorSearch
import KorSearchServer

/// `korsearch serve`: the HTTP API over an index.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve an index over HTTP: OpenAI-compatible /v1/embeddings, /v1/search, documents, chunks.")

    @OptionGroup var target: IndexOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Address to bind (loopback by default).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port (0 picks a free one).")
    var port = 8080

    @Option(name: .long, help: "Require this bearer token (default: $KORSEARCH_API_KEY when set).")
    var apiKey: String?

    @Option(name: .long, help: "Largest request body in bytes.")
    var maxBody = 2 << 20

    @Option(name: .long, help: "Most texts per embeddings request.")
    var maxInputs = 256

    @Option(name: .long, help: "Milliseconds the embedder waits for concurrent requests to batch together.")
    var batchWindowMs = 4.0

    @Flag(name: .long, help: "Do not log each request on stderr.")
    var noRequestLog = false

    @OptionGroup var reranker: RerankerOption

    func validate() throws {
        if !(0 ... 65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if maxBody < 1024 { throw ValidationError("--max-body must be at least 1024") }
        if maxInputs < 1 { throw ValidationError("--max-inputs must be at least 1") }
        if !(0 ... 1000).contains(batchWindowMs) { throw ValidationError("--batch-window-ms must be between 0 and 1000") }
    }

    /// Whether `host` is this machine's loopback (reachable from this machine only).
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    func run() async throws {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.apiKey = apiKey ?? ProcessInfo.processInfo.environment["KORSEARCH_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.maxBodyBytes = maxBody
        configuration.maxInputs = maxInputs
        configuration.batchWindow = batchWindowMs / 1000
        configuration.requestLog = !noRequestLog
        let server = try APIServer(
            location: try target.existingLocation, model: modelOptions.model, precision: modelOptions.precision, reranker: reranker.rerank,
            defaultReranker: !reranker.noRerank,
            configuration: configuration, warn: { warn($0) })
        let host = self.host
        let served = try target.existingLocation.description
        let summary = server.summary
        let open = configuration.apiKey == nil && !ServeCommand.isLoopback(host)
        do {
            try await server.run { port in
                var lines = "korsearch: serving \(shown(served)) — \(summary)\n"
                if open {
                    lines +=
                        "warning: listening beyond this machine (\(host)) without an API key: anyone who can reach port \(port) can search the index and read its documents; set --api-key or KORSEARCH_API_KEY\n"
                }
                lines += "korsearch: listening on http://\(host):\(port) (the search page at /, the API under /v1, /openapi.json)\n"
                lines += "korsearch: OpenBLAS kernels \(BLASRuntime.core)\n"
                FileHandle.standardError.write(Data(lines.utf8))
            }
        } catch  where "\(error)".contains("Address already in use") || "\(error)".contains("errno: 98") {
            throw CommandFailure(
                "port \(port) on \(host) is in use by another program; choose another with --port", code: ExitCodes.unavailable)
        } catch  where "\(error)".contains("Cannot assign requested address") || "\(error)".contains("errno: 99") {
            throw CommandFailure(
                "\(host) is not an address of this machine; give one it has with --host (127.0.0.1, 0.0.0.0)", code: ExitCodes.unavailable)
        }
        FileHandle.standardError.write(Data("korsearch: stopped\n".utf8))
    }
}
