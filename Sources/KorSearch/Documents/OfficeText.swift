import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Paragraph text of zip + XML office documents: Word `.docx` (`word/document.xml`) and Hancom `.hwpx`
/// (`Contents/section*.xml`).
enum OfficeText {
    /// Extracts title and paragraphs of a .docx or .hwpx file.
    static func extract(_ url: URL, type: String) throws -> (title: String?, text: String) {
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw DocumentFailure("not a valid \(type) file (cannot open it as a zip archive)")
        }
        func read(_ path: String) throws -> Data? {
            guard let entry = archive[path] else { return nil }
            var data = Data()
            do {
                _ = try archive.extract(entry, skipCRC32: false) { data.append($0) }
            } catch {
                throw DocumentFailure("damaged \(type) file: \(path) cannot be extracted")
            }
            return data
        }
        var paragraphs: [String] = []
        var title: String?
        if type == "docx" {
            guard let document = try read("word/document.xml") else {
                throw DocumentFailure("not a Word document (no word/document.xml)")
            }
            paragraphs = try paragraphsOf(document, paragraph: "w:p", text: "w:t", tab: "w:tab", lineBreak: "w:br")
            if let core = try read("docProps/core.xml") {
                title = try paragraphsOf(core, paragraph: "dc:title", text: "dc:title", tab: nil, lineBreak: nil).first
            }
        } else {
            let sections = archive.map(\.path)
                .filter { $0.hasPrefix("Contents/section") && $0.hasSuffix(".xml") }
                .sorted { sectionNumber($0) < sectionNumber($1) }
            guard !sections.isEmpty else { throw DocumentFailure("not an HWPX document (no Contents/section*.xml)") }
            for section in sections {
                if let data = try read(section) {
                    paragraphs += try paragraphsOf(data, paragraph: "hp:p", text: "hp:t", tab: "hp:tab", lineBreak: "hp:lineBreak")
                }
            }
        }
        let cleaned = paragraphs.map { $0.trimmingCharacters(in: .whitespaces) }
        return (title?.isEmpty == false ? title : nil, cleaned.joined(separator: "\n\n"))
    }

    private static func sectionNumber(_ path: String) -> Int {
        Int(path.dropFirst("Contents/section".count).dropLast(4)) ?? Int.max
    }

    /// The text inside each `paragraph` element, gathered from its `text` elements.
    private static func paragraphsOf(_ data: Data, paragraph: String, text: String, tab: String?, lineBreak: String?) throws -> [String] {
        let collector = ParagraphCollector(paragraph: paragraph, text: text, tab: tab, lineBreak: lineBreak)
        let parser = XMLParser(data: data)
        parser.delegate = collector
        guard parser.parse() else { throw DocumentFailure("damaged XML inside the document") }
        return collector.paragraphs
    }
}

private final class ParagraphCollector: NSObject, XMLParserDelegate {
    let paragraph: String, text: String, tab: String?, lineBreak: String?
    var paragraphs: [String] = []
    private var current = ""
    private var paragraphDepth = 0
    private var inText = false

    init(paragraph: String, text: String, tab: String?, lineBreak: String?) {
        self.paragraph = paragraph
        self.text = text
        self.tab = tab
        self.lineBreak = lineBreak
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if name == paragraph {
            if paragraphDepth == 0 { current = "" }
            paragraphDepth += 1
        }
        if name == text { inText = true }
        if name == tab, paragraphDepth > 0 { current += "\t" }
        if name == lineBreak, paragraphDepth > 0 { current += "\n" }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == text { inText = false }
        if name == paragraph {
            paragraphDepth -= 1
            if paragraphDepth == 0 { paragraphs.append(current) }
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += string }
    }
}
