import Foundation

/// A WordPiece vocabulary with BERT's text normalization, as Hugging Face's `BertTokenizerFast` runs it (the
/// tokenizer of BERT, KLUE-RoBERTa and the Korean sentence encoders built on them, e.g. ko-sroberta and KoSimCSE):
///
/// 1. clean the text: drop NUL, U+FFFD and control characters (general category C, except tab, newline and
///    carriage return); every whitespace character becomes a space;
/// 2. put spaces around CJK ideographs (Hanja) so each is its own word;
/// 3. strip accents when told (by default when lowercasing): canonical decomposition (NFD), then drop nonspacing
///    marks. NFD splits a Hangul syllable into its jamo, so a lowercasing model sees Korean as jamo — exactly as
///    transformers does; a cased model (KLUE's, `do_lower_case: false`) keeps its syllables;
/// 4. lowercase when told;
/// 5. split into words at whitespace and around every punctuation character (ASCII punctuation and Unicode's P
///    categories);
/// 6. cut each word greedily into the longest pieces in the vocabulary, later pieces with the `##` prefix; a word
///    with a part no piece matches, or longer than 100 characters, is one unknown token.
///
/// Written here rather than bound from a library: the reference is a short algorithm over a text vocabulary, and
/// the passage splitter needs each piece's span in the original text, which Hugging Face's C-less tokenizers give
/// only through Python. Thread-safe.
public final class WordPieceModel: Sendable {
    /// How text is normalized before it is split.
    public struct Normalization: Sendable, Equatable {
        /// Drop control characters, turn whitespace into spaces.
        public var cleanText = true
        /// Make each CJK ideograph a word of its own.
        public var isolateCJKIdeographs = true
        /// Decompose (NFD) and drop nonspacing marks.
        public var stripAccents = false
        /// Lowercase.
        public var lowercase = false

        /// BERT's normalization: lowercasing with `stripAccents` following it unless told (`strip_accents: null`).
        public init(lowercase: Bool, stripAccents: Bool? = nil, isolateCJKIdeographs: Bool = true, cleanText: Bool = true) {
            self.lowercase = lowercase
            self.stripAccents = stripAccents ?? lowercase
            self.isolateCJKIdeographs = isolateCJKIdeographs
            self.cleanText = cleanText
        }
    }

    /// The id of every piece.
    private let ids: [String: Int32]
    /// The longest piece, in Unicode scalars (the `##` prefix included): no match is tried beyond it.
    private let longestPiece: Int
    /// The normalization.
    public let normalization: Normalization
    /// The id of the unknown token.
    public let unknownId: Int32
    /// The prefix of a piece that continues a word.
    public let continuingPrefix: String
    /// A word longer than this (in characters, after normalization) is one unknown token.
    public let maxCharactersPerWord: Int

    /// Number of pieces in the vocabulary.
    public var vocabularySize: Int { ids.count }

    /// Creates a model from its vocabulary (piece to id) and options; an error when the unknown token is not
    /// in the vocabulary.
    public init(
        vocabulary: [String: Int32], normalization: Normalization, unknownToken: String = "[UNK]", continuingPrefix: String = "##",
        maxCharactersPerWord: Int = 100, source: String = "the WordPiece vocabulary"
    ) throws {
        guard let unknownId = vocabulary[unknownToken] else {
            throw EncoderError(.tokenizer, "\(source) has no unknown token \(unknownToken)")
        }
        ids = vocabulary
        longestPiece = vocabulary.keys.map(\.unicodeScalars.count).max() ?? 0
        self.normalization = normalization
        self.unknownId = unknownId
        self.continuingPrefix = continuingPrefix
        self.maxCharactersPerWord = maxCharactersPerWord
    }

