import Foundation
import KorDocuments
import KorEncoder

/// A search's answer exactly as `korsearch search --json`, `POST /v1/search` and the MCP `search` tool give
/// it: `{"query", "mode", "vector_weight" (null unless hybrid), "reranker", "aliases": [{"form", "aliases"}],
/// "results": [hit fields…, "context": [passages] when neighbours were asked for]}`.
public struct SearchAnswer: Encodable, Sendable {
    /// One hit and, when neighbours were asked for, the passages around it.
    public struct Result: Encodable, Sendable {
        public var hit: SearchHit
        public var context: [Passage]?

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
    @NullWhenAbsent public var vectorWeight: Double?
    /// The reranker that ordered the hits (its model's name), when one did.
    @NullWhenAbsent public var reranker: String?
    /// The query's words that are a form of an alias group, with the other forms the keyword search also
    /// looked for (empty for vector search, which has no terms).
    public var aliases: [KeywordAliases.Match]
    public var results: [Result]
    /// When asked for (`facets`): the documents that match, by company, report type and period.
    @NullWhenAbsent public var facets: IndexInfo.Facets?
    /// The financial statement lines the question names (a company the index has statements of, and an
    /// account), each citing its filing; empty when it names none (`Searcher.mentionedFacts`).
    public var facts: [FinancialFact] = []

    enum CodingKeys: String, CodingKey {
        case query, mode, results, reranker, aliases, facets, facts
        case vectorWeight = "vector_weight"
    }

    /// The answer's fields.
    public static let schema: ContractSchema = {
        let hit = ContractSchema(
            "SearchHit", "A passage found, with its place in the ranking and what in it matched.", closed: false,
            Passage.fields + SearchHit.fields + [
                ContractField(
                    "context", .list(.object(Passage.schema)), "the passages around the hit, in document order (only when context was asked for)")
            ])
        return ContractSchema(
            "SearchAnswer", "The passages that answer a search, best first.", closed: false,
            [
                ContractField("query", .string, "the question as asked", required: true),
                ContractField("mode", .choice(SearchMode.allCases.map(\.rawValue)), "how it was matched", required: true),
                ContractField("vector_weight", .number, "the fusion's vector weight (hybrid), else null", required: true, nullable: true),
                ContractField(
                    "reranker", .string, "the cross-encoder that ordered the hits (its model), null when none did", required: true, nullable: true),
                ContractField(
                    "aliases", .list(.object(aliasMatch)),
                    "the query's words found in an alias group, with the other forms keyword search also looked for (empty for vector search)",
                    required: true),
                ContractField("results", .list(.object(hit)), "the hits, best first", required: true),
                ContractField(
                    "facets", .object(IndexInfo.facetsSchema),
                    "with facets asked for: the matching documents by company, report type and period (over the first \(SearchRequest.facetDepth) hits' documents), else null",
                    required: true, nullable: true),
                ContractField(
                    "facts", .list(.object(FinancialFact.schema)),
                    "the financial statement lines the question names (a company the index has statements of and an account, in the period it names), each citing its filing; empty when it names none",
                    required: true),
            ])
    }()

    /// The aliases as one line for people and agents (`also searched: 삼전 → 삼성전자, Samsung Electronics`), nil
    /// when the query had none: what the CLI's and MCP's text print.
    public var aliasSummary: String? {
        aliases.isEmpty
            ? nil : "also searched: " + aliases.map { "\($0.form) → \($0.aliases.joined(separator: ", "))" }.joined(separator: "; ")
    }

    /// An alias match's fields.
    public static let aliasMatch = ContractSchema(
        "AliasMatch", "A form of an alias group found in the query.", closed: true,
        [
            ContractField("form", .string, "the form as the alias list writes it", required: true),
            ContractField("aliases", .list(.string), "the group's other forms", required: true),
        ])
}

/// A passage and its neighbours, as `GET /v1/chunks/{id}` and the MCP `get_context` tool answer: the
/// passage's fields and `neighbours`, the passages around it in document order.
public struct PassageContext: Encodable, Sendable {
    public var passage: Passage
    public var neighbours: [Passage]

