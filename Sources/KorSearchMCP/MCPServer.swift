import Foundation
import KorSearch
import MCP

/// An index served over the Model Context Protocol (stdio), for agents and assistants: the tools `search`,
/// `get_context`, `get_document` and `index_info`, with JSON schemas and structured results (the same JSON
/// as `korsearch search --json` and the HTTP API) plus a short text rendering with citations. Bad arguments
/// are tool errors with a message; the server keeps running, and ends when the client closes its input.
public final class MCPServer: Sendable {
    private let holder: IndexHolder
    /// The current searcher: reopened when another process re-indexed, as the HTTP server's.
    private var searcher: Searcher { holder.searcher }

    /// Whether no model is loaded (`korsearch mcp --keyword-only`): the tools then advertise keyword as the
    /// only mode and take it when a call names none.
    private let keywordOnly: Bool
    /// The tools as this server advertises them.
    let tools: [Tool]

    /// A server over an opened index, reopened from `location` when another process changes it.
    public init(opened: OpenedIndex, location: IndexLocation, warn: @escaping @Sendable (String) -> Void = { _ in }) throws {
        holder = try IndexHolder(opened: opened, location: location, warn: warn)
        keywordOnly = opened.embedder == nil
        tools = MCPServer.tools(keywordOnly: keywordOnly)
    }

