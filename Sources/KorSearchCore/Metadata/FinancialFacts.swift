import Crypto
import Foundation

/// One line of a financial statement as OpenDART's `fnlttSinglAcntAll` reports it: whose, which fiscal year and
/// report, which statement, consolidated or separate, which account, the current and previous amounts, and the
/// filing it comes from. What `korsearch facts`, `/v1/facts` and the MCP tools answer with.
public struct FinancialFact: Sendable, Equatable, Codable {
    /// The company as OpenDART names it.
    public var company: String
    /// DART's 8-digit company code.
    public var corpCode: String
    /// The 6-character listing code, where listed.
    public var stockCode: String?
    /// The business year (`bsns_year`).
    public var fiscalYear: Int
    /// OpenDART's report code: `11011` annual, `11012` half-year, `11013` first quarter, `11014` third quarter.
    public var report: String
    /// The period as document metadata writes it: `2023`, `2024-H1`, `2024-Q1`, `2024-Q3`.
    public var period: String
    /// `BS` (재무상태표), `IS` (손익계산서), `CIS` (포괄손익계산서), `CF` (현금흐름표), `SCE` (자본변동표).
    public var statement: String
    /// Consolidated (`CFS`) rather than separate (`OFS`).
    public var consolidated: Bool
    /// The XBRL account id (`ifrs-full_Revenue`, `dart_OperatingIncomeLoss`), where there is one.
    public var accountId: String?
    /// The account as the filing names it (`영업이익(손실)`).
    public var account: String
    /// The amount of the period reported (`thstrm_amount`), and of the one before (`frmtrm_amount`), in `currency`.
    public var current: Int64?
    public var previous: Int64?
    /// The currency (`KRW`).
    public var currency: String?
    /// The receipt number of the filing the amounts come from.
    public var rceptNo: String
    /// The account's place in its statement.
    public var order: Int?

    /// A fact.
    public init(
        company: String, corpCode: String, stockCode: String? = nil, fiscalYear: Int, report: String, period: String, statement: String,
        consolidated: Bool, accountId: String? = nil, account: String, current: Int64?, previous: Int64? = nil, currency: String? = "KRW",
        rceptNo: String, order: Int? = nil
    ) {
        self.company = company
        self.corpCode = corpCode
        self.stockCode = stockCode
        self.fiscalYear = fiscalYear
        self.report = report
        self.period = period
        self.statement = statement
        self.consolidated = consolidated
        self.accountId = accountId
        self.account = account
        self.current = current
        self.previous = previous
        self.currency = currency
        self.rceptNo = rceptNo
        self.order = order
    }

    enum CodingKeys: String, CodingKey {
        case company, corpCode = "corp_code", stockCode = "stock_code", fiscalYear = "fiscal_year", report, period, statement
        case consolidated, accountId = "account_id", account, current, previous, currency, rceptNo = "rcept_no", order
    }

    /// Writes every key, `null` where a value is unknown.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(company, forKey: .company)
        try container.encode(corpCode, forKey: .corpCode)
        try container.encode(stockCode, forKey: .stockCode)
        try container.encode(fiscalYear, forKey: .fiscalYear)
        try container.encode(report, forKey: .report)
        try container.encode(period, forKey: .period)
        try container.encode(statement, forKey: .statement)
        try container.encode(consolidated, forKey: .consolidated)
        try container.encode(accountId, forKey: .accountId)
        try container.encode(account, forKey: .account)
        try container.encode(current, forKey: .current)
        try container.encode(previous, forKey: .previous)
        try container.encode(currency, forKey: .currency)
        try container.encode(rceptNo, forKey: .rceptNo)
        try container.encode(order, forKey: .order)
    }

    /// The statements a fact may be of.
    public static let statements = ["BS", "IS", "CIS", "CF", "SCE"]
    /// OpenDART's report codes and the period each stands for in a business year.
    public static let reports = ["11011": "", "11012": "-H1", "11013": "-Q1", "11014": "-Q3"]

    /// The report code and business year of a period (`2024-H1` → `11012`, 2024), nil for one OpenDART reports
    /// no statements for (`2024-H2`, `2024-Q2`, `2024-Q4`).
    public static func report(period: String) -> (code: String, year: Int)? {
        guard let year = Int(period.prefix(4)) else { return nil }
        let part = period.dropFirst(4)
        guard let code = reports.first(where: { $0.value == part })?.key else { return nil }
        return (code, year)
    }

    /// A fact's fields as a facts file line and every answer write them.
    public static let schema = ContractSchema(
        "FinancialFact", "One account of a financial statement, as OpenDART's fnlttSinglAcntAll reports it.", closed: true,
        [
            ContractField("company", .string, "the company as OpenDART names it", required: true),
            ContractField("corp_code", .string, "DART's 8-digit company code", required: true),
            ContractField("stock_code", .string, "the listing code, where listed", required: true, nullable: true),
            ContractField("fiscal_year", .integer, "the business year", required: true),
            ContractField(
                "report", .choice(["11011", "11012", "11013", "11014"]), "annual, half-year, first or third quarter report", required: true),
            ContractField("period", .string, "the period as document metadata writes it: 2023, 2024-H1, 2024-Q1, 2024-Q3", required: true),
            ContractField("statement", .choice(statements), "BS, IS, CIS, CF or SCE", required: true),
            ContractField("consolidated", .boolean, "consolidated (CFS) rather than separate (OFS)", required: true),
            ContractField("account_id", .string, "the XBRL account id, where there is one", required: true, nullable: true),
            ContractField("account", .string, "the account as the filing names it", required: true),
            ContractField("current", .integer, "the amount of the period reported, in currency", required: true, nullable: true),
            ContractField("previous", .integer, "the amount of the period before", required: true, nullable: true),
            ContractField("currency", .string, "the currency (KRW)", required: true, nullable: true),
            ContractField("rcept_no", .string, "the receipt number of the filing the amounts come from", required: true),
            ContractField("order", .integer, "the account's place in its statement", required: true, nullable: true),
        ])
}