    public func encode(to encoder: any Encoder) throws {
        try passage.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(neighbours, forKey: .neighbours)
    }

    private enum Key: String, CodingKey { case neighbours }

    /// The answer's fields.
    public static let schema = ContractSchema(
        "PassageContext", "A passage and the passages around it in its document.", closed: false,
        Passage.fields + [ContractField("neighbours", .list(.object(Passage.schema)), "the passages around it, in document order", required: true)])
}

/// A document's stored text, or a range of it, as `GET /v1/documents/{id}` and the MCP `get_document` tool
/// answer.
public struct DocumentText: Encodable, Sendable {
    public var documentId: Int64
    public var path: String
    @NullWhenAbsent public var title: String?
    public var type: String
    /// Its passages.
    public var chunks: Int
    /// Modification time, seconds since 1970.
    public var modified: Double
    public var sha256: String
    public var metadata: FilingMetadata
    /// The whole stored text's length in Unicode scalars.
    public var totalCharacters: Int
    /// The range returned, `[start, end)`.
    public var start: Int
    public var end: Int
    /// Whether the range asked for was cut at the answer's limit.
    public var truncated: Bool
    public var text: String

    enum CodingKeys: String, CodingKey {
        case path, title, type, chunks, modified, sha256, metadata, start, end, truncated, text
        case documentId = "document_id"
        case totalCharacters = "total_characters"
    }

    /// The answer's fields.
    public static let schema = ContractSchema(
        "DocumentText", "A document's stored text, or a range of it.", closed: false,
        [
            ContractField("document_id", .integer, "the document's id", required: true),
            ContractField("path", .string, "its path relative to the indexed folder", required: true),
            ContractField("title", .string, "its title", required: true, nullable: true),
            ContractField("type", .string, "its type (txt, pdf, hwp, dart, ...)", required: true),
            ContractField("chunks", .integer, "its passages", required: true),
            ContractField("modified", .number, "its modification time, seconds since 1970", required: true),
            ContractField("sha256", .string, "its file's SHA-256", required: true),
            ContractField("metadata", .object(Passage.metadataSchema), "what the document is", required: true),
            ContractField("total_characters", .integer, "the whole stored text's length in Unicode scalars", required: true),
            ContractField("start", .integer, "the first character returned", required: true),
            ContractField("end", .integer, "one past the last character returned", required: true),
            ContractField("truncated", .boolean, "whether the range asked for was cut at the answer's limit", required: true),
            ContractField("text", .string, "the text of [start, end)", required: true),
        ])
}

extension Searcher {
    /// Searches, and with `context` > 0 attaches to each hit that many passages on each side. `queryVector`,
    /// when given, is the query's embedding computed elsewhere (a server batching concurrent queries).
    /// With a reranker (asked for, or by default when the searcher has one), the first `max(k, rerank_top)`
    /// hits are scored by it and the best `k` returned, each keeping its first-stage rank and score.
    public func answer(_ request: SearchRequest, queryVector: [Float]? = nil) throws -> SearchAnswer {
        try request.validate()
        let rerank = request.rerank ?? (reranker != nil)
        if rerank, reranker == nil {
            throw KorSearchError(
                .invalidArgument,
                "rerank was asked for, but no reranker is loaded: give one with --rerank MODEL (korsearch search), or start the server with --rerank MODEL",
                parameter: "rerank")
        }
        var hits = try search(
            request.query, limit: rerank ? max(request.k, request.rerankTop) : request.k, mode: request.mode, filters: request.filters,
            queryVector: queryVector, vectorWeight: request.vectorWeight, searchList: request.efSearch)
        if rerank, let reranker { hits = try reranker.reorder(hits, query: request.query, limit: request.k) }
        if hits.isEmpty { try checkFilterValues(request.filters) }
        let results = try hits.map { hit in
            SearchAnswer.Result(
                hit: hit,
                context: request.context > 0
                    ? try context(ContextRequest(chunkId: hit.chunkId, neighbours: request.context))?.neighbours ?? []
                    : nil)
        }
        return SearchAnswer(
            query: request.query, mode: request.mode,
            vectorWeight: request.mode == .hybrid ? try vectorWeight(request.vectorWeight) : nil, reranker: rerank ? reranker?.name : nil,
            aliases: request.mode == .vector ? [] : aliasMatches(request.query), results: results,
            facets: request.facets ? try queryFacets(request, queryVector: queryVector) : nil,
            facts: try mentionedFacts(request.query, filters: request.filters))
    }

