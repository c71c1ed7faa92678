import Foundation

/// Plain text (`.txt`, `.text`): UTF-8 with or without BOM, UTF-16 with BOM, or CP949 / EUC-KR; a short
/// first line is the title. Where form feeds divide it into pages (text saved by `pdftotext`), the page-number
/// lines at each page's top and bottom are left out.
struct PlainTextReader: DocumentReader {
    let type = "txt"
    let name = "Plain text"
    let extensions = ["txt", "text"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let decoded = try file.allText()
        return DocumentContent(
            blocks: DocumentContent.paragraphs(of: TextNormalizer.droppingPageNumbers(pages: decoded.text)),
            metadata: DocumentMetadata(title: firstLineTitle(decoded.text)), encoding: decoded.encoding)
    }

    /// A plain text file's first line, when it is short enough to be a heading.
    private func firstLineTitle(_ text: String) -> String? {
        guard
            let line = text.split(separator: "\n", maxSplits: 20).first(where: {
                !$0.trimmingCharacters(in: .whitespaces).isEmpty
            })
        else { return nil }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count <= 80 && !".?!".contains(trimmed.last ?? ".") ? trimmed : nil
    }
}
