import Foundation

/// A passage of an indexed document with where it came from: what the stores return, what hits, context and
/// documents carry, and the one JSON shape every front end prints (`Passage.schema`). Absent values are
/// `null`, never left out (only `metadata`'s keys are left out when unknown).
public struct Passage: Sendable, Equatable, Identifiable {
    /// The chunk id, which is also its id in the vector index.
    public var chunkId: Int64
    /// The document it is a passage of.
    public var documentId: Int64
    /// Document path relative to the indexed folder, `/`-separated.
    public var path: String
    /// Document title, where it has one.
    @NullWhenAbsent public var title: String?
    /// Position of the passage within its document, from 0.
    public var ordinal: Int
    /// The passage text.
    public var text: String
    /// Offsets in Unicode scalars into the document's stored text.
    public var start: Int
    public var end: Int
    /// 1-based page (or slide) where it starts, for paged documents (PDF, PPTX), else nil.
    @NullWhenAbsent public var page: Int?
    /// The page it ends on (equal to `page` when it is on one page), for paged documents, else nil.
    @NullWhenAbsent public var pageEnd: Int?
    /// Whether some of its text was recognized by OCR from a scanned page (check it against the page image).
    @FalseWhenAbsent public var ocr: Bool
    /// The headings above the passage (`II. 사업의 내용 > 1. 사업의 개요`), nil when its document has none: above
    /// where it starts, or, in a search hit, above the text that matched (see `sectionStarts`).
    @NullWhenAbsent public var section: String?
    /// The section paths that begin inside the passage (a heading in it), each at its offset in `text` (Unicode
    /// scalars), in order; empty when the passage is all in one section. Kept by the stores, not written in
    /// answers: a hit's `section` is already the one its matched text is in.
    public var sectionStarts: [SectionStart] = []
    /// Model tokens, [CLS] and [SEP] included.
    public var tokens: Int
    /// What its document is: company, corp_code, stock_code, report_type, period, filed, rcept_no (those known).
    public var metadata: FilingMetadata

    /// The chunk id (`Identifiable`).
    public var id: Int64 { chunkId }

    /// Where it is, as every text rendering cites it: `p. 3`, `pp. 3–4`, with `, OCR` when some of its text
    /// was recognized from a scan; nil for documents without pages.
    public var pageLabel: String? { Passage.pageLabel(page: page, pageEnd: pageEnd, ocr: ocr) }

    /// The section the text at `offset` (Unicode scalars into `text`) is in: the last section that begins
    /// inside the passage at or before it, else the one the passage starts in.
    public func section(at offset: Int) -> String? {
        sectionStarts.last { $0.offset <= offset }?.section ?? section
    }

    /// The page label of a page range (`p. 3`, `pp. 3–4`, `, OCR` after it when OCR read some of it).
    public static func pageLabel(page: Int?, pageEnd: Int?, ocr: Bool) -> String? {
        guard let page else { return nil }
        let pages = if let pageEnd, pageEnd > page { "pp. \(page)–\(pageEnd)" } else { "p. \(page)" }
        return pages + (ocr ? ", OCR" : "")
    }

    /// A passage.
    public init(
        chunkId: Int64, documentId: Int64, path: String, title: String?, ordinal: Int, text: String,
        start: Int, end: Int, page: Int?, pageEnd: Int? = nil, section: String? = nil, sectionStarts: [SectionStart] = [], ocr: Bool = false,
        tokens: Int, metadata: FilingMetadata = FilingMetadata()
    ) {
        self.chunkId = chunkId
        self.documentId = documentId
        self.path = path
        self.title = title
        self.ordinal = ordinal
        self.text = text
        self.start = start
        self.end = end
        self.page = page
        self.pageEnd = pageEnd ?? page
        self.section = section
        self.sectionStarts = sectionStarts
        self.ocr = ocr
        self.tokens = tokens
        self.metadata = metadata
    }

