import Foundation
import KorSearchCore

/// Financial statements from OpenDART's `fnlttSinglAcntAll` (every account of a periodic report's statements,
/// consolidated and separate) kept in a synced folder's `financials.jsonl` (`FinancialFacts`), one period of a
/// company replaced at a time, with `dart/.financials.json` recording which filing each period was fetched for
/// (a later amendment of the period fetches it again).
struct DARTFinancials {
    let folder: URL
    let client: OpenDART

    private var file: URL { folder.appendingPathComponent(FinancialFacts.fileName) }
    private var stateFile: URL { folder.appendingPathComponent("dart/.financials.json") }

    /// A period of a company's statements: the latest listed filing for it.
    struct Period {
        let key: String
        let company: DARTCompany
        let year: Int
        let report: String
        let period: String
        let rceptNo: String
    }

    /// The periods the listed periodic reports cover, each with its latest filing (an amendment over the original).
    static func periods(of rows: [[String: Any]], companies: [DARTCompany]) -> [Period] {
        var latest: [String: Period] = [:]
        for row in rows {
            guard let code = row["corp_code"] as? String, let company = companies.first(where: { $0.corpCode == code }),
                let receipt = row["rcept_no"] as? String
            else { continue }
            let report = FilingMetadata.report(name: row["report_nm"] as? String ?? "")
            guard ["사업보고서", "반기보고서", "분기보고서"].contains(report.type), let period = report.period,
                let (reportCode, year) = FinancialFact.report(period: period)
            else { continue }
            let key = "\(code)|\(year)|\(reportCode)"
            if let known = latest[key], known.rceptNo >= receipt { continue }
            latest[key] = Period(key: key, company: company, year: year, report: reportCode, period: period, rceptNo: receipt)
        }
        return latest.values.sorted { $0.key < $1.key }
    }

    /// Fetches the statements of the periods not yet fetched for their latest filing; returns the periods and
    /// facts written. `stop` is checked between periods.
    func sync(_ periods: [Period], stop: IndexStop, progress: (DARTSync.Event) -> Void) throws -> (periods: Int, facts: Int) {
        var state = (try? JSONSerialization.jsonObject(with: Data(contentsOf: stateFile))) as? [String: String] ?? [:]
        let wanted = periods.filter { state[$0.key] != $0.rceptNo }
        if wanted.isEmpty { return (0, 0) }
        // Read before anything is fetched: a file that is not facts is the user's to fix, never replaced.
        var facts: [FinancialFact] = []
        if FileManager.default.fileExists(atPath: file.path) {
            do { facts = try FinancialFacts.read(file) } catch {
                throw KorSearchError(.invalidArgument, "\(file.path) cannot be read (\(error)); move it aside to fetch statements into this folder")
            }
        }
        var written = (periods: 0, facts: 0)
        for period in wanted {
            if stop.isRequested { break }
            var fetched: [FinancialFact] = []
            for consolidated in [true, false] {
                let answer: [String: Any]
                do {
                    answer = try client.json(
                        "fnlttSinglAcntAll.json",
                        [
                            ("corp_code", period.company.corpCode), ("bsns_year", "\(period.year)"), ("reprt_code", period.report),
                            ("fs_div", consolidated ? "CFS" : "OFS"),
                        ])
                } catch let error as KorSearchError where error.code == "013" {
                    continue
                }
                fetched += DARTFinancials.facts(answer["list"] as? [[String: Any]] ?? [], period: period, consolidated: consolidated)
            }
            facts.removeAll { $0.corpCode == period.company.corpCode && $0.fiscalYear == period.year && $0.report == period.report }
            facts += fetched
            try write(facts)
            state[period.key] = period.rceptNo
            try writeState(state)
            written.periods += 1
            written.facts += fetched.count
            progress(.statements(period.company, period: period.period, facts: fetched.count))
        }
        return written
    }

    /// The facts of `fnlttSinglAcntAll` rows; a row without an account name or with an unknown statement is left out.
    static func facts(_ rows: [[String: Any]], period: Period, consolidated: Bool) -> [FinancialFact] {
        rows.compactMap { row in
            let statement = (row["sj_div"] as? String ?? "").uppercased()
            guard FinancialFact.statements.contains(statement), let account = (row["account_nm"] as? String)?.trimmingCharacters(in: .whitespaces),
                !account.isEmpty
            else { return nil }
            let receipt = row["rcept_no"] as? String ?? ""
            let id = (row["account_id"] as? String)?.trimmingCharacters(in: .whitespaces)
            return FinancialFact(
                company: period.company.name, corpCode: period.company.corpCode, stockCode: period.company.stockCode, fiscalYear: period.year,
                report: period.report, period: period.period, statement: statement, consolidated: consolidated,
                accountId: id.flatMap { $0.isEmpty || $0 == "-표준계정코드 미사용-" ? nil : $0 }, account: account,
                current: amount(row["thstrm_amount"]), previous: amount(row["frmtrm_amount"]),
                currency: (row["currency"] as? String).flatMap { $0.isEmpty ? nil : $0 },
                rceptNo: receipt.count == 14 && receipt.allSatisfy(\.isNumber) ? receipt : period.rceptNo,
                order: (row["ord"] as? String).flatMap { Int($0) } ?? row["ord"] as? Int)
        }
    }

    /// An amount as OpenDART writes it (`1,234,567`, `-1,234`, `(1,234)`), nil for an empty one or `-`.
    static func amount(_ value: Any?) -> Int64? {
        if let number = value as? Int { return Int64(number) }
        guard var text = (value as? String)?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        var negative = false
        if text.hasPrefix("("), text.hasSuffix(")") {
            negative = true
            text = String(text.dropFirst().dropLast())
        }
        if text.hasPrefix("-") {
            negative.toggle()
            text.removeFirst()
        }
        let digits = text.filter { $0 != "," }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits) else { return nil }
        return negative ? -value : value
    }

    private func write(_ facts: [FinancialFact]) throws {
        let temporary = folder.appendingPathComponent(".\(FinancialFacts.fileName).part")
        try FinancialFacts.lines(facts).write(to: temporary)
        try AtomicFile.syncAndRename(temporary, to: file, role: "the folder's \(FinancialFacts.fileName)", kind: .catalog)
    }

    private func writeState(_ state: [String: String]) throws {
        let temporary = folder.appendingPathComponent("dart/.financials.json.part")
        try JSONSerialization.data(withJSONObject: state, options: [.sortedKeys]).write(to: temporary)
        try AtomicFile.syncAndRename(temporary, to: stateFile, role: "the record of fetched statements", kind: .catalog)
    }
}
