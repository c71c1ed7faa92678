import Foundation
import KorDocuments

/// How a query is matched.
public enum SearchMode: String, Sendable, CaseIterable, Codable {
    /// Reciprocal rank fusion of the vector and keyword rankings (the default).
    case hybrid
    /// Nearest neighbours of the query's embedding (cosine).
    case vector
    /// BM25 over the Korean-aware keyword index; needs no model.
    case keyword
}

/// Restrictions on which passages a search may return; applied before the cut to `limit`. Store-neutral:
/// each store compiles them into its own query.
public struct SearchFilters: Sendable, Equatable {
    /// A glob over the document path relative to the indexed folder (`*` and `?` match any characters,
    /// `/` included; `[...]` a set), e.g. `market/*` or `*.pdf`.
    public var pathGlob: String?
    /// Document types to keep (`DocumentFormats.types`: txt, md, html, pdf, ...); nil keeps all.
    public var types: Set<String>?
    /// Keep documents modified at or after this time.
    public var modifiedAfter: Date?
    /// Keep documents modified before this time.
    public var modifiedBefore: Date?
    /// Keep documents of a company: its name (matched without `주식회사`, `(주)`, `㈜` and spaces), its DART
    /// corp_code or its stock code.
    public var company: String?
    /// Keep documents of a report kind (`사업보고서`, `반기보고서`, ...).
    public var reportType: String?
    /// Keep documents of a period: `2024` keeps every period in 2024 (the year, its halves and quarters),
    /// `2024-Q3` only that quarter.
    public var period: String?
    /// Keep documents filed on or after this day, and before this day (`YYYY-MM-DD`).
    public var filedAfter: String?
    public var filedBefore: String?

    /// No restriction.
    public init(pathGlob: String? = nil, types: Set<String>? = nil, modifiedAfter: Date? = nil, modifiedBefore: Date? = nil,
                company: String? = nil, reportType: String? = nil, period: String? = nil, filedAfter: String? = nil, filedBefore: String? = nil) {
        self.pathGlob = pathGlob
        self.types = types
        self.modifiedAfter = modifiedAfter
        self.modifiedBefore = modifiedBefore
        self.company = company
        self.reportType = reportType
        self.period = period
        self.filedAfter = filedAfter
        self.filedBefore = filedBefore
    }

    /// The conditions on a document's metadata, store-neutral: each a column of `FilingMetadata.columnNames`
    /// and the values it may take (`prefix` for a year's periods).
    public enum MetadataCondition: Equatable, Sendable {
        /// The company key, the corp_code or the stock code equals one of these.
        case company(key: String, code: String)
        case equals(column: String, value: String)
        /// `period` is the year or starts with `year-`.
        case year(String)
        case atLeast(column: String, value: String)
        case below(column: String, value: String)
    }

    /// The metadata conditions these filters set, normalized (validate first).
    public var metadataConditions: [MetadataCondition] {
        var conditions: [MetadataCondition] = []
        if let company = company?.trimmingCharacters(in: .whitespaces) {
            conditions.append(.company(key: FilingMetadata.companyKey(company), code: company))
        }
        if let reportType = reportType?.trimmingCharacters(in: .whitespaces) {
            conditions.append(.equals(column: "report_type", value: reportType))
        }
        if let period, let normalized = FilingMetadata.period(period) {
            conditions.append(normalized.count == 4 ? .year(normalized) : .equals(column: "period", value: normalized))
        }
        if let filedAfter { conditions.append(.atLeast(column: "filed", value: filedAfter)) }
        if let filedBefore { conditions.append(.below(column: "filed", value: filedBefore)) }
        return conditions
    }

    /// The document type a user's `--type` names (`PDF`, `.pdf`, `pdf`, or an extension such as `htm`), or
    /// nil when no registered format has it.
    public static func documentType(_ name: String) -> String? {
        let cleaned = name.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        return DocumentFormats.reader(forType: cleaned)?.type ?? DocumentFormats.reader(forExtension: cleaned)?.type
    }

