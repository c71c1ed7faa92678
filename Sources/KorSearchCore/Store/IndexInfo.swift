import KorDocuments
import KorEncoder

/// A document format KorSearch reads, as `info` and the API list it (from `DocumentFormats`).
public struct FormatInfo: Encodable, Sendable, Equatable {
    /// The type documents of the format have, what `--type` filters on.
    public var type: String
    /// The format's name for people.
    public var name: String
    /// The file extensions read as this format.
    public var extensions: [String]

    /// Every registered format.
    public static var all: [FormatInfo] {
        DocumentFormats.readers.map { FormatInfo(type: $0.type, name: $0.name, extensions: $0.extensions) }
    }
}

/// What an index holds, as `korsearch info --json` and `GET /v1/info` print it.
public struct IndexInfo: Encodable, Sendable {
    public var documents: Int
    public var chunks: Int
    /// The vector index's own count of the vectors it holds.
    public var vectors: Int
    public var model: String
    public var modelFingerprint: String
    public var dimension: Int
    /// The vector index as built (for an index directory, the FAISS type: `Flat`, `IVF4096,SQ8`, ...).
    public var faiss: String
    /// What the index directory asks for: `auto` (a type chosen by size) or a FAISS factory string.
    public var faissSetting: String?
    public var chunkTokens: Int
    public var chunkOverlap: Int
    public var precision: String
    /// How the model pools its last hidden states (`mean`, `cls`, `max`, `lasttoken`).
    public var pooling: String
    /// The prompts the model puts before queries and passages (empty when none).
    public var queryPrompt: String
    public var passagePrompt: String
    /// The index's default reranker, when it has one.
    public var reranker: String?
    /// The index's user dictionary (words its keyword terms keep whole) and its own alias groups.
    public var keywordDictionary: [String]
    public var keywordAliases: [[String]]
    /// Whether the default alias list applies besides the index's own.
    public var defaultAliases: Bool
    /// The vector weight hybrid queries use when they set none (the stored default, else 0.5).
    public var vectorWeight: Double
    /// How the stored weight was chosen (nil when none is stored).
    public var vectorWeightSource: String?
    public var folder: String?
    public var lastIndexedAt: String?
    public var skipped: [SkippedFile]
    /// The formats this korsearch reads (not a property of the index: what a run over its folder would read).
    public var formats: [FormatInfo] = FormatInfo.all
    /// How many distinct vectors the passages hold: passages with the same encoder input share one.
    public var distinctVectors = 0
    /// The count of `distinctVectors`, the same SQL in SQLite and PostgreSQL (passages stored before input
    /// hashes were kept count one each).
    /// `IndexStore.sampledPassageIds`'s SQL, the same in SQLite and PostgreSQL: passages ordered by a
    /// multiplicative hash of their id (spread over the index, stable while they are), then the id.
    package static func sampledPassagesQuery(_ count: Int) -> String {
        "SELECT id FROM chunks ORDER BY (id * 2654435761) % 4294967291, id LIMIT \(max(0, count))"
    }
    package static let distinctVectorsQuery =
        "SELECT (SELECT count(DISTINCT input_hash) FROM chunks) + (SELECT count(*) FROM chunks WHERE input_hash IS NULL)"
    /// Documents counted by company (its matching key), report type and period, most documents first.
    public var facets: Facets = Facets()

    /// One value of a facet and how many documents have it.
    public struct FacetValue: Codable, Sendable, Equatable {
        public var value: String
        public var documents: Int

        public init(value: String, documents: Int) {
            self.value = value
            self.documents = documents
        }
    }

    /// The facets of an index.
    public struct Facets: Codable, Sendable, Equatable {
        public var company: [FacetValue] = []
        public var reportType: [FacetValue] = []
        public var period: [FacetValue] = []

        enum CodingKeys: String, CodingKey {
            case company, period
            case reportType = "report_type"
        }

        public init() {}

        /// The facets' columns (of `FilingMetadata.columnNames`) and the query each store runs for one: the
        /// same SQL in SQLite and PostgreSQL.
        package static let columns = ["company_key", "report_type", "period"]
        public static func query(_ column: String) -> String {
            "SELECT \(column), count(*) FROM documents WHERE \(column) IS NOT NULL GROUP BY \(column) ORDER BY count(*) DESC, \(column) LIMIT 200"
        }

        /// The facets from each column's rows.
        public init(rows: [String: [FacetValue]]) {
            company = rows["company_key"] ?? []
            reportType = rows["report_type"] ?? []
            period = rows["period"] ?? []
        }
    }

    /// What a store reports: its counts, its meta, its vector index's own count and description.
    public init(meta: IndexMeta, documents: Int, chunks: Int, vectors: Int, vectorIndex: String, skipped: [SkippedFile]) {
        self.documents = documents
        self.chunks = chunks
        self.vectors = vectors
        model = meta.modelId
        modelFingerprint = meta.modelFingerprint
        dimension = meta.dimension
        faiss = vectorIndex
        chunkTokens = meta.chunking.chunkTokens
        chunkOverlap = meta.chunking.overlapTokens
        precision = meta.precision.rawValue
        pooling = meta.pooling
        queryPrompt = meta.queryPrompt
        passagePrompt = meta.passagePrompt
        vectorWeight = meta.vectorWeight ?? Searcher.defaultVectorWeight
        vectorWeightSource = meta.vectorWeightSource
        reranker = meta.reranker
        keywordDictionary = meta.keywordDictionary.words
        keywordAliases = meta.keywordAliases.groups
        defaultAliases = !meta.keywordAliases.withoutDefaults
        folder = meta.indexedFolder
        lastIndexedAt = meta.lastIndexedAt
        self.skipped = skipped
    }