    /// Reads `vocab.txt`: one piece per line, its id the line's number from 0.
    public static func vocabulary(contentsOf url: URL) throws -> [String: Int32] {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw EncoderError(.missingFile, "cannot read \(url.path) as UTF-8 text")
        }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty, lines.count < Int(Int32.max) else {
            throw EncoderError(.corruptFile, "\(url.path) is not a WordPiece vocabulary (one piece per line)")
        }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            // transformers strips each line's trailing newline only; a later duplicate takes the earlier's place.
            let piece = line.hasSuffix("\r") ? String(line.dropLast()) : line
            vocabulary[piece] = Int32(index)
        }
        return vocabulary
    }

    /// The kind of model a `tokenizer.json` describes (`WordPiece`, `Unigram`, `BPE`, ...).
    static func modelType(tokenizerJSON url: URL) throws -> String? {
        try tokenizerJSON(url).model["type"]?.stringValue
    }

    /// The model object and all fields of a `tokenizer.json`.
    static func tokenizerJSON(_ url: URL) throws -> (model: [String: JSONValue], fields: [String: JSONValue]) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw EncoderError(.missingFile, "cannot read \(url.path)")
        }
        guard let fields = JSONValue.parse(data)?.objectValue, let model = fields["model"]?.objectValue else {
            throw EncoderError(.corruptFile, "\(url.path) is not a tokenizers JSON file (no model object)")
        }
        return (model, fields)
    }

    /// Reads a `tokenizer.json` whose model is WordPiece (its vocabulary, unknown token, prefix and word limit)
    /// with BERT's normalizer and pre-tokenizer, the file a fast BERT tokenizer is published as; an error names
    /// any other normalizer or pre-tokenizer.
    public convenience init(tokenizerJSON url: URL) throws {
        try self.init(tokenizerJSON: try WordPieceModel.tokenizerJSON(url).fields, source: url.path)
    }

    /// Reads the parsed fields of a `tokenizer.json` (see `init(tokenizerJSON:)`); `source` names it in errors.
    convenience init(tokenizerJSON fields: [String: JSONValue], source: String) throws {
        let model = fields["model"]?.objectValue ?? [:]
        guard model["type"]?.stringValue == "WordPiece", let entries = model["vocab"]?.objectValue else {
            throw EncoderError(.unsupportedConfiguration, "\(source): its model is \(model["type"]?.stringValue ?? "unnamed"), not WordPiece")
        }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(entries.count)
        for (piece, id) in entries {
            guard let id = id.intValue, id >= 0, id < Int(Int32.max) else {
                throw EncoderError(.corruptFile, "\(source): the vocabulary's entry \(piece) has no valid id")
            }
            vocabulary[piece] = Int32(id)
        }
        var normalization = Normalization(lowercase: false, stripAccents: false, isolateCJKIdeographs: false, cleanText: false)
        switch fields["normalizer"] {
        case .object(let normalizer)? where normalizer["type"]?.stringValue == "BertNormalizer":
            func flag(_ key: String) -> Bool? {
                if case .bool(let value)? = normalizer[key] { return value }
                return nil
            }
            normalization = Normalization(
                lowercase: flag("lowercase") ?? true, stripAccents: flag("strip_accents"),
                isolateCJKIdeographs: flag("handle_chinese_chars") ?? true, cleanText: flag("clean_text") ?? true)
        case .null?, nil:
            break
        case let other?:
            throw EncoderError(
                .unsupportedConfiguration,
                "\(source): normalizer \(other.objectValue?["type"]?.stringValue ?? other.summary) is not one this engine runs (BertNormalizer)")
        }
        let preTokenizer = fields["pre_tokenizer"]?.objectValue?["type"]?.stringValue
        guard preTokenizer == "BertPreTokenizer" else {
            throw EncoderError(
                .unsupportedConfiguration, "\(source): pre-tokenizer \(preTokenizer ?? "none") is not one this engine runs (BertPreTokenizer)")
        }
        try self.init(
            vocabulary: vocabulary, normalization: normalization, unknownToken: model["unk_token"]?.stringValue ?? "[UNK]",
            continuingPrefix: model["continuing_subword_prefix"]?.stringValue ?? "##",
            maxCharactersPerWord: model["max_input_chars_per_word"]?.intValue ?? 100, source: source)
    }

    /// The id of a piece, or nil when the vocabulary has no such piece.
    public func id(ofPiece piece: String) -> Int32? { ids[piece] }

    /// The piece ids of a text (no special tokens added).
    public func encode(_ text: String) -> [Int32] { encodeWithSpans(text).map(\.id) }

    /// The piece ids of a text with the span of the original text (in Unicode scalars) each covers.
    public func encodeWithSpans(_ text: String) -> [(id: Int32, span: Range<Int>)] {
        var result: [(id: Int32, span: Range<Int>)] = []
        var word: [Unicode.Scalar] = []
        var origins: [Int] = []
        func finishWord() {
            if !word.isEmpty { pieces(of: word, origins: origins, into: &result) }
            word.removeAll(keepingCapacity: true)
            origins.removeAll(keepingCapacity: true)
        }
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if normalization.cleanText, scalar.value == 0 || scalar.value == 0xFFFD || WordPieceModel.isControl(scalar) { continue }
            if normalization.isolateCJKIdeographs, WordPieceModel.isCJKIdeograph(scalar) {
                finishWord()
                pieces(of: normalized(scalar), origins: [index], into: &result)
                continue
            }
            for character in normalized(scalar) {
                if character.properties.isWhitespace {
                    finishWord()
                } else if WordPieceModel.isPunctuation(character) {
                    finishWord()
                    pieces(of: [character], origins: [index], into: &result)
                } else {
                    word.append(character)
                    origins.append(index)
                }
            }
        }
        finishWord()
        return result
    }

    /// One scalar after accent stripping and lowercasing (none, one or several scalars).
    private func normalized(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        if scalar.isASCII && !normalization.lowercase { return [scalar] }
        var scalars = [scalar]
        if normalization.stripAccents {
            scalars = String(Character(scalar)).decomposedStringWithCanonicalMapping.unicodeScalars
                .filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if normalization.lowercase {
            scalars = scalars.flatMap { Array($0.properties.lowercaseMapping.unicodeScalars) }
        }
        return scalars
    }

    /// The pieces of one word: the longest vocabulary entries from its start, or the unknown token for the
    /// whole word when one part matches nothing.
    private func pieces(of word: [Unicode.Scalar], origins: [Int], into result: inout [(id: Int32, span: Range<Int>)]) {
        guard !word.isEmpty else { return }
        let whole = origins.first! ..< origins.last! + 1
        guard word.count <= maxCharactersPerWord else {
            result.append((unknownId, whole))
            return
        }
        var found: [(id: Int32, span: Range<Int>)] = []
        var start = 0
        while start < word.count {
            let prefix = start > 0 ? continuingPrefix : ""
            var end = min(word.count, start + max(0, longestPiece - prefix.unicodeScalars.count))
            var match: Int32?
            while end > start {
                var piece = String.UnicodeScalarView()
                piece.append(contentsOf: prefix.unicodeScalars)
                piece.append(contentsOf: word[start ..< end])
                if let id = ids[String(piece)] {
                    match = id
                    break
                }
                end -= 1
            }
            guard let match else {
                result.append((unknownId, whole))
                return
            }
            found.append((match, origins[start] ..< origins[end - 1] + 1))
            start = end
        }
        result.append(contentsOf: found)
    }

    /// A control character as BERT's cleaning sees it: general category C (control, format, unassigned, private
    /// use, surrogate), except tab, newline and carriage return, which are whitespace.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// Punctuation as BERT splits it: every ASCII symbol and punctuation mark, and Unicode's P categories.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (33 ... 47).contains(value) || (58 ... 64).contains(value) || (91 ... 96).contains(value) || (123 ... 126).contains(value) {
            return true
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation,
            .otherPunctuation:
            return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT isolates (Hangul and kana are not among them).
    static func isCJKIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00 ... 0x9FFF, 0x3400 ... 0x4DBF, 0x20000 ... 0x2A6DF, 0x2A700 ... 0x2B73F, 0x2B740 ... 0x2B81F, 0x2B820 ... 0x2CEAF,
            0xF900 ... 0xFAFF, 0x2F800 ... 0x2FA1F:
            return true
        default: return false
        }
    }
}
