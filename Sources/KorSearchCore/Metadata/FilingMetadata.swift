import Foundation
import KorDocuments
import Synchronization

/// What a financial document is: whose, which report, which period, filed when. Every field is optional
/// (absent where unknown). Comes, in this order of trust, from a manifest beside the documents (OpenDART's
/// `list.json`, a `metadata.jsonl`), a DART filing's own markup, or the title and first lines of other
/// documents — those last marked `inferred`.
public struct FilingMetadata: Sendable, Equatable, Codable {
    /// The fields, by their JSON names.
    public enum Field: String, Sendable, CaseIterable, Codable, Comparable {
        case company, corpCode = "corp_code", stockCode = "stock_code", reportType = "report_type", period, filed
        case rceptNo = "rcept_no", amendment

        public static func < (a: Field, b: Field) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
    }

    /// The company as the source writes it (`한빛전자㈜`).
    public var company: String?
    /// DART's 8-digit company code.
    public var corpCode: String?
    /// The 6-digit stock code.
    public var stockCode: String?
    /// The report's kind as DART names it (`사업보고서`, `반기보고서`, `분기보고서`, `주요사항보고서`, `감사보고서`, ...).
    public var reportType: String?
    /// The period: `2024` (a fiscal year), `2024-H1` (a half), `2024-Q3` (a quarter).
    public var period: String?
    /// The filing date, `YYYY-MM-DD`.
    public var filed: String?
    /// DART's 14-digit receipt number.
    public var rceptNo: String?
    /// What an amended filing says it is (`기재정정`, `첨부정정`), from the bracket before its report name in
    /// OpenDART's list; nil for an original filing. The filing it amends stays indexed beside it.
    public var amendment: String?
    /// The fields guessed from a title or first lines rather than stated by a manifest or the filing.
    public var inferred: Set<Field> = []

    /// No fields.
    public init(
        company: String? = nil, corpCode: String? = nil, stockCode: String? = nil, reportType: String? = nil,
        period: String? = nil, filed: String? = nil, rceptNo: String? = nil, amendment: String? = nil, inferred: Set<Field> = []
    ) {
        self.company = company
        self.corpCode = corpCode
        self.stockCode = stockCode
        self.reportType = reportType
        self.period = period
        self.filed = filed
        self.rceptNo = rceptNo
        self.amendment = amendment
        self.inferred = inferred
    }

    /// Whether no field is known.
    public var isEmpty: Bool { Field.allCases.allSatisfy { self[$0] == nil } }

    /// A field's value.
    public subscript(field: Field) -> String? {
        get {
            switch field {
            case .company: company
            case .corpCode: corpCode
            case .stockCode: stockCode
            case .reportType: reportType
            case .period: period
            case .filed: filed
            case .rceptNo: rceptNo
            case .amendment: amendment
            }
        }
        set {
            switch field {
            case .company: company = newValue
            case .corpCode: corpCode = newValue
            case .stockCode: stockCode = newValue
            case .reportType: reportType = newValue
            case .period: period = newValue
            case .filed: filed = newValue
            case .rceptNo: rceptNo = newValue
            case .amendment: amendment = newValue
            }
        }
    }

    /// These fields where they are known, the others from `base` (with `base`'s inferred marks for those).
    public func over(_ base: FilingMetadata) -> FilingMetadata {
        var result = base
        for field in Field.allCases where self[field] != nil {
            result[field] = self[field]
            if inferred.contains(field) { result.inferred.insert(field) } else { result.inferred.remove(field) }
        }
        return result
    }

    /// The company's name for matching: `주식회사`, `(주)`, `㈜` and spaces removed, Latin letters lowercased
    /// (`한빛전자 주식회사` and `한빛전자㈜` are both `한빛전자`).
    public var companyKey: String? { company.map(FilingMetadata.companyKey) }

    /// A company name for matching (see `companyKey`).
    public static func companyKey(_ name: String) -> String {
        var key = name.precomposedStringWithCanonicalMapping
        for mark in ["주식회사", "(주)", "（주）", "㈜", "(株)", "㈱"] { key = key.replacingOccurrences(of: mark, with: "") }
        return key.filter { !$0.isWhitespace }.lowercased()
    }

    // MARK: JSON

    enum CodingKeys: String, CodingKey {
        case company, corpCode = "corp_code", stockCode = "stock_code", reportType = "report_type", period, filed
        case rceptNo = "rcept_no", amendment, inferred
    }

