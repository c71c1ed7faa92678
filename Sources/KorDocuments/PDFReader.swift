import Foundation

/// PDF through poppler's `pdftotext` (Debian's poppler-utils), page by page: each passage keeps its page.
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
        return DocumentContent(blocks: blocks, pageCount: pages.count)
    }

    /// Pages in order; a page without text is an empty string.
    private func pages(_ url: URL, limits: DocumentLimits) throws -> [String] {
        guard let tool = ["/usr/bin/pdftotext", "/usr/local/bin/pdftotext"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            throw DocumentFailure("pdftotext is not installed (Debian: apt-get install poppler-utils)")
        }
        let run: ProcessRunner.Result
        do {
            run = try ProcessRunner.run(URL(fileURLWithPath: tool), ["-enc", "UTF-8", "-q", url.path, "-"],
                                        timeout: limits.converterSeconds, maxOutput: limits.maxTextCharacters * 4,
                                        memoryLimit: limits.converterMemoryBytes)
        } catch {
            throw DocumentFailure("pdftotext could not be started: \(error)")
        }
        if run.timedOut {
            throw DocumentFailure("pdftotext ran longer than \(Int(limits.converterSeconds)) s, the limit per file, and was stopped")
        }
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
