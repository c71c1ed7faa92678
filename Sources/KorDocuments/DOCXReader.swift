import Foundation

/// Word (`.docx`): the paragraphs of `word/document.xml` (headings by their styles in `word/styles.xml`), the
/// title from `docProps/core.xml`.
struct DOCXReader: DocumentReader {
    let type = "docx"
    let name = "Word (DOCX)"
    let extensions = ["docx"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let archive = try OfficeArchive(file, format: type)
        guard let document = try archive.read("word/document.xml") else {
            throw DocumentFailure("not a Word document (no word/document.xml)")
        }
        let headings = try archive.read("word/styles.xml").map(OfficeBody.headingStyles) ?? [:]
        let segments = try OfficeBody.segments(document, .word, headingLevels: headings, budget: archive.reading)
        return DocumentContent(blocks: OfficeBody.blocks(segments), metadata: DocumentMetadata(title: try archive.title()))
    }
}
