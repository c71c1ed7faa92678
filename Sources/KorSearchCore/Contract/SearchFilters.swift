import Foundation
import KorDocuments
import KorEncoder

/// Restrictions on which passages a search may return; applied before the cut to `limit`. Store-neutral:
/// each store compiles them into its own query. The CLI's filter options, the HTTP and MCP `filters` object
/// and a qrels line's `filters` are all this one type (`SearchFilters.schema` lists its fields).
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
    /// Keep passages of a section of a DART report: a standard section's code (`II` 사업의 내용 and what is under
    /// it, `III-2` 연결재무제표) or title, or the beginning of a heading's title (`DARTSections`).
    public var section: String?

    /// No restriction.
    public init(
        pathGlob: String? = nil, types: Set<String>? = nil, modifiedAfter: Date? = nil, modifiedBefore: Date? = nil,
        company: String? = nil, reportType: String? = nil, period: String? = nil, filedAfter: String? = nil, filedBefore: String? = nil,
        section: String? = nil
    ) {
        self.section = section
        self.pathGlob = pathGlob
        self.types = types
        self.modifiedAfter = modifiedAfter
        self.modifiedBefore = modifiedBefore
        self.company = company
        self.reportType = reportType
        // Periods and days as people write them (`2024년 3분기`, `20240801`, `2024.08.01`), in the stored form;
        // a value that is neither is kept for `validate` to name.
        self.period = period.map { FilingMetadata.period($0) ?? $0 }
        self.filedAfter = filedAfter.map { SearchFilters.day($0) ?? $0 }
        self.filedBefore = filedBefore.map { SearchFilters.day($0) ?? $0 }
    }

    /// A day as `YYYY-MM-DD` from `YYYY-MM-DD`, `YYYYMMDD` (DART's own form), `YYYY.MM.DD` or `YYYY/MM/DD`, when
    /// it is a day of the calendar; nil otherwise.
    public static func day(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.range(of: #"^\d{4}([-./]?)\d{2}\1\d{2}$"#, options: .regularExpression) != nil else { return nil }
        return Manifest.date(trimmed)
    }

    /// The filters' fields, with the CLI options that set them.
    public static let schema = ContractSchema(
        "SearchFilters", "Restrictions applied before the cut to k.", closed: true,
        [
            ContractField(
                "path", .string,
                "documents whose path relative to the indexed folder matches this glob (* and ? match any characters, / included; [...] a set), e.g. market/*",
                option: "--path"),
            ContractField(
                "types", .list(.string), "documents of these types: \(DocumentFormats.types.joined(separator: ", ")) (any case, or an extension)",
                option: "--type"),
            ContractField("modified_after", .string, "documents modified on or after this date (YYYY-MM-DD or ISO 8601)", option: "--after"),
            ContractField("modified_before", .string, "documents modified before this date (YYYY-MM-DD or ISO 8601)", option: "--before"),
            ContractField(
                "company", .string, "documents of this company: its name (주식회사, (주), ㈜ and spaces ignored), DART corp_code or stock code",
                option: "--company"),
            ContractField("report_type", .string, "documents of this report kind: 사업보고서, 반기보고서, 분기보고서, 주요사항보고서, 감사보고서, ...", option: "--report-type"),
            ContractField(
                "period", .string, "documents of this period: 2024 (the year, its halves and quarters), 2024-H1, 2024-Q3", option: "--period"),
            ContractField("filed_after", .string, "documents filed on or after this day (YYYY-MM-DD)", option: "--filed-after"),
            ContractField("filed_before", .string, "documents filed before this day (YYYY-MM-DD)", option: "--filed-before"),
            ContractField(
                "section", .string,
                "passages of this section of a DART report: a standard code (II = 사업의 내용 and what is under it, III-2 = 연결재무제표, XI-2 = 우발부채 등에 관한 사항), a standard title, or the beginning of a heading's title",
                option: "--section"),
        ])

    /// Filters from their JSON object, every value checked (`prefix` is the object's path, `filters.`).
    public init(json object: ContractObject, naming: FieldNaming, prefix: String = "filters.") throws {
        try self.init(
            path: try object.string("path"), typeNames: try object.strings("types"),
            modifiedAfter: try object.string("modified_after"), modifiedBefore: try object.string("modified_before"),
            company: try object.string("company"), reportType: try object.string("report_type"), period: try object.string("period"),
            filedAfter: try object.string("filed_after"), filedBefore: try object.string("filed_before"), section: try object.string("section"),
            naming: naming, prefix: prefix)
    }

    /// Filters as a client gives them — type names (`PDF`, `.hwp`) and modification dates as text — each
    /// checked and the whole validated, errors naming the field as `naming` does (the CLI's options, the
    /// JSON object's fields).
    public init(
        path: String?, typeNames: [String]?, modifiedAfter: String?, modifiedBefore: String?, company: String?, reportType: String?,
        period: String?, filedAfter: String?, filedBefore: String?, section: String? = nil, naming: FieldNaming, prefix: String = "filters."
    ) throws {
        self.init(
            pathGlob: path, company: company, reportType: reportType, period: period, filedAfter: filedAfter, filedBefore: filedBefore,
            section: section)
        if let typeNames { types = try SearchFilters.documentTypes(typeNames, field: prefix + "types", naming: naming) }
        self.modifiedAfter = try SearchFilters.date(modifiedAfter, field: prefix + "modified_after", naming: naming)
        self.modifiedBefore = try SearchFilters.date(modifiedBefore, field: prefix + "modified_before", naming: naming)
        try validate(naming: naming, prefix: prefix)
    }

    /// The document types a client named (`PDF`, `.pdf`, `htm`); throws naming the first that no registered
    /// format has.
    static func documentTypes(_ names: [String], field: String, naming: FieldNaming) throws -> Set<String> {
        try Set(
            names.map { name in
                guard let type = documentType(name) else {
                    throw KorSearchError(
                        .invalidArgument,
                        "\(naming.quoting(field, name)) is not a type korsearch reads; one of \(DocumentFormats.types.joined(separator: ", "))",
                        parameter: field)
                }
                return type
            })
    }

    /// A filter date a client gave (`YYYY-MM-DD` or ISO 8601); throws naming the field when it is neither.
    static func date(_ text: String?, field: String, naming: FieldNaming) throws -> Date? {
        guard let text else { return nil }
        guard let date = date(from: text) else {
            throw naming.error(field, "must be a date (YYYY-MM-DD or ISO 8601; YYYYMMDD and YYYY.MM.DD too), not \(text)")
        }
        return date
    }

    /// A filter date: a day (`YYYY-MM-DD`, `YYYYMMDD`, `YYYY.MM.DD`; midnight UTC) or ISO 8601 with a time; nil
    /// when it is neither.
    public static func date(from text: String) -> Date? {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        guard let text = day(text) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.date(from: text)
    }

    /// These filters set on `base` (where they are given): a qrels line's filters over the run's.
    public func applied(to base: SearchFilters) -> SearchFilters {
        SearchFilters(
            pathGlob: pathGlob ?? base.pathGlob, types: types ?? base.types, modifiedAfter: modifiedAfter ?? base.modifiedAfter,
            modifiedBefore: modifiedBefore ?? base.modifiedBefore, company: company ?? base.company,
            reportType: reportType ?? base.reportType, period: period ?? base.period,
            filedAfter: filedAfter ?? base.filedAfter, filedBefore: filedBefore ?? base.filedBefore, section: section ?? base.section)
    }

    /// The section filter as `DARTSections` matches it, nil when none is set.
    public var sectionSelector: DARTSections.Selector? { section.flatMap(DARTSections.Selector.init) }

    /// The conditions on a document's metadata, store-neutral: each a column of `FilingMetadata.columnNames`
    /// and the values it may take (`prefix` for a year's periods).
    package enum MetadataCondition: Equatable, Sendable {
        /// The company key, the corp_code or the stock code equals one of these.
        case company(key: String, code: String)
        case equals(column: String, value: String)
        /// `period` is the year or starts with `year-`.
        case year(String)
        case atLeast(column: String, value: String)
        case below(column: String, value: String)
    }

    /// The metadata conditions these filters set, normalized (validate first).
    package var metadataConditions: [MetadataCondition] {
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
        try validate(naming: .json, prefix: "filters.")
    }

    /// Throws `.invalidArgument` for filters no store should run, naming the field at fault as `naming` does.
    public func validate(naming: FieldNaming, prefix: String) throws {
        if let period, FilingMetadata.period(period) == nil {
            throw KorSearchError(
                .invalidArgument, "the period \"\(period)\" is not YYYY, YYYY-H1/H2 or YYYY-Q1..Q4 (2024년, 2024년 상반기, 2024년 3분기, 2024 3Q)",
                parameter: prefix + "period")
        }
        for (name, field, value) in [("filed after", "filed_after", filedAfter), ("filed before", "filed_before", filedBefore)] {
            if let value, SearchFilters.day(value) != value {
                throw KorSearchError(
                    .invalidArgument, "the \(name) date \"\(value)\" is not a day as YYYY-MM-DD, YYYYMMDD or YYYY.MM.DD", parameter: prefix + field)
            }
        }
        if company?.trimmingCharacters(in: .whitespaces).isEmpty == true {
            throw KorSearchError(.invalidArgument, "the company is empty", parameter: prefix + "company")
        }
        if reportType?.trimmingCharacters(in: .whitespaces).isEmpty == true {
            throw KorSearchError(.invalidArgument, "the report type is empty", parameter: prefix + "report_type")
        }
        if let section, DARTSections.Selector(section) == nil || DARTSections.key(section).isEmpty {
            throw KorSearchError(.invalidArgument, "the section is empty", parameter: prefix + "section")
        }
        if let pathGlob {
            let wildcards = pathGlob.filter { $0 == "*" || $0 == "?" || $0 == "[" }.count
            if pathGlob.count > SearchFilters.maxGlobLength || wildcards > SearchFilters.maxGlobWildcards {
                throw KorSearchError(
                    .invalidArgument,
                    "the path pattern is too complex (at most \(SearchFilters.maxGlobLength) characters and \(SearchFilters.maxGlobWildcards) wildcards)",
                    parameter: prefix + "path")
            }
        }
    }

    /// Whether any restriction is set.
    public var isEmpty: Bool {
        pathGlob == nil && types == nil && modifiedAfter == nil && modifiedBefore == nil && metadataConditions.isEmpty && section == nil
    }
}

extension SearchFilters: Codable {
    /// Decodes the JSON object of `SearchFilters.schema` (a qrels line's `filters`), every value checked.
    public init(from decoder: any Decoder) throws {
        try self.init(json: ContractObject(JSONValue(from: decoder), SearchFilters.schema, naming: .json, prefix: "filters."), naming: .json)
    }

    /// Encodes the JSON object of `SearchFilters.schema`, leaving out what is not set.
    public func encode(to encoder: any Encoder) throws {
        let iso = ISO8601DateFormatter()
        var object: [String: JSONValue] = [:]
        let strings: [(String, String?)] = [
            ("path", pathGlob), ("modified_after", modifiedAfter.map(iso.string)), ("modified_before", modifiedBefore.map(iso.string)),
            ("company", company), ("report_type", reportType), ("period", period), ("filed_after", filedAfter), ("filed_before", filedBefore),
            ("section", section),
        ]
        for case let (name, value?) in strings { object[name] = .string(value) }
        if let types { object["types"] = .array(types.sorted().map(JSONValue.string)) }
        try JSONValue.object(object).encode(to: encoder)
    }
}
