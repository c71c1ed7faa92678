import Foundation
import KorSearch
import MCP

/// An index served over the Model Context Protocol (stdio), for agents and assistants: the tools `search`,
/// `get_context`, `get_document` and `index_info`, with JSON schemas and structured results (the same JSON
/// as `korsearch search --json` and the HTTP API) plus a short text rendering with citations. Bad arguments
/// are tool errors with a message; the server keeps running, and ends when the client closes its input.
public final class MCPServer: Sendable {
    /// The longest text `get_document` returns in one call (characters); a longer range is cut and says so.
    public static let maxDocumentCharacters = 100_000
    /// What `get_document` returns when no range is asked for.
    public static let defaultDocumentCharacters = 20_000

    private let searcher: Searcher

    /// A server over an opened index.
    public init(opened: OpenedIndex, warn: @escaping @Sendable (String) -> Void = { _ in }) throws {
        searcher = try opened.searcher(warn: warn)
    }

    /// Serves over the given file descriptors (stdin and stdout by default) until the client closes its end.
    public func run(input: FileDescriptorNumber = 0, output: FileDescriptorNumber = 1) async throws {
        let server = Server(name: "korsearch", version: KorSearchVersion.current,
                            capabilities: .init(tools: .init(listChanged: false)))
        let activity = Activity()
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: MCPServer.tools) }
        await server.withMethodHandler(CallTool.self) { [self] params in
            await activity.begin()
            let result = await self.call(params.name, params.arguments ?? [:])
            await activity.end()
            return result
        }
        let transport = StdioTransport(input: .init(rawValue: input), output: .init(rawValue: output))
        try await server.start(transport: transport)
        await server.waitUntilCompleted()
        // The client closed its end: answer what it asked before that (each request runs on its own task),
        // then stop.
        await activity.settle()
        await server.stop()
    }

    /// Tool calls under way, so the server answers every request that arrived before its input closed.
    private actor Activity {
        private var running = 0
        private var lastChange = Date()

        func begin() { running += 1; lastChange = Date() }
        func end() { running -= 1; lastChange = Date() }

        /// Returns once no call has run or started for 200 ms.
        func settle() async {
            while running > 0 || Date().timeIntervalSince(lastChange) < 0.2 {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    public typealias FileDescriptorNumber = Int32

    // MARK: Tools

    private static let filtersSchema: Value = .object([
        "type": "object",
        "description": "Restrictions applied before the cut to k.",
        "additionalProperties": false,
        "properties": .object([
            "path": .object(["type": "string", "description": "glob over the path relative to the indexed folder, e.g. market/*"]),
            "types": .object(["type": "array", "items": .object(["type": "string"]), "description": "document types: \(DocumentFormats.types.joined(separator: ", "))"]),
            "modified_after": .object(["type": "string", "description": "YYYY-MM-DD"]),
            "modified_before": .object(["type": "string", "description": "YYYY-MM-DD"]),
            "company": .object(["type": "string", "description": "company name (주식회사, (주), ㈜ and spaces ignored), DART corp_code or stock code"]),
            "report_type": .object(["type": "string", "description": "사업보고서, 반기보고서, 분기보고서, 주요사항보고서, 감사보고서, ..."]),
            "period": .object(["type": "string", "description": "2024 (the whole year), 2024-H1, 2024-Q3"]),
            "filed_after": .object(["type": "string", "description": "YYYY-MM-DD"]),
            "filed_before": .object(["type": "string", "description": "YYYY-MM-DD"]),
        ]),
    ])

    /// The tools, with their input schemas.
    static let tools: [Tool] = [
        Tool(name: "search", title: "Search the index",
             description: "Find passages of Korean financial documents that answer a question (hybrid vector + BM25 keyword search by default). Returns ranked hits with path, page, section, document metadata and text.",
             inputSchema: .object([
                "type": "object", "required": ["query"], "additionalProperties": false,
                "properties": .object([
                    "query": .object(["type": "string", "description": "the question, in Korean or English"]),
                    "k": .object(["type": "integer", "minimum": 1, "maximum": .int(Searcher.maxResults), "default": 10]),
                    "mode": .object(["type": "string", "enum": ["hybrid", "vector", "keyword"], "default": "hybrid"]),
                    "filters": filtersSchema,
                    "context": .object(["type": "integer", "minimum": 0, "maximum": 20, "default": 0, "description": "neighbouring passages to attach on each side"]),
                    "vector_weight": .object(["type": "number", "minimum": 0, "maximum": 1,
                                              "description": "hybrid: the vector ranking's weight against the keyword ranking (0 keyword only, 1 vector only); default the index's"]),
                ]),
             ]),
             annotations: .init(readOnlyHint: true, openWorldHint: false)),
        Tool(name: "get_context", title: "A passage and its neighbours",
             description: "The passage with this chunk_id and the passages around it in its document.",
             inputSchema: .object([
                "type": "object", "required": ["chunk_id"], "additionalProperties": false,
                "properties": .object([
                    "chunk_id": .object(["type": "integer"]),
                    "neighbours": .object(["type": "integer", "minimum": 0, "maximum": 20, "default": 1]),
                ]),
             ]),
             annotations: .init(readOnlyHint: true, openWorldHint: false)),
        Tool(name: "get_document", title: "A document's text",
             description: "The stored text of a document (by document_id from a search hit), optionally a character range [start, end); at most \(maxDocumentCharacters) characters per call, \(defaultDocumentCharacters) when no end is given.",
             inputSchema: .object([
                "type": "object", "required": ["document_id"], "additionalProperties": false,
                "properties": .object([
                    "document_id": .object(["type": "integer"]),
                    "start": .object(["type": "integer", "minimum": 0, "description": "first character (Unicode scalar offset, as hits' start)"]),
                    "end": .object(["type": "integer", "minimum": 0, "description": "one past the last character"]),
                ]),
             ]),
             annotations: .init(readOnlyHint: true, openWorldHint: false)),
        Tool(name: "index_info", title: "What the index holds",
             description: "Documents, passages, the model, the formats read, and documents counted by company, report type and period.",
             inputSchema: .object(["type": "object", "additionalProperties": false, "properties": .object([:])]),
             annotations: .init(readOnlyHint: true, openWorldHint: false)),
    ]

    /// A tool call's result: structured JSON and a text rendering, or an error with its message.
    func call(_ name: String, _ arguments: [String: Value]) async -> CallTool.Result {
        do {
            let (structured, text) = try await offload { [self] in try self.run(name, Arguments(arguments)) }
            return CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: Optional(structured), isError: false)
        } catch {
            let message = (error as? ToolError)?.message ?? (error as? KorSearchError)?.message ?? "\(error)"
            return CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
        }
    }

    private func run(_ name: String, _ arguments: Arguments) throws -> (Value, String) {
        switch name {
        case "search": return try search(arguments)
        case "get_context": return try context(arguments)
        case "get_document": return try document(arguments)
        case "index_info": return try info(arguments)
        default: throw ToolError("no tool \(name); the tools are search, get_context, get_document, index_info")
        }
    }

    private func search(_ arguments: Arguments) throws -> (Value, String) {
        try arguments.only(["query", "k", "mode", "filters", "context", "vector_weight"])
        let query = try arguments.string("query", required: true)!
        guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ToolError("query is empty") }
        let k = try arguments.int("k", in: 1 ... Searcher.maxResults) ?? 10
        let modeName = try arguments.string("mode") ?? "hybrid"
        guard let mode = SearchMode(rawValue: modeName) else { throw ToolError("mode must be hybrid, vector or keyword, not \(modeName)") }
        if mode != .keyword, searcher.embedder == nil { throw ToolError("this server has no model loaded; use mode keyword") }
        let neighbours = try arguments.int("context", in: 0 ... 20) ?? 0
        let filters = try self.filters(arguments.object("filters"))
        let weight = try arguments.number("vector_weight", in: 0 ... 1)
        let answer = try searcher.answer(query, limit: k, mode: mode, filters: filters, neighbours: neighbours, vectorWeight: weight)
        var text = answer.results.isEmpty ? "no results for \(query)" : ""
        for result in answer.results {
            let hit = result.hit
            var source = "[\(hit.rank)] \(hit.path)" + (hit.page.map { " (p. \($0))" } ?? "")
            if let title = hit.title { source += " — \(title)" }
            if let section = hit.section, section != hit.title { source += " · \(section)" }
            text += source + "\n" + Snippet.excerpt(hit.text.replacingOccurrences(of: "\n", with: " "), query: query, width: 400) + "\n\n"
        }
        return (try MCPServer.value(answer), text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private func filters(_ object: Arguments?) throws -> SearchFilters {
        guard let object else { return SearchFilters() }
        try object.only(["path", "types", "modified_after", "modified_before", "company", "report_type", "period", "filed_after", "filed_before"], prefix: "filters.")
        var types: Set<String>?
        if let names = try object.strings("types") {
            types = try Set(names.map { name in
                guard let type = SearchFilters.documentType(name) else {
                    throw ToolError("filters.types: \(name) is not a type korsearch reads; one of \(DocumentFormats.types.joined(separator: ", "))")
                }
                return type
            })
        }
        func date(_ key: String) throws -> Date? {
            guard let text = try object.string(key) else { return nil }
            guard let date = SearchFilters.date(from: text) else { throw ToolError("filters.\(key) must be a date (YYYY-MM-DD)") }
            return date
        }
        let filters = SearchFilters(pathGlob: try object.string("path"), types: types, modifiedAfter: try date("modified_after"),
                                    modifiedBefore: try date("modified_before"), company: try object.string("company"),
                                    reportType: try object.string("report_type"), period: try object.string("period"),
                                    filedAfter: try object.string("filed_after"), filedBefore: try object.string("filed_before"))
        try filters.validate()
        return filters
    }

    private func context(_ arguments: Arguments) throws -> (Value, String) {
        try arguments.only(["chunk_id", "neighbours"])
        let id = Int64(try arguments.int("chunk_id", required: true)!)
        let neighbours = try arguments.int("neighbours", in: 0 ... 20) ?? 1
        let chunks = try searcher.context(of: id, before: neighbours, after: neighbours)
        guard let chunk = chunks.first(where: { $0.id == id }) else { throw ToolError("no passage with chunk_id \(id)") }
        struct Body: Encodable {
            let chunk_id: Int64, document_id: Int64, path: String, title: String?, ordinal: Int, text: String
            let start: Int, end: Int, page: Int?, section: String?, metadata: FilingMetadata, neighbours: [ContextPassage]
        }
        let body = Body(chunk_id: chunk.id, document_id: chunk.documentId, path: chunk.documentPath, title: chunk.documentTitle,
                        ordinal: chunk.ordinal, text: chunk.text, start: chunk.start, end: chunk.end, page: chunk.page,
                        section: chunk.section, metadata: chunk.documentMetadata,
                        neighbours: chunks.filter { $0.id != id }.map(ContextPassage.init))
        let text = "\(chunk.documentPath)" + (chunk.page.map { " (p. \($0))" } ?? "") + "\n"
            + chunks.map(\.text).joined(separator: "\n\n")
        return (try MCPServer.value(body), text)
    }

    private func document(_ arguments: Arguments) throws -> (Value, String) {
        try arguments.only(["document_id", "start", "end"])
        let id = Int64(try arguments.int("document_id", required: true)!)
        guard let (document, text) = try searcher.index.document(id: id) else { throw ToolError("no document with document_id \(id)") }
        let scalars = Array(text.unicodeScalars)
        let start = try arguments.int("start", in: 0 ... Int.max) ?? 0
        let asked = try arguments.int("end", in: 0 ... Int.max)
        guard start <= scalars.count else { throw ToolError("start \(start) is past the document's end (\(scalars.count) characters)") }
        if let asked, asked < start { throw ToolError("end \(asked) is before start \(start)") }
        let limit = asked == nil ? MCPServer.defaultDocumentCharacters : MCPServer.maxDocumentCharacters
        let end = min(asked ?? scalars.count, scalars.count, start + limit)
        let truncated = end < min(asked ?? scalars.count, scalars.count)
        let part = String(String.UnicodeScalarView(scalars[start ..< end]))
        struct Body: Encodable {
            let document_id: Int64, path: String, title: String?, type: String, chunks: Int, metadata: FilingMetadata
            let total_characters: Int, start: Int, end: Int, truncated: Bool, text: String
        }
        let body = Body(document_id: id, path: document.path, title: document.title, type: document.type, chunks: document.chunkCount,
                        metadata: document.metadata, total_characters: scalars.count, start: start, end: end, truncated: truncated, text: part)
        let note = truncated ? "\n\n[cut at character \(end) of \(scalars.count); ask for start \(end) to read on]" : ""
        return (try MCPServer.value(body), "\(document.path) [\(start)..<\(end) of \(scalars.count)]\n" + part + note)
    }

    private func info(_ arguments: Arguments) throws -> (Value, String) {
        try arguments.only([])
        let info = try searcher.index.info()
        var text = "\(info.documents) documents, \(info.chunks) passages; model \(info.model) (\(info.precision))"
        if !info.facets.company.isEmpty { text += "\ncompanies: " + info.facets.company.prefix(20).map { "\($0.value) (\($0.documents))" }.joined(separator: ", ") }
        if !info.facets.reportType.isEmpty { text += "\nreports: " + info.facets.reportType.prefix(20).map { "\($0.value) (\($0.documents))" }.joined(separator: ", ") }
        if !info.facets.period.isEmpty { text += "\nperiods: " + info.facets.period.prefix(20).map { "\($0.value) (\($0.documents))" }.joined(separator: ", ") }
        return (try MCPServer.value(info), text)
    }

    // MARK: Plumbing

    /// Encodable to MCP's `Value`, through the same JSON the CLI prints.
    private static func value(_ body: some Encodable) throws -> Value {
        try JSONDecoder().decode(Value.self, from: JSONEncoder().encode(body))
    }

    /// Runs blocking index work off the cooperative thread pool.
    private func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// A tool's bad arguments: the message the client sees.
struct ToolError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// A tool call's arguments, read with their types checked.
struct Arguments: Sendable {
    let values: [String: Value]
    let prefix: String

    init(_ values: [String: Value], prefix: String = "") {
        self.values = values
        self.prefix = prefix
    }

    /// Throws for an argument the tool does not take.
    func only(_ names: Set<String>, prefix: String? = nil) throws {
        if let unknown = values.keys.sorted().first(where: { !names.contains($0) }) {
            throw ToolError("unknown argument \(prefix ?? self.prefix)\(unknown)" + (names.isEmpty ? "" : "; expected \(names.sorted().joined(separator: ", "))"))
        }
    }

    func string(_ name: String, required: Bool = false) throws -> String? {
        guard let value = values[name], value != .null else {
            if required { throw ToolError("\(prefix)\(name) is required") }
            return nil
        }
        guard let text = value.stringValue else { throw ToolError("\(prefix)\(name) must be a string") }
        return text
    }

    func strings(_ name: String) throws -> [String]? {
        guard let value = values[name], value != .null else { return nil }
        let texts = value.arrayValue?.compactMap(\.stringValue)
        guard let texts, texts.count == value.arrayValue?.count else { throw ToolError("\(prefix)\(name) must be an array of strings") }
        return texts
    }

    func int(_ name: String, required: Bool = false, in range: ClosedRange<Int>? = nil) throws -> Int? {
        guard let value = values[name], value != .null else {
            if required { throw ToolError("\(prefix)\(name) is required") }
            return nil
        }
        // An integer, or a number without a fractional part (some clients send 10.0).
        let number: Int? = value.intValue ?? value.doubleValue.flatMap { $0.rounded() == $0 && abs($0) < 1e15 ? Int($0) : nil }
        guard let number else { throw ToolError("\(prefix)\(name) must be an integer") }
        if let range, !range.contains(number) {
            throw ToolError("\(prefix)\(name) must be between \(range.lowerBound) and \(range.upperBound == Int.max ? "any larger" : String(range.upperBound)), not \(number)")
        }
        return number
    }

    func number(_ name: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let value = values[name], value != .null else { return nil }
        guard let number = value.doubleValue ?? value.intValue.map(Double.init), number.isFinite else { throw ToolError("\(prefix)\(name) must be a number") }
        guard range.contains(number) else { throw ToolError("\(prefix)\(name) must be between \(range.lowerBound) and \(range.upperBound), not \(number)") }
        return number
    }

    func object(_ name: String) throws -> Arguments? {
        guard let value = values[name], value != .null else { return nil }
        guard let object = value.objectValue else { throw ToolError("\(prefix)\(name) must be an object") }
        return Arguments(object, prefix: "\(prefix)\(name).")
    }
}
