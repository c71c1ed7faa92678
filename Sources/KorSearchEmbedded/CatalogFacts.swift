import GRDB
import KorSearchCore

/// The catalog's financial facts (`FinancialFacts`): replaced whole when the folder's file changes, read by
/// company.
extension Catalog {
    /// Replaces every fact and records the digest of the file they came from, in one transaction.
    func replaceFacts(_ facts: [FinancialFact], digest: String) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM facts")
            try db.execute(sql: "DELETE FROM fact_companies")
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO facts (corp_code, company, stock_code, fiscal_year, report, period, statement, consolidated,
                        account_id, account, current, previous, currency, rcept_no, ord)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for fact in facts {
                try insert.execute(arguments: [
                    fact.corpCode, fact.company, fact.stockCode, fact.fiscalYear, fact.report, fact.period, fact.statement, fact.consolidated,
                    fact.accountId, fact.account, fact.current, fact.previous, fact.currency, fact.rceptNo, fact.order,
                ])
            }
            for company in FactCompany.of(facts) {
                try db.execute(
                    sql: "INSERT INTO fact_companies (corp_code, company, stock_code) VALUES (?, ?, ?)",
                    arguments: [company.corpCode, company.company, company.stockCode])
            }
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [FinancialFacts.digestKey, digest])
        }
    }

    /// The companies the facts are of (kept beside them, so that every search can look at them).
    func factCompanies() throws -> [FactCompany] {
        try read { db in
            guard try db.tableExists("fact_companies") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT corp_code, company, stock_code FROM fact_companies ORDER BY company, corp_code").map {
                FactCompany(corpCode: $0["corp_code"], company: $0["company"], stockCode: $0["stock_code"])
            }
        }
    }

    /// The facts of these companies.
    func facts(corpCodes: [String]) throws -> [FinancialFact] {
        if corpCodes.isEmpty { return [] }
        return try read { db in
            guard try db.tableExists("facts") else { return [] }
            let marks = Array(repeating: "?", count: corpCodes.count).joined(separator: ", ")
            return try Row.fetchAll(db, sql: "SELECT * FROM facts WHERE corp_code IN (\(marks))", arguments: StatementArguments(corpCodes)).map {
                FinancialFact(
                    company: $0["company"], corpCode: $0["corp_code"], stockCode: $0["stock_code"], fiscalYear: $0["fiscal_year"],
                    report: $0["report"], period: $0["period"], statement: $0["statement"], consolidated: $0["consolidated"],
                    accountId: $0["account_id"], account: $0["account"], current: $0["current"], previous: $0["previous"],
                    currency: $0["currency"], rceptNo: $0["rcept_no"], order: $0["ord"])
            }
        }
    }
}
