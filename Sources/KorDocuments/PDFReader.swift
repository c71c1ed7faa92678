import Foundation

/// PDF through poppler's `pdftotext -bbox-layout` (Debian's poppler-utils), page by page: each passage keeps its
/// page. Running text is read in poppler's reading order, as plain `pdftotext` prints it; tables are found from
/// the words' positions (`PDFLayout`) and kept as rows of cells. A table that runs onto the next page without
/// its header there gets the header of its part on the page before. The title is the document information's
/// `Title` (poppler's `pdfinfo`), where one is set.
struct PDFReader: DocumentReader {
    let type = "pdf"
    let name = "PDF"
    let extensions = ["pdf"]
    var noTextReason: String {
        PDFOCR.isAvailable
            ? "no text, and OCR found none on its pages"
            : "no extractable text: a scanned PDF needs OCR (Debian: apt-get install tesseract-ocr tesseract-ocr-kor)"
    }

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let pages = try pages(file.url, limits: file.limits)
        // Pages with no text layer, or one that is not language, are read by OCR.
        let unreadable = pages.indices.filter { !PDFOCR.isLanguage(pages[$0].lines.map(\.text).joined(separator: " ")) }.map { $0 + 1 }
        if !pages.isEmpty, unreadable.count == pages.count, file.limits.maxOCRPages == 0 {
            throw DocumentFailure("no extractable text (a scan?), and OCR is off (--no-ocr)")
        }
        let recognized = try PDFOCR.read(file.url, pages: unreadable, limits: file.limits, budget: file.budget, progress: file.progress)
        var blocks: [DocumentBlock] = []
        for (index, page) in pages.enumerated() {
            if let text = recognized[index + 1] {
                let lines = TextNormalizer.droppingPageNumbers(text.components(separatedBy: "\n"))
                blocks += DocumentContent.paragraphs(of: lines.joined(separator: "\n"), page: index + 1).map { block in
                    var block = block
                    block.ocr = true
                    return block
                }
                continue
            }
            for piece in PDFLayout.pieces(of: page.droppingPageNumbers().droppingChartAxes()) {
                switch piece {
                case .text(let raw):
                    blocks += DocumentContent.paragraphs(of: raw, page: index + 1)
                case .table(let table):
                    blocks.append(.table(Self.continuing(table, after: blocks.last, page: index + 1), page: index + 1))
                }
            }
        }
        return DocumentContent(blocks: blocks, metadata: DocumentMetadata(title: try title(file.url, limits: file.limits)), pageCount: pages.count)
    }

    /// A headerless table that continues the previous page's last table (same columns) gets its header rows
    /// and unit.
    static func continuing(_ table: DocumentTable, after previous: DocumentBlock?, page: Int) -> DocumentTable {
        guard table.headerRows == 0, let previous, previous.page == page - 1, case .table(let before) = previous.kind, before.headerRows > 0,
            width(before) == width(table)
        else { return table }
        var table = table
        table.rows = Array(before.rows.prefix(before.headerRows)) + table.rows
        table.headerRows = before.headerRows
        table.unit = table.unit ?? before.unit
        return table
    }

    private func tooLong(_ limits: DocumentLimits) -> DocumentFailure {
        DocumentFailure("its text is longer than the limit of \(limits.maxTextCharacters) characters per document; split the file")
    }

    private static func width(_ table: DocumentTable) -> Int {
        table.rows.map { $0.reduce(0) { $0 + $1.columnSpan } }.max() ?? 0
    }

    /// Runs one of poppler's tools on the file within the limits.
    private func poppler(_ name: String, _ arguments: [String], limits: DocumentLimits, maxOutput: Int) throws -> ProcessRunner.Result {
        guard
            let tool = ["/usr/bin/\(name)", "/usr/local/bin/\(name)"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            throw DocumentFailure("\(name) is not installed (Debian: apt-get install poppler-utils)")
        }
        let run: ProcessRunner.Result
        do {
            run = try ProcessRunner.run(
                URL(fileURLWithPath: tool), arguments, timeout: limits.converterSeconds, maxOutput: maxOutput,
                memoryLimit: limits.converterMemoryBytes)
        } catch {
            throw DocumentFailure("\(name) could not be started: \(error)")
        }
        if run.timedOut {
            throw DocumentFailure("\(name) ran longer than \(Int(limits.converterSeconds)) s, the limit per file, and was stopped")
        }
        return run
    }

    /// The information dictionary's title, or nil (none, blank, or pdfinfo failing: the text is still read).
    private func title(_ url: URL, limits: DocumentLimits) throws -> String? {
        let run = try poppler("pdfinfo", ["-enc", "UTF-8", url.path], limits: limits, maxOutput: 1 << 20)
        guard run.status == 0, !run.outputTooLarge else { return nil }
        for line in String(decoding: run.standardOutput, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Title:") {
            let title = TextNormalizer.collapseSpaces(line.dropFirst("Title:".count))
            return title.isEmpty ? nil : title
        }
        return nil
    }

    /// Pages in order, their words placed. The positions make poppler's output about twelve times the text's
    /// size: it may be up to 48 bytes per allowed character.
    private func pages(_ url: URL, limits: DocumentLimits) throws -> [PDFLayout.Page] {
        let run = try poppler(
            "pdftotext", ["-bbox-layout", "-enc", "UTF-8", "-q", url.path, "-"], limits: limits,
            maxOutput: limits.maxTextCharacters * 48)
        if run.outputTooLarge {
            throw tooLong(limits)
        }
        guard run.status == 0 else {
            let message = String(decoding: run.standardError, as: UTF8.self).split(separator: "\n").first.map(String.init)
            throw DocumentFailure("unreadable PDF" + (message.map { ": \($0)" } ?? " (pdftotext exit \(run.status))"))
        }
        let pages = PDFLayout.pages(run.standardOutput)
        let characters = pages.reduce(0) { $0 + $1.lines.reduce(0) { $0 + $1.text.count } }
        if characters > limits.maxTextCharacters {
            throw tooLong(limits)
        }
        return pages
    }
}