/// A folder's financial statements: its `financials.jsonl` files (at its root, where `korsearch dart sync`
/// writes one, and in any folder below), one `FinancialFact` a line (any tool may write them: the format is
/// documented). The indexer reads them all into the store's facts on every run where one changed; they are not
/// indexed as documents.
public enum FinancialFacts {
    /// The files' name.
    public static let fileName = "financials.jsonl"

    /// Whether a path relative to the indexed folder is a facts file.
    public static func isFactsFile(_ path: String) -> Bool { path == fileName || path.hasSuffix("/" + fileName) }

    /// A facts file that cannot be read: its path and why (the run lists it among its skipped files).
    package struct FileFailure: Error {
        package let path: String
        package let error: KorSearchError
    }
    /// The most facts one file may hold (about 200 accounts × 2 statements' kinds × 4 reports × 25 years × 50
    /// companies); more is refused rather than read into memory.
    public static let maxFacts = 2_000_000

    /// The meta entry holding the SHA-256 of the facts file the stored facts were read from.
    public static let digestKey = "facts_sha256"

    /// Brings a store's facts in line with the folder's facts files (`path` relative to the folder, and where it
    /// is): read and stored when the SHA-256 over their paths and bytes differs from the one recorded, removed
    /// when there are none. Returns how many facts were stored, nil when nothing changed; a file that cannot be
    /// read throws `FileFailure` naming it (the stored facts stay). The same statement line in two files (the
    /// same company, period, statement, consolidation and account) is kept once, from the first file by path.
    package static func update(from files: [(path: String, url: URL)], writer: any IndexWriting) throws -> Int? {
        let stored = writer.meta.entries[digestKey] ?? ""
        guard !files.isEmpty else {
            if stored.isEmpty { return nil }
            try writer.replaceFacts([], digest: "")
            return 0
        }
        var hasher = SHA256()
        var contents: [(path: String, data: Data)] = []
        var total = 0
        for (path, url) in files.sorted(by: { $0.path < $1.path }) {
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            total += size
            guard total <= 1 << 30 else { throw FileFailure(path: path, error: KorSearchError(.invalidArgument, "past 1 GiB of facts; not read")) }
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw FileFailure(path: path, error: KorSearchError(.invalidArgument, "cannot be read (\(error.localizedDescription))"))
            }
            hasher.update(data: Data(path.utf8))
            hasher.update(data: Data([0]))
            hasher.update(data: data)
            contents.append((path, data))
        }
        let digest = hasher.finalize().hexString
        if digest == stored { return nil }
        var facts: [FinancialFact] = []
        var seen = Set<String>()
        for (path, data) in contents {
            let parsed: [FinancialFact]
            do { parsed = try parse(data) } catch let error as KorSearchError { throw FileFailure(path: path, error: error) }
            for fact in parsed {
                let key =
                    "\(fact.corpCode)|\(fact.fiscalYear)|\(fact.report)|\(fact.statement)|\(fact.consolidated)|\(fact.accountId ?? "")|\(fact.account)"
                if seen.insert(key).inserted { facts.append(fact) }
            }
            guard facts.count <= maxFacts else {
                throw FileFailure(path: path, error: KorSearchError(.invalidArgument, "more than \(maxFacts) facts; not read"))
            }
        }
        try writer.replaceFacts(facts, digest: digest)
        return facts.count
    }

    /// The facts of a file, each line checked: a line that is not a fact with the right types is an error
    /// naming the line and the field.
    public static func read(_ url: URL) throws -> [FinancialFact] {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size <= 1 << 30 else { throw KorSearchError(.invalidArgument, "larger than 1 GiB; not read") }
        return try parse(try Data(contentsOf: url))
    }

    /// The facts of a file's bytes (see `read`).
    public static func parse(_ data: Data) throws -> [FinancialFact] {
        guard let text = String(validating: data, as: UTF8.self) else { throw KorSearchError(.invalidArgument, "not UTF-8 text") }
        var facts: [FinancialFact] = []
        let decoder = JSONDecoder()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard facts.count < maxFacts else { throw KorSearchError(.invalidArgument, "more than \(maxFacts) facts; not read") }
            let fact: FinancialFact
            do { fact = try decoder.decode(FinancialFact.self, from: Data(trimmed.utf8)) } catch let error as DecodingError {
                throw KorSearchError(.invalidArgument, "line \(number + 1): \(describe(error))")
            }
            try check(fact, line: number + 1)
            facts.append(fact)
        }
        return facts
    }

    /// The facts as file lines (sorted keys, one a line).
    public static func lines(_ facts: [FinancialFact]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for fact in facts {
            data.append(try encoder.encode(fact))
            data.append(0x0A)
        }
        return data
    }

    private static func check(_ fact: FinancialFact, line: Int) throws {
        func fail(_ text: String) -> KorSearchError { KorSearchError(.invalidArgument, "line \(line): \(text)") }
        guard fact.corpCode.count == 8, fact.corpCode.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw fail("corp_code \"\(fact.corpCode)\" is not 8 digits")
        }
        guard FinancialFact.statements.contains(fact.statement) else {
            throw fail("statement \"\(fact.statement)\" is not one of \(FinancialFact.statements.joined(separator: ", "))")
        }
        guard FilingMetadata.period(fact.period) == fact.period, FinancialFact.report(period: fact.period)?.code == fact.report else {
            throw fail(
                "period \"\(fact.period)\" and report \"\(fact.report)\" do not agree (2023 is 11011, 2024-H1 11012, 2024-Q1 11013, 2024-Q3 11014)")
        }
        guard !fact.account.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("account is empty") }
        guard fact.rceptNo.count == 14, fact.rceptNo.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw fail("rcept_no \"\(fact.rceptNo)\" is not 14 digits")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context): "\(path(context)) is not \(name(type))"
        case .valueNotFound(let type, let context): "\(path(context)) is null, not \(name(type))"
        case .keyNotFound(let key, _): "\(key.stringValue) is missing"
        case .dataCorrupted(let context): context.codingPath.isEmpty ? "not a JSON object" : "\(path(context)) is not valid"
        @unknown default: "not a fact"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String { context.codingPath.map(\.stringValue).joined(separator: ".") }

    private static func name(_ type: Any.Type) -> String {
        switch type {
        case is Int64.Type, is Int.Type: "an integer"
        case is Bool.Type: "true or false"
        case is String.Type: "text"
        default: "\(type)"
        }
    }

    // MARK: Matching

    /// An account name for matching: spaces, a parenthesized remark (`영업이익(손실)` → `영업이익`) and the
    /// roman-numeral or digit prefix statements number lines with (`Ⅰ. 매출액`) removed.
    public static func accountKey(_ name: String) -> String {
        var key = name.precomposedStringWithCompatibilityMapping
        key = key.replacingOccurrences(of: #"\([^)]*\)"#, with: "", options: .regularExpression)
        key = key.replacingOccurrences(of: #"^\s*([IVXⅠ-Ⅻ]+|\d+)\s*[.)]\s*"#, with: "", options: .regularExpression)
        return key.filter { !$0.isWhitespace }.lowercased()
    }

    /// The alias groups in effect (the default list and `aliases`' own), each as its forms' account keys: made
    /// once for a search that matches many account names.
    static func aliasKeyGroups(_ aliases: KeywordAliases) -> [Set<String>] { aliases.effective.map { Set($0.map(accountKey)) } }

    /// The keys an account asked for matches (`key`, its `accountKey`): its own, and those of the forms its alias
    /// groups list (`aliasKeyGroups`: 영업이익 also finds 영업손익).
    static func accountKeys(ofKey key: String, groups: [Set<String>]) -> Set<String> {
        groups.reduce(into: [key]) { keys, group in if group.contains(key) { keys.formUnion(group) } }
    }
}
