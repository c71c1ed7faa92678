import Foundation
import KorEncoder

/// A search as every front end asks for it: `korsearch search`'s options, the body of `POST /v1/search`, the
/// MCP `search` tool's arguments. Its fields, their limits and their meanings are `SearchRequest.schema`,
/// from which the OpenAPI document and the MCP schemas are generated; `validate()` is the one check.
public struct SearchRequest: Sendable, Equatable {
    /// The question, in Korean or English.
    public var query: String
    /// How many passages to return (1 to `maxResults`).
    public var k: Int
    /// How the query is matched.
    public var mode: SearchMode
    /// Hybrid only: the vector ranking's weight against the keyword ranking (0 keyword only, 1 vector only);
    /// nil uses the index's stored default, else `Searcher.defaultVectorWeight`.
    public var vectorWeight: Double?
    /// Restrictions applied before the cut to `k`.
    public var filters: SearchFilters
    /// Neighbouring passages to attach on each side of each hit (0 to `maxContext`).
    public var context: Int
    /// Whether the first-stage hits are reordered by the searcher's cross-encoder; nil reranks when the
    /// searcher has one.
    public var rerank: Bool?
    /// How many first-stage hits the reranker reads (at least `k` are read; at most `maxResults`).
    public var rerankTop: Int
    /// Whether the answer counts the documents that match the query by company, report type and period
    /// (`SearchAnswer.facets`, over the documents of the first `facetDepth` hits).
    public var facets = false
    /// Vector and hybrid: the graph search's list length (HNSW's efSearch in the index directory,
    /// `hnsw.ef_search` in PostgreSQL); nil uses the index's, chosen when it was built.
    public var efSearch: Int?

    /// The longest search list a request may ask for.
    public static let maxSearchList = 4096

    /// Hits whose documents the query's facets count.
    public static let facetDepth = 100

    /// Results when a request does not say.
    public static let defaultResults = 10
    /// The most results one search returns.
    public static let maxResults = 100
    /// The fusion weights a vector weight may take: 0 (keyword ranking only) to 1 (vector ranking only).
    public static let vectorWeights = 0.0 ... 1.0
    /// The most neighbours on each side of a passage (a search's `context`, a context request's
    /// `neighbours`).
    public static let maxContext = 20
    /// First-stage hits the reranker reads when a request does not say.
    public static let defaultRerankTop = 50

    /// A search with the defaults of every front end.
    public init(
        query: String, k: Int = SearchRequest.defaultResults, mode: SearchMode = .hybrid, vectorWeight: Double? = nil,
        filters: SearchFilters = SearchFilters(), context: Int = 0, rerank: Bool? = nil, rerankTop: Int = SearchRequest.defaultRerankTop
    ) {
        self.query = query
        self.k = k
        self.mode = mode
        self.vectorWeight = vectorWeight
        self.filters = filters
        self.context = context
        self.rerank = rerank
        self.rerankTop = rerankTop
    }

