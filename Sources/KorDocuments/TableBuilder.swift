/// Builds a `DocumentTable` from the row and cell events of a table (HTML, DART, DOCX, HWPX, HWP, PPTX): cells
/// with their spans placed on a grid, a merged cell's text stored once (see `build()`), header rows those marked
/// so (`<thead>`, `<th>`, a repeated header row) at the top.
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

    /// What a grid position holds: a cell's text where the cell starts (with the columns and rows it spans), or
    /// the part of a cell that starts above (a row span) or to the left (a column span).
    private enum Position {
        case cell(text: String, columns: Int, rows: Int)
        case below(String)
        case right
        case empty

        var ownText: String {
            if case .cell(let text, _, _) = self { return text }
            return ""
        }
    }

    /// The table, or nil when it holds no text. A merged cell's text is stored once: in the row where it starts,
    /// never again across the columns it spans; in the rows below that it spans only where it labels them —
    /// left of every cell the row has of its own (`구분`, an account name) — so that a row read alone still
    /// says what it is. (Repeating it over every position it covers stored forms at many times their text.)
    func build() -> DocumentTable? {
        endCell()
        // Lay the cells on a grid, skipping positions that spans from rows above already cover.
        var grid: [[Position]] = []
        var covered: [Int: (text: String, rowsLeft: Int)] = [:]  // column -> text continuing downward
        var headerFlags: [Bool] = []
        for (rowIndex, row) in rows.enumerated() {
            var line: [Position] = []
            var column = 0
            var allHeader = !row.isEmpty
            func fillCovered() {
                while let continuing = covered[column], continuing.rowsLeft > 0 {
                    line.append(.below(continuing.text))
                    covered[column] = continuing.rowsLeft > 1 ? (continuing.text, continuing.rowsLeft - 1) : nil
                    column += 1
                }
            }
            for cell in row {
                fillCovered()
                if !cell.header { allHeader = false }
                if cell.rowSpan == 0 {
                    // A continuation (DOCX vMerge): the text of the cell above in this column.
                    let above = grid.last.flatMap { column < $0.count ? $0[column] : nil }
                    let text: String
                    switch above {
                    case .cell(let own, _, _): text = own
                    case .below(let continued): text = continued
                    default: text = ""
                    }
                    for _ in 0 ..< cell.columnSpan {
                        line.append(.below(text))
                        column += 1
                    }
                    continue
                }
                line.append(.cell(text: cell.text, columns: cell.columnSpan, rows: cell.rowSpan))
                if cell.rowSpan > 1 { covered[column] = (cell.text, cell.rowSpan - 1) }
                column += 1
                for _ in 1 ..< max(cell.columnSpan, 1) {
                    line.append(.right)
                    if cell.rowSpan > 1 { covered[column] = (cell.text, cell.rowSpan - 1) }
                    column += 1
                }
            }
            fillCovered()
            while let maxColumn = covered.keys.max(), column <= maxColumn {
                if covered[column] == nil { line.append(.empty); column += 1 } else { fillCovered() }
            }
            grid.append(line)
            headerFlags.append(rowIsHeader[rowIndex] || allHeader)
        }
        let width = grid.map(\.count).max() ?? 0
        grid = grid.map { $0 + Array(repeating: .empty, count: width - $0.count) }
        // Rows and columns where no cell starts with text add nothing.
        let keptRows = grid.indices.filter { grid[$0].contains { !$0.ownText.isEmpty } }
        let keptColumns = (0 ..< width).filter { column in keptRows.contains { !grid[$0][column].ownText.isEmpty } }
        guard !keptRows.isEmpty, !keptColumns.isEmpty else { return nil }
        let cells = keptRows.map { row -> [DocumentTable.Cell] in
            let positions = keptColumns.map { grid[row][$0] }
            let firstOwn = positions.firstIndex { if case .cell = $0 { return true } else { return false } } ?? positions.count
            return positions.enumerated().compactMap { index, position in
                switch position {
                case .cell(let text, let columns, let rows): DocumentTable.Cell(text, columnSpan: columns, rowSpan: rows)
                case .below(let text): index < firstOwn ? DocumentTable.Cell(text) : nil
                case .right: nil
                case .empty: DocumentTable.Cell("")
                }
            }
        }
        let flags = keptRows.map { headerFlags[$0] }
        let headerRows = flags.prefix { $0 }.count
        return DocumentTable(
            rows: cells, headerRows: headerRows < cells.count ? headerRows : 0,
            caption: caption.map { TextNormalizer.collapseSpaces($0) }.flatMap { $0.isEmpty ? nil : $0 })
    }
}
