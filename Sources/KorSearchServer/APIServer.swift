import Foundation
import Hummingbird
import KorSearch
import Logging

/// How `korsearch serve` listens and what it accepts.
public struct ServerConfiguration: Sendable {
    /// Address to bind; loopback by default.
    public var host = "127.0.0.1"
    /// Port; 0 picks a free one (announced on stderr).
    public var port = 8080
    /// When set, every request but /health and /openapi.json needs `Authorization: Bearer <apiKey>`.
    public var apiKey: String?
    /// Largest request body accepted (413 beyond).
    public var maxBodyBytes = 2 << 20
    /// Most texts in one embeddings request (400 beyond).
    public var maxInputs = 256
    /// Longest text accepted, in characters (413 beyond); texts are cut to the model's maximum tokens anyway.
    public var maxInputCharacters = 100_000
    /// How long the batcher waits for more texts before a forward pass.
    public var batchWindow = 0.004
    /// Seconds before an idle connection is closed.
    public var idleTimeout = 60
    /// Whether each request is logged on stderr (method, path, status, milliseconds; never bodies or keys).
    public var requestLog = true

    /// The defaults.
    public init() {}
}

/// The request context: the body limit is the server's.
struct APIContext: RequestContext {
    nonisolated(unsafe) static var bodyLimit = 2 << 20
    var coreContext: CoreRequestContextStorage
    init(source: Source) { coreContext = .init(source: source) }
    var maxUploadSize: Int { APIContext.bodyLimit }
}

/// The HTTP API for RAG pipelines: OpenAI-compatible embeddings, search over the index, documents and chunks,
/// health, info and an OpenAPI description. One model, shared by all requests; embeddings of concurrent
/// requests batched together.
public final class APIServer: Sendable {
    let holder: IndexHolder
    let batcher: EmbeddingBatcher
    let embedder: Embedder
    let modelName: String
    let configuration: ServerConfiguration

    /// Loads an index directory and its model (or `model`), at the index's precision unless `precision` is
    /// given, ready to serve.
    public convenience init(
        index: EmbeddedLocation, model: String?, precision: Precision? = nil, configuration: ServerConfiguration,
        warn: @escaping @Sendable (String) -> Void
    ) throws {
        try self.init(location: .directory(index), model: model, precision: precision, configuration: configuration, warn: warn)
    }

    /// Loads an index (directory or PostgreSQL store) and its model (or `model`), at the index's precision unless
    /// `precision` is given, and the cross-encoder `reranker` when named, ready to serve.
    public init(
        location: IndexLocation, model: String?, precision: Precision? = nil, reranker: String? = nil, defaultReranker: Bool = true,
        configuration: ServerConfiguration, warn: @escaping @Sendable (String) -> Void
    ) throws {
        let opened = try OpenedIndex.open(
            location, model: model, precision: precision, reranker: reranker, defaultReranker: defaultReranker, warn: warn)
        modelName = ModelIdentity.displayName(opened.modelName)
        embedder = opened.embedder!
        holder = try IndexHolder(opened: opened, location: location, warn: warn)
        batcher = EmbeddingBatcher(embedder: embedder, window: configuration.batchWindow)
        self.configuration = configuration
    }

