/// Builds a `DocumentTable` from the row and cell events of a markup table (HTML, DOCX, HWPX): cells with
/// their spans placed on a grid, a spanned cell's text repeated over every cell it covers (so each column
/// has its header and each row its label), header rows those marked so (`<thead>`, `<th>`, a repeated header
/// row) at the top.
final class TableBuilder {
    private struct PlacedCell {
        var text: String
        var header: Bool
        var columnSpan: Int
        var rowSpan: Int
    }

    private var rows: [[PlacedCell]] = []
    private var rowIsHeader: [Bool] = []
    private var current: PlacedCell?
    private var text = ""
    /// The caption, when the markup gives one.
    var caption: String?
    /// Applied to each cell's text when the cell ends (HTML decodes its entities here).
    var transform: (String) -> String = { $0 }

    /// Whether a cell is open (text goes to it).
    var inCell: Bool { current != nil }

    func startRow(header: Bool = false) {
        rows.append([])
        rowIsHeader.append(header)
    }

    /// Marks the row begun last as a header row (DOCX `w:tblHeader`, which comes after the row starts).
    func markRowHeader() {
        if !rowIsHeader.isEmpty { rowIsHeader[rowIsHeader.count - 1] = true }
    }

    func startCell(header: Bool, columnSpan: Int = 1, rowSpan: Int = 1) {
        if rows.isEmpty { startRow() }
        endCell()
        current = PlacedCell(text: "", header: header, columnSpan: min(max(columnSpan, 1), 1000), rowSpan: min(max(rowSpan, 1), 10_000))
        text = ""
    }

    func append(_ characters: String) {
        if current != nil { text += characters }
    }

    func endCell() {
        guard var cell = current else { return }
        cell.text = TextNormalizer.collapseSpaces(transform(text))
        rows[rows.count - 1].append(cell)
        current = nil
        text = ""
    }

    /// A row that a later row's vertically merged cell continues (DOCX `vMerge`): its text stays in the cell
    /// above.
    func continueCellAbove(columnSpan: Int = 1) {
        startCell(header: false, columnSpan: columnSpan)
        current?.rowSpan = 0  // marks a continuation, filled from above when the grid is laid out
    }

    /// The table, or nil when it holds no text.
    func build() -> DocumentTable? {
        endCell()
        // Lay the cells on a grid, skipping positions that spans from rows above already cover.
        var grid: [[String?]] = []
        var covered: [Int: (text: String, rowsLeft: Int)] = [:]  // column -> text continuing downward
        var headerFlags: [Bool] = []
        for (rowIndex, row) in rows.enumerated() {
            var line: [String?] = []
            var column = 0
            var allHeader = !row.isEmpty
            func fillCovered() {
                while let continuing = covered[column], continuing.rowsLeft > 0 {
                    line.append(continuing.text)
                    covered[column] = continuing.rowsLeft > 1 ? (continuing.text, continuing.rowsLeft - 1) : nil
                    column += 1
                }
            }
            for cell in row {
                fillCovered()
                var text = cell.text
                if cell.rowSpan == 0 {
                    // A continuation: the text of the cell above in this column.
                    text = grid.last.flatMap { column < $0.count ? $0[column] : nil } ?? ""
                }
                if !cell.header { allHeader = false }
                for _ in 0 ..< cell.columnSpan {
                    line.append(text)
                    if cell.rowSpan > 1 { covered[column] = (text, cell.rowSpan - 1) }
                    column += 1
                }
            }
            fillCovered()
            while let maxColumn = covered.keys.max(), column <= maxColumn {
                if covered[column] == nil { line.append(nil); column += 1 } else { fillCovered() }
            }
            grid.append(line)
            headerFlags.append(rowIsHeader[rowIndex] || allHeader)
        }
        let width = grid.map(\.count).max() ?? 0
        var cells = grid.map { row in (row + Array(repeating: nil, count: width - row.count)).map { DocumentTable.Cell($0 ?? "") } }
        // Empty rows and columns add nothing.
        var keep = headerFlags.indices.filter { cells[$0].contains { !$0.text.isEmpty } }
        cells = keep.map { cells[$0] }
        let flags = keep.map { headerFlags[$0] }
        keep = (0 ..< width).filter { column in cells.contains { !$0[column].text.isEmpty } }
        cells = cells.map { row in keep.map { row[$0] } }
        guard !cells.isEmpty, !keep.isEmpty else { return nil }
        let headerRows = flags.prefix { $0 }.count
        return DocumentTable(
            rows: cells, headerRows: headerRows < cells.count ? headerRows : 0,
            caption: caption.map { TextNormalizer.collapseSpaces($0) }.flatMap { $0.isEmpty ? nil : $0 })
    }
}
