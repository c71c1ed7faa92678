import Foundation

/// A company the index holds financial facts of.
public struct FactCompany: Sendable, Equatable, Codable {
    public var corpCode: String
    public var company: String
    public var stockCode: String?

    public init(corpCode: String, company: String, stockCode: String?) {
        self.corpCode = corpCode
        self.company = company
        self.stockCode = stockCode
    }

    enum CodingKeys: String, CodingKey { case corpCode = "corp_code", company, stockCode = "stock_code" }
}

/// What `korsearch facts`, `/v1/facts` and the MCP tools ask for: companies' statement lines, narrowed by
/// account, period, statement and consolidation.
public struct FactRequest: Sendable, Equatable {
    /// Companies by name (`한빛전자`, `한빛전자㈜`), corp code or stock code; at least one.
    public var companies: [String]
    /// Accounts by name (`영업이익` also finds `영업이익(손실)` and its alias `영업손익`) or XBRL id; none: all.
    public var accounts: [String] = []
    /// Periods as metadata writes them (`2023` the annual report's, `2024-H1`, `2024-Q1`, `2024-Q3`; also as
    /// people write them, `2024년 상반기`); none: all.
    public var periods: [String] = []
    /// `BS`, `IS`, `CIS`, `CF`, `SCE`; nil: all.
    public var statement: String?
    /// true: consolidated only; false: separate only; nil: consolidated where a company reports it for the
    /// period, else separate.
    public var consolidated: Bool?
    /// The most facts answered.
    public var limit = 500

    /// The largest `limit`.
    public static let maxLimit = 5000

    /// A request; checked by `validate`.
    public init(
        companies: [String], accounts: [String] = [], periods: [String] = [], statement: String? = nil, consolidated: Bool? = nil, limit: Int = 500
    ) {
        self.companies = companies
        self.accounts = accounts
        self.periods = periods
        self.statement = statement
        self.consolidated = consolidated
        self.limit = limit
    }

    /// Checks and normalizes the fields (periods to their metadata form, the statement upper-cased).
    public mutating func validate() throws {
        companies = companies.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !companies.isEmpty else { throw KorSearchError(.invalidArgument, "name at least one company", parameter: "company") }
        accounts = accounts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        periods = try periods.map { text in
            guard let period = FilingMetadata.period(text), FinancialFact.report(period: period) != nil else {
                throw KorSearchError(
                    .invalidArgument, "period \"\(text)\" is not one statements are reported for (2023, 2024-H1, 2024-Q1, 2024-Q3)",
                    parameter: "period")
            }
            return period
        }
        if let statement {
            let upper = statement.uppercased()
            guard FinancialFact.statements.contains(upper) else {
                throw KorSearchError(
                    .invalidArgument, "statement \"\(statement)\" is not one of \(FinancialFact.statements.joined(separator: ", "))",
                    parameter: "statement")
            }
            self.statement = upper
        }
        guard (1 ... FactRequest.maxLimit).contains(limit) else {
            throw KorSearchError(.invalidArgument, "limit must be 1–\(FactRequest.maxLimit), not \(limit)", parameter: "limit")
        }
    }

    /// The request's fields, as the API and MCP take them.
    public static let schema = ContractSchema(
        "FactRequest", "Financial statement lines of companies.", closed: true,
        [
            ContractField("company", .list(.string), "companies by name, corp code or stock code (a single string is one company)", required: true),
            ContractField("account", .list(.string), "accounts by name or XBRL id (영업이익 also finds 영업이익(손실) and 영업손익); absent: all"),
            ContractField("period", .list(.string), "periods: 2023 (the annual report), 2024-H1, 2024-Q1, 2024-Q3; absent: all"),
            ContractField("statement", .choice(FinancialFact.statements), "BS, IS, CIS, CF or SCE; absent: all"),
            ContractField(
                "consolidated", .boolean, "true consolidated only, false separate only; absent: consolidated where reported, else separate"),
            ContractField("limit", .integer, "the most facts answered, 1-\(maxLimit) (default 500)"),
        ])
}

/// Answers a `FactRequest` from a store: the companies resolved against those the facts are of, the facts
/// narrowed, sorted by company, period, statement and the account's place.
public enum FactFinder {
    /// The facts a request asks for. A company with no facts in the index, or accounts none of whose names
    /// match, is an error that names what the index has.
    public static func facts(_ request: FactRequest, in store: any IndexStore, aliases: KeywordAliases = .defaults) throws -> [FinancialFact] {
        var request = request
        try request.validate()
        let known = try store.factCompanies()
        var codes: [String] = []
        for name in request.companies {
            let company = try resolve(name, among: known)
            if !codes.contains(company.corpCode) { codes.append(company.corpCode) }
        }
        var facts = try store.facts(corpCodes: codes)
        if !request.periods.isEmpty { facts = facts.filter { request.periods.contains($0.period) } }
        if let statement = request.statement { facts = facts.filter { $0.statement == statement } }
        if !request.accounts.isEmpty {
            let keys = request.accounts.reduce(into: Set<String>()) { $0.formUnion(FinancialFacts.accountKeys($1, aliases: aliases)) }
            let ids = Set(request.accounts)
            let matching = facts.filter { keys.contains(FinancialFacts.accountKey($0.account)) || $0.accountId.map(ids.contains) == true }
            if matching.isEmpty, !facts.isEmpty {
                var names: [String] = []
                for fact in facts.sorted(by: order) where !names.contains(fact.account) { names.append(fact.account) }
                throw KorSearchError(
                    .notFound,
                    "no account named \(request.accounts.joined(separator: ", ")) in these statements; their accounts include: \(names.prefix(12).joined(separator: ", "))",
                    parameter: "account")
            }
            facts = matching
        }
        if let consolidated = request.consolidated {
            facts = facts.filter { $0.consolidated == consolidated }
        } else {
            let consolidatedPeriods = Set(facts.filter(\.consolidated).map { "\($0.corpCode)|\($0.period)" })
            facts = facts.filter { $0.consolidated || !consolidatedPeriods.contains("\($0.corpCode)|\($0.period)") }
        }
        return Array(facts.sorted(by: order).prefix(request.limit))
    }

    /// The company a request names, among those the facts are of: its corp code, its stock code or its name.
    public static func resolve(_ name: String, among known: [FactCompany]) throws -> FactCompany {
        if let company = known.first(where: { $0.corpCode == name || $0.stockCode == name }) { return company }
        let key = FilingMetadata.companyKey(name)
        if let company = known.first(where: { FilingMetadata.companyKey($0.company) == key }) { return company }
        let have = known.map(\.company).sorted().prefix(10).joined(separator: ", ")
        throw KorSearchError(
            .notFound,
            known.isEmpty
                ? "the index holds no financial statements (korsearch dart sync fetches them into financials.jsonl; index the folder again)"
                : "the index holds no financial statements of \(name); it has those of: \(have)",
            parameter: "company")
    }

    /// Company, then period (newest first), statement in the order of `FinancialFact.statements`, consolidated
    /// first, then the account's place.
    static func order(_ a: FinancialFact, _ b: FinancialFact) -> Bool {
        func rank(_ statement: String) -> Int { FinancialFact.statements.firstIndex(of: statement) ?? 99 }
        if a.company != b.company { return a.company < b.company }
        if a.period != b.period { return a.period > b.period }
        if a.statement != b.statement { return rank(a.statement) < rank(b.statement) }
        if a.consolidated != b.consolidated { return a.consolidated }
        return (a.order ?? Int.max, a.account) < (b.order ?? Int.max, b.account)
    }
}
