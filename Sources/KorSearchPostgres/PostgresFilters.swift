import KorSearchCore
import PostgresNIO

/// Search filters as SQL over the store's documents table.
extension SearchFilters {
    /// The condition over `documents d` in PostgreSQL, its values appended to `bindings` as parameters.
    func postgresCondition(_ bindings: inout PostgresBindings) throws -> String {
        var parts: [String] = []
        func parameter(_ value: some PostgresDynamicTypeEncodable) -> String {
            bindings.append(value)
            return "$\(bindings.count)"
        }
        if let pathGlob { parts.append("d.path ~ \(parameter(SearchFilters.regex(glob: pathGlob)))") }
        if let types { parts.append("d.type = ANY(\(parameter(types.sorted())))") }
        if let modifiedAfter { parts.append("d.modified >= \(parameter(modifiedAfter.timeIntervalSince1970))") }
        if let modifiedBefore { parts.append("d.modified < \(parameter(modifiedBefore.timeIntervalSince1970))") }
        for condition in metadataConditions {
            switch condition {
            case .company(let key, let code):
                let codeParameter = parameter(code)
                parts.append("(d.company_key = \(parameter(key)) OR d.corp_code = \(codeParameter) OR d.stock_code = \(codeParameter))")
            case .equals(let column, let value): parts.append("d.\(column) = \(parameter(value))")
            case .year(let year): parts.append("(d.period = \(parameter(year)) OR d.period LIKE \(parameter(year + "-%")))")
            case .atLeast(let column, let value): parts.append("d.\(column) >= \(parameter(value))")
            case .below(let column, let value): parts.append("d.\(column) < \(parameter(value))")
            }
        }
        return parts.isEmpty ? "true" : parts.joined(separator: " AND ")
    }

    /// A POSIX regular expression matching what SQLite's GLOB matches: `*` any run, `?` one character,
    /// `[...]` / `[^...]` a set, everything else itself (case-sensitive, whole string).
    static func regex(glob: String) -> String {
        var result = "^"
        var characters = Array(glob)[...]
        while let character = characters.popFirst() {
            switch character {
            case "*": result += ".*"
            case "?": result += "."
            case "[":
                if let close = characters.dropFirst().firstIndex(of: "]") {
                    var set = String(characters[characters.startIndex ..< close])
                    // Inside a set everything is itself, as in GLOB: `[` escaped so that `[[:alpha:]]` is the
                    // characters `[:alph` (GLOB has no character classes), not a POSIX class.
                    func literal(_ text: some StringProtocol) -> String {
                        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "[", with: "\\[")
                    }
                    set = set.hasPrefix("^") ? "^" + literal(set.dropFirst()) : literal(set)
                    result += "[" + set + "]"
                    characters = characters[(close + 1)...]
                } else {
                    result += "\\["
                }
            default:
                result += "\\.^$|()+{}\\".contains(character) ? "\\" + String(character) : String(character)
            }
        }
        return result + "$"
    }
}