    /// What a document is, as answers write it: keys left out when unknown.
    public static let metadataSchema = ContractSchema(
        "FilingMetadata", "What the document is; keys left out when unknown.", closed: false,
        [
            ContractField("company", .string, "the company, as its filing or manifest writes it"),
            ContractField("corp_code", .string, "DART's 8-digit company code"),
            ContractField("stock_code", .string, "the 6-digit listing code"),
            ContractField("report_type", .string, "사업보고서, 반기보고서, 분기보고서, 주요사항보고서, 감사보고서, ..."),
            ContractField("period", .string, "the period reported on: 2024, 2024-H1, 2024-Q3"),
            ContractField("filed", .string, "the filing date, YYYY-MM-DD"),
            ContractField("rcept_no", .string, "DART's receipt number of the filing"),
            ContractField("amendment", .string, "what an amended filing says it is (기재정정, 첨부정정); absent for an original"),
            ContractField("inferred", .list(.string), "the fields guessed from the title rather than read from a manifest or the filing's markup"),
        ])

    /// The passage's fields, as every answer writes them.
    public static let fields: [ContractField] = [
        ContractField("chunk_id", .integer, "the passage's id (get_context, /v1/chunks/{id})", required: true),
        ContractField("document_id", .integer, "its document's id (get_document, /v1/documents/{id})", required: true),
        ContractField("path", .string, "the document's path relative to the indexed folder", required: true),
        ContractField("title", .string, "the document's title", required: true, nullable: true),
        ContractField("ordinal", .integer, "the passage's position in its document, from 0", required: true),
        ContractField("text", .string, "the passage's text", required: true),
        ContractField("start", .integer, "where the passage starts in the document's stored text (Unicode scalars)", required: true),
        ContractField("end", .integer, "one past where it ends", required: true),
        ContractField("page", .integer, "the 1-based page (PDF) or slide (PPTX) it starts on, else null", required: true, nullable: true),
        ContractField(
            "page_end", .integer, "the page it ends on (equal to page on one page; a passage never crosses a slide), else null", required: true,
            nullable: true),
        ContractField("section", .string, "the headings above the passage, joined by ' > ', else null", required: true, nullable: true),
        ContractField(
            "ocr", .boolean, "true when some of its text was recognized by OCR from a scanned page, not read from the file", required: true),
        ContractField("tokens", .integer, "its length in model tokens, [CLS] and [SEP] included", required: true),
        ContractField("metadata", .object(metadataSchema), "what its document is", required: true),
    ]

    /// A passage as an answer writes it.
    public static let schema = ContractSchema("Passage", "A passage of an indexed document with where it came from.", closed: false, fields)
}

/// A section path that begins inside a passage: its offset in the passage's text (Unicode scalars) and the path.
public struct SectionStart: Sendable, Equatable, Codable {
    public var offset: Int
    public var section: String

    /// A section beginning at `offset`.
    public init(offset: Int, section: String) {
        self.offset = offset
        self.section = section
    }

    /// A list as the stores keep it (JSON), nil for none.
    public static func encode(_ starts: [SectionStart]) -> String? {
        guard !starts.isEmpty, let data = try? JSONEncoder().encode(starts) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// A list the stores kept (empty for nil or anything unreadable).
    public static func decode(_ json: String?) -> [SectionStart] {
        guard let json, let starts = try? JSONDecoder().decode([SectionStart].self, from: Data(json.utf8)) else { return [] }
        return starts
    }
}

/// Every field of `Passage.schema`, absent values as `null` (`NullWhenAbsent`).
extension Passage: Codable {
    enum CodingKeys: String, CodingKey {
        case path, title, ordinal, text, start, end, page, section, ocr, tokens, metadata
        case pageEnd = "page_end"
        case chunkId = "chunk_id"
        case documentId = "document_id"
    }
}

/// One passage found by a search: the passage, its place in the ranking and what in it matched the query.
/// The passage's fields read through the hit (`hit.path`, `hit.text`).
@dynamicMemberLookup
public struct SearchHit: Sendable, Equatable {
    /// 1 for the best hit.
    public var rank: Int
    /// The ranking score: cosine similarity (vector), BM25 with higher better (keyword), or the fused
    /// reciprocal-rank score (hybrid).
    public var score: Double
    /// The passage found.
    public var passage: Passage
    /// Rank in the vector list and in the keyword list (1-based), where the passage appeared in them.
    public var vectorRank: Int?
    public var keywordRank: Int?
    /// The stretches of the passage's text that match the query's words, as `[start, end)` offsets in
    /// Unicode scalars into `text` (`Snippet.highlights`).
    public var highlights: [Range<Int>]
    /// When a reranker ordered the hits: the hit's rank and score before it (`score` is then the reranker's).
    public var firstStageRank: Int?
    public var firstStageScore: Double?

