import Foundation

/// The body of a Word or Hancom document in reading order: paragraphs, and tables as tables. Word's
/// `w:tbl`/`w:tr`/`w:tc` with `w:gridSpan`, `w:vMerge` and `w:tblHeader`; Hancom's `hp:tbl`/`hp:tr`/`hp:tc`
/// with `hp:cellSpan` and `header`. A cell's paragraphs join with a space; a table inside a cell is a table of
/// its own, right after the table that holds it, its caption the text of the cell (and of the row's first
/// cell) it sits in — its rows are never fused into one cell. A paragraph whose style (Word's `w:pStyle`,
/// Hancom's `styleIDRef`) is a heading style, or whose Word outline level is set, is a heading. A Hancom table's
/// caption (`hp:caption`) is the table's caption. Hancom's page
/// headers and footers (`hp:header`, `hp:footer`) are left out, as the HWP reader leaves them out (Word keeps
/// its own in other parts, not read).
struct OfficeBody {
    /// The element names of one format.
    struct Names {
        var paragraph, text, tab, lineBreak, table, row, cell: String
        static let word = Names(paragraph: "w:p", text: "w:t", tab: "w:tab", lineBreak: "w:br", table: "w:tbl", row: "w:tr", cell: "w:tc")
        static let hancom = Names(
            paragraph: "hp:p", text: "hp:t", tab: "hp:tab", lineBreak: "hp:lineBreak", table: "hp:tbl", row: "hp:tr", cell: "hp:tc")
    }

    /// Paragraphs or a table, in order.
    enum Segment {
        case paragraphs([String])
        case table(DocumentTable)
        case heading(level: Int, text: String)
    }

    private struct OpenCell {
        var text = ""
        var header = false
        var columnSpan = 1
        var rowSpan = 1
        var continuesAbove = false
    }

    /// Reads one XML part within the reading's `budget`; `headingLevels` gives the heading level of each heading
    /// style's id. (Tables nest at most as deep as the XML parser allows elements to, 256 levels.)
    static func segments(_ data: Data, _ names: Names, headingLevels: [String: Int] = [:], budget: ReadingBudget) throws -> [Segment] {
        var segments: [Segment] = []
        var paragraphs: [String] = []
        var tables: [TableBuilder] = []
        var cells: [OpenCell] = []  // one open cell per open table
        // The tables found inside each open table's cells, in order: they follow it once it ends.
        var nested: [[DocumentTable]] = []
        // Inside a page header or footer (its text is not the body's), inside a table's caption.
        var marginDepth = 0
        var captionDepth = 0
        var current = ""
        var paragraphDepth = 0
        var inText = false
        // Hancom puts a table inside a paragraph's run: the paragraph depth a table opened at, and the text of
        // the paragraph that holds it, resumed when the table ends.
        var bases: [(depth: Int, saved: String)] = []
        var base: Int { bases.last?.depth ?? 0 }
        // The heading level of the top-level paragraph being read, from its style or outline level.
        var headingLevel: Int?

        func flushParagraphs() {
            if !paragraphs.isEmpty { segments.append(.paragraphs(paragraphs)) }
            paragraphs = []
        }
        let events = XMLEvents(budget: budget)
        events.start = { name, attributes in
            switch name {
            case "hp:header", "hp:footer": marginDepth += 1
            case "hp:caption" where !tables.isEmpty: captionDepth += 1
            case names.table:
                if tables.isEmpty { flushParagraphs() }
                tables.append(TableBuilder(budget: budget))
                cells.append(OpenCell())
                nested.append([])
                bases.append((paragraphDepth, current))
                current = ""
            case names.row: tables.last?.startRow()
            case "w:tblHeader": tables.last?.markRowHeader()
            case names.cell where !cells.isEmpty:  // a cell outside any table (damaged markup) is not one
                var cell = OpenCell()
                cell.header = attributes["header"] == "1"
                cells[cells.count - 1] = cell
            case "w:gridSpan": if !cells.isEmpty { cells[cells.count - 1].columnSpan = Int(attributes["w:val"] ?? "") ?? 1 }
            case "w:vMerge": if !cells.isEmpty, (attributes["w:val"] ?? "continue") == "continue" { cells[cells.count - 1].continuesAbove = true }
            case "hp:cellSpan":
                if !cells.isEmpty {
                    cells[cells.count - 1].columnSpan = Int(attributes["colSpan"] ?? "") ?? 1
                    cells[cells.count - 1].rowSpan = Int(attributes["rowSpan"] ?? "") ?? 1
                }
            case names.paragraph:
                if paragraphDepth == base {
                    current = ""
                    headingLevel = tables.isEmpty ? attributes["styleIDRef"].flatMap { headingLevels[$0] } : nil
                }
                paragraphDepth += 1
            case "w:pStyle" where tables.isEmpty && paragraphDepth == 1:
                headingLevel = attributes["w:val"].flatMap { headingLevels[$0] }
            case "w:outlineLvl" where tables.isEmpty && paragraphDepth == 1:
                if let level = Int(attributes["w:val"] ?? ""), level < 9 { headingLevel = level + 1 }
            case names.text: inText = true
            case names.tab where paragraphDepth > base: current += "\t"
            case names.lineBreak where paragraphDepth > base: current += "\n"
            default: break
            }
        }
        events.end = { name in
            switch name {
            case names.text: inText = false
            case "hp:header", "hp:footer": marginDepth -= 1
            case "hp:caption" where captionDepth > 0: captionDepth -= 1
            case names.paragraph:
                paragraphDepth -= 1
                guard paragraphDepth == base else { return }
                if captionDepth > 0, let table = tables.last {
                    // A Hancom table's caption (`hp:caption`): kept with its table.
                    let text = TextNormalizer.collapseSpaces(current)
                    if !text.isEmpty { table.caption = [table.caption, text].compactMap { $0 }.joined(separator: " ") }
                } else if tables.isEmpty {
                    let text = TextNormalizer.collapseSpaces(current)
                    if let level = headingLevel, !text.isEmpty, text.count <= 200 {
                        flushParagraphs()
                        segments.append(.heading(level: level, text: text))
                    } else {
                        paragraphs.append(current.trimmingCharacters(in: .whitespaces))
                    }
                    headingLevel = nil
                } else {
                    cells[cells.count - 1].text += " " + current
                }
                current = ""
            case names.cell:
                guard let table = tables.last else { return }
                let cell = cells[cells.count - 1]
                if cell.continuesAbove {
                    events.attempt { try table.continueCellAbove(columnSpan: cell.columnSpan) }
                } else {
                    events.attempt { try table.startCell(header: cell.header, columnSpan: cell.columnSpan, rowSpan: cell.rowSpan) }
                    table.append(cell.text)
                }
                table.endCell()
                cells[cells.count - 1] = OpenCell()
            case names.table:
                guard let builder = tables.popLast() else { return }
                cells.removeLast()
                let inside = nested.popLast() ?? []
                current = bases.popLast()?.saved ?? ""
                var table: DocumentTable?
                events.attempt { table = try builder.build() }
                guard var built = table else {
                    if tables.isEmpty { segments += inside.map { .table($0) } } else { nested[nested.count - 1] += inside }
                    return
                }
                if tables.isEmpty {
                    segments += ([built] + inside).map { .table($0) }
                } else {
                    // Captioned by where it sits: the row's label and the text of its cell before it.
                    let place = [
                        tables[tables.count - 1].currentRowLabel, TextNormalizer.collapseSpaces(cells[cells.count - 1].text + " " + current),
                    ]
                    let caption = place.compactMap { $0 }.filter { !$0.isEmpty }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                    if built.caption == nil, !caption.isEmpty { built.caption = String(caption.joined(separator: " ").prefix(120)) }
                    nested[nested.count - 1] += [built] + inside
                }
            default: break
            }
        }
        events.text = { if inText && paragraphDepth > base && marginDepth == 0 { current += $0 } }
        try OfficeArchive.parse(data, events)
        while let builder = tables.popLast() {
            if let built = try builder.build() { segments.append(.table(built)) }
            segments += (nested.popLast() ?? []).map { .table($0) }
        }
        flushParagraphs()
        return segments
    }