    /// The request's fields, with the CLI options that set them.
    public static let schema = ContractSchema(
        "SearchRequest", "A search: the question, how many passages, how to rank them, and which documents may answer.", closed: true,
        [
            ContractField("query", .string, "the question, in Korean or English", required: true, option: "QUERY"),
            ContractField(
                "k", .integer, "how many passages to return", minimum: 1, maximum: Double(maxResults),
                defaultValue: .number(Double(defaultResults)), option: "-k"),
            ContractField(
                "mode", .choice(SearchMode.allCases.map(\.rawValue)),
                "hybrid (vector and keyword rankings fused), vector (nearest embeddings) or keyword (BM25)",
                defaultValue: "hybrid", option: "--mode"),
            ContractField(
                "vector_weight", .number,
                "hybrid: the vector ranking's weight against the keyword ranking (0 keyword only, 1 vector only); default the index's stored weight, else 0.5",
                minimum: vectorWeights.lowerBound, maximum: vectorWeights.upperBound, option: "--vector-weight"),
            ContractField("filters", .object(SearchFilters.schema), "restrictions applied before the cut to k", option: "FILTERS"),
            ContractField(
                "context", .integer, "neighbouring passages to attach on each side of each hit", minimum: 0, maximum: Double(maxContext),
                defaultValue: 0, option: "--context"),
            ContractField(
                "rerank", .boolean,
                "reorder the first-stage hits with the cross-encoder the searcher holds (the CLI's --rerank MODEL, a server started with --rerank MODEL); default: when it holds one",
                option: "--rerank"),
            ContractField(
                "rerank_top", .integer, "how many first-stage hits the reranker reads (at least k)", minimum: 1, maximum: Double(maxResults),
                defaultValue: .number(Double(defaultRerankTop)), option: "--rerank-top"),
            ContractField(
                "facets", .boolean,
                "also count the documents that match: by company, report type and period, over the documents of the first \(facetDepth) hits (the answer's facets)",
                defaultValue: .bool(false), option: "--facets"),
            ContractField(
                "ef_search", .integer,
                "vector and hybrid: how many candidates the HNSW graph search keeps (longer finds more of the exact nearest passages, and takes longer); default the index's, chosen when it was built for recall@10 0.98",
                minimum: 1, maximum: Double(maxSearchList), option: "--ef-search"),
        ])

    /// A request from its JSON object (an HTTP body, MCP arguments), every field checked and the whole
    /// validated; errors name the field as `naming` does.
    public init(json: JSONValue, naming: FieldNaming = .json) throws {
        let object = try ContractObject(json, SearchRequest.schema, naming: naming)
        self.init(query: try object.string("query")!)
        k = try object.integer("k") ?? k
        mode = try object.choice("mode").flatMap(SearchMode.init(rawValue:)) ?? mode
        vectorWeight = try object.number("vector_weight")
        filters = try object.object("filters").map { try SearchFilters(json: $0, naming: naming) } ?? filters
        context = try object.integer("context") ?? context
        rerank = try object.boolean("rerank")
        rerankTop = try object.integer("rerank_top") ?? rerankTop
        facets = try object.boolean("facets") ?? false
        efSearch = try object.integer("ef_search")
        try validate(naming: naming)
    }

    /// Throws `.invalidArgument` for a request no searcher should run: an empty query, a field outside its
    /// bounds, filters no store should run. The message names the field as `naming` does.
    public func validate(naming: FieldNaming = .json) throws {
        guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw KorSearchError(.invalidArgument, "the query is empty", parameter: "query")
        }
        let schema = SearchRequest.schema
        try schema.field(at: "k")!.check(Double(k), naming: naming)
        try schema.field(at: "context")!.check(Double(context), naming: naming)
        try schema.field(at: "rerank_top")!.check(Double(rerankTop), naming: naming)
        if let vectorWeight { try schema.field(at: "vector_weight")!.check(vectorWeight, naming: naming) }
        if let efSearch { try schema.field(at: "ef_search")!.check(Double(efSearch), naming: naming) }
        try filters.validate(naming: naming, prefix: "filters.")
    }
}

extension SearchRequest: Codable {
    /// Decodes the JSON object of `SearchRequest.schema`, every field checked (`init(json:)`).
    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }

    /// Encodes the JSON object of `SearchRequest.schema`; absent optional fields are left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(query, forKey: .query)
        try container.encode(k, forKey: .k)
        try container.encode(mode, forKey: .mode)
        try container.encodeIfPresent(vectorWeight, forKey: .vectorWeight)
        if !filters.isEmpty { try container.encode(filters, forKey: .filters) }
        try container.encode(context, forKey: .context)
        try container.encodeIfPresent(rerank, forKey: .rerank)
        try container.encode(rerankTop, forKey: .rerankTop)
        if facets { try container.encode(facets, forKey: .facets) }
        try container.encodeIfPresent(efSearch, forKey: .efSearch)
    }

    private enum CodingKeys: String, CodingKey {
        case query, k, mode, filters, context, rerank, facets
        case vectorWeight = "vector_weight"
        case rerankTop = "rerank_top"
        case efSearch = "ef_search"
    }
}