    /// Serves over the given file descriptors (stdin and stdout by default) until the client closes its end.
    public func run(input: FileDescriptorNumber = 0, output: FileDescriptorNumber = 1) async throws {
        let server = Server(
            name: "korsearch", version: KorSearchVersion.current,
            capabilities: .init(tools: .init(listChanged: false)))
        let activity = Activity()
        let tools = self.tools
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: tools) }
        await server.withMethodHandler(CallTool.self) { [self] params in
            await activity.begin()
            let result = await self.call(params.name, params.arguments ?? [:])
            await activity.end()
            return result
        }
        let transport = LineTransport(input: input, output: output)
        try await server.start(transport: transport)
        await server.waitUntilCompleted()
        // The client closed its end: answer what it asked before that (each request runs on its own task, which
        // may not have started yet on a busy machine), then stop once every answer is written whole.
        await activity.settle { transport.unanswered }
        await server.stop()
        await transport.disconnect()
    }

    /// Tool calls under way, so the server answers every request that arrived before its input closed.
    private actor Activity {
        private var running = 0
        private var lastChange = Date()

        func begin() { running += 1; lastChange = Date() }
        func end() { running -= 1; lastChange = Date() }

        /// Returns once no call has run or started for 200 ms and every request read is answered — or, should a
        /// request never be answered (one the client cancelled), once no call has run or started for 5 s since the
        /// input ended.
        func settle(unanswered: @Sendable () -> Int) async {
            // Idle time counts from the input's end, not from a call before it.
            lastChange = max(lastChange, Date())
            while true {
                let idle = Date().timeIntervalSince(lastChange)
                if running == 0, idle >= 0.2, unanswered() == 0 || idle >= 5 { return }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    public typealias FileDescriptorNumber = Int32

    // MARK: Tools

    /// What `index_info` takes: nothing.
    private static let infoRequest = ContractSchema("IndexInfoRequest", "No arguments.", closed: true, [])

    /// The tools, with their input and output schemas generated from the contract's field tables (the same
    /// tables as the HTTP API's OpenAPI document). Keyword-only, `search` offers keyword as its only mode and
    /// its default.
    static func tools(keywordOnly: Bool) -> [Tool] {
        var request = SearchRequest.schema
        var description =
            "Find passages of Korean financial documents that answer a question (hybrid vector + BM25 keyword search by default). "
        if keywordOnly {
            description = "Find passages of Korean financial documents that answer a question (BM25 keyword search: this server loads no model). "
            request.fields = request.fields.compactMap { field in
                switch field.name {
                case "mode":
                    var only = field
                    only.kind = .choice([SearchMode.keyword.rawValue])
                    only.summary = "keyword (BM25): the only mode of this server, which loads no model"
                    only.defaultValue = .string(SearchMode.keyword.rawValue)
                    return only
                case "vector_weight": return nil
                default: return field
                }
            }
        }
        description +=
            "Each hit's text gives its rank, score, chunk_id and document_id (pass them to get_context and get_document), path, page, section and filing fields (company, report type, amendment, period, filed date, rcept_no); structuredContent has the same as JSON."
        return [
            Tool(
                name: "search", title: "Search the index", description: description,
                inputSchema: schema(request), annotations: .init(readOnlyHint: true, openWorldHint: false),
                outputSchema: schema(SearchAnswer.schema)),
            Tool(
                name: "get_context", title: "A passage and its neighbours",
                description: "The passage with this chunk_id and the passages around it in its document.",
                inputSchema: schema(ContextRequest.schema), annotations: .init(readOnlyHint: true, openWorldHint: false),
                outputSchema: schema(PassageContext.schema)),
            Tool(
                name: "get_document", title: "A document's text",
                description:
                    "The stored text of a document (by document_id from a search hit), optionally a character range [start, end); at most \(DocumentRequest.maxCharacters) characters per call, \(DocumentRequest.defaultCharacters) when no end is given.",
                inputSchema: schema(DocumentRequest.schema), annotations: .init(readOnlyHint: true, openWorldHint: false),
                outputSchema: schema(DocumentText.schema)),
            Tool(
                name: "get_toc", title: "A document's sections",
                description:
                    "The sections of a document (by document_id from a search hit) in order, each with the standard code of a DART report's section (I 회사의 개요, II 사업의 내용, II-1 사업의 개요, III 재무에 관한 사항, III-2 연결재무제표, XI-2 우발부채 등에 관한 사항, ...; null when not standard), its first chunk_id and passages.",
                inputSchema: schema(MCPServer.tocRequest), annotations: .init(readOnlyHint: true, openWorldHint: false),
                outputSchema: schema(DocumentTOC.schema)),
            Tool(
                name: "read_section", title: "A section's text",
                description:
                    "The text of a document's section: by a standard code (II, III-2), a standard title (사업의 내용) or the beginning of a heading's title, with what is under it; at most \(DocumentRequest.maxCharacters) characters.",
                inputSchema: schema(SectionRequest.schema), annotations: .init(readOnlyHint: true, openWorldHint: false),
                outputSchema: schema(SectionText.schema)),
            Tool(
                name: "get_financials", title: "Financial statement lines",
                description:
                    "Lines of companies' financial statements as OpenDART reports them (korsearch dart sync fetches them): by company (name, corp_code or stock code), account (영업이익 also finds 영업이익(손실) and 영업손익), period (2023 = the annual report, 2024-H1, 2024-Q1, 2024-Q3) and statement (BS, IS, CIS, CF, SCE); consolidated where reported unless asked. Amounts in won in structuredContent, in 억 원 in the text; each line cites its filing's rcept_no.",
                inputSchema: schema(FactRequest.schema), annotations: .init(readOnlyHint: true, openWorldHint: false),
                outputSchema: schema(FactsAnswer.schema)),
            Tool(
                name: "compare_financials", title: "Companies' accounts side by side",
                description:
                    "One or more accounts of several companies, or of one company over several periods, side by side: a row per company and account, a column per period, each value citing its filing's rcept_no. Takes the arguments of get_financials; account is required.",
                inputSchema: schema(MCPServer.compareRequest), annotations: .init(readOnlyHint: true, openWorldHint: false),
                outputSchema: schema(FactComparison.schema)),
            Tool(
                name: "index_info", title: "What the index holds",
                description: "Documents, passages, the model, the formats read, and documents counted by company, report type and period.",
                inputSchema: schema(infoRequest), annotations: .init(readOnlyHint: true, openWorldHint: false),
                outputSchema: schema(IndexInfo.schema)),
        ]
    }

    /// `get_toc`'s arguments.
    static let tocRequest = ContractSchema(
        "TOCRequest", "A document's table of contents.", closed: true,
        [ContractField("document_id", .integer, "the document (a hit's document_id)", required: true)])

    /// `compare_financials`' arguments: `get_financials`' with the account required and no limit.
    static let compareRequest: ContractSchema = {
        var schema = FactRequest.schema
        schema.fields = schema.fields.compactMap { field in
            var field = field
            if field.name == "account" { field.isRequired = true }
            return field.name == "limit" ? nil : field
        }
        return schema
    }()

    /// A contract schema as an MCP tool schema (JSON Schema).
    private static func schema(_ schema: ContractSchema) -> Value {
        (try? value(schema.schema(.jsonSchema))) ?? .object([:])
    }

    /// A tool call's result: structured JSON and a text rendering, or an error with its message.
    func call(_ name: String, _ arguments: [String: Value]) async -> CallTool.Result {
        do {
            let (structured, text) = try await offload { [self] in try self.run(name, arguments) }
            return CallTool.Result(
                content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: Optional(structured), isError: false)
        } catch {
            let message = (error as? ToolError)?.message ?? (error as? KorSearchError)?.message ?? "\(error)"
            return CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
        }
    }

    private func run(_ name: String, _ arguments: [String: Value]) throws -> (Value, String) {
        let json = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(arguments))
        switch name {
        case "search":
            // Keyword-only, a call that names no mode gets keyword (the schema's default here); vector_weight is
            // not offered.
            var json = json
            if keywordOnly, case .object(var fields) = json {
                if fields["mode"] == nil { fields["mode"] = .string(SearchMode.keyword.rawValue) }
                if fields["vector_weight"] != nil { throw ToolError("vector_weight: this server searches by keyword only (it loads no model)") }
                json = .object(fields)
            }
            return try search(SearchRequest(json: json, naming: .arguments))
        case "get_context": return try context(ContextRequest(json: json, naming: .arguments))
        case "get_document": return try document(DocumentRequest(json: json, naming: .arguments))
        case "get_toc":
            let object = try ContractObject(json, MCPServer.tocRequest, naming: .arguments)
            let id = Int64(try object.integer("document_id")!)
            guard let toc = try searcher.toc(documentId: id) else { throw ToolError("no document with document_id \(id)") }
            return (try MCPServer.value(toc), toc.text)
        case "read_section":
            let request = try SectionRequest(json: json, naming: .arguments)
            guard let found = try searcher.section(request) else { throw ToolError("no document with document_id \(request.documentId)") }
            let heading = found.sections.map { ($0.code.map { "[\($0)] " } ?? "") + $0.section }.joined(separator: "; ")
            let note = found.truncated ? "\n\n[cut at \(DocumentRequest.maxCharacters) characters; read on with get_document]" : ""
            return (try MCPServer.value(found), "\(found.path) [document_id \(found.documentId)] \(heading)\n\n" + found.text + note)
        case "get_financials":
            let answer = try searcher.facts(FactRequest(json: json, naming: .arguments))
            return (try MCPServer.value(answer), answer.table().trimmingCharacters(in: .whitespacesAndNewlines))
        case "compare_financials":
            _ = try ContractObject(json, MCPServer.compareRequest, naming: .arguments)
            var request = try FactRequest(json: json, naming: .arguments)
            request.limit = FactRequest.maxLimit
            let comparison = FactComparison(try searcher.facts(request).facts)
            return (try MCPServer.value(comparison), comparison.table().trimmingCharacters(in: .whitespacesAndNewlines))
        case "index_info":
            _ = try ContractObject(json, MCPServer.infoRequest, naming: .arguments)
            return try info()
        default: throw ToolError("no tool \(name); the tools are \(tools.map(\.name).joined(separator: ", "))")
        }
    }

    /// A source line of the text rendering: where the passage is, and the ids an agent passes on.
    private static func source(_ passage: Passage) -> String {
        var line = passage.path + (passage.pageLabel.map { " (\($0))" } ?? "")
        if let title = passage.title { line += " — \(title)" }
        if let section = passage.section, section != passage.title { line += " · \(section)" }
        let about = [
            passage.metadata.company, passage.metadata.reportType, passage.metadata.amendment, passage.metadata.period,
            passage.metadata.filed.map { "filed \($0)" },
            passage.metadata.rceptNo.map { "rcept_no \($0)" },
        ].compactMap { $0 }
        if !about.isEmpty { line += " · " + about.joined(separator: ", ") }
        return line + " [chunk_id \(passage.chunkId), document_id \(passage.documentId)]"
    }

    private func search(_ request: SearchRequest) throws -> (Value, String) {
        let searcher = self.searcher
        if request.mode != .keyword, searcher.embedder == nil {
            throw ToolError("mode \(request.mode.rawValue): this server searches by keyword only (it loads no model); use mode keyword")
        }
        let answer = try searcher.answer(request)
        var text = answer.results.isEmpty ? "no results for \(request.query)" : ""
        if let aliases = answer.aliasSummary { text = aliases + "\n\n" + text }
        if !answer.facts.isEmpty { text = "financial statement lines the question names:\n" + FactsAnswer(facts: answer.facts).table() + "\n" + text }
        for result in answer.results {
            let hit = result.hit
            text +=
                "[\(hit.rank)] score \(String(format: "%.4f", hit.score)) · " + MCPServer.source(hit.passage) + "\n"
                + Snippet.excerpt(hit.text, highlights: hit.highlights, width: 400, lines: true) + "\n"
            // The neighbours asked for (`context`), whole and in document order around the hit.
            if let context = result.context, !context.isEmpty {
                for passage in context.sorted(by: { $0.ordinal < $1.ordinal }) {
                    text += "  \(passage.ordinal < hit.ordinal ? "before" : "after") [chunk_id \(passage.chunkId)]: " + passage.text + "\n"
                }
            }
            text += "\n"
        }
        return (try MCPServer.value(answer), text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private func context(_ request: ContextRequest) throws -> (Value, String) {
        guard let found = try searcher.context(request) else { throw ToolError("no passage with chunk_id \(request.chunkId)") }
        let passages = (found.neighbours + [found.passage]).sorted { $0.ordinal < $1.ordinal }
        return (try MCPServer.value(found), MCPServer.source(found.passage) + "\n" + passages.map(\.text).joined(separator: "\n\n"))
    }

    private func document(_ request: DocumentRequest) throws -> (Value, String) {
        guard let found = try searcher.document(request) else { throw ToolError("no document with document_id \(request.documentId)") }
        let note = found.truncated ? "\n\n[cut at character \(found.end) of \(found.totalCharacters); ask for start \(found.end) to read on]" : ""
        return (
            try MCPServer.value(found),
            "\(found.path) [\(found.start)..<\(found.end) of \(found.totalCharacters)] [document_id \(found.documentId)]\n" + found.text + note
        )
    }

    private func info() throws -> (Value, String) {
        let info = try searcher.index.info()
        var text = "\(info.documents) documents, \(info.chunks) passages; model \(info.model) (\(info.precision))"
        if !info.facets.company.isEmpty {
            text += "\ncompanies: " + info.facets.company.prefix(20).map { "\($0.value) (\($0.documents))" }.joined(separator: ", ")
        }
        if !info.facets.reportType.isEmpty {
            text += "\nreports: " + info.facets.reportType.prefix(20).map { "\($0.value) (\($0.documents))" }.joined(separator: ", ")
        }
        if !info.facets.period.isEmpty {
            text += "\nperiods: " + info.facets.period.prefix(20).map { "\($0.value) (\($0.documents))" }.joined(separator: ", ")
        }
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
