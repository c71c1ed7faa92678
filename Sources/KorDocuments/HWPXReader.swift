import Foundation

/// Hancom OWPML (`.hwpx`): the paragraphs of `Contents/section*.xml`, in section order; paragraphs of an
/// outline style (`개요 N`) in `Contents/header.xml` are headings.
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
        let headings = try archive.read("Contents/header.xml").map(OfficeBody.headingStyles) ?? [:]
        var segments: [OfficeBody.Segment] = []
        for section in sections {
            if let data = try archive.read(section) {
                segments += try OfficeBody.segments(data, .hancom, headingLevels: headings, budget: archive.reading)
            }
        }
        return DocumentContent(blocks: OfficeBody.blocks(segments))
    }

    private func sectionNumber(_ path: String) -> Int {
        Int(path.dropFirst("Contents/section".count).dropLast(4)) ?? Int.max
    }
}
