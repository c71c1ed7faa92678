import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A zip + XML office document (Word, Hancom, Excel, PowerPoint): its entries within the file's inflation
/// limit, and its XML parts as streams of events.
final class OfficeArchive {
    private let archive: ZipArchive
    /// The format's name, for skip reasons.
    let format: String
    /// The reading's budget (what the readers of the parts count against).
    let reading: ReadingBudget
    /// The most bytes all entries together may inflate to, and how many have been so far.
    private let budget: Int64
    private var inflated: Int64 = 0
    /// The entries by path (the first of a path listed twice).
    private let entries: [String: ZipArchive.Entry]
    /// The paths of every entry, in the archive's order.
    let paths: [String]

    /// Opens a file as a zip archive, to be read within the file's limits: one that lists more than
    /// `maxArchiveEntries` entries is refused before any is read.
    init(_ file: DocumentFile, format: String) throws {
        do {
            archive = try ZipArchive(file.data, maxEntries: file.limits.maxArchiveEntries)
        } catch .tooManyEntries {
            throw DocumentFailure("\(format) file lists more than \(file.limits.maxArchiveEntries) entries (DocumentLimits.maxArchiveEntries)")
        } catch {
            throw DocumentFailure("not a valid \(format) file (cannot open it as a zip archive)")
        }
        self.format = format
        reading = file.budget
        budget = file.limits.maxInflatedBytes
        paths = archive.entries.map(\.path)
        entries = Dictionary(archive.entries.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The bytes of an entry, or nil when there is none at `path`.
    /// Inflating stops at the limit however large the entry claims to be (a zip bomb is skipped, not read).
    func read(_ path: String) throws -> Data? {
        guard let entry = entries[path] else { return nil }
        let tooLarge = DocumentFailure("\(format) file inflates to more than \(DocumentLimits.describe(bytes: budget)), the limit per file (\(path))")
        if entry.uncompressedSize > budget - inflated { throw tooLarge }
        var data = Data()
        data.reserveCapacity(Int(clamping: min(entry.uncompressedSize, budget - inflated)))
        do {
            try archive.read(entry) { chunk in
                inflated += Int64(chunk.count)
                if inflated > budget { return false }
                data.append(chunk)
                return true
            }
        } catch .stopped {
            throw tooLarge
        } catch {
            throw DocumentFailure("damaged \(format) file: \(path) cannot be extracted")
        }
        return data
    }

    /// The document's title from `docProps/core.xml` (`dc:title`), trimmed; nil when there is none.
    func title() throws -> String? {
        guard let core = try read("docProps/core.xml") else { return nil }
        var title: String?
        var inTitle = false
        let events = XMLEvents()
        events.start = { name, _ in if name == "dc:title", title == nil { inTitle = true; title = "" } }
        events.end = { name in if name == "dc:title" { inTitle = false } }
        events.text = { if inTitle { title! += $0 } }
        try OfficeArchive.parse(core, events)
        return title.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Runs `handler` over an XML part as a stream of events (any size; a part that ends inside an element
    /// is damaged).
    static func parse(_ data: Data, _ handler: XMLEvents) throws {
        // Through a stream: Foundation's XMLParser(data:) hands libxml2 the whole document at once and gives up
        // past 10 MB ("huge input lookup"); fed in chunks it reads documents of any size. A stream that ends
        // inside an element parses without complaint: the depth tells.
        // libxml2 hands element and attribute names to Foundation's parser as it finds them, and the parser
        // traps on one that is not UTF-8: a part that says (or is taken to be) UTF-8 is checked first.
        if !data.starts(with: [0xFF, 0xFE]), !data.starts(with: [0xFE, 0xFF]), !OfficeArchive.isUTF8(data) {
            throw DocumentFailure("damaged XML inside the document (not UTF-8)")
        }
        let parser = XMLParser(stream: InputStream(data: data))
        parser.delegate = handler
        handler.parser = parser
        let parsed = parser.parse()
        if let failure = handler.failure { throw failure }
        guard parsed, handler.depth == 0, handler.sawElement else {
            throw DocumentFailure("damaged XML inside the document (line \(parser.lineNumber))")
        }
    }

    /// Whether bytes are valid UTF-8 (checked in place).
    static func isUTF8(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in (try? UTF8Span(validating: raw.bindMemory(to: UInt8.self).span)) != nil }
    }

    /// Relationship ids to part paths.
    static func relationshipTargets(_ archive: OfficeArchive, _ path: String, base: String) throws -> [String: String] {
        guard let data = try archive.read(path) else { return [:] }
        var targets: [String: String] = [:]
        let events = XMLEvents()
        events.start = { name, attributes in
            guard XMLEvents.localName(name) == "Relationship", let id = attributes["Id"], let target = attributes["Target"] else { return }
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

/// XML events as closures: what a reader of spreadsheet or slide XML listens to. With a budget, the character
/// data counts as gathered text and parsing stops once the budget is spent; a handler that must stop the parse
/// (a limit crossed) calls `fail`.
final class XMLEvents: NSObject, XMLParserDelegate {
    var start: (_ name: String, _ attributes: [String: String]) -> Void = { _, _ in }
    var end: (_ name: String) -> Void = { _ in }
    var text: (_ characters: String) -> Void = { _ in }
    /// Open elements now, and whether any was seen.
    private(set) var depth = 0
    private(set) var sawElement = false
    /// The reading's budget the character data is counted against, if any.
    private let budget: ReadingBudget?
    /// Why the parse was stopped, when a handler or the budget stopped it.
    private(set) var failure: Error?
    fileprivate weak var parser: XMLParser?

    /// Events whose character data counts against `budget`, when one is given.
    init(budget: ReadingBudget? = nil) { self.budget = budget }

    /// Stops the parse with `error` (the delegate's callbacks cannot throw); `OfficeArchive.parse` throws it.
    func fail(_ error: Error) {
        if failure == nil { failure = error }
        parser?.abortParsing()
    }

    /// Runs `body`, stopping the parse at the first error it throws.
    func attempt(_ body: () throws -> Void) {
        guard failure == nil else { return }
        do { try body() } catch { fail(error) }
    }

    /// An element's name without its namespace prefix (`x:c` → `c`).
    static func localName(_ name: String) -> Substring { name.split(separator: ":").last ?? Substring(name) }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        depth += 1
        sawElement = true
        if failure == nil { start(name, attributes) }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        depth -= 1
        if failure == nil { end(name) }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard failure == nil else { return }
        if let budget { attempt { try budget.gather(string.unicodeScalars.count) } }
        if failure == nil { text(string) }
    }
}
