import Foundation

/// PDF through poppler's `pdftotext` (Debian's poppler-utils), page by page: each passage keeps its page. The
/// title is the document information's `Title` (poppler's `pdfinfo`), where one is set.
struct PDFReader: DocumentReader {
    let type = "pdf"
    let name = "PDF"
    let extensions = ["pdf"]
    let noTextReason = "no extractable text (a scanned PDF needs OCR first)"

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let pages = try pages(file.url, limits: file.limits)
        var blocks: [DocumentBlock] = []
        for (index, page) in pages.enumerated() {
            blocks += DocumentContent.paragraphs(of: page, page: index + 1)
        }
        return DocumentContent(blocks: blocks, metadata: DocumentMetadata(title: try title(file.url, limits: file.limits)), pageCount: pages.count)
    }

    /// Runs one of poppler's tools on the file within the limits.
    private func poppler(_ name: String, _ arguments: [String], limits: DocumentLimits, maxOutput: Int) throws -> ProcessRunner.Result {
        guard let tool = ["/usr/bin/\(name)", "/usr/local/bin/\(name)"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            throw DocumentFailure("\(name) is not installed (Debian: apt-get install poppler-utils)")
        }
        let run: ProcessRunner.Result
        do {
            run = try ProcessRunner.run(URL(fileURLWithPath: tool), arguments, timeout: limits.converterSeconds, maxOutput: maxOutput,
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

    /// Pages in order; a page without text is an empty string.
    private func pages(_ url: URL, limits: DocumentLimits) throws -> [String] {
        let run = try poppler("pdftotext", ["-enc", "UTF-8", "-q", url.path, "-"], limits: limits, maxOutput: limits.maxTextCharacters * 4)
        if run.outputTooLarge {
            throw DocumentFailure("its text is longer than the limit of \(limits.maxTextCharacters) characters per document; split the file")
        }
        guard run.status == 0 else {
            let message = String(decoding: run.standardError, as: UTF8.self).split(separator: "\n").first.map(String.init)
            throw DocumentFailure("unreadable PDF" + (message.map { ": \($0)" } ?? " (pdftotext exit \(run.status))"))
        }
        var pages = String(decoding: run.standardOutput, as: UTF8.self).components(separatedBy: "\u{0C}")
        if pages.last?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true, pages.count > 1 {
            pages.removeLast()
        }
        return pages
    }
}