    /// The most statement lines an answer carries.
    public static let maxMentionedFacts = 24

    /// The financial statement lines a question names: a company the index has statements of (by name, corp
    /// code or stock code in the question, else the company filter), and an account (by name or an alias of it,
    /// the longest named), in the period the question names (`2023년`, `2024년 상반기`; all when it names none),
    /// consolidated where reported. Empty when the question names no such company or account.
    public func mentionedFacts(_ query: String, filters: SearchFilters) throws -> [FinancialFact] {
        let companies = try index.factCompanies()
        if companies.isEmpty { return [] }
        let text = FinancialFacts.accountKey(query)
        let compact = FilingMetadata.companyKey(query)
        var named = companies.filter { company in
            compact.contains(FilingMetadata.companyKey(company.company)) || query.contains(company.corpCode)
                || company.stockCode.map { query.contains($0) } == true
        }
        if named.isEmpty, let filter = filters.company, let company = try? FactFinder.resolve(filter, among: companies) { named = [company] }
        if named.isEmpty { return [] }
        let facts = try index.facts(corpCodes: named.map(\.corpCode))
        var names: [String: String] = [:]
        for fact in facts { names[FinancialFacts.accountKey(fact.account)] = fact.account }
        let aliases = index.meta.keywordAliases
        let groups = FinancialFacts.aliasKeyGroups(aliases)
        var matched = names.keys.filter { key in
            FinancialFacts.accountKeys(ofKey: key, groups: groups).contains { $0.count >= 2 && text.contains($0) }
        }
        // 영업이익률 named: not 영업이익 besides it.
        matched = matched.filter { key in !matched.contains { $0 != key && $0.contains(key) && text.contains($0) } }
        if matched.isEmpty { return [] }
        // The named companies' facts are at hand: narrowed here, not read again.
        var request = FactRequest(companies: named.map(\.corpCode), accounts: matched.compactMap { names[$0] }, limit: FactRequest.maxLimit)
        if let period = FilingMetadata.inferred(from: query).period, FinancialFact.report(period: period) != nil {
            request.periods = [period]
        }
        try request.validate()
        var found = try FactFinder.narrow(facts, to: request, aliases: aliases)
        if found.isEmpty, !request.periods.isEmpty {
            // A year with no annual report yet (2024 before its 사업보고서): that year's reports.
            let year = Int(request.periods[0].prefix(4))
            request.periods = []
            found = try FactFinder.narrow(facts, to: request, aliases: aliases).filter { $0.fiscalYear == year }
        }
        return Array(found.prefix(Self.maxMentionedFacts))
    }

    /// The documents of the query's first `SearchRequest.facetDepth` hits counted by company (its matching key),
    /// report type and period, most documents first (periods newest first).
    func queryFacets(_ request: SearchRequest, queryVector: [Float]?) throws -> IndexInfo.Facets {
        let hits = try search(
            request.query, limit: SearchRequest.facetDepth, mode: request.mode, filters: request.filters, queryVector: queryVector,
            vectorWeight: request.vectorWeight)
        var seen = Set<String>()
        let documents = hits.filter { seen.insert($0.path).inserted }.map(\.passage.metadata)
        func counted(_ values: [String?], byValue: Bool = false) -> [IndexInfo.FacetValue] {
            var counts: [String: Int] = [:]
            for case let value? in values { counts[value, default: 0] += 1 }
            return counts.map { IndexInfo.FacetValue(value: $0.key, documents: $0.value) }.sorted {
                byValue ? $0.value > $1.value : ($0.documents, $1.value) > ($1.documents, $0.value)
            }
        }
        var facets = IndexInfo.Facets()
        facets.company = counted(documents.map(\.companyKey))
        facets.reportType = counted(documents.map(\.reportType))
        facets.period = counted(documents.map(\.period), byValue: true)
        return facets
    }

