import Crypto
import KorDocuments
import KorEncoder

/// How documents are cut into passages.
public struct ChunkingOptions: Sendable, Equatable, Codable {
    /// The most model tokens in one passage, [CLS] and [SEP] included.
    public var chunkTokens: Int
    /// How many tokens of trailing sentences a passage repeats from the one before it.
    public var overlapTokens: Int

    /// Options with defaults of 256 tokens and 32 tokens of overlap.
    public init(chunkTokens: Int = 256, overlapTokens: Int = 32) {
        self.chunkTokens = chunkTokens
        self.overlapTokens = overlapTokens
    }

    /// Checks the options against a model's maximum sequence length.
    public func validate(maxLength: Int) throws {
        guard chunkTokens >= 8 else {
            throw KorSearchError(.invalidArgument, "--chunk-tokens must be at least 8, not \(chunkTokens)")
        }
        guard chunkTokens <= maxLength else {
            throw KorSearchError(.invalidArgument, "--chunk-tokens \(chunkTokens) exceeds the model's maximum length \(maxLength)")
        }
        guard overlapTokens >= 0, overlapTokens < chunkTokens / 2 else {
            throw KorSearchError(.invalidArgument, "--chunk-overlap must be between 0 and half of --chunk-tokens, not \(overlapTokens)")
        }
    }
}

/// One passage of a document.
public struct Chunk: Sendable, Equatable {
    /// Position of the passage in its document, from 0.
    public var ordinal: Int
    /// The passage text: exactly `text[start..<end]` of the document's stored text — preceded, for a passage
    /// that continues a table, by that table's caption, unit and header lines and a line break.
    public var text: String
    /// Offsets in Unicode scalars (Python `str` indices) into the document's stored text.
    public var start: Int
    public var end: Int
    /// The 1-based page (or slide) the passage starts on, for paged formats (PDF, PPTX).
    public var page: Int?
    /// The page it ends on (equal to `page` on one page; a passage never runs past a slide).
    public var pageEnd: Int?
    /// Whether some of its text was recognized by OCR from a scanned page rather than read.
    public var ocr: Bool
    /// The headings above where the passage starts, outermost first, joined by ` > `
    /// (`II. 사업의 내용 > 1. 사업의 개요`); nil when no heading comes before it.
    public var section: String?
    /// The section paths that begin inside the passage (at a heading in it), at their offsets in `text`.
    public var sectionStarts: [SectionStart] = []
    /// The model input: [CLS], the passage's pieces, [SEP].
    public var ids: [Int32]
    /// The passage's keyword terms (`KeywordTerms.terms` of its text with the index's dictionary, repeats
    /// kept): what the keyword index holds for it, derived once here so that every store persists the same terms.
    public var terms: [String]

    /// The separator between the headings of a section path.
    public static let sectionSeparator = " > "

    /// The SHA-256 (hex) of the exact encoder input (`ids`, as little-endian 32-bit integers): passages with
    /// the same input share one vector, so a stored one is reused instead of embedding again.
    public var inputHash: String { Chunk.inputHash(ids) }

    /// The input hash of a list of token ids.
    public static func inputHash(_ ids: [Int32]) -> String {
        var hasher = SHA256()
        ids.withUnsafeBufferPointer { buffer in
            hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
        }
        return hasher.finalize().hexString
    }

    /// A passage; its keyword terms are derived from `text`, keeping `dictionary`'s words whole.
    public init(
        ordinal: Int, text: String, start: Int, end: Int, page: Int?, pageEnd: Int? = nil, section: String? = nil, ocr: Bool = false,
        sectionStarts: [SectionStart] = [], ids: [Int32], dictionary: KeywordDictionary = .empty
    ) {
        self.terms = KeywordTerms.terms(text, dictionary: dictionary)
        self.ordinal = ordinal
        self.text = text
        self.start = start
        self.end = end
        self.page = page
        self.pageEnd = pageEnd ?? page
        self.section = section
        self.sectionStarts = sectionStarts
        self.ocr = ocr
        self.ids = ids
    }
}

