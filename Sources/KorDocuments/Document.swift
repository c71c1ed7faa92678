/// A table as a reader found it: rows of cells, the header rows marked, and the caption or unit line that
/// goes with it (`(단위: 억원)`). Kept as rows until a passage is written, so a row is never fused with the
/// next or cut in two.
public struct DocumentTable: Sendable, Equatable {
    /// One cell: its text and how many columns and rows it spans.
    public struct Cell: Sendable, Equatable {
        public var text: String
        public var columnSpan: Int
        public var rowSpan: Int

        /// A cell spanning `columnSpan` columns and `rowSpan` rows.
        public init(_ text: String, columnSpan: Int = 1, rowSpan: Int = 1) {
            self.text = text
            self.columnSpan = columnSpan
            self.rowSpan = rowSpan
        }
    }

    /// The rows, top to bottom.
    public var rows: [[Cell]]
    /// How many of the first rows are header rows.
    public var headerRows: Int
    /// The table's caption or title, where it has one.
    public var caption: String?
    /// The unit line that applies to its numbers (`(단위: 백만원)`), where it has one.
    public var unit: String?

    /// A table of rows, the first `headerRows` of them headers.
    public init(rows: [[Cell]], headerRows: Int = 0, caption: String? = nil, unit: String? = nil) {
        self.rows = rows
        self.headerRows = headerRows
        self.caption = caption
        self.unit = unit
    }

    /// Whether a line is a unit line such as `(단위: 억원)` or `[단위 : 백만원, %]`.
    public static func isUnitLine(_ line: String) -> Bool {
        line.count <= 40 && line.range(of: #"^[\(\[<（]?\s*단위\s*[:：]"#, options: .regularExpression) != nil
    }

    /// The separator between the cells of a row in the stored text: never fused, never a line break.
    public static let cellSeparator = " | "

    /// A row as one line of the stored text.
    public static func line(_ row: [Cell]) -> String {
        row.map { TextNormalizer.collapseSpaces($0.text) }.joined(separator: cellSeparator)
    }

    /// The cells' text in reading order, separated by spaces: a table inside another table's cell.
    public var flatText: String {
        rows.map { $0.map(\.text).joined(separator: " ") }.joined(separator: " ")
    }

    /// The stored text of the table: the caption and unit lines, then one line per row.
    public var text: String {
        ([caption, unit].compactMap { $0 } + rows.map(DocumentTable.line)).joined(separator: "\n")
    }
}

/// One block of a document, in reading order: a heading, a paragraph or a table, with the page (or slide)
/// it is on.
public struct DocumentBlock: Sendable, Equatable {
    /// What kind of block this is.
    public enum Kind: Sendable, Equatable {
        /// A heading, level 1 the highest.
        case heading(level: Int)
        /// A paragraph of running text (its kept line breaks included).
        case paragraph
        /// A table, as rows of cells.
        case table(DocumentTable)
    }

    /// The kind of block.
    public var kind: Kind
    /// The block's text as stored: a table's rows as lines.
    public var text: String
    /// The 1-based page or slide the block is on, for paged formats; nil otherwise.
    public var page: Int?
    /// Whether its text was recognized from an image of the page (OCR of a scanned PDF page) rather than read.
    public var ocr = false

    /// A heading of a level.
    public static func heading(_ text: String, level: Int, page: Int? = nil) -> DocumentBlock {
        DocumentBlock(kind: .heading(level: level), text: text, page: page)
    }

    /// A paragraph.
    public static func paragraph(_ text: String, page: Int? = nil) -> DocumentBlock {
        DocumentBlock(kind: .paragraph, text: text, page: page)
    }

    /// A table.
    public static func table(_ table: DocumentTable, page: Int? = nil) -> DocumentBlock {
        DocumentBlock(kind: .table(table), text: table.text, page: page)
    }

    /// Appends a table to `blocks`, taking a unit line just above it (`(단위: 억원)`) as the table's unit. A
    /// table that only holds a unit line (filings set it right-aligned in a one-cell table) is that line.
    static func append(_ table: DocumentTable, to blocks: inout [DocumentBlock]) {
        let texts = Set(table.rows.joined().map(\.text))
        if table.rows.count == 1, texts.count == 1, let only = texts.first, DocumentTable.isUnitLine(only), table.caption == nil {
            blocks.append(.paragraph(only))
            return
        }
        var table = table
        if table.unit == nil, let last = blocks.last, case .paragraph = last.kind, DocumentTable.isUnitLine(last.text) {
            table.unit = last.text
            blocks.removeLast()
        }
        blocks.append(.table(table))
    }
}

/// What a document says about itself: its title, and for filings the fields their markup states (DART's
/// company, corp_code, report, receipt number and period).
public struct DocumentMetadata: Sendable, Equatable {
    /// The document's title where the format has one.
    public var title: String?
    /// The company as the filing writes it (`COMPANY-NAME`).
    public var company: String?
    /// DART's 8-digit company code (`COMPANY-NAME`'s `AREGCIK`).
    public var corpCode: String?
    /// The report's name as DART gives it (`DOCUMENT-NAME`: 사업보고서, 반기보고서, 감사보고서, ...).
    public var reportType: String?
    /// DART's form code of the report (`DOCUMENT-NAME`'s `ACODE`, e.g. `11013`).
    public var reportCode: String?
    /// DART's 14-digit receipt number (from the file names).
    public var rceptNo: String?
    /// The filing date (`YYYY-MM-DD`), the receipt number's first eight digits.
    public var filed: String?
    /// The reporting period's first and last days (`YYYY-MM-DD`), from the cover's `TU` period cells.
    public var periodFrom: String?
    public var periodTo: String?

