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
    /// Most results one search may ask for.
    public var maxResults = 100
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
    public convenience init(index: IndexDirectory, model: String?, precision: Precision? = nil, configuration: ServerConfiguration,
                            warn: @escaping @Sendable (String) -> Void) throws {
        try self.init(location: .directory(index), model: model, precision: precision, configuration: configuration, warn: warn)
    }

    /// Loads an index (directory or PostgreSQL store) and its model (or `model`), at the index's precision unless
    /// `precision` is given, ready to serve.
    public init(location: IndexLocation, model: String?, precision: Precision? = nil, configuration: ServerConfiguration,
                warn: @escaping @Sendable (String) -> Void) throws {
        let opened = try OpenedIndex.open(location, model: model, precision: precision, warn: warn)
        modelName = opened.modelName
        embedder = opened.embedder!
        holder = try IndexHolder(opened: opened, location: location, warn: warn)
        batcher = EmbeddingBatcher(embedder: embedder, window: configuration.batchWindow)
        self.configuration = configuration
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
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.post("v1/embeddings") { request, context in try await self.embeddings(request, context) }
        router.post("v1/search") { request, context in try await self.search(request, context) }
        router.get("v1/info") { _, _ in try await self.info() }
        router.get("v1/documents/:id") { _, context in
            let id = try self.identifier(context, "id")
            return try await self.offload {
                guard let found = try self.holder.searcher.index.document(id: id) else {
                    throw APIError(status: .notFound, message: "no document \(id)")
                }
                struct Body: Encodable {
                    let id: Int64; let path: String; let title: String?; let type: String; let chunks: Int
                    let modified: Double; let sha256: String; let text: String
                }
                let d = found.document
                return JSONResponse.make(Body(id: d.id, path: d.path, title: d.title, type: d.type, chunks: d.chunkCount,
                                              modified: d.modified, sha256: d.sha256, text: found.text))
            }
        }
        router.get("v1/chunks/:id") { request, context in
            let id = try self.identifier(context, "id")
            let neighbours = request.uri.queryParameters.get("neighbours", as: Int.self) ?? 1
            guard (0 ... 20).contains(neighbours) else { throw APIError.badRequest("neighbours must be between 0 and 20", param: "neighbours") }
            return try await self.offload {
                let searcher = self.holder.searcher
                let chunks = try searcher.context(of: id, before: neighbours, after: neighbours)
                guard let chunk = chunks.first(where: { $0.id == id }) else { throw APIError(status: .notFound, message: "no chunk \(id)") }
                struct Body: Encodable {
                    let chunk_id: Int64; let document_id: Int64; let path: String; let title: String?; let ordinal: Int
                    let text: String; let start: Int; let end: Int; let page: Int?; let section: String?; let tokens: Int
                    let neighbours: [ContextPassage]
                }
                return JSONResponse.make(Body(
                    chunk_id: chunk.id, document_id: chunk.documentId, path: chunk.documentPath, title: chunk.documentTitle,
                    ordinal: chunk.ordinal, text: chunk.text, start: chunk.start, end: chunk.end, page: chunk.page,
                    section: chunk.section, tokens: chunk.tokenCount, neighbours: chunks.filter { $0.id != id }.map(ContextPassage.init)))
            }
        }
    }

    private static func asset(_ text: String, _ type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .contentSecurityPolicy: "default-src 'self'; style-src 'self'; script-src 'self'"],
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
        } catch DecodingError.keyNotFound(let key, _) {
            throw APIError.badRequest("missing field \(key.stringValue)", param: key.stringValue)
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError.badRequest("field \(field) has the wrong type", param: field)
        } catch {
            if let api = (error as? DecodingError).flatMap({ error -> APIError? in
                if case .dataCorrupted(let context) = error { return context.underlyingError as? APIError }
                return nil
            }) { throw api }
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
            throw APIError(status: .contentTooLarge, message: "input[\(long)] has \(texts[long].count) characters; the limit is \(configuration.maxInputCharacters)", param: "input", code: "input_too_long")
        }
        let format = body.encoding_format ?? "float"
        guard format == "float" || format == "base64" else {
            throw APIError.badRequest("encoding_format must be float or base64", param: "encoding_format")
        }
        let dimension = embedder.model.config.hiddenSize
        if let dimensions = body.dimensions, dimensions != dimension {
            throw APIError.badRequest("this model's embeddings have \(dimension) dimensions; dimensions=\(dimensions) is not supported", param: "dimensions")
        }
        let ids = try await offload { try self.batcher.tokenize(texts) }
        let embeddings = try await batcher.embed(ids: ids)
        let tokens = embeddings.reduce(0) { $0 + $1.tokens }
        let items = embeddings.enumerated().map { index, embedding in
            EmbeddingResponse.Item(index: index, embedding: format == "base64"
                ? .base64(embedding.vector.withUnsafeBufferPointer { Data(buffer: $0) }.base64EncodedString())
                : .floats(embedding.vector))
        }
        return JSONResponse.make(EmbeddingResponse(data: items, model: body.model ?? modelName,
                                                   usage: .init(prompt_tokens: tokens, total_tokens: tokens)))
    }

    private func search(_ request: Request, _ context: APIContext) async throws -> Response {
        let body = try await decode(SearchRequest.self, request, context)
        let k = body.k ?? 10
        guard (1 ... configuration.maxResults).contains(k) else {
            throw APIError.badRequest("k must be between 1 and \(configuration.maxResults)", param: "k")
        }
        guard let mode = SearchMode(rawValue: body.mode ?? "hybrid") else {
            throw APIError.badRequest("mode must be hybrid, vector or keyword", param: "mode")
        }
        let neighbours = body.context ?? 0
        guard (0 ... 20).contains(neighbours) else { throw APIError.badRequest("context must be between 0 and 20", param: "context") }
        if let weight = body.vector_weight, !Searcher.isVectorWeight(weight) {
            throw APIError.badRequest("vector_weight must be between 0 and 1", param: "vector_weight")
        }
        guard !body.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest("the query is empty", param: "query")
        }
        guard body.query.count <= configuration.maxInputCharacters else {
            throw APIError(status: .contentTooLarge, message: "the query has \(body.query.count) characters; the limit is \(configuration.maxInputCharacters)", param: "query")
        }
        for name in body.filters?.types ?? [] where SearchFilters.documentType(name) == nil {
            throw APIError.badRequest("filters.types: \(name) is not a type korsearch reads; one of \(DocumentFormats.types.joined(separator: ", "))", param: "filters.types")
        }
        let filters = SearchFilters(
            pathGlob: body.filters?.path, types: body.filters?.types.map { Set($0.compactMap(SearchFilters.documentType)) },
            modifiedAfter: try date(body.filters?.modified_after, "filters.modified_after"),
            modifiedBefore: try date(body.filters?.modified_before, "filters.modified_before"),
            company: body.filters?.company, reportType: body.filters?.report_type, period: body.filters?.period,
            filedAfter: body.filters?.filed_after, filedBefore: body.filters?.filed_before)
        var embedded: [Float]?
        if mode != .keyword {
            let ids = try await offload { try self.batcher.tokenize([body.query]) }
            embedded = try await batcher.embed(ids: ids, priority: .query).first?.vector
        }
        let vector = embedded
        let query = body.query, weight = body.vector_weight
        return try await offload {
            JSONResponse.make(try self.holder.searcher.answer(query, limit: k, mode: mode, filters: filters,
                                                               neighbours: neighbours, queryVector: vector, vectorWeight: weight))
        }
    }

    private func date(_ text: String?, _ field: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = SearchFilters.date(from: text) else {
            throw APIError.badRequest("\(field) must be a date (YYYY-MM-DD or ISO 8601)", param: field)
        }
        return date
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
            return JSONResponse.make(Body(info: try self.holder.searcher.index.info(), model: self.modelName,
                                          batches: self.batcher.batches, embeddedTexts: self.batcher.texts))
        }
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { Data($0) }
    }
}
