import Foundation

/// Hancom OWPML (`.hwpx`): the paragraphs of `Contents/section*.xml`, in section order.
struct HWPXReader: DocumentReader {
    let type = "hwpx"
    let name = "Hancom (HWPX)"
    let extensions = ["hwpx"]

    func read(_ file: DocumentFile) throws -> DocumentContent {
        let archive = try OfficeArchive(file, format: type)
        let sections = archive.paths
            .filter { $0.hasPrefix("Contents/section") && $0.hasSuffix(".xml") }
            .sorted { sectionNumber($0) < sectionNumber($1) }
        guard !sections.isEmpty else { throw DocumentFailure("not an HWPX document (no Contents/section*.xml)") }
        var paragraphs: [String] = []
        for section in sections {
            if let data = try archive.read(section) {
                paragraphs += try OfficeArchive.paragraphs(data, paragraph: "hp:p", text: "hp:t", tab: "hp:tab", lineBreak: "hp:lineBreak")
            }
        }
        return DocumentContent(blocks: OfficeArchive.blocks(paragraphs))
    }

    private func sectionNumber(_ path: String) -> Int {
        Int(path.dropFirst("Contents/section".count).dropLast(4)) ?? Int.max
    }
}