    /// A search that found nothing with a company or report type no document of the index has is told so,
    /// with the nearest values the index has (`--company 없는회사` gave an empty answer and no reason). Codes
    /// (corp_code, stock code) are not checked: the facets hold names.
    func checkFilterValues(_ filters: SearchFilters) throws {
        guard filters.company != nil || filters.reportType != nil else { return }
        let facets = try index.info().facets
        let checks: [(String?, [IndexInfo.FacetValue], String, String, (String) -> String)] = [
            (filters.company, facets.company, "company", "filters.company", { FilingMetadata.companyKey($0) }),
            (filters.reportType, facets.reportType, "report type", "filters.report_type", { $0.trimmingCharacters(in: .whitespaces) }),
        ]
        for case let (value?, known, name, parameter, key) in checks {
            let wanted = key(value)
            if wanted.allSatisfy(\.isNumber) || known.contains(where: { $0.value == wanted }) { continue }
            let nearest = known.map(\.value).sorted {
                EditDistance.between(Array($0), Array(wanted)) < EditDistance.between(Array($1), Array(wanted))
            }.prefix(3)
            throw KorSearchError(
                .invalidArgument,
                "no document of the \(name) \"\(value)\" is in the index"
                    + (nearest.isEmpty ? " (it has none with a \(name))" : "; the nearest it has: \(nearest.joined(separator: ", "))"),
                parameter: parameter)
        }
    }

    /// Searches, and with `neighbours` > 0 attaches to each hit that many passages on each side.
    public func answer(
        _ query: String, limit: Int = 10, mode: SearchMode = .hybrid, filters: SearchFilters = SearchFilters(),
        neighbours: Int = 0, queryVector: [Float]? = nil, vectorWeight: Double? = nil
    ) throws -> SearchAnswer {
        try answer(
            SearchRequest(query: query, k: limit, mode: mode, vectorWeight: vectorWeight, filters: filters, context: neighbours),
            queryVector: queryVector)
    }

    /// Financial statement lines (`FactFinder`), accounts matched through the index's aliases and the defaults.
    public func facts(_ request: FactRequest) throws -> FactsAnswer {
        FactsAnswer(facts: try FactFinder.facts(request, in: index, aliases: index.meta.keywordAliases))
    }

    /// A passage and its neighbours; nil when there is no such passage.
    public func context(_ request: ContextRequest) throws -> PassageContext? {
        try request.validate()
        let passages = try context(of: request.chunkId, before: request.neighbours, after: request.neighbours)
        guard let passage = passages.first(where: { $0.chunkId == request.chunkId }) else { return nil }
        return PassageContext(passage: passage, neighbours: passages.filter { $0.chunkId != request.chunkId })
    }

    /// A document's stored text from `start`: to `end` if given, else `defaultLength` characters (nil: to the
    /// document's end), never more than `maxLength` (nil: no limit). Nil when there is no such document;
    /// throws when `start` is past its end.
    public func document(
        _ request: DocumentRequest, defaultLength: Int? = DocumentRequest.defaultCharacters,
        maxLength: Int? = DocumentRequest.maxCharacters
    ) throws -> DocumentText? {
        try request.validate()
        guard let (document, text) = try index.document(id: request.documentId) else { return nil }
        let scalars = Array(text.unicodeScalars)
        guard request.start <= scalars.count else {
            throw KorSearchError(
                .invalidArgument, "start \(request.start) is past the document's end (\(scalars.count) characters)", parameter: "start")
        }
        let wanted = min(request.end ?? defaultLength.map { request.start + $0 } ?? scalars.count, scalars.count)
        let end = min(wanted, maxLength.map { request.start + $0 } ?? wanted)
        return DocumentText(
            documentId: document.id, path: document.path, title: document.title, type: document.type, chunks: document.chunkCount,
            modified: document.modified, sha256: document.sha256, metadata: document.metadata, totalCharacters: scalars.count,
            start: request.start, end: end, truncated: end < min(request.end ?? scalars.count, scalars.count),
            text: String(String.UnicodeScalarView(scalars[request.start ..< end])))
    }
}