/// Cuts a document into passages: sentences first, packed into at most `chunkTokens` model tokens (counted
/// with the model's own tokenizer), consecutive passages sharing up to `overlapTokens` tokens of sentences;
/// a sentence longer than a passage is cut by tokens. Boundaries are content-defined: a passage ends after
/// the first sentence whose own text hashes to a boundary (see `Boundary`), so an edit changes only the
/// passages around it and the rest keep their exact text (and their vectors can be reused).
public struct Chunker: Sendable {
    public let tokenizer: TextTokenizer
    public let options: ChunkingOptions
    /// The text the model puts before every passage (a sentence-transformers passage prompt such as e5's
    /// `"passage: "`): a passage's model input is the tokens of the prompt and its text, and the prompt's tokens
    /// come out of the passage's budget.
    public let passagePrompt: String
    /// The words the passages' keyword terms keep whole (the index's dictionary).
    public let dictionary: KeywordDictionary
    /// The prompt's token count.
    private let promptTokens: Int

    /// A chunker counting tokens with a model's tokenizer; an error when the prompt leaves passages no room.
    public init(tokenizer: TextTokenizer, options: ChunkingOptions, passagePrompt: String = "", dictionary: KeywordDictionary = .empty) throws {
        self.tokenizer = tokenizer
        self.options = options
        self.passagePrompt = passagePrompt
        self.dictionary = dictionary
        promptTokens = passagePrompt.isEmpty ? 0 : try tokenizer.pieces(passagePrompt).count
        guard promptTokens == 0 || options.chunkTokens - 2 - promptTokens >= 8 else {
            throw KorSearchError(
                .invalidArgument,
                "--chunk-tokens \(options.chunkTokens) leaves no room for passages after the model's passage prompt (\(promptTokens) tokens)")
        }
    }

    /// The tokens of a passage's own text.
    private var budget: Int { options.chunkTokens - 2 - promptTokens }

    /// A sentence (or a table line, or part of one too long for a passage): what passages are packed from.
    private struct Piece {
        /// Where it is in the document's text (Unicode scalars), and its token count on its own.
        var range: Range<Int>
        var tokens: Int
        var page: Int?
        /// Whether its text came from OCR.
        var ocr = false
        /// The index into `headers` of the table it belongs to, and whether it is one of that table's caption,
        /// unit or header lines.
        var table: Int?
        var header: Bool
        /// The index of its section path.
        var section: Int?
        /// Whether it leads what follows (a heading, a table's caption, unit and header lines): a passage does
        /// not end on it when it can help it.
        var leads: Bool
    }

    /// A passage's model input: `[CLS]`, the pieces of the prompt and the passage, `[SEP]` (at most
    /// `chunkTokens`). Without a prompt the passage's own pieces, already counted, are the input.
    private func modelInput(_ pieces: [Int32], text: String) throws -> [Int32] {
        let all = passagePrompt.isEmpty ? pieces : try tokenizer.pieces(passagePrompt + text)
        return [tokenizer.clsId] + all.prefix(options.chunkTokens - 2) + [tokenizer.sepId]
    }

