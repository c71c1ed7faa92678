import Foundation
import KorSearchCore
import PostgresNIO

/// The store's financial facts (`FinancialFacts`): replaced whole when the folder's file changes, read by
/// company — the same records and answers as the index directory's.
extension PostgresWriter {
    func replaceFacts(_ facts: [FinancialFact], digest: String) throws {
        try session.transaction {
            try session.execute("SELECT pg_advisory_xact_lock($1)", binds(store.lockKey("facts")))
            try session.execute("DELETE FROM facts")
            try session.execute("DELETE FROM fact_companies")
            let companies = FactCompany.of(facts)
            try session.execute(
                "INSERT INTO fact_companies SELECT c, n, NULLIF(s, '') FROM unnest($1::text[], $2::text[], $3::text[]) AS u(c, n, s)",
                binds(companies.map(\.corpCode), companies.map(\.company), companies.map { $0.stockCode ?? "" }))
            for batch in stride(from: 0, to: facts.count, by: 5000).map({ facts[$0 ..< min($0 + 5000, facts.count)] }) {
                // Optional values travel as text, empty for null (PostgresNIO binds no arrays of optionals).
                func text<T>(_ value: (FinancialFact) -> T?) -> [String] { batch.map { value($0).map { "\($0)" } ?? "" } }
                try session.execute(
                    """
                    INSERT INTO facts (corp_code, company, stock_code, fiscal_year, report, period, statement, consolidated,
                        account_id, account, current, previous, currency, rcept_no, ord)
                    SELECT c, n, NULLIF(s, ''), y, r, p, st, co, NULLIF(a, ''), ac, NULLIF(cu, '')::int8, NULLIF(pr, '')::int8, NULLIF(cy, ''),
                        rc, NULLIF(o, '')::int4
                    FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::text[], $6::text[], $7::text[], $8::bool[],
                        $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
                        AS u(c, n, s, y, r, p, st, co, a, ac, cu, pr, cy, rc, o)
                    """,
                    binds(
                        batch.map(\.corpCode), batch.map(\.company), text(\.stockCode), batch.map { Int32($0.fiscalYear) }, batch.map(\.report),
                        batch.map(\.period), batch.map(\.statement), batch.map(\.consolidated), text(\.accountId), batch.map(\.account),
                        text(\.current), text(\.previous), text(\.currency), batch.map(\.rceptNo), text(\.order)))
            }
            try PostgresStore.upsertMeta([FinancialFacts.digestKey: digest], in: session)
        }
    }
}

extension PostgresStore {
    public func factCompanies() throws -> [FactCompany] {
        try pool.withSession { session in
            try session.query(
                """
                SELECT corp_code, company, stock_code FROM fact_companies
                """
            ).map { row in
                let cells = row.makeRandomAccess()
                return FactCompany(
                    corpCode: try cells[0].decode(String.self), company: try cells[1].decode(String.self),
                    stockCode: try cells[2].decode(String?.self))
            }.sorted { ($0.company, $0.corpCode) < ($1.company, $1.corpCode) }
        }
    }

    public func facts(corpCodes: [String]) throws -> [FinancialFact] {
        if corpCodes.isEmpty { return [] }
        return try pool.withSession { session in
            try session.query(
                """
                SELECT corp_code, company, stock_code, fiscal_year, report, period, statement, consolidated, account_id, account,
                    current, previous, currency, rcept_no, ord
                FROM facts WHERE corp_code = ANY($1)
                """, binds(corpCodes)
            ).map { row in
                let cells = row.makeRandomAccess()
                return FinancialFact(
                    company: try cells[1].decode(String.self), corpCode: try cells[0].decode(String.self),
                    stockCode: try cells[2].decode(String?.self), fiscalYear: Int(try cells[3].decode(Int32.self)),
                    report: try cells[4].decode(String.self), period: try cells[5].decode(String.self),
                    statement: try cells[6].decode(String.self), consolidated: try cells[7].decode(Bool.self),
                    accountId: try cells[8].decode(String?.self), account: try cells[9].decode(String.self),
                    current: try cells[10].decode(Int64?.self), previous: try cells[11].decode(Int64?.self),
                    currency: try cells[12].decode(String?.self), rceptNo: try cells[13].decode(String.self),
                    order: try cells[14].decode(Int32?.self).map(Int.init))
            }
        }
    }
}