    /// Encodes the known fields only, and `inferred` (a list of field names) when any is.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(company, forKey: .company)
        try container.encodeIfPresent(corpCode, forKey: .corpCode)
        try container.encodeIfPresent(stockCode, forKey: .stockCode)
        try container.encodeIfPresent(reportType, forKey: .reportType)
        try container.encodeIfPresent(period, forKey: .period)
        try container.encodeIfPresent(filed, forKey: .filed)
        try container.encodeIfPresent(rceptNo, forKey: .rceptNo)
        try container.encodeIfPresent(amendment, forKey: .amendment)
        if !inferred.isEmpty { try container.encode(inferred.sorted().map(\.rawValue), forKey: .inferred) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        company = try container.decodeIfPresent(String.self, forKey: .company)
        corpCode = try container.decodeIfPresent(String.self, forKey: .corpCode)
        stockCode = try container.decodeIfPresent(String.self, forKey: .stockCode)
        reportType = try container.decodeIfPresent(String.self, forKey: .reportType)
        period = try container.decodeIfPresent(String.self, forKey: .period)
        filed = try container.decodeIfPresent(String.self, forKey: .filed)
        rceptNo = try container.decodeIfPresent(String.self, forKey: .rceptNo)
        amendment = try container.decodeIfPresent(String.self, forKey: .amendment)
        inferred = Set(try container.decodeIfPresent([Field].self, forKey: .inferred) ?? [])
    }

    /// The fields as stored: compact JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Fields from stored JSON (none when it is absent or unreadable).
    public init(json: String?) {
        guard let json, json != "{}" else {
            self.init()
            return
        }
        if let known = FilingMetadata.decoded.withLock({ $0[json] }) {
            self = known
            return
        }
        guard let decoded = try? JSONDecoder().decode(FilingMetadata.self, from: Data(json.utf8)) else {
            self.init()
            return
        }
        FilingMetadata.decoded.withLock { cache in
            if cache.count >= 4096 { cache.removeAll(keepingCapacity: true) }
            cache[json] = decoded
        }
        self = decoded
    }

    /// Metadata decoded from JSON text, by the text: every search reads its hits' documents' metadata, and
    /// JSONDecoder costs more than the rest of reading a passage. Bounded (cleared at 4,096 texts).
    private static let decoded = Mutex<[String: FilingMetadata]>([:])

    // MARK: Periods