    /// The passages of a document, in order: the sentences of each block (a table's rows, each a line),
    /// packed across blocks. A passage that starts inside a table, after its header, begins with the table's
    /// caption, unit and header lines again — so every piece of a long table says what its columns are — and
    /// never overlaps the passage before it (the repeated header is its context).
    public func chunks(of document: LoadedDocument) throws -> [Chunk] {
        let scalars = Array(document.text.unicodeScalars)
        var pieces: [Piece] = []
        var headers: [(text: String, tokens: Int)?] = []
        // The section paths met so far (a piece points to one), and the open headings by level.
        var sections: [String] = []
        var open: [(level: Int, text: String)] = []
        for placed in document.blocks {
            if case .heading(let level) = placed.block.kind {
                open.removeAll { $0.level >= level }
                open.append((level, placed.block.text.split(whereSeparator: \.isNewline).joined(separator: " ")))
                sections.append(open.map(\.text).joined(separator: Chunk.sectionSeparator))
            }
            let section = sections.isEmpty ? nil : sections.count - 1
            let block = Array(scalars[placed.start ..< placed.end])
            // A table's units are its lines (caption, unit, rows), never sentences inside a row's cells.
            if case .table(let table) = placed.block.kind {
                let lines = Chunker.lines(block)
                let headerLines = min(lines.count, (table.caption == nil ? 0 : 1) + (table.unit == nil ? 0 : 1) + table.headerRows)
                var header: (text: String, tokens: Int)?
                if headerLines > 0, headerLines < lines.count {
                    let text = lines.prefix(headerLines).map { self.text($0.lowerBound + placed.start ..< $0.upperBound + placed.start, scalars) }
                        .joined(separator: "\n")
                    let tokens = try tokenizer.pieces(text).count
                    // A header worth more than half a passage is not repeated.
                    if tokens <= budget / 2 { header = (text, tokens) }
                }
                headers.append(header)
                for (index, line) in lines.enumerated() {
                    let range = placed.start + line.lowerBound ..< placed.start + line.upperBound
                    for part in try fit(range, scalars) {
                        pieces.append(
                            Piece(
                                range: part.range, tokens: part.tokens, page: placed.block.page, ocr: placed.block.ocr, table: headers.count - 1,
                                header: index < headerLines, section: section, leads: index < headerLines))
                    }
                }
            } else {
                for sentence in SentenceSplitter.split(block) {
                    let range = placed.start + sentence.lowerBound ..< placed.start + sentence.upperBound
                    let heading = if case .heading = placed.block.kind { true } else { false }
                    for part in try fit(range, scalars) {
                        pieces.append(
                            Piece(
                                range: part.range, tokens: part.tokens, page: placed.block.page, ocr: placed.block.ocr, table: nil,
                                header: false, section: section, leads: heading))
                    }
                }
            }
        }

        // A slide's pieces stay in its passages (a passage never runs from one slide into the next).
        func sameSlide(_ one: Int, _ other: Int) -> Bool { !document.slides || pieces[one].page == pieces[other].page }
        var chunks: [Chunk] = []
        var first = 0
        while first < pieces.count {
            // Inside a table, past its header: the header goes first.
            var prefix: (text: String, tokens: Int)?
            if let table = pieces[first].table, !pieces[first].header, let header = headers[table] { prefix = header }
            let room = budget - (prefix.map { $0.tokens + 1 } ?? 0)
            // Greedy: as many sentences as fit the budget by their own counts…
            var last = first
            var total = pieces[first].tokens
            while last + 1 < pieces.count, total + pieces[last + 1].tokens <= room, sameSlide(first, last + 1) {
                last += 1
                total += pieces[last].tokens
            }
            // …but end at the first content-defined boundary once the passage is half full: a sentence whose
            // own text hashes to a boundary ends a passage wherever it stands, so an edit moves only the
            // boundaries up to the next such sentence and every passage after that is the same as before.
            var filled = 0
            for index in first ..< last {
                filled += pieces[index].tokens
                let boundary = pieces[index].leads ? .none : boundaryLevel(pieces[index].range, scalars)
                if boundary == .strong && filled >= room / 4 || boundary == .weak && filled >= room / 2 {
                    last = index
                    break
                }
            }
            // …then the real count of the joined text, which can differ at the seams.
            func passage(_ last: Int) -> String {
                let own = text(pieces[first].range.lowerBound ..< pieces[last].range.upperBound, scalars)
                return prefix.map { $0.text + "\n" + own } ?? own
            }
            var ids = try tokenizer.pieces(passage(last))
            while ids.count > budget, last > first {
                last -= 1
                ids = try tokenizer.pieces(passage(last))
            }
            // Headings and a table's caption, unit and header lines stay with what follows: a passage that would
            // end on them ends before them instead (unless they begin it, or they and the next piece fill more
            // than a passage).
            if pieces[last].leads, last + 1 < pieces.count, sameSlide(last, last + 1) {
                var start = last
                while start > first, pieces[start - 1].leads { start -= 1 }
                if start > first, pieces[start ... last + 1].map(\.tokens).reduce(0, +) <= budget {
                    last = start - 1
                    ids = try tokenizer.pieces(passage(last))
                }
            }
            let range = pieces[first].range.lowerBound ..< pieces[last].range.upperBound
            // Where a heading inside the passage begins a section: its offset in the passage's text (after a
            // repeated table header and its line break).
            let shift = (prefix.map { $0.text.unicodeScalars.count + 1 } ?? 0) - range.lowerBound
            let starts = (first ..< last + 1).dropFirst().compactMap { index -> SectionStart? in
                guard let section = pieces[index].section, section != pieces[index - 1].section else { return nil }
                return SectionStart(offset: pieces[index].range.lowerBound + shift, section: sections[section])
            }
            chunks.append(
                Chunk(
                    ordinal: chunks.count, text: passage(last), start: range.lowerBound, end: range.upperBound,
                    page: document.paged ? pieces[first].page : nil, pageEnd: document.paged ? pieces[last].page : nil,
                    section: pieces[first].section.map { sections[$0] }, ocr: pieces[first ... last].contains { $0.ocr },
                    sectionStarts: starts, ids: try modelInput(ids, text: passage(last)), dictionary: dictionary))
            if last + 1 >= pieces.count { break }
            // The next passage starts with trailing sentences worth at most `overlapTokens`, always moving on;
            // a table's rows are not repeated (a passage continuing a table repeats its header instead).
            var next = last + 1
            var overlap = 0
            while next - 1 > first, pieces[next - 1].table == nil, pieces[next].table == nil, sameSlide(next - 1, last + 1),
                overlap + pieces[next - 1].tokens <= options.overlapTokens
            {
                next -= 1
                overlap += pieces[next].tokens
            }
            first = next
        }
        return chunks
    }

