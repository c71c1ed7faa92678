import Foundation

/// CSV and TSV (`.csv`, `.tsv`): UTF-8 with or without BOM, UTF-16 with BOM, or CP949 (as Korean exports are);
/// quoted fields with commas, doubled quotes and line breaks; the first row the header. One table block.
struct CSVReader: DocumentReader {
    let type = "csv"
    let name = "CSV / TSV"
    let extensions = ["csv", "tsv"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let decoded = try file.text()
        let separator: Character = file.url.pathExtension.lowercased() == "tsv" || looksTabbed(decoded.text) ? "\t" : ","
        let rows = CSVReader.rows(decoded.text, separator: separator)
            .map { $0.map { TextNormalizer.collapseSpaces($0) } }
            .filter { $0.contains { !$0.isEmpty } }
        guard !rows.isEmpty else { return DocumentContent(blocks: [], encoding: decoded.encoding) }
        let width = rows.map(\.count).max() ?? 0
        let table = DocumentTable(
            rows: rows.map { row in (row + Array(repeating: "", count: width - row.count)).map { DocumentTable.Cell($0) } },
            headerRows: 1)
        return DocumentContent(blocks: [.table(table)], encoding: decoded.encoding)
    }

    /// Whether the first line has tabs and no commas outside quotes (a TSV saved as .csv).
    private func looksTabbed(_ text: String) -> Bool {
        let line = text.prefix { $0 != "\n" }
        return line.contains("\t") && !line.contains(",")
    }

    /// RFC 4180 rows: fields split at `separator`, `"` quoting (with `""` for a quote) that may hold
    /// separators and line breaks, CRLF or LF line ends.
    static func rows(_ text: String, separator: Character) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var atFieldStart = true
        var iterator = text.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where atFieldStart:
                quoted = true
                atFieldStart = false
            case separator:
                row.append(field)
                field = ""
                atFieldStart = true
            case "\n", "\r\n", "\r":
                row.append(field)
                rows.append(row)
                row = []
                field = ""
                atFieldStart = true
            default:
                field.append(character)
                atFieldStart = false
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
