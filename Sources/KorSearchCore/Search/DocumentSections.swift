import Foundation
import KorEncoder

/// A document's table of contents as its passages' sections give it: what the MCP `get_toc` tool answers.
public struct DocumentTOC: Sendable, Equatable, Encodable {
    /// One section, as the reader wrote its headings, with the standard code of a DART report's section.
    public struct Section: Sendable, Equatable, Encodable {
        /// The standard code (`DARTSections`: `II`, `III-2`), nil for a heading that is not a standard section.
        public var code: String?
        /// The headings above its passages, joined by ` > `, as written.
        public var section: String
        /// Its first passage (for get_context) and how many it has.
        public var chunkId: Int64
        public var chunks: Int
        /// Where it is in the stored text (Unicode scalars), `[start, end)`.
        public var start: Int
        public var end: Int

        enum CodingKeys: String, CodingKey { case code, section, chunkId = "chunk_id", chunks, start, end }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encode(section, forKey: .section)
            try container.encode(chunkId, forKey: .chunkId)
            try container.encode(chunks, forKey: .chunks)
            try container.encode(start, forKey: .start)
            try container.encode(end, forKey: .end)
        }
    }

    public var documentId: Int64
    public var path: String
    @NullWhenAbsent public var title: String?
    public var metadata: FilingMetadata
    /// The sections in document order; passages before the first heading are not listed.
    public var sections: [Section]

    enum CodingKeys: String, CodingKey { case documentId = "document_id", path, title, metadata, sections }

    /// A section's fields.
    public static let sectionSchema = ContractSchema(
        "TOCSection", "A section of a document.", closed: true,
        [
            ContractField(
                "code", .string, "the standard section's code (II = 사업의 내용, III-2 = 연결재무제표), null when not standard", required: true,
                nullable: true),
            ContractField("section", .string, "the headings above its passages, joined by ' > ', as written", required: true),
            ContractField("chunk_id", .integer, "its first passage", required: true),
            ContractField("chunks", .integer, "its passages", required: true),
            ContractField("start", .integer, "where it starts in the stored text", required: true),
            ContractField("end", .integer, "one past where it ends", required: true),
        ])

    /// The answer's fields.
    public static let schema = ContractSchema(
        "DocumentTOC", "A document's sections in order, each with the standard code of a DART report's section.", closed: true,
        [
            ContractField("document_id", .integer, "the document", required: true),
            ContractField("path", .string, "its path", required: true),
            ContractField("title", .string, "its title", required: true, nullable: true),
            ContractField("metadata", .object(Passage.metadataSchema), "what the document is", required: true),
            ContractField("sections", .list(.object(sectionSchema)), "the sections in document order", required: true),
        ])

    /// The table of contents of a document's passages.
    public init(document: StoredDocument, passages: [Passage]) {
        documentId = document.id
        path = document.path
        title = document.title
        metadata = document.metadata
        var sections: [Section] = []
        for passage in passages.sorted(by: { $0.ordinal < $1.ordinal }) {
            guard let section = passage.section else { continue }
            if let last = sections.indices.last, sections[last].section == section {
                sections[last].chunks += 1
                sections[last].end = max(sections[last].end, passage.end)
            } else {
                sections.append(
                    Section(
                        code: DARTSections.code(of: section), section: section, chunkId: passage.chunkId, chunks: 1, start: passage.start,
                        end: passage.end))
            }
        }
        self.sections = sections
    }

    /// One line per section: `[code] section (chunk_id N, M passages)`.
    public var text: String {
        var lines = ["\(path)\(title.map { " — \($0)" } ?? "") [document_id \(documentId)]"]
        if sections.isEmpty { lines.append("(no sections: the document has no headings korsearch read)") }
        for section in sections {
            lines.append("\(section.code.map { "[\($0)] " } ?? "")\(section.section) (chunk_id \(section.chunkId), \(section.chunks) passages)")
        }
        return lines.joined(separator: "\n")
    }
}

/// A section of a document to read, as the MCP `read_section` tool asks for it.
public struct SectionRequest: Sendable, Equatable {
    public var documentId: Int64
    /// A standard code (`II`, `III-2`), a standard title, or the beginning of a heading's title.
    public var section: String