    /// How strongly a sentence ends a passage, by its own text's hash (so the choice does not depend on where
    /// passages happened to start): one sentence in three is a weak boundary, ending a passage at least half
    /// full; one in nine a strong one, ending a passage at least a quarter full. Measured on a 400-sentence
    /// report (`ReuseTests`): one inserted sentence changes 1.6 passages on average and 5 at worst, against
    /// 24.5 and 66 with greedy packing, for about half again as many passages.
    enum Boundary { case none, weak, strong }

    private func boundaryLevel(_ range: Range<Int>, _ scalars: [Unicode.Scalar]) -> Boundary {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for scalar in scalars[range] {
            hash ^= UInt64(scalar.value)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 29  // FNV's low bits alone mix poorly
        guard hash % 3 == 0 else { return .none }
        return (hash / 3) % 3 == 0 ? .strong : .weak
    }

    /// A sentence as one or more pieces of at most `budget` tokens, cut at a space where one is near. The
    /// sentence is tokenized once; each cut is placed after `budget` of its tokens (their spans say where),
    /// and only the piece cut off is tokenized again to count it — linear in the sentence's length.
    private func fit(_ sentence: Range<Int>, _ scalars: [Unicode.Scalar]) throws -> [(range: Range<Int>, tokens: Int)] {
        let whole = try tokenizer.piecesWithSpans(text(sentence, scalars))
        if whole.count <= budget { return [(sentence, whole.count)] }
        let base = sentence.lowerBound
        var parts: [(range: Range<Int>, tokens: Int)] = []
        var start = sentence.lowerBound
        var first = 0  // the first token of the whole sentence not yet in a part
        while start < sentence.upperBound {
            while first < whole.count, base + whole[first].span.lowerBound < start { first += 1 }
            if whole.count - first <= budget {
                let rest = start ..< sentence.upperBound
                let count = try encode(rest, scalars).count
                if count <= budget {
                    parts.append((rest, count))
                    break
                }
            }
            // Cut before the token `take` places on; fewer when the piece cut off counts more on its own.
            var take = min(budget, whole.count - first - 1)
            while true {
                let cutToken = first + max(take, 1)
                var cut = cutToken < whole.count ? base + whole[cutToken].span.lowerBound : sentence.upperBound
                if cut <= start { cut = min(sentence.upperBound, start + 1) }
                if let space = (start + (cut - start) / 2 ..< cut).last(where: { scalars[$0].properties.isWhitespace }), space > start {
                    cut = space
                }
                var end = cut
                while end > start, scalars[end - 1].properties.isWhitespace { end -= 1 }
                let count = end > start ? try encode(start ..< end, scalars).count : 0
                if count <= budget || take <= 1 {
                    if end > start { parts.append((start ..< end, min(count, budget))) }
                    start = cut
                    break
                }
                take -= max(1, count - budget)
            }
            while start < sentence.upperBound, scalars[start].properties.isWhitespace { start += 1 }
        }
        return parts
    }

    /// The non-empty lines of a block, as ranges.
    static func lines(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        var start = 0
        for index in 0 ... scalars.count where index == scalars.count || scalars[index] == "\n" {
            if index > start { lines.append(start ..< index) }
            start = index + 1
        }
        return lines
    }

    private func encode(_ range: Range<Int>, _ scalars: [Unicode.Scalar]) throws -> [Int32] {
        try tokenizer.pieces(text(range, scalars))
    }

    private func text(_ range: Range<Int>, _ scalars: [Unicode.Scalar]) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[range])
        return String(view)
    }
}
