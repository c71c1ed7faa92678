import Foundation

/// PowerPoint (`.pptx`): slides in presentation order, each a page: its title placeholder as a heading, its
/// other text boxes' paragraphs, and its tables (`a:tbl`, with `gridSpan`/`rowSpan`, covered cells merged)
/// as tables. Each passage's page is its slide's number.
struct PPTXReader: DocumentReader {
    let type = "pptx"
    let name = "PowerPoint (PPTX)"
    let extensions = ["pptx"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let archive = try OfficeArchive(file, format: type)
        guard let presentation = try archive.read("ppt/presentation.xml") else {
            throw DocumentFailure("not a PowerPoint presentation (no ppt/presentation.xml)")
        }
        let targets = try OfficeArchive.relationshipTargets(archive, "ppt/_rels/presentation.xml.rels", base: "ppt/")
        var order: [String] = []
        let events = XMLEvents()
        events.start = { name, attributes in
            if name.hasSuffix("sldId"), let id = attributes["r:id"] ?? attributes.first(where: { $0.key.hasSuffix(":id") })?.value {
                order.append(id)
            }
        }
        try OfficeArchive.parse(presentation, events)
        var blocks: [DocumentBlock] = []
        var slides = 0
        for id in order {
            guard let path = targets[id], let data = try archive.read(path) else { continue }
            slides += 1
            blocks += try slide(data, number: slides, budget: archive.reading)
        }
        var content = DocumentContent(blocks: blocks, pageCount: max(slides, 1))
        content.slides = true
        return content
    }

    private func slide(_ data: Data, number: Int, budget: ReadingBudget) throws -> [DocumentBlock] {
        var blocks: [DocumentBlock] = []
        var shapeParagraphs: [String] = []
        var isTitle = false
        var paragraph = ""
        var inText = false
        var table: TableBuilder?
        var cell: (text: String, columnSpan: Int, rowSpan: Int, covered: Bool)?
        let events = XMLEvents(budget: budget)
        events.start = { name, attributes in
            switch name {
            case "p:sp":
                shapeParagraphs = []
                isTitle = false
            case "p:ph": if ["title", "ctrTitle"].contains(attributes["type"] ?? "") { isTitle = true }
            case "a:tbl": table = TableBuilder(budget: budget)
            case "a:tr": table?.startRow()
            case "a:tc":
                let covered = attributes["hMerge"] == "1" || attributes["vMerge"] == "1"
                cell = ("", Int(attributes["gridSpan"] ?? "") ?? 1, Int(attributes["rowSpan"] ?? "") ?? 1, covered)
            case "a:p": paragraph = ""
            case "a:t": inText = true
            case "a:br": paragraph += "\n"
            default: break
            }
        }
        events.end = { name in
            switch name {
            case "a:t": inText = false
            case "a:p":
                if cell != nil { cell!.text += " " + paragraph } else { shapeParagraphs.append(paragraph) }
            case "a:tc":
                if let open = cell, let table, !open.covered {
                    events.attempt { try table.startCell(header: false, columnSpan: open.columnSpan, rowSpan: open.rowSpan) }
                    table.append(open.text)
                    table.endCell()
                }
                cell = nil
            case "a:tbl":
                var built: DocumentTable?
                events.attempt { built = try table?.build() }
                if var built {
                    built.headerRows = built.rows.count > 1 ? 1 : 0  // slide tables put their header first
                    blocks.append(.table(built, page: number))
                }
                table = nil
            case "p:sp":
                let text = shapeParagraphs.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                if isTitle, !text.isEmpty {
                    blocks.append(.heading(TextNormalizer.collapseSpaces(text.joined(separator: " ")), level: 1, page: number))
                } else {
                    for line in text { blocks += DocumentContent.paragraphs(of: line, page: number) }
                }
            default: break
            }
        }
        events.text = { if inText { paragraph += $0 } }
        try OfficeArchive.parse(data, events)
        return blocks
    }
}