    /// The heading level a style's name gives (`heading 2`, `Heading2`, `Title` as 0, `개요 1`, `제목 3`), or nil.
    static func headingLevel(styleName: String) -> Int? {
        let name = styleName.trimmingCharacters(in: .whitespaces).lowercased()
        if name == "title" || name == "제목" { return 0 }
        if let match = name.range(of: #"^heading\s*[1-9]$"#, options: .regularExpression) { return Int(String(name[match].last!)) }
        return HWPStyles.headingLevel(styleName: styleName)
    }

    /// Heading levels by style id from a styles part (Word's `w:style`, Hancom's `hh:style`): by the style's
    /// outline level (Word) or its name.
    static func headingStyles(_ data: Data) throws -> [String: Int] {
        var levels: [String: Int] = [:]
        var id: String?
        var outline: Int?
        var named: Int?
        let events = XMLEvents()
        events.start = { name, attributes in
            switch name {
            case "w:style":
                id = attributes["w:type"] == "paragraph" ? attributes["w:styleId"] : nil
                outline = nil
                named = nil
            case "w:name": if id != nil { named = attributes["w:val"].flatMap(headingLevel(styleName:)) }
            case "w:outlineLvl": if id != nil, let level = Int(attributes["w:val"] ?? ""), level < 9 { outline = level + 1 }
            case "hh:style":
                if let styleID = attributes["id"],
                    let level = (attributes["name"]).flatMap(headingLevel(styleName:)) ?? attributes["engName"].flatMap(headingLevel(styleName:))
                {
                    levels[styleID] = level
                }
            default: break
            }
        }
        events.end = { name in
            if name == "w:style", let styleID = id, let level = named ?? outline { levels[styleID] = level }
        }
        try OfficeArchive.parse(data, events)
        return levels
    }

    /// Blocks of segments: paragraphs normalized, a unit line just above a table taken as its unit.
    static func blocks(_ segments: [Segment]) -> [DocumentBlock] {
        var blocks: [DocumentBlock] = []
        for segment in segments {
            switch segment {
            case .paragraphs(let paragraphs):
                blocks += OfficeArchive.blocks(paragraphs)
            case .table(let table):
                DocumentBlock.append(table, to: &blocks)
            case .heading(let level, let text):
                blocks.append(.heading(text, level: level))
            }
        }
        return blocks
    }
}
