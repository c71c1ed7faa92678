import Foundation
import KorEncoder

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

    /// The companies of these facts, one each: the name and stock code of its newest period's first fact.
    public static func of(_ facts: [FinancialFact]) -> [FactCompany] {
        var newest: [String: FinancialFact] = [:]
        for fact in facts where newest[fact.corpCode].map({ fact.period > $0.period }) ?? true { newest[fact.corpCode] = fact }
        return newest.values.map { FactCompany(corpCode: $0.corpCode, company: $0.company, stockCode: $0.stockCode) }
            .sorted { ($0.company, $0.corpCode) < ($1.company, $1.corpCode) }
    }
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
    public var limit = FactRequest.defaultLimit

    /// The `limit` when a request gives none, and the largest.
    public static let defaultLimit = 500
    public static let maxLimit = 5000

    /// A request; checked by `validate`.
    public init(
        companies: [String], accounts: [String] = [], periods: [String] = [], statement: String? = nil, consolidated: Bool? = nil,
        limit: Int = FactRequest.defaultLimit
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

    /// A request from its JSON object (the API's body, an MCP tool's arguments), checked; `company`, `account`
    /// and `period` take one string or a list.
    public init(json: JSONValue, naming: FieldNaming = .json) throws {
        let object = try ContractObject(Self.listing(json), FactRequest.schema, naming: naming)
        self.init(
            companies: try object.strings("company") ?? [], accounts: try object.strings("account") ?? [],
            periods: try object.strings("period") ?? [], statement: try object.choice("statement"), consolidated: try object.boolean("consolidated"),
            limit: try object.integer("limit") ?? FactRequest.defaultLimit)
        try validate()
    }

    /// `json` with a string where a list of strings belongs made a list of one.
    private static func listing(_ json: JSONValue) -> JSONValue {
        guard case .object(var members) = json else { return json }
        for name in ["company", "account", "period"] {
            if case .string(let text)? = members[name] { members[name] = .array([.string(text)]) }
        }
        return .object(members)
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
            ContractField("limit", .integer, "the most facts answered, 1-\(maxLimit) (default \(defaultLimit))"),
        ])
}

/// The facts a request found, as every front end writes them.
public struct FactsAnswer: Sendable, Equatable, Encodable {
    /// The facts, sorted by company, period (newest first), statement and the account's place.
    public var facts: [FinancialFact]

    public init(facts: [FinancialFact]) { self.facts = facts }

    /// The answer's fields.
    public static let schema = ContractSchema(
        "FactsAnswer", "Financial statement lines, each citing the filing it comes from.", closed: true,
        [
            ContractField(
                "facts", .list(.object(FinancialFact.schema)), "the lines, by company, period (newest first), statement and place", required: true)
        ])

    /// The facts as a Markdown table people and agents read: company, period, statement (연결 consolidated,
    /// 별도 separate), account, current and previous amounts (in 억 원 where the currency is KRW), and the filing.
    /// `cell` rewrites each cell's text (a terminal escapes control characters).
    public func table(cell: (String) -> String = { $0 }) -> String {
        if facts.isEmpty { return "no financial statement lines match\n" }
        var text =
            markdownRow(["company", "period", "statement", "account", "current", "previous", "rcept_no"], cell) + "|---|---|---|---|--:|--:|---|\n"
        for fact in facts {
            text += markdownRow(
                [
                    fact.company, fact.period, fact.statement + (fact.consolidated ? " 연결" : " 별도"), fact.account,
                    Self.amount(fact.current, fact.currency), Self.amount(fact.previous, fact.currency), fact.rceptNo,
                ], cell)
        }
        return text
    }

    /// An amount as people read it: KRW in 억 원 with two decimals (`8,112.00억`), other currencies as they are.
    public static func amount(_ value: Int64?, _ currency: String?) -> String {
        guard let value else { return "-" }
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.locale = Locale(identifier: "en_US")
        if currency == nil || currency == "KRW" {
            formatter.minimumFractionDigits = 2
            formatter.maximumFractionDigits = 2
            return (formatter.string(from: NSNumber(value: Double(value) / 100_000_000)) ?? "\(value)") + "억"
        }
        return (formatter.string(from: NSNumber(value: value)) ?? "\(value)") + " " + (currency ?? "")
    }
}

/// Answers a `FactRequest` from a store: the companies resolved against those the facts are of, the facts
/// narrowed, sorted by company, period, statement and the account's place.
public enum FactFinder {
    /// The facts a request asks for. A company with no facts in the index, or accounts none of whose names
    /// match, is an error that names what the index has.
    public static func facts(_ request: FactRequest, in store: any IndexStore, aliases: KeywordAliases = .none) throws -> [FinancialFact] {
        var request = request
        try request.validate()
        let known = try store.factCompanies()
        var codes: [String] = []
        for name in request.companies {
            let company = try resolve(name, among: known)
            if !codes.contains(company.corpCode) { codes.append(company.corpCode) }
        }
        return try narrow(try store.facts(corpCodes: codes), to: request, aliases: aliases)
    }

