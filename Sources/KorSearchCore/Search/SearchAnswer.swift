import Foundation

/// A passage shown around a hit, as the JSON contracts print it.
public struct ContextPassage: Encodable, Sendable, Equatable {
    public var chunkId: Int64
    public var ordinal: Int
    public var text: String
    public var start: Int
    public var end: Int
    public var page: Int?
    public var section: String?

    /// The passage of a stored chunk.
    public init(_ chunk: StoredChunk) {
        chunkId = chunk.id
        ordinal = chunk.ordinal
        text = chunk.text
        start = chunk.start
        end = chunk.end
        page = chunk.page
        section = chunk.section
    }

    enum CodingKeys: String, CodingKey {
        case ordinal, text, start, end, page, section
        case chunkId = "chunk_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(chunkId, forKey: .chunkId)
        try container.encode(ordinal, forKey: .ordinal)
        try container.encode(text, forKey: .text)
        try container.encode(start, forKey: .start)
        try container.encode(end, forKey: .end)
        try container.encode(page, forKey: .page)
        try container.encode(section, forKey: .section)
    }
}

/// A search's answer exactly as `korsearch search --json` and `POST /v1/search` print it:
/// `{"query", "mode", "vector_weight" (hybrid only), "results": [hit fields…, "context": [passages] when asked]}`.
public struct SearchAnswer: Encodable, Sendable {
    /// One hit and, when neighbours were asked for, the passages around it.
    public struct Result: Encodable, Sendable {
        public var hit: SearchHit
        public var context: [ContextPassage]?

        public func encode(to encoder: any Encoder) throws {
            try hit.encode(to: encoder)
            if let context {
                var container = encoder.container(keyedBy: ContextKey.self)
                try container.encode(context, forKey: .context)
            }
        }

        private enum ContextKey: String, CodingKey { case context }
    }

    public var query: String
    public var mode: SearchMode
    /// The vector weight the fusion used (hybrid only).
    public var vectorWeight: Double?
    public var results: [Result]

    enum CodingKeys: String, CodingKey {
        case query, mode, results
        case vectorWeight = "vector_weight"
    }
}

extension Searcher {
    /// Searches, and with `neighbours` > 0 attaches to each hit that many passages on each side.
    public func answer(_ query: String, limit: Int = 10, mode: SearchMode = .hybrid, filters: SearchFilters = SearchFilters(),
                       neighbours: Int = 0, queryVector: [Float]? = nil, vectorWeight: Double? = nil) throws -> SearchAnswer {
        let hits = try search(query, limit: limit, mode: mode, filters: filters, queryVector: queryVector, vectorWeight: vectorWeight)
        let results = try hits.map { hit in
            SearchAnswer.Result(hit: hit, context: neighbours > 0
                ? try context(of: hit.chunkId, before: neighbours, after: neighbours).filter { $0.id != hit.chunkId }.map(ContextPassage.init)
                : nil)
        }
        return SearchAnswer(query: query, mode: mode, vectorWeight: mode == .hybrid ? try self.vectorWeight(vectorWeight) : nil, results: results)
    }
}

extension SearchFilters {
    /// A filter date: `YYYY-MM-DD` (midnight UTC) or ISO 8601 with a time; nil when it is neither.
    public static func date(from text: String) -> Date? {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.date(from: text)
    }
}
