import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// A zip + XML office document (Word `.docx`, Hancom `.hwpx`): its entries, and the paragraph text of its
/// XML parts.
final class OfficeArchive {
    private let archive: Archive
    /// The format's name, for skip reasons.
    let format: String
    /// The most bytes all entries together may inflate to, and how many have been so far.
    private let budget: Int64
    private var inflated: Int64 = 0

    /// Opens a file as a zip archive, to be read within the file's limits.
    init(_ file: DocumentFile, format: String) throws {
        do {
            archive = try Archive(url: file.url, accessMode: .read)
        } catch {
            throw DocumentFailure("not a valid \(format) file (cannot open it as a zip archive)")
        }
        self.format = format
        budget = file.limits.maxInflatedBytes
    }

    /// The paths of every entry.
    var paths: [String] { archive.map(\.path) }

    /// The bytes of an entry, or nil when there is none at `path`.
    /// Inflating stops at the limit however large the entry claims to be (a zip bomb is skipped, not read).
    func read(_ path: String) throws -> Data? {
        guard let entry = archive[path] else { return nil }
        let tooLarge = DocumentFailure("\(format) file inflates to more than \(DocumentLimits.describe(bytes: budget)), the limit per file (\(path))")
        if Int64(clamping: entry.uncompressedSize) > budget - inflated { throw tooLarge }
        var data = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                inflated += Int64(chunk.count)
                if inflated > budget { throw tooLarge }
                data.append(chunk)
            }
        } catch let failure as DocumentFailure {
            throw failure
        } catch {
            throw DocumentFailure("damaged \(format) file: \(path) cannot be extracted")
        }
        return data
    }

    /// The text inside each `paragraph` element of an XML part, gathered from its `text` elements, with
    /// `tab` and `lineBreak` elements as a tab and a line break.
    static func paragraphs(_ data: Data, paragraph: String, text: String, tab: String?, lineBreak: String?) throws -> [String] {
        let collector = ParagraphCollector(paragraph: paragraph, text: text, tab: tab, lineBreak: lineBreak)
        // Through a stream: Foundation's XMLParser(data:) hands libxml2 the whole document at once and gives up
        // past 10 MB ("huge input lookup"); fed in chunks it reads documents of any size.
        let parser = XMLParser(stream: InputStream(data: data))
        parser.delegate = collector
        // A stream that ends inside an element parses without complaint: the depth tells.
        guard parser.parse(), collector.depth == 0, collector.sawElement else {
            throw DocumentFailure("damaged XML inside the document (line \(parser.lineNumber): \(parser.parserError.map { ($0 as NSError).code } ?? 0))")
        }
        return collector.paragraphs
    }

    /// Runs `handler` over an XML part as a stream of events (any size; a part that ends inside an element
    /// is damaged).
    static func parse(_ data: Data, _ handler: XMLEvents) throws {
        let parser = XMLParser(stream: InputStream(data: data))
        parser.delegate = handler
        guard parser.parse(), handler.depth == 0, handler.sawElement else {
            throw DocumentFailure("damaged XML inside the document (line \(parser.lineNumber))")
        }
    }

    /// Relationship ids to part paths.
    static func relationshipTargets(_ archive: OfficeArchive, _ path: String, base: String) throws -> [String: String] {
        guard let data = try archive.read(path) else { return [:] }
        var targets: [String: String] = [:]
        let events = XMLEvents()
        events.start = { name, attributes in
            guard (name.split(separator: ":").last ?? "") == "Relationship", let id = attributes["Id"], let target = attributes["Target"] else { return }
            targets[id] = target.hasPrefix("/") ? String(target.dropFirst()) : base + target
        }
        try OfficeArchive.parse(data, events)
        return targets
    }

    /// Paragraph blocks of extracted paragraphs (each trimmed, then normalized).
    static func blocks(_ paragraphs: [String]) -> [DocumentBlock] {
        DocumentContent.paragraphs(of: paragraphs.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n\n"))
    }
}

private final class ParagraphCollector: NSObject, XMLParserDelegate {
    let paragraph: String, text: String, tab: String?, lineBreak: String?
    var paragraphs: [String] = []
    /// Open elements now, and whether any was seen (a whole document ends at depth 0).
    private(set) var depth = 0
    private(set) var sawElement = false
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
        depth += 1
        sawElement = true
        if name == paragraph {
            if paragraphDepth == 0 { current = "" }
            paragraphDepth += 1
        }
        if name == text { inText = true }
        if name == tab, paragraphDepth > 0 { current += "\t" }
        if name == lineBreak, paragraphDepth > 0 { current += "\n" }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        depth -= 1
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

/// XML events as closures: what a reader of spreadsheet or slide XML listens to.
final class XMLEvents: NSObject, XMLParserDelegate {
    var start: (_ name: String, _ attributes: [String: String]) -> Void = { _, _ in }
    var end: (_ name: String) -> Void = { _ in }
    var text: (_ characters: String) -> Void = { _ in }
    /// Open elements now, and whether any was seen.
    private(set) var depth = 0
    private(set) var sawElement = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        depth += 1
        sawElement = true
        start(name, attributes)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        depth -= 1
        end(name)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text(string) }
}