    /// The facts of a validated request's companies narrowed to its periods, statement, accounts and
    /// consolidation, sorted, cut at its limit.
    static func narrow(_ facts: [FinancialFact], to request: FactRequest, aliases: KeywordAliases) throws -> [FinancialFact] {
        var facts = facts
        if !request.periods.isEmpty { facts = facts.filter { request.periods.contains($0.period) } }
        if let statement = request.statement { facts = facts.filter { $0.statement == statement } }
        if !request.accounts.isEmpty {
            let groups = FinancialFacts.aliasKeyGroups(aliases)
            let keys = request.accounts.reduce(into: Set<String>()) {
                $0.formUnion(FinancialFacts.accountKeys(ofKey: FinancialFacts.accountKey($1), groups: groups))
            }
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

/// Facts side by side: one row per company and account, one column per period, each value citing its filing —
/// what the MCP `compare_financials` tool answers with.
public struct FactComparison: Sendable, Equatable, Encodable {
    /// A company's account over the periods.
    public struct Row: Sendable, Equatable, Encodable {
        public var company: String
        public var corpCode: String
        public var account: String
        public var statement: String
        public var consolidated: Bool
        /// One per period of the comparison that the company reports the account for.
        public var values: [Value]

        enum CodingKeys: String, CodingKey { case company, corpCode = "corp_code", account, statement, consolidated, values }
    }

    /// An amount of a period and the filing it comes from.
    public struct Value: Sendable, Equatable, Encodable {
        public var period: String
        public var current: Int64?
        public var currency: String?
        public var rceptNo: String

        enum CodingKeys: String, CodingKey { case period, current, currency, rceptNo = "rcept_no" }
    }

    /// The periods compared, oldest first.
    public var periods: [String]
    public var rows: [Row]

    /// The facts arranged side by side.
    public init(_ facts: [FinancialFact]) {
        periods = Array(Set(facts.map(\.period))).sorted()
        var rows: [Row] = []
        var places: [String: Int] = [:]
        for fact in facts.sorted(by: { ($0.company, $0.order ?? Int.max, $0.period) < ($1.company, $1.order ?? Int.max, $1.period) }) {
            let key = "\(fact.corpCode)|\(FinancialFacts.accountKey(fact.account))|\(fact.statement)|\(fact.consolidated)"
            let value = Value(period: fact.period, current: fact.current, currency: fact.currency, rceptNo: fact.rceptNo)
            if let place = places[key] {
                rows[place].values.append(value)
            } else {
                places[key] = rows.count
                rows.append(
                    Row(
                        company: fact.company, corpCode: fact.corpCode, account: fact.account, statement: fact.statement,
                        consolidated: fact.consolidated, values: [value]))
            }
        }
        self.rows = rows.map { row in
            var row = row
            row.values.sort { $0.period < $1.period }
            return row
        }
    }

    /// The answer's fields.
    public static let schema = ContractSchema(
        "FactComparison", "Companies' accounts side by side over periods, each value citing its filing.", closed: true,
        [
            ContractField("periods", .list(.string), "the periods compared, oldest first", required: true),
            ContractField(
                "rows",
                .list(
                    .object(
                        ContractSchema(
                            "FactComparisonRow", "A company's account over the periods.", closed: true,
                            [
                                ContractField("company", .string, "the company", required: true),
                                ContractField("corp_code", .string, "its corp code", required: true),
                                ContractField("account", .string, "the account as its filings name it", required: true),
                                ContractField("statement", .choice(FinancialFact.statements), "the statement", required: true),
                                ContractField("consolidated", .boolean, "consolidated rather than separate", required: true),
                                ContractField(
                                    "values",
                                    .list(
                                        .object(
                                            ContractSchema(
                                                "FactComparisonValue", "An amount of a period and its filing.", closed: true,
                                                [
                                                    ContractField("period", .string, "the period", required: true),
                                                    ContractField("current", .integer, "the amount", required: true, nullable: true),
                                                    ContractField("currency", .string, "its currency", required: true, nullable: true),
                                                    ContractField("rcept_no", .string, "the filing it comes from", required: true),
                                                ]))), "the amounts, oldest period first", required: true),
                            ]))), "one per company and account", required: true),
        ])

    /// A Markdown table (amounts in 억 원 for KRW), then each value's filing, so that every number cites one.
    public func table(cell: (String) -> String = { $0 }) -> String {
        if rows.isEmpty { return "no financial statement lines match\n" }
        var text = markdownRow(["company", "account", "statement"] + periods, cell)
        text += "|---|---|---|" + String(repeating: "--:|", count: periods.count) + "\n"
        var sources: [String] = []
        for row in rows {
            let byPeriod = Dictionary(row.values.map { ($0.period, $0) }, uniquingKeysWith: { first, _ in first })
            text += markdownRow(
                [row.company, row.account, row.statement + (row.consolidated ? " 연결" : " 별도")]
                    + periods.map { byPeriod[$0].map { FactsAnswer.amount($0.current, $0.currency) } ?? "" }, cell)
            sources += row.values.map { "\(row.company) \($0.period) rcept_no \($0.rceptNo)" }
        }
        var seen = Set<String>()
        return text + "\nsources: " + sources.filter { seen.insert($0).inserted }.joined(separator: "; ") + "\n"
    }
}

/// A Markdown table row of these cells, each rewritten by `cell` and its `|` escaped.
private func markdownRow(_ cells: [String], _ cell: (String) -> String) -> String {
    "| " + cells.map { cell($0).replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
}