    public init(documentId: Int64, section: String) {
        self.documentId = documentId
        self.section = section
    }

    /// The request's fields.
    public static let schema = ContractSchema(
        "SectionRequest", "A section of a document.", closed: true,
        [
            ContractField("document_id", .integer, "the document (a hit's document_id)", required: true),
            ContractField(
                "section", .string, "a standard code (II, III-2, XI-2), a standard title (사업의 내용), or the beginning of a heading's title",
                required: true),
        ])

    /// A request from its JSON object, checked.
    public init(json: JSONValue, naming: FieldNaming = .json) throws {
        let object = try ContractObject(json, SectionRequest.schema, naming: naming)
        self.init(documentId: Int64(try object.integer("document_id")!), section: try object.string("section")!)
        guard DARTSections.Selector(section) != nil, !DARTSections.key(section).isEmpty else { throw naming.error("section", "is empty") }
    }
}

/// The text of a document's section: what `read_section` answers.
public struct SectionText: Sendable, Equatable, Encodable {
    public var documentId: Int64
    public var path: String
    /// The sections read (those the request's section matched), in document order.
    public var sections: [DocumentTOC.Section]
    /// Their text from the stored document (each run of them once, without the passages' overlap), separated
    /// by a blank line; cut at `DocumentRequest.maxCharacters`.
    public var text: String
    public var truncated: Bool

    enum CodingKeys: String, CodingKey { case documentId = "document_id", path, sections, text, truncated }

    /// The answer's fields.
    public static let schema = ContractSchema(
        "SectionText", "The text of a document's section.", closed: true,
        [
            ContractField("document_id", .integer, "the document", required: true),
            ContractField("path", .string, "its path", required: true),
            ContractField("sections", .list(.object(DocumentTOC.sectionSchema)), "the sections read, in document order", required: true),
            ContractField("text", .string, "their text", required: true),
            ContractField("truncated", .boolean, "whether the text was cut at \(DocumentRequest.maxCharacters) characters", required: true),
        ])
}

extension Searcher {
    /// The table of contents of a document; nil when there is no such document.
    public func toc(documentId: Int64) throws -> DocumentTOC? {
        guard let (document, _) = try index.document(id: documentId) else { return nil }
        return DocumentTOC(document: document, passages: try index.passages(ofDocument: documentId))
    }

    /// The text of a document's section; nil when there is no such document. A section the document does not
    /// have is an error naming the sections it has.
    public func section(_ request: SectionRequest) throws -> SectionText? {
        guard let (document, text) = try index.document(id: request.documentId) else { return nil }
        let toc = DocumentTOC(document: document, passages: try index.passages(ofDocument: request.documentId))
        guard let selector = DARTSections.Selector(request.section) else {
            throw KorSearchError(.invalidArgument, "the section is empty", parameter: "section")
        }
        let matched = toc.sections.filter { selector.matches($0.section) }
        guard !matched.isEmpty else {
            let have = toc.sections.prefix(12).map { ($0.code.map { "[\($0)] " } ?? "") + $0.section }.joined(separator: "; ")
            throw KorSearchError(
                .notFound,
                toc.sections.isEmpty
                    ? "document \(request.documentId) has no sections"
                    : "document \(request.documentId) has no section \(request.section); it has: \(have)",
                parameter: "section")
        }
        let scalars = Array(text.unicodeScalars)
        var runs: [Range<Int>] = []
        for section in matched {
            let range = min(section.start, scalars.count) ..< min(section.end, scalars.count)
            if let last = runs.last, range.lowerBound <= last.upperBound {
                runs[runs.count - 1] = last.lowerBound ..< max(last.upperBound, range.upperBound)
            } else {
                runs.append(range)
            }
        }
        var out = ""
        var left = DocumentRequest.maxCharacters
        var truncated = false
        for run in runs {
            if !out.isEmpty { out += "\n\n" }
            let take = min(run.count, left)
            out += String(String.UnicodeScalarView(scalars[run.lowerBound ..< run.lowerBound + take]))
            left -= take
            if take < run.count || (left == 0 && run != runs.last) {
                truncated = true
                break
            }
        }
        return SectionText(documentId: document.id, path: document.path, sections: matched, text: out, truncated: truncated)
    }
}