/// A passage and its neighbours, as `GET /v1/chunks/{id}` and the MCP `get_context` tool ask for it.
public struct ContextRequest: Sendable, Equatable {
    /// The passage.
    public var chunkId: Int64
    /// Passages on each side (0 to `SearchRequest.maxContext`).
    public var neighbours: Int

    /// Neighbours when a request does not say.
    public static let defaultNeighbours = 1

    /// A context request.
    public init(chunkId: Int64, neighbours: Int = ContextRequest.defaultNeighbours) {
        self.chunkId = chunkId
        self.neighbours = neighbours
    }

    /// The request's fields.
    public static let schema = ContractSchema(
        "ContextRequest", "A passage and the passages around it in its document.", closed: true,
        [
            ContractField("chunk_id", .integer, "the passage (a hit's chunk_id)", required: true),
            ContractField(
                "neighbours", .integer, "passages to add on each side", minimum: 0, maximum: Double(SearchRequest.maxContext),
                defaultValue: .number(Double(defaultNeighbours))),
        ])

    /// A request from its JSON object, checked.
    public init(json: JSONValue, naming: FieldNaming = .json) throws {
        let object = try ContractObject(json, ContextRequest.schema, naming: naming)
        self.init(chunkId: Int64(try object.integer("chunk_id")!), neighbours: try object.integer("neighbours") ?? ContextRequest.defaultNeighbours)
        try validate(naming: naming)
    }

    /// Throws `.invalidArgument` when `neighbours` is out of bounds.
    public func validate(naming: FieldNaming = .json) throws {
        try ContextRequest.schema.field(at: "neighbours")!.check(Double(neighbours), naming: naming)
    }
}

/// A document's stored text, or a range of it, as `GET /v1/documents/{id}` and the MCP `get_document` tool
/// ask for it.
public struct DocumentRequest: Sendable, Equatable {
    /// The document (a hit's document_id).
    public var documentId: Int64
    /// The first character (Unicode scalar offset, as passages' `start`).
    public var start: Int
    /// One past the last character; nil reads on from `start` up to `limit`.
    public var end: Int?

    /// The most characters one answer holds: a longer range is cut and says so.
    public static let maxCharacters = 100_000
    /// The characters read when no `end` is given: the MCP tool's default (an agent's context is small).
    public static let defaultCharacters = 20_000

    /// A document request.
    public init(documentId: Int64, start: Int = 0, end: Int? = nil) {
        self.documentId = documentId
        self.start = start
        self.end = end
    }

    /// The request's fields.
    public static let schema = ContractSchema(
        "DocumentRequest", "A document's stored text, or a range of it.", closed: true,
        [
            ContractField("document_id", .integer, "the document (a hit's document_id)", required: true),
            ContractField("start", .integer, "the first character (Unicode scalar offset, as passages' start)", minimum: 0, defaultValue: 0),
            ContractField(
                "end", .integer,
                "one past the last character; default \(defaultCharacters) characters on from start, at most \(maxCharacters) in one answer",
                minimum: 0),
        ])

    /// A request from its JSON object, checked.
    public init(json: JSONValue, naming: FieldNaming = .json) throws {
        let object = try ContractObject(json, DocumentRequest.schema, naming: naming)
        self.init(documentId: Int64(try object.integer("document_id")!), start: try object.integer("start") ?? 0, end: try object.integer("end"))
        try validate(naming: naming)
    }

    /// Throws `.invalidArgument` for a negative offset or an end before the start.
    public func validate(naming: FieldNaming = .json) throws {
        if start < 0 { throw naming.error("start", "must not be negative, not \(start)") }
        if let end, end < start { throw KorSearchError(.invalidArgument, "end \(end) is before start \(start)", parameter: "end") }
    }
}