    /// A hit.
    public init(
        rank: Int, score: Double, passage: Passage, vectorRank: Int? = nil, keywordRank: Int? = nil, highlights: [Range<Int>] = [],
        firstStageRank: Int? = nil, firstStageScore: Double? = nil
    ) {
        self.rank = rank
        self.score = score
        self.passage = passage
        self.vectorRank = vectorRank
        self.keywordRank = keywordRank
        self.highlights = highlights
        self.firstStageRank = firstStageRank
        self.firstStageScore = firstStageScore
    }

    /// The passage's fields, read through the hit.
    public subscript<T>(dynamicMember keyPath: KeyPath<Passage, T>) -> T { passage[keyPath: keyPath] }

    /// A hit's own fields, beside its passage's.
    public static let fields: [ContractField] = [
        ContractField("rank", .integer, "1 for the best hit", required: true),
        ContractField(
            "score", .number,
            "cosine similarity (vector), BM25 (keyword), the fused reciprocal-rank score (hybrid), or the reranker's relevance (0 to 1) when one ordered the hits; higher is better",
            required: true),
        ContractField(
            "vector_rank", .integer, "the passage's rank in the vector ranking, null when it was not in it", required: true, nullable: true),
        ContractField(
            "keyword_rank", .integer, "the passage's rank in the keyword ranking, null when it was not in it", required: true, nullable: true),
        ContractField(
            "highlights", .list(.list(.integer)), "[start, end) offsets in Unicode scalars into text of the stretches matching the query's words",
            required: true),
        ContractField(
            "first_stage_rank", .integer, "the hit's rank before the reranker ordered the hits, null when none did", required: true, nullable: true),
        ContractField(
            "first_stage_score", .number, "the hit's score before the reranker ordered the hits, null when none did", required: true, nullable: true),
    ]
}

extension SearchHit: Codable {
    private enum CodingKeys: String, CodingKey {
        case rank, score, highlights
        case vectorRank = "vector_rank"
        case keywordRank = "keyword_rank"
        case firstStageRank = "first_stage_rank"
        case firstStageScore = "first_stage_score"
    }

    /// The passage's fields and the hit's in one object.
    public func encode(to encoder: any Encoder) throws {
        try passage.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rank, forKey: .rank)
        try container.encode(score, forKey: .score)
        try container.encode(vectorRank, forKey: .vectorRank)
        try container.encode(keywordRank, forKey: .keywordRank)
        try container.encode(highlights.map { [$0.lowerBound, $0.upperBound] }, forKey: .highlights)
        try container.encode(firstStageRank, forKey: .firstStageRank)
        try container.encode(firstStageScore, forKey: .firstStageScore)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        passage = try Passage(from: decoder)
        rank = try container.decode(Int.self, forKey: .rank)
        score = try container.decode(Double.self, forKey: .score)
        vectorRank = try container.decodeIfPresent(Int.self, forKey: .vectorRank)
        keywordRank = try container.decodeIfPresent(Int.self, forKey: .keywordRank)
        firstStageRank = try container.decodeIfPresent(Int.self, forKey: .firstStageRank)
        firstStageScore = try container.decodeIfPresent(Double.self, forKey: .firstStageScore)
        highlights = try (container.decodeIfPresent([[Int]].self, forKey: .highlights) ?? []).compactMap { pair in
            pair.count == 2 && pair[0] <= pair[1] ? pair[0] ..< pair[1] : nil
        }
    }
}