    /// The longest path glob accepted, and the most wildcards in one: beyond them a pattern is refused before
    /// any store runs it (SQLite gives up on patterns too complex, PostgreSQL backtracks).
    public static let maxGlobLength = 1000
    public static let maxGlobWildcards = 64

    /// Throws `.invalidArgument` for filters no store should run.
    public func validate() throws {
        if let period, FilingMetadata.period(period) == nil {
            throw KorSearchError(.invalidArgument, "the period \"\(period)\" is not YYYY, YYYY-H1/H2 or YYYY-Q1..Q4")
        }
        for (name, value) in [("filed after", filedAfter), ("filed before", filedBefore)] {
            if let value, value.range(of: #"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"#, options: .regularExpression) == nil {
                throw KorSearchError(.invalidArgument, "the \(name) date \"\(value)\" is not YYYY-MM-DD")
            }
        }
        if company?.trimmingCharacters(in: .whitespaces).isEmpty == true { throw KorSearchError(.invalidArgument, "the company is empty") }
        if reportType?.trimmingCharacters(in: .whitespaces).isEmpty == true { throw KorSearchError(.invalidArgument, "the report type is empty") }
        if let pathGlob {
            let wildcards = pathGlob.filter { $0 == "*" || $0 == "?" || $0 == "[" }.count
            if pathGlob.count > SearchFilters.maxGlobLength || wildcards > SearchFilters.maxGlobWildcards {
                throw KorSearchError(.invalidArgument, "the path pattern is too complex (at most \(SearchFilters.maxGlobLength) characters and \(SearchFilters.maxGlobWildcards) wildcards)")
            }
        }
    }

    /// Whether any restriction is set.
    public var isEmpty: Bool {
        pathGlob == nil && types == nil && modifiedAfter == nil && modifiedBefore == nil && metadataConditions.isEmpty
    }
}

/// One passage found by a search, with where it came from.
public struct SearchHit: Sendable, Equatable, Codable {
    /// 1 for the best hit.
    public var rank: Int
    /// The ranking score: cosine similarity (vector), BM25 with higher better (keyword), or the fused
    /// reciprocal-rank score (hybrid).
    public var score: Double
    /// Document path relative to the indexed folder.
    public var path: String
    /// Document title, where it has one.
    public var title: String?
    /// The chunk id (also its FAISS id).
    public var chunkId: Int64
    /// The passage text.
    public var text: String
    /// Offsets in Unicode scalars into the document's stored text.
    public var start: Int
    public var end: Int
    /// 1-based page for paged documents (PDF), else nil.
    public var page: Int?
    /// The headings above the passage (`II. 사업의 내용 > 1. 사업의 개요`), nil when its document has none.
    public var section: String?
    /// What its document is: company, corp_code, stock_code, report_type, period, filed, rcept_no (those known).
    public var metadata = FilingMetadata()
    /// Position of the passage within its document, from 0.
    public var ordinal: Int
    /// The document id in the catalog.
    public var documentId: Int64
    /// Rank in the vector list and in the keyword list (1-based), where the passage appeared in them.
    public var vectorRank: Int?
    public var keywordRank: Int?

    enum CodingKeys: String, CodingKey {
        case rank, score, path, title, text, start, end, page, section, metadata, ordinal
        case chunkId = "chunk_id"
        case documentId = "document_id"
        case vectorRank = "vector_rank"
        case keywordRank = "keyword_rank"
    }

    /// Encodes `page` and `section` as null when absent, as the CLI's JSON contract says.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rank, forKey: .rank)
        try container.encode(score, forKey: .score)
        try container.encode(path, forKey: .path)
        try container.encode(title, forKey: .title)
        try container.encode(chunkId, forKey: .chunkId)
        try container.encode(text, forKey: .text)
        try container.encode(start, forKey: .start)
        try container.encode(end, forKey: .end)
        try container.encode(page, forKey: .page)
        try container.encode(section, forKey: .section)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(ordinal, forKey: .ordinal)
        try container.encode(documentId, forKey: .documentId)
        try container.encode(vectorRank, forKey: .vectorRank)
        try container.encode(keywordRank, forKey: .keywordRank)
    }
}
