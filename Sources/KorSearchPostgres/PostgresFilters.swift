import KorSearchCore
import PostgresNIO

/// Search filters as SQL over the store's documents table.
extension SearchFilters {
    /// The condition over `documents d` and `chunks c` in PostgreSQL, its values appended to `bindings` as
    /// parameters. A section filter is matched passage by passage by `DARTSections` (as the index directory
    /// does): the passages with a section that the other filters allow are read through `session`, and those
    /// in the section become a list of ids.
    func postgresCondition(_ bindings: inout PostgresBindings, session: PostgresSession) throws -> String {
        let condition = try documentCondition(&bindings)
        guard let matches = sectionSelector?.matcher() else { return condition }
        var own = PostgresBindings()
        let rows = try session.query(
            "SELECT c.id, c.section FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.section IS NOT NULL AND \(try documentCondition(&own))",
            own)
        var allowed: [Int64] = []
        for row in rows {
            let cells = row.makeRandomAccess()
            if matches(try cells[1].decode(String?.self)) { allowed.append(try cells[0].decode(Int64.self)) }
        }
        bindings.append(allowed)
        return condition + " AND c.id = ANY($\(bindings.count))"
    }

    /// The condition over `documents d` alone.
    private func documentCondition(_ bindings: inout PostgresBindings) throws -> String {
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