    /// What is served, in a line: documents, passages, the model and its precision, the reranker.
    public var summary: String {
        let info = try? holder.searcher.index.info()
        var text = info.map { "\($0.documents) documents, \($0.chunks) passages; " } ?? ""
        text += "model \(modelName) (\(info?.precision ?? "?"))"
        if let reranker = holder.searcher.reranker { text += ", reranker \(ModelIdentity.displayName(reranker.name))" }
        return text
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight and returns.
    /// `onListening` hears the bound port.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        APIContext.bodyLimit = configuration.maxBodyBytes
        let router = Router(context: APIContext.self)
        if configuration.requestLog { router.add(middleware: RequestLogMiddleware()) }
        router.add(middleware: ErrorMiddleware())
        if let key = configuration.apiKey { router.add(middleware: AuthMiddleware(key: key)) }
        addRoutes(router)
        var logger = Logger(label: "korsearch")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeout)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "korsearch"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        defer { batcher.stop() }
        try await app.runService()
    }

    private func addRoutes(_ router: Router<APIContext>) {
        router.get("health") { _, _ in JSONResponse.make(["status": "ok"]) }
        router.get("/") { _, _ in Self.asset(WebPage.html, "text/html; charset=utf-8") }
        router.head("/") { _, _ in Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"]) }
        router.head("health") { _, _ in Response(status: .ok, headers: [.contentType: "application/json"]) }
        router.get("app.css") { _, _ in Self.asset(WebPage.css, "text/css; charset=utf-8") }
        router.get("app.js") { _, _ in Self.asset(WebPage.script, "text/javascript; charset=utf-8") }
        router.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.post("v1/embeddings") { request, context in try await self.embeddings(request, context) }
        // OpenAI's model list: the one model this server embeds with (clients list models before they embed).
        router.get("v1/models") { _, _ in JSONResponse.make(ModelList(data: [ModelList.Model(id: self.modelName)])) }
        router.get("v1/models/**") { request, _ in
            let asked = String(request.uri.path.dropFirst("/v1/models/".count)).removingPercentEncoding ?? ""
            guard asked == self.modelName else {
                throw APIError(status: .notFound, message: "no model \(asked); this server embeds with \(self.modelName)", param: "model")
            }
            return JSONResponse.make(ModelList.Model(id: self.modelName))
        }
        router.post("v1/search") { request, context in try await self.search(request, context) }
        router.get("v1/info") { _, _ in try await self.info() }
        // Financial statement lines: a FactRequest as the JSON body, or as query parameters (company, account and
        // period repeatable) for a link or curl.
        router.post("v1/facts") { request, context in
            var request = request
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            guard let json = JSONValue.parse(Data(buffer: body)) else { throw APIError.badRequest("the body is not valid JSON for this endpoint") }
            return try await self.facts(FactRequest(json: json))
        }
        router.get("v1/facts") { request, _ in
            var members: [String: JSONValue] = [:]
            for (name, value) in request.uri.queryParameters {
                let name = String(name), value = String(value)
                switch name {
                case "company", "account", "period":
                    if case .array(let items)? = members[name] {
                        members[name] = .array(items + [.string(value)])
                    } else {
                        members[name] = .array([.string(value)])
                    }
                case "consolidated": members[name] = value == "true" ? .bool(true) : value == "false" ? .bool(false) : .string(value)
                case "limit": members[name] = try self.integerParameter(value, name)
                default: members[name] = .string(value)
                }
            }
            return try await self.facts(FactRequest(json: .object(members)))
        }
        router.get("v1/documents/:id") { request, context in
            // The whole text unless a range is asked for (the page marks a passage in it).
            let parameters = request.uri.queryParameters
            let asked = try DocumentRequest(
                json: .object([
                    "document_id": .number(Double(try self.identifier(context, "id"))),
                    "start": try self.integerParameter(parameters.get("start"), "start"),
                    "end": try self.integerParameter(parameters.get("end"), "end"),
                ]))
            return try await self.offload {
                let whole = asked.start == 0 && asked.end == nil
                guard
                    let found = try self.holder.searcher.document(
                        asked, defaultLength: whole ? nil : DocumentRequest.defaultCharacters,
                        maxLength: whole ? nil : DocumentRequest.maxCharacters)
                else {
                    throw APIError(status: .notFound, message: "no document \(asked.documentId)")
                }
                return JSONResponse.make(found)
            }
        }
        router.get("v1/chunks/:id") { request, context in
            let asked = try ContextRequest(
                json: .object([
                    "chunk_id": .number(Double(try self.identifier(context, "id"))),
                    "neighbours": try self.integerParameter(request.uri.queryParameters.get("neighbours"), "neighbours"),
                ]))
            return try await self.offload {
                guard let found = try self.holder.searcher.context(asked) else {
                    throw APIError(status: .notFound, message: "no chunk \(asked.chunkId)")
                }
                return JSONResponse.make(found)
            }
        }
    }

    /// A query parameter that must be an integer, as a request field (null when absent).
    private func integerParameter(_ text: String?, _ name: String) throws -> JSONValue {
        guard let text else { return .null }
        guard let value = Int(text) else { throw APIError.badRequest("\(name) must be an integer", param: name) }
        return .number(Double(value))
    }

    private static func asset(_ text: String, _ type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .contentSecurityPolicy: "default-src 'self'; style-src 'self'; script-src 'self'"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private func identifier(_ context: APIContext, _ name: String) throws -> Int64 {
        guard let id = context.parameters.get(name, as: Int64.self) else {
            throw APIError.badRequest("\(name) must be an integer", param: name)
        }
        return id
    }

    /// Runs blocking work (SQLite, FAISS, tokenization) off the event loops.
    private func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: APIContext) async throws -> T {
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        do {
            let data = Data(buffer: body)
            let value = try JSONDecoder().decode(T.self, from: data)
            if let known = T.self as? any KnownFields.Type { try known.rejectUnknownFields(in: data) }
            return value
        } catch let error as APIError {
            throw error
        } catch let error as KorSearchError {
            throw error
        } catch DecodingError.keyNotFound(let key, _) {
            throw APIError.badRequest("missing field \(key.stringValue)", param: key.stringValue)
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError.badRequest("field \(field) has the wrong type", param: field)
        } catch {
            if let api = (error as? DecodingError).flatMap({ error -> APIError? in
                if case .dataCorrupted(let context) = error { return context.underlyingError as? APIError }
                return nil
            }) {
                throw api
            }
            throw APIError.badRequest("the body is not valid JSON for this endpoint")
        }
    }

    private func embeddings(_ request: Request, _ context: APIContext) async throws -> Response {
        let body = try await decode(EmbeddingRequest.self, request, context)
        guard case .texts(let texts) = body.input else { throw APIError.badRequest("input is required", param: "input") }
        guard !texts.isEmpty else { throw APIError.badRequest("input must not be empty", param: "input") }
        guard texts.count <= configuration.maxInputs else {
            throw APIError.badRequest("at most \(configuration.maxInputs) inputs per request, got \(texts.count)", param: "input")
        }
        if let long = texts.firstIndex(where: { $0.count > configuration.maxInputCharacters }) {
            throw APIError(
                status: .contentTooLarge,
                message: "input[\(long)] has \(texts[long].count) characters; the limit is \(configuration.maxInputCharacters)", param: "input",
                code: "input_too_long")
        }
        let format = body.encoding_format ?? "float"
        guard format == "float" || format == "base64" else {
            throw APIError.badRequest("encoding_format must be float or base64", param: "encoding_format")
        }
        let dimension = embedder.dimension
        if let dimensions = body.dimensions, dimensions != dimension {
            throw APIError.badRequest(
                "this model's embeddings have \(dimension) dimensions; dimensions=\(dimensions) is not supported", param: "dimensions")
        }
        let ids = try await offload { try self.batcher.tokenize(texts) }
        let embeddings = try await batcher.embed(ids: ids)
        let tokens = embeddings.reduce(0) { $0 + $1.tokens }
        let items = embeddings.enumerated().map { index, embedding in
            EmbeddingResponse.Item(
                index: index,
                embedding: format == "base64"
                    ? .base64(embedding.vector.withUnsafeBufferPointer { Data(buffer: $0) }.base64EncodedString())
                    : .floats(embedding.vector))
        }
        return JSONResponse.make(
            EmbeddingResponse(
                data: items, model: modelName,
                usage: .init(prompt_tokens: tokens, total_tokens: tokens)))
    }

    private func search(_ request: Request, _ context: APIContext) async throws -> Response {
        let body = try await decode(SearchRequest.self, request, context)
        guard body.query.count <= configuration.maxInputCharacters else {
            throw APIError(
                status: .contentTooLarge, message: "the query has \(body.query.count) characters; the limit is \(configuration.maxInputCharacters)",
                param: "query")
        }
        var embedded: [Float]?
        if body.mode != .keyword {
            let ids = try await offload { try self.batcher.tokenize([body.query], prompt: self.holder.searcher.queryPrompt) }
            embedded = try await batcher.embed(ids: ids, priority: .query).first?.vector
        }
        let vector = embedded
        return try await offload { JSONResponse.make(try self.holder.searcher.answer(body, queryVector: vector)) }
    }

    private func facts(_ request: FactRequest) async throws -> Response {
        try await offload { JSONResponse.make(try self.holder.searcher.facts(request)) }
    }

    private func info() async throws -> Response {
        try await offload {
            // The index's description, with the served model's name and the batcher's counters.
            struct Body: Encodable {
                let info: IndexInfo; let model: String; let batches: Int; let embeddedTexts: Int
                enum Keys: String, CodingKey { case model, batches, embedded_texts }
                func encode(to encoder: any Encoder) throws {
                    try info.encode(to: encoder)
                    var container = encoder.container(keyedBy: Keys.self)
                    try container.encode(model, forKey: .model)
                    try container.encode(batches, forKey: .batches)
                    try container.encode(embeddedTexts, forKey: .embedded_texts)
                }
            }
            return JSONResponse.make(
                Body(
                    info: try self.holder.searcher.index.info(), model: self.modelName,
                    batches: self.batcher.batches, embeddedTexts: self.batcher.texts))
        }
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { Data($0) }
    }
}