    /// A period as a filter or a manifest writes it, normalized (`2024`, `2024-h1` → `2024-H1`, `2024Q3` →
    /// `2024-Q3`), or as people write it (`2024년`, `2024년 상반기`/`반기` → `2024-H1`, `2024년 하반기` → `2024-H2`,
    /// `2024년 3분기` → `2024-Q3`, `2024 3Q` → `2024-Q3`, `2024 1H` → `2024-H1`), or nil when it is not one.
    public static func period(_ text: String) -> String? {
        var compact = text.uppercased().filter { !$0.isWhitespace }
        compact = compact.replacingOccurrences(of: "년", with: "")
        for (korean, code) in [("상반기", "H1"), ("하반기", "H2"), ("반기", "H1")] where compact.hasSuffix(korean) {
            compact = String(compact.dropLast(korean.count)) + code
        }
        if let range = compact.range(of: #"([1-4])(분기|Q)$"#, options: .regularExpression) {
            compact = String(compact[..<range.lowerBound]) + "Q" + String(compact[range].prefix(1))
        } else if let range = compact.range(of: #"(?<=\d{4})([12])H$"#, options: .regularExpression) {
            compact = String(compact[..<range.lowerBound]) + "H" + String(compact[range].prefix(1))
        }
        guard let match = compact.range(of: #"^(19|20)\d{2}(-?(H[12]|Q[1-4]))?$"#, options: .regularExpression) else { return nil }
        let value = String(compact[match])
        let year = String(value.prefix(4))
        let part = value.dropFirst(4).filter { $0 != "-" }
        return part.isEmpty ? year : "\(year)-\(part)"
    }

    /// The period a report covers, from its kind and the last month it covers: an annual report the fiscal
    /// year, a half-year report `H1`, a quarterly report its quarter.
    public static func period(reportType: String?, year: Int, month: Int) -> String? {
        guard (1900 ... 2100).contains(year), (1 ... 12).contains(month) else { return nil }
        let type = reportType ?? ""
        if type.contains("사업보고서") { return "\(year)" }
        if type.contains("반기") { return month == 6 ? "\(year)-H1" : nil }
        if type.contains("분기") { return "\(year)-Q\((month + 2) / 3)" }
        return nil
    }

    /// The kind and period of an OpenDART `report_nm` such as `반기보고서 (2024.06)` or
    /// `[기재정정]사업보고서 (2023.12)`, and the amendment its bracket names (`기재정정`; nil for an original or a
    /// bracket that is not an amendment, such as `[발행조건확정]`).
    public static func report(name: String) -> (type: String, period: String?, amendment: String?) {
        var amendment: String?
        if let bracket = name.range(of: #"^\s*\[[^\]]*\]"#, options: .regularExpression) {
            let mark = name[bracket].trimmingCharacters(in: .whitespaces).dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
            if mark.contains("정정") { amendment = mark }
        }
        var type = name.replacingOccurrences(of: #"^\s*\[[^\]]*\]\s*"#, with: "", options: .regularExpression)
        var period: String?
        if let range = type.range(of: #"\((19|20)\d{2}\.\d{2}\)"#, options: .regularExpression) {
            let digits = type[range].filter(\.isNumber)
            period = FilingMetadata.period(reportType: type, year: Int(digits.prefix(4)) ?? 0, month: Int(digits.suffix(2)) ?? 0)
            type.removeSubrange(range)
        }
        return (type.split(whereSeparator: \.isWhitespace).joined(separator: " "), period, amendment)
    }

    // MARK: From documents

    /// The report kinds DART files, as they are recognized in titles.
    static let reportTypes = [
        "사업보고서", "반기보고서", "분기보고서", "주요사항보고서", "감사보고서", "검토보고서",
        "증권신고서", "투자설명서", "합병등종료보고서", "대량보유상황보고서", "임원ㆍ주요주주특정증권등소유상황보고서",
    ]

    /// What a document's reader found: a DART filing's markup, else what its title and first lines say
    /// unambiguously (marked inferred).
    public init(document: LoadedDocument) {
        let metadata = document.metadata
        if metadata.reportType != nil || metadata.corpCode != nil || metadata.rceptNo != nil {
            self.init(
                company: metadata.company, corpCode: metadata.corpCode, reportType: metadata.reportType,
                filed: metadata.filed, rceptNo: metadata.rceptNo)
            if let end = metadata.periodTo {
                let parts = end.split(separator: "-").compactMap { Int($0) }
                if parts.count == 3 { period = FilingMetadata.period(reportType: reportType, year: parts[0], month: parts[1]) }
            }
            return
        }
        let firstLines = String(document.text.prefix(200)).split(separator: "\n").prefix(2).joined(separator: " ")
        self = FilingMetadata.inferred(from: [document.title.map { String($0.prefix(300)) }, firstLines].compactMap { $0 }.joined(separator: "\n"))
    }

    /// The fields a title or first lines state unambiguously: a company marked as one (`㈜`, `(주)`,
    /// `주식회사`), one report kind, one period (`2024년 3분기`, `2024년 상반기`/`반기`; `제56기` is not a year, nor
    /// is the year of a date such as `2024년 11월 5일`).
    /// Where two different values of a field appear, the field is left out. Only the first
    /// `maxInferredCharacters` characters are looked at: the company pattern backtracks (a 50,000-character
    /// title took a minute), and a title or first lines that state these fields state them early.
    public static func inferred(from text: String) -> FilingMetadata {
        let text = String(text.prefix(maxInferredCharacters))
        var result = FilingMetadata()
        func only(_ values: [String]) -> String? { Set(values).count == 1 ? values[0] : nil }
        let companies = matches(companyPattern, text)
        result.company = only(companies.map { $0.trimmingCharacters(in: .whitespaces) })
        // Two spellings of one company (`한빛전자㈜`, `㈜한빛전자`) are one company.
        if result.company == nil, !companies.isEmpty, Set(companies.map(companyKey)).count == 1 { result.company = companies[0] }
        result.reportType = only(reportTypes.filter { text.contains($0) })
        var periods: [String] = []
        // `2024년 11월 5일` is a date, not a period.
        for match in matches(periodPattern, text) {
            let year = String(match.prefix(4))
            let rest = match.dropFirst(4)
            if let quarter = rest.first(where: { "1234".contains($0) }), rest.contains("분기") || rest.contains("Q") {
                periods.append("\(year)-Q\(quarter)")
            } else if rest.contains("하반기") {
                periods.append("\(year)-H2")
            } else if rest.contains("반기") {
                periods.append("\(year)-H1")
            } else {
                periods.append(year)
            }
        }
        // `2023 사업보고서`, `2024년도 반기보고서`: the year of the report named right after it.
        for match in matches(reportYearPattern, text) {
            periods.append(match.contains("반기") ? "\(match.prefix(4))-H1" : String(match.prefix(4)))
        }
        // A year alone only counts when it is the only one (a report of 2024 citing 2023 names two).
        result.period = only(periods)
        result.inferred = Set(Field.allCases.filter { result[$0] != nil })
        return result
    }

    /// How much of a title and first lines `inferred(from:)` reads (600 characters).
    public static let maxInferredCharacters = 600

    // The patterns, compiled once (compiling them for every document was a tenth of a write).
    nonisolated(unsafe) private static let companyPattern = try? NSRegularExpression(
        pattern: #"[가-힣A-Za-z0-9&]+(㈜|\(주\))|(㈜|\(주\)|주식회사)\s?[가-힣A-Za-z0-9&]+|[가-힣A-Za-z0-9&]+\s?주식회사"#)
    nonisolated(unsafe) private static let periodPattern = try? NSRegularExpression(
        pattern: #"(19|20)\d{2}\s?년\s?(제?\s?[1-4]\s?분기|[1-4]Q|상반기|하반기|반기|연간)?(?!\s?\d{1,2}\s?월)"#)
    nonisolated(unsafe) private static let reportYearPattern = try? NSRegularExpression(pattern: #"(19|20)\d{2}(\s?년도?)?\s?(사업|반기)보고서"#)

    private static func matches(_ regex: NSRegularExpression?, _ text: String) -> [String] {
        guard let regex else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
    }
}

extension FilingMetadata {
    /// The columns both stores keep beside the JSON for filters and facets, in this order.
    package static let columnNames = ["company_key", "corp_code", "stock_code", "report_type", "period", "filed"]

    /// The values of `columnNames`.
    package var columnValues: [String?] { [companyKey, corpCode, stockCode, reportType, period, filed] }
}
