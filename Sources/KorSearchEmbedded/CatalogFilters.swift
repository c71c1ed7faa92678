import GRDB
import KorSearchCore

/// Search filters as SQL over the catalog's documents table.
extension SearchFilters {
    /// The SQL condition over `documents d` and its arguments.
    var sql: (condition: String, arguments: [any DatabaseValueConvertible]) {
        var parts: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let pathGlob { parts.append("d.path GLOB ?"); arguments.append(pathGlob) }
        if let types {
            parts.append("d.type IN (\(types.map { _ in "?" }.joined(separator: ",")))")
            arguments += types.sorted().map { $0 as any DatabaseValueConvertible }
        }
        if let modifiedAfter { parts.append("d.modified >= ?"); arguments.append(modifiedAfter.timeIntervalSince1970) }
        if let modifiedBefore { parts.append("d.modified < ?"); arguments.append(modifiedBefore.timeIntervalSince1970) }
        for condition in metadataConditions {
            switch condition {
            case .company(let key, let code):
                parts.append("(d.company_key = ? OR d.corp_code = ? OR d.stock_code = ?)")
                arguments += [key, code, code]
            case .equals(let column, let value): parts.append("d.\(column) = ?"); arguments.append(value)
            case .year(let year): parts.append("(d.period = ? OR d.period LIKE ?)"); arguments += [year, year + "-%"]
            case .atLeast(let column, let value): parts.append("d.\(column) >= ?"); arguments.append(value)
            case .below(let column, let value): parts.append("d.\(column) < ?"); arguments.append(value)
            }
        }
        return (parts.isEmpty ? "1" : parts.joined(separator: " AND "), arguments)
    }
}
