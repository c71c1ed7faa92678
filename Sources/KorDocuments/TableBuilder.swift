/// Builds a `DocumentTable` from the row and cell events of a table (HTML, DART, DOCX, HWPX, HWP, PPTX): cells
/// with their spans placed on a grid, a merged cell's text stored once (see `build()`), header rows those marked
/// so (`<thead>`, `<th>`, a repeated header row) at the top.
///
/// Bounded by the reading's budget whatever the spans say: the grid is laid out sparsely (a span is a range,
/// not a run of positions), a row span ends with the table's rows, every cell read and every position a span
/// covers counts against `DocumentLimits.maxTableCells` as it is laid out, the stored grid is counted before
/// it is built, and a merged cell's text repeated as a row label counts as gathered characters.
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
    private let budget: ReadingBudget
    /// The caption, when the markup gives one.
    var caption: String?
    /// Applied to each cell's text when the cell ends (HTML decodes its entities here).
    var transform: (String) -> String = { $0 }

    /// A builder counting against `budget`.
    init(budget: ReadingBudget = ReadingBudget()) { self.budget = budget }

    /// Whether a cell is open (text goes to it).
    var inCell: Bool { current != nil }

    /// The text of the current row's first cell, when the row has one ended (what labels the row).
    var currentRowLabel: String? { rows.last?.first?.text }

    func startRow(header: Bool = false) {
        rows.append([])
        rowIsHeader.append(header)
    }

    /// Marks the row begun last as a header row (DOCX `w:tblHeader`, which comes after the row starts).
    func markRowHeader() {
        if !rowIsHeader.isEmpty { rowIsHeader[rowIsHeader.count - 1] = true }
    }

    /// Opens a cell; throws when the document's tables have read `maxTableCells` cells.
    func startCell(header: Bool, columnSpan: Int = 1, rowSpan: Int = 1) throws {
        if rows.isEmpty { startRow() }
        endCell()
        try budget.layOut(rows: 1, columns: 1)
        // Spans are ranges on a sparse grid: any size costs nothing; this bound only keeps sums in range.
        current = PlacedCell(text: "", header: header, columnSpan: min(max(columnSpan, 1), 1 << 20), rowSpan: min(max(rowSpan, 1), 1 << 30))
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
    func continueCellAbove(columnSpan: Int = 1) throws {
        try startCell(header: false, columnSpan: columnSpan)
        current?.rowSpan = 0  // marks a continuation, filled from above when the grid is laid out
    }

    /// What a row holds at a column where something starts: a cell's own text (with the columns and rows it
    /// spans), or the part of a cell that starts above (a row span, `width` columns wide).
    private enum Position {
        case cell(text: String, columns: Int, rows: Int)
        case below(text: String, width: Int)

        var ownText: String {
            if case .cell(let text, _, _) = self { return text }
            return ""
        }

        var width: Int {
            switch self {
            case .cell(_, let columns, _): columns
            case .below(_, let width): width
            }
        }
    }

    /// A cell's row span reaching into the rows below: its columns, its text and the last row it covers.
    private struct Covering {
        var start: Int
        var width: Int
        var text: String
        var lastRow: Int
    }

    /// The table, or nil when it holds no text. A merged cell's text is stored once: in the row where it starts,
    /// never again across the columns it spans; in the rows below that it spans only where it labels them —
    /// left of every cell the row has of its own (`구분`, an account name) — so that a row read alone still
    /// says what it is. (Repeating it over every position it covers stored forms at many times their text.)
    /// Throws when laying the table out would pass the reading's budget.
    func build() throws -> DocumentTable? {
        endCell()
        // Lay each row out as the columns where something starts, in order, skipping the ranges that row
        // spans from above cover.
        var grid: [[(column: Int, position: Position)]] = []
        var active: [Covering] = []  // sorted by start, not overlapping
        var headerFlags: [Bool] = []
        for (rowIndex, row) in rows.enumerated() {
            var line: [(column: Int, position: Position)] = []
            var column = 0
            var next = 0  // the first covering not yet passed
            var allHeader = !row.isEmpty
            var started: [Covering] = []
            active.removeAll { $0.lastRow < rowIndex }
            try budget.layOut(rows: 1, columns: active.count)
            func passCovered() {
                while next < active.count, active[next].start <= column {
                    let covering = active[next]
                    let end = covering.start + covering.width
                    if end > column {
                        line.append((column, .below(text: covering.text, width: end - column)))
                        column = end
                    }
                    next += 1
                }
            }
            for cell in row {
                passCovered()
                if !cell.header { allHeader = false }
                if cell.rowSpan == 0 {
                    // A continuation (DOCX vMerge): the text of the cell above in this column.
                    line.append((column, .below(text: TableBuilder.text(above: grid.last, at: column), width: cell.columnSpan)))
                    column += cell.columnSpan
                    continue
                }
                let rowSpan = min(cell.rowSpan, rows.count - rowIndex)
                line.append((column, .cell(text: cell.text, columns: cell.columnSpan, rows: rowSpan)))
                if rowSpan > 1 { started.append(Covering(start: column, width: cell.columnSpan, text: cell.text, lastRow: rowIndex + rowSpan - 1)) }
                column += cell.columnSpan
            }
            passCovered()
            if !started.isEmpty { active = (active + started).sorted { $0.start < $1.start } }
            grid.append(line)
            headerFlags.append(rowIsHeader[rowIndex] || allHeader)
        }
        // Rows and columns where no cell starts with text add nothing.
        let keptRows = grid.indices.filter { grid[$0].contains { !$0.position.ownText.isEmpty } }
        var keptColumns = Array(Set(keptRows.flatMap { grid[$0].filter { !$0.position.ownText.isEmpty }.map(\.column) })).sorted()
        guard !keptRows.isEmpty, !keptColumns.isEmpty else { return nil }
        if keptColumns.count > budget.limits.maxTableColumns {
            budget.note("a table wider than \(budget.limits.maxTableColumns) columns was cut (DocumentLimits.maxTableColumns)")
            keptColumns.removeSubrange(budget.limits.maxTableColumns...)
        }
        try budget.layOut(rows: keptRows.count, columns: keptColumns.count)
        let columnIndex = Dictionary(uniqueKeysWithValues: keptColumns.enumerated().map { ($1, $0) })
        func keptCount(from start: Int, width: Int) -> Int {
            let first = TableBuilder.firstIndex(keptColumns, atLeast: start)
            return max(1, TableBuilder.firstIndex(keptColumns, atLeast: start + width) - first)
        }
        var cells: [[DocumentTable.Cell]] = []
        for row in keptRows {
            var stored = Array(repeating: DocumentTable.Cell(""), count: keptColumns.count)
            var present = Array(repeating: true, count: keptColumns.count)
            var firstOwn = keptColumns.count
            for (column, position) in grid[row] {
                if case .cell = position, let index = columnIndex[column] { firstOwn = min(firstOwn, index) }
            }
            for (column, position) in grid[row] {
                // The columns a position covers after its first are its own, not empty.
                let first = TableBuilder.firstIndex(keptColumns, atLeast: column)
                let last = TableBuilder.firstIndex(keptColumns, atLeast: column + position.width)
                guard first < last else { continue }
                for index in (first + 1) ..< last { present[index] = false }
                switch position {
                case .cell(let text, let columns, let rows):
                    if columnIndex[column] != nil {
                        stored[first] = DocumentTable.Cell(text, columnSpan: min(columns, keptCount(from: column, width: columns)), rowSpan: rows)
                    } else {
                        present[first] = false
                    }
                case .below(let text, _):
                    if first < firstOwn {
                        try budget.gather(text.unicodeScalars.count)
                        stored[first] = DocumentTable.Cell(text)
                    } else {
                        present[first] = false
                    }
                }
            }
            cells.append(zip(stored, present).compactMap { $1 ? $0 : nil })
        }
        let flags = keptRows.map { headerFlags[$0] }
        let headerRows = flags.prefix { $0 }.count
        return DocumentTable(
            rows: cells, headerRows: headerRows < cells.count ? headerRows : 0,
            caption: caption.map { TextNormalizer.collapseSpaces($0) }.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The text the row above has at `column` (its cell's own text, or the text it continues from above).
    private static func text(above: [(column: Int, position: Position)]?, at column: Int) -> String {
        guard let above else { return "" }
        // The last position starting at or before the column, if it reaches it.
        var low = 0, high = above.count
        while low < high {
            let middle = (low + high) / 2
            if above[middle].column <= column { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return "" }
        let (start, position) = above[low - 1]
        guard start + position.width > column else { return "" }
        switch position {
        case .cell(let text, _, _): return text
        case .below(let text, _): return text
        }
    }

    /// The index of the first of the sorted `columns` at or after `column`.
    private static func firstIndex(_ columns: [Int], atLeast column: Int) -> Int {
        var low = 0, high = columns.count
        while low < high {
            let middle = (low + high) / 2
            if columns[middle] < column { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