    /// Metadata with a title.
    public init(title: String? = nil) {
        self.title = title
    }
}

/// What a reader gives for one file: its blocks in reading order and its metadata.
public struct DocumentContent: Sendable, Equatable {
    /// The blocks, in reading order, their text normalized (`TextNormalizer`).
    public var blocks: [DocumentBlock]
    /// Title and other fields.
    public var metadata: DocumentMetadata
    /// For paged formats, the number of pages (pages without text have no blocks); nil otherwise.
    public var pageCount: Int?
    /// The encoding a text file was found in (UTF-8, UTF-16LE, UTF-16BE, CP949), nil for other formats.
    public var encoding: String?
    /// Whether its pages are slides: each stands alone, and no passage runs from one into the next.
    public var slides = false

    /// A reader's result.
    public init(blocks: [DocumentBlock], metadata: DocumentMetadata = DocumentMetadata(), pageCount: Int? = nil, encoding: String? = nil) {
        self.blocks = blocks
        self.metadata = metadata
        self.pageCount = pageCount
        self.encoding = encoding
    }

    /// Paragraph blocks of raw extracted text: normalized (`TextNormalizer`), one block per paragraph.
    public static func paragraphs(of raw: String, page: Int? = nil) -> [DocumentBlock] {
        TextNormalizer.paragraphs(raw).map { DocumentBlock.paragraph($0, page: page) }
    }
}

/// A block placed in a document's stored text.
public struct PlacedBlock: Sendable, Equatable {
    /// The block.
    public var block: DocumentBlock
    /// Offsets in Unicode scalars (Python `str` indices) of the block's text in the document's stored text.
    public var start: Int
    public var end: Int
}

/// A document as it is stored and chunked: its blocks laid out in one text (blocks separated by a blank
/// line), with where each block and each page starts.
public struct LoadedDocument: Sendable, Equatable {
    /// The format's type (txt, md, html, pdf, docx, hwpx, ...): the registry's `DocumentReader.type`.
    public var type: String
    /// The document's title where the format has one (HTML `<title>`, a Markdown `#` heading, docx core
    /// properties, a short first line of a text file), else nil.
    public var title: String? { metadata.title }
    /// Title and other fields.
    public var metadata: DocumentMetadata
    /// The normalized text that chunks point into.
    public var text: String
    /// The blocks and where they are in `text`, in order.
    public var blocks: [PlacedBlock]
    /// Offsets (in Unicode scalars) where each page starts; `[0]` for formats without pages.
    public var pageStarts: [Int]
    /// Whether the format has real pages (PDF).
    public var paged: Bool
    /// The encoding a text file was found in (UTF-8, UTF-16LE, UTF-16BE, CP949), nil for other formats.
    public var encoding: String?
    /// Whether its pages are slides (PPTX): no passage runs from one into the next.
    public var slides = false
    /// What the reader left out to stay within the file's limits (`ReadingBudget.notes`), one line each.
    public var notes: [String] = []

    /// A document laid out from a reader's content: blocks joined by blank lines.
    public init(type: String, content: DocumentContent) {
        self.type = type
        metadata = content.metadata
        encoding = content.encoding
        paged = content.pageCount != nil
        slides = content.slides
        var text = ""
        var offset = 0
        var placed: [PlacedBlock] = []
        for block in content.blocks {
            if !text.isEmpty {
                text += "\n\n"
                offset += 2
            }
            let length = block.text.unicodeScalars.count
            placed.append(PlacedBlock(block: block, start: offset, end: offset + length))
            text += block.text
            offset += length
        }
        self.text = text
        blocks = placed
        if let pages = content.pageCount {
            // A page without text starts where the text before it ends.
            var starts: [Int] = []
            var end = 0
            var next = 0
            for page in 1 ... max(pages, 1) {
                if next < placed.count, let blockPage = placed[next].block.page, blockPage <= page {
                    starts.append(placed[next].start)
                } else {
                    starts.append(end)
                }
                while next < placed.count, (placed[next].block.page ?? page) <= page {
                    end = placed[next].end
                    next += 1
                }
            }
            pageStarts = starts
        } else {
            pageStarts = [0]
        }
    }

    /// A document from stored text: its paragraphs (split at blank lines) as blocks, each on the page that
    /// `pageStarts` puts it on.
    public init(type: String, title: String?, text: String, pageStarts: [Int], paged: Bool, encoding: String?) {
        self.type = type
        metadata = DocumentMetadata(title: title)
        self.text = text
        self.pageStarts = pageStarts
        self.paged = paged
        self.encoding = encoding
        var placed: [PlacedBlock] = []
        let scalars = Array(text.unicodeScalars)
        var start = 0
        func emit(_ end: Int) {
            if end > start {
                let page = paged ? (pageStarts.lastIndex { $0 <= start } ?? 0) + 1 : nil
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars[start ..< end])
                placed.append(PlacedBlock(block: .paragraph(String(view), page: page), start: start, end: end))
            }
        }
        var index = 0
        while index + 1 < scalars.count {
            if scalars[index] == "\n", scalars[index + 1] == "\n" {
                emit(index)
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        emit(scalars.count)
        blocks = placed
    }
}

/// Why a file was not indexed; its text becomes the `reason` of a skipped entry.
public struct DocumentFailure: Error, CustomStringConvertible, Sendable {
    /// The reason, as one line.
    public let description: String

    /// A failure with its reason.
    public init(_ description: String) { self.description = description }
}