    /// Documents counted by company, report type and period: the index's (`info`) or a query's (`facets`).
    public static let facetsSchema: ContractSchema = {
        let value = ContractSchema(
            "FacetValue", "A value of a facet and how many documents have it.", closed: true,
            [
                ContractField("value", .string, "the value (what the filter of the same name takes)", required: true),
                ContractField("documents", .integer, "documents with it", required: true),
            ])
        return ContractSchema(
            "Facets", "Documents counted by what they are, most documents first.", closed: true,
            [
                ContractField("company", .list(.object(value)), "by company (its matching key)", required: true),
                ContractField("report_type", .list(.object(value)), "by report type", required: true),
                ContractField("period", .list(.object(value)), "by period", required: true),
            ])
    }()

    /// The answer's fields (`korsearch info --json`, `GET /v1/info`, the MCP `index_info` tool's output schema).
    public static let schema: ContractSchema = {
        let skipped = ContractSchema(
            "SkippedFile", "A file left out of the index.", closed: true,
            [
                ContractField("path", .string, "its path relative to the indexed folder", required: true),
                ContractField("reason", .string, "why it was left out", required: true),
            ])
        let format = ContractSchema(
            "FormatInfo", "A document format korsearch reads.", closed: true,
            [
                ContractField("type", .string, "the type documents of the format have (what filters.types takes)", required: true),
                ContractField("name", .string, "the format's name", required: true),
                ContractField("extensions", .list(.string), "the file extensions read as it", required: true),
            ])
        let facets = facetsSchema
        return ContractSchema(
            "IndexInfo", "What the index holds and how it was built.", closed: false,
            [
                ContractField("documents", .integer, "documents indexed", required: true),
                ContractField("chunks", .integer, "passages indexed", required: true),
                ContractField("vectors", .integer, "vectors in the vector index", required: true),
                ContractField("distinct_vectors", .integer, "distinct vectors (passages with the same encoder input share one)", required: true),
                ContractField("model", .string, "the model that embedded the passages (its hub id or folder)", required: true),
                ContractField("model_fingerprint", .string, "a hash of the model's weights and tokenizer", required: true),
                ContractField("dimension", .integer, "the vectors' dimension", required: true),
                ContractField("pooling", .string, "how the model pools (mean, cls, max, lasttoken)", required: true),
                ContractField("precision", .choice(Precision.allCases.map(\.rawValue)), "the precision it runs at", required: true),
                ContractField("query_prompt", .string, "the prompt put before queries (empty when none)", required: true),
                ContractField("passage_prompt", .string, "the prompt put before passages (empty when none)", required: true),
                ContractField("faiss", .string, "the vector index as built (Flat, IVF4096,SQ8, pgvector's HNSW)", required: true),
                ContractField("faiss_setting", .string, "what the index asks for: auto or a FAISS factory string"),
                ContractField("chunk_tokens", .integer, "most model tokens a passage", required: true),
                ContractField("chunk_overlap", .integer, "tokens repeated from one passage into the next", required: true),
                ContractField("reranker", .string, "the index's default reranker"),
                ContractField("keyword_dictionary", .list(.string), "words the keyword terms keep whole", required: true),
                ContractField("keyword_aliases", .list(.list(.string)), "the index's own alias groups", required: true),
                ContractField("default_aliases", .boolean, "whether the default alias list applies too", required: true),
                ContractField("vector_weight", .number, "the hybrid weight used when a search sets none", required: true),
                ContractField("vector_weight_source", .string, "how the stored weight was chosen"),
                ContractField("folder", .string, "the folder last indexed"),
                ContractField("last_indexed_at", .string, "when it was last indexed (ISO 8601)"),
                ContractField("skipped", .list(.object(skipped)), "files left out, with why", required: true),
                ContractField("formats", .list(.object(format)), "the formats this korsearch reads", required: true),
                ContractField("facets", .object(facets), "documents counted by company, report type and period", required: true),
            ])
    }()

    enum CodingKeys: String, CodingKey {
        case documents, chunks, vectors, model, dimension, faiss, precision, pooling, folder, skipped, formats, facets, reranker
        case modelFingerprint = "model_fingerprint"
        case chunkTokens = "chunk_tokens"
        case chunkOverlap = "chunk_overlap"
        case distinctVectors = "distinct_vectors"
        case lastIndexedAt = "last_indexed_at"
        case vectorWeight = "vector_weight"
        case vectorWeightSource = "vector_weight_source"
        case faissSetting = "faiss_setting"
        case queryPrompt = "query_prompt"
        case passagePrompt = "passage_prompt"
        case keywordDictionary = "keyword_dictionary"
        case keywordAliases = "keyword_aliases"
        case defaultAliases = "default_aliases"
    }
}
