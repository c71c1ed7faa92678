import Foundation

/// CSV and TSV (`.csv`, `.tsv`): UTF-8 with or without BOM, UTF-16 with BOM, or CP949 (as Korean exports are);
/// quoted fields with commas, doubled quotes and line breaks; the first row the header. One table block.
struct CSVReader: DocumentReader {
    let type = "csv"
    let name = "CSV / TSV"
    let extensions = ["csv", "tsv"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let decoded = try file.allText()
        let separator: Character = file.url.pathExtension.lowercased() == "tsv" || looksTabbed(decoded.text) ? "\t" : ","
        let rows = try CSVReader.rows(decoded.text, separator: separator, budget: file.budget)
            .map { $0.map { TextNormalizer.collapseSpaces($0) } }
            .filter { $0.contains { !$0.isEmpty } }
        guard !rows.isEmpty else { return DocumentContent(blocks: [], encoding: decoded.encoding) }
        let width = rows.map(\.count).max() ?? 0
        // Short rows are padded to the widest: counted before they are.
        try file.budget.layOut(rows: rows.count, columns: width)
        let table = DocumentTable(
            rows: rows.map { row in (row + Array(repeating: "", count: width - row.count)).map { DocumentTable.Cell($0) } },
            headerRows: 1)
        return DocumentContent(blocks: [.table(table)], encoding: decoded.encoding)
    }

    /// Whether the first line has tabs and no commas outside quotes (a TSV saved as .csv); looks at the first
    /// 64 KiB at most.
    private func looksTabbed(_ text: String) -> Bool {
        let line = text.utf8.prefix(1 << 16).prefix { $0 != UInt8(ascii: "\n") }
        return line.contains(UInt8(ascii: "\t")) && !line.contains(UInt8(ascii: ","))
    }

    /// RFC 4180 rows: fields split at `separator`, `"` quoting (with `""` for a quote) that may hold
    /// separators and line breaks, CRLF or LF line ends. Within `budget` (the text itself counted by
    /// `DocumentFile.allText()`): every field counts as a cell as it ends, and the fields of a row past
    /// `maxTableColumns` are left out with a note.
    static func rows(_ text: String, separator: Character, budget: ReadingBudget = ReadingBudget()) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var atFieldStart = true
        var iterator = text.makeIterator()
        var pending: Character? = nil
        let maxColumns = budget.limits.maxTableColumns
        func endField() throws {
            if row.count < maxColumns {
                try budget.layOut(rows: 1, columns: 1)
                row.append(field)
            } else {
                budget.note("a row wider than \(maxColumns) columns was cut (DocumentLimits.maxTableColumns)")
            }
            field = ""
        }
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
                try endField()
                atFieldStart = true
            case "\n", "\r\n", "\r":
                try endField()
                rows.append(row)
                row = []
                atFieldStart = true
            default:
                field.append(character)
                atFieldStart = false
            }
        }
        if !field.isEmpty || !row.isEmpty {
            try endField()
            rows.append(row)
        }
        return rows
    }
}
