import Foundation

/// A model's tokenizer as transformers runs it: SentencePiece (DeBERTa-v2; XLM-RoBERTa with fairseq's ids) or
/// WordPiece (BERT, and RoBERTa models trained with BERT's tokenizer such as KLUE's). One text is wrapped as
/// `[CLS] pieces [SEP]` (`<s> pieces </s>`), truncated to a maximum length that always keeps the last token; a
/// pair as BERT or RoBERTa pairs them. Special tokens come from `tokenizer_config.json` and
/// `special_tokens_map.json` when the model folder has them, else the layout's defaults.
///
/// Text that spells a special token (`[SEP]`, `</s>`) is tokenized as text: a document cannot inject the
/// model's control tokens (transformers would take them as the tokens).
public final class TextTokenizer: Sendable {
    /// How the text's pieces become the model's token ids.
    public enum IdLayout: Sendable, Equatable {
        /// The model's ids are SentencePiece's (DeBERTa-v2: the special tokens are pieces of the model).
        case sentencePiece
        /// fairseq's vocabulary (XLM-RoBERTa): `<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, then every piece one
        /// place after its SentencePiece id; SentencePiece's unknown piece becomes `<unk>`.
        case fairseq
        /// A WordPiece vocabulary (`vocab.txt`, or the `WordPiece` model of a `tokenizer.json`): ids are the
        /// vocabulary's.
        case wordPiece
    }

    /// How a pair (a query and a passage, for a cross-encoder) is put together.
    public enum PairLayout: Sendable, Equatable {
        /// `[CLS] first [SEP] second [SEP]`, the second part token type 1 (BERT, DeBERTa-v2).
        case bert
        /// `<s> first </s></s> second </s>`, one token type (RoBERTa, XLM-RoBERTa).
        case roberta
    }

    /// The SentencePiece model that segments text, for the SentencePiece layouts.
    public let sentencePiece: SentencePieceModel?
    /// The WordPiece vocabulary that segments text, for `.wordPiece`.
    public let wordPiece: WordPieceModel?
    /// The id of `[CLS]`, the first token of every sequence.
    public let clsId: Int32
    /// The id of `[SEP]`, the last token of every sequence.
    public let sepId: Int32
    /// The id of `[PAD]`.
    public let padId: Int32
    /// How piece ids map to token ids.
    public let layout: IdLayout
    /// How pairs are put together.
    public let pairLayout: PairLayout
    /// The token id of an unknown piece.
    private let unknownTokenId: Int32

    /// Creates a SentencePiece tokenizer from a model and the ids of its special tokens.
    public init(
        sentencePiece: SentencePieceModel, clsId: Int32, sepId: Int32, padId: Int32, layout: IdLayout = .sentencePiece,
        pairLayout: PairLayout? = nil
    ) {
        precondition(layout != .wordPiece, "a SentencePiece model has a SentencePiece layout")
        self.sentencePiece = sentencePiece
        wordPiece = nil
        self.clsId = clsId
        self.sepId = sepId
        self.padId = padId
        self.layout = layout
        self.pairLayout = pairLayout ?? (layout == .fairseq ? .roberta : .bert)
        unknownTokenId = layout == .fairseq ? TextTokenizer.fairseqSpecials["<unk>"]! : sentencePiece.unknownId
    }

    /// Creates a WordPiece tokenizer from a vocabulary and the ids of its special tokens.
    public init(wordPiece: WordPieceModel, clsId: Int32, sepId: Int32, padId: Int32, pairLayout: PairLayout = .bert) {
        sentencePiece = nil
        self.wordPiece = wordPiece
        self.clsId = clsId
        self.sepId = sepId
        self.padId = padId
        layout = .wordPiece
        self.pairLayout = pairLayout
        unknownTokenId = wordPiece.unknownId
    }

    /// fairseq's four special tokens and their ids.
    static let fairseqSpecials: [String: Int32] = ["<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3]

    /// Loads a model folder's tokenizer: its SentencePiece model (`spm.model`, `tokenizer.model` or
    /// `sentencepiece.bpe.model`) in `layout` when it has one, else its WordPiece vocabulary (`vocab.txt`, or a
    /// `tokenizer.json` whose model is WordPiece), else a Unigram `tokenizer.json` as the SentencePiece model it
    /// came from (`UnigramTokenizerJSON`; pairs as `layout` implies), and the special-token files.
    public convenience init(directory: URL, layout: IdLayout = .sentencePiece) throws {
        switch try ModelFiles.tokenizerFile(in: directory) {
        case .sentencePiece(let modelURL):
            let model = try SentencePieceModel(contentsOf: modelURL)
            let layout = layout == .wordPiece ? .sentencePiece : layout
            let special = try SpecialTokens(directory: directory, defaults: layout == .fairseq ? .fairseq : .bert)
            let ids = try special.ids(source: modelURL.path, missing: "is neither a piece of the model nor an added token") { token in
                switch layout {
                case .sentencePiece, .wordPiece:
                    model.id(ofPiece: token)
                case .fairseq:
                    // fairseq's vocabulary: added tokens and its four specials come before the shifted pieces.
                    special.addedTokenIds[token].map(Int32.init) ?? TextTokenizer.fairseqSpecials[token] ?? model.id(ofPiece: token).map { $0 + 1 }
                }
            }
            self.init(sentencePiece: model, clsId: ids.cls, sepId: ids.sep, padId: ids.pad, layout: layout)
        case .wordPieceVocabulary(let vocabURL):
            let special = try SpecialTokens(directory: directory, defaults: .bert)
            let normalization = WordPieceModel.Normalization(
                lowercase: special.doLowerCase ?? true, stripAccents: special.stripAccents,
                isolateCJKIdeographs: special.tokenizeChineseCharacters ?? true)
            let model = try WordPieceModel(
                vocabulary: try WordPieceModel.vocabulary(contentsOf: vocabURL), normalization: normalization, unknownToken: special.unk,
                source: vocabURL.path)
            let ids = try special.ids(source: vocabURL.path, missing: "is not in the vocabulary") { model.id(ofPiece: $0) }
            self.init(wordPiece: model, clsId: ids.cls, sepId: ids.sep, padId: ids.pad)
        case .tokenizerJSON(let url):
            // Read once: a Unigram tokenizer.json of a 250,000-piece vocabulary is many megabytes.
            let fields = try WordPieceModel.tokenizerJSON(url).fields
            switch fields["model"]?.objectValue?["type"]?.stringValue {
            case "WordPiece":
                let special = try SpecialTokens(directory: directory, defaults: .bert)
                let model = try WordPieceModel(tokenizerJSON: fields, source: url.path)
                let ids = try special.ids(source: url.path, missing: "is not in the vocabulary") { model.id(ofPiece: $0) }
                self.init(wordPiece: model, clsId: ids.cls, sepId: ids.sep, padId: ids.pad)
            case "Unigram":
                // The SentencePiece model it came from, its ids already the model's (no fairseq shift to apply).
                let model = try SentencePieceModel(
                    serializedModel: try UnigramTokenizerJSON.sentencePieceModel(fields, source: url.path), source: url.path)
                let special = try SpecialTokens(directory: directory, defaults: layout == .fairseq ? .fairseq : .bert)
                let ids = try special.ids(source: url.path, missing: "is not in the vocabulary") { model.id(ofPiece: $0) }
                self.init(
                    sentencePiece: model, clsId: ids.cls, sepId: ids.sep, padId: ids.pad, layout: .sentencePiece,
                    pairLayout: layout == .fairseq ? .roberta : .bert)
            case let kind:
                throw EncoderError(
                    .unsupportedConfiguration,
                    "\(url.path) is a \(kind ?? "unnamed") tokenizer and the folder has no SentencePiece model (spm.model, sentencepiece.bpe.model); this engine reads those, WordPiece (vocab.txt or tokenizer.json) and Unigram tokenizer.json"
                )
            }
        }
    }

    /// The id layout of a model's SentencePiece tokenizer: fairseq's for XLM-RoBERTa and RoBERTa, SentencePiece's
    /// own else (a folder with a WordPiece vocabulary is read as WordPiece whatever the architecture).
    public static func layout(of config: DebertaV2Config) -> IdLayout {
        config.architecture == .xlmRoberta || config.architecture == .roberta ? .fairseq : .sentencePiece
    }

    /// The tokenizer of a model folder, in the layout its `config.json` implies, and the longest input the
    /// model takes unless told otherwise (`Embedder.defaultMaxLength(config:stack:)`). A folder with only a
    /// SentencePiece model (no `config.json`) tokenizes as DeBERTa-v2 does.
    public static func load(modelDirectory: URL) throws -> (tokenizer: TextTokenizer, maxLength: Int) {
        let configURL = modelDirectory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            return (try TextTokenizer(directory: modelDirectory), Embedder.defaultMaxLength)
        }
        let config = try DebertaV2Config(contentsOf: configURL)
        let stack = try SentenceTransformerStack(directory: modelDirectory)
        return (
            try TextTokenizer(directory: modelDirectory, layout: layout(of: config)),
            Embedder.defaultMaxLength(config: config, stack: stack)
        )
    }

    /// The model's token id of a SentencePiece id.
    private func tokenId(_ piece: Int32) -> Int32 {
        switch layout {
        case .sentencePiece, .wordPiece: piece
        case .fairseq: piece == sentencePiece!.unknownId ? unknownTokenId : piece + 1
        }
    }

    /// The token ids of a text's pieces, without special tokens.
    public func pieces(_ text: String) throws -> [Int32] {
        if let wordPiece { return wordPiece.encode(text) }
        let ids = try sentencePiece!.encode(text)
        return layout == .sentencePiece ? ids : ids.map(tokenId)
    }

    /// The token ids of a text's pieces with the span of text (in Unicode scalars) each covers.
    public func piecesWithSpans(_ text: String) throws -> [(id: Int32, span: Range<Int>)] {
        if let wordPiece { return wordPiece.encodeWithSpans(text) }
        let pieces = try sentencePiece!.encodeWithSpans(text)
        return layout == .sentencePiece ? pieces : pieces.map { (tokenId($0.id), $0.span) }
    }

    /// The ids of one text: `[CLS]`, its pieces, `[SEP]`; at most `maxLength` ids (at least 2), the pieces cut
    /// at the end when the text is longer.
    public func encode(_ text: String, maxLength: Int = 512) throws -> [Int32] {
        guard maxLength >= 2 else {
            throw EncoderError(.invalidInput, "the maximum length must be at least 2 (for [CLS] and [SEP]), not \(maxLength)")
        }
        let pieces = try pieces(text)
        return [clsId] + pieces.prefix(maxLength - 2) + [sepId]
    }

    /// The number of special tokens in a pair.
    public var pairSpecialTokens: Int { pairLayout == .bert ? 3 : 4 }

    /// The token ids of a pair and where its second part starts (the first token of token type 1): BERT's
    /// `[CLS] first [SEP] second [SEP]` or RoBERTa's `<s> first </s></s> second </s>`, the longer side cut first
    /// (then both to half, the longer side keeping the odd token) until the pair fits `maxLength`, as
    /// transformers' fast tokenizers cut `longest_first` for a batch of pairs (an empty second text is an empty second part).
    public func pair(_ first: String, _ second: String, maxLength: Int) throws -> (ids: [Int32], secondStart: Int) {
        guard maxLength >= pairSpecialTokens + 1 else {
            throw EncoderError(.invalidInput, "a pair needs at least \(pairSpecialTokens + 1) tokens, not \(maxLength)")
        }
        var first = try pieces(first)
        var second = try pieces(second)
        let target = maxLength - pairSpecialTokens
        if first.count + second.count > target {
            // As tokenizers' `longest_first`: the shorter side keeps what the longer leaves it, or both keep half of
            // the room, the longer side (the second when they are equal) the odd token.
            let firstIsLonger = first.count > second.count
            var short = min(first.count, second.count)
            var long = short > target ? short : max(short, target - short)
            if short + long > target {
                short = target / 2
                long = short + target % 2
            }
            first = Array(first.prefix(firstIsLonger ? long : short))
            second = Array(second.prefix(firstIsLonger ? short : long))
        }
        switch pairLayout {
        case .bert:
            return ([clsId] + first + [sepId] + second + [sepId], first.count + 2)
        case .roberta:
            return ([clsId] + first + [sepId, sepId] + second + [sepId], first.count + 2)
        }
    }
}

/// Deprecated: the tokenizer is not DeBERTa's alone.
@available(*, deprecated, renamed: "TextTokenizer")
public typealias DebertaTokenizer = TextTokenizer

/// The special tokens and WordPiece options named by a model folder's tokenizer files.
private struct SpecialTokens {
    enum Defaults { case bert, fairseq }
    var cls = "[CLS]"
    var sep = "[SEP]"
    var pad = "[PAD]"
    var unk = "[UNK]"
    /// `do_lower_case`, `strip_accents` and `tokenize_chinese_chars` of `tokenizer_config.json`, when written.
    var doLowerCase: Bool?
    var stripAccents: Bool?
    var tokenizeChineseCharacters: Bool?
    /// `added_tokens_decoder` of `tokenizer_config.json`: tokens outside the SentencePiece vocabulary.
    var addedTokenIds: [String: Int] = [:]

    /// The ids of `[CLS]`, `[SEP]` and `[PAD]`: `lookup` finds a token in the model (as its layout orders the
    /// places to look), else it is an added token of `tokenizer_config.json`; an error names `source` and says the
    /// token `missing`.
    func ids(source: String, missing: String, lookup: (String) -> Int32?) throws -> (cls: Int32, sep: Int32, pad: Int32) {
        func resolve(_ role: String, _ token: String) throws -> Int32 {
            if let id = lookup(token) ?? addedTokenIds[token].map(Int32.init) { return id }
            throw EncoderError(.tokenizer, "\(source): the \(role) token \(token) \(missing)")
        }
        return (try resolve("cls", cls), try resolve("sep", sep), try resolve("pad", pad))
    }

    init(directory: URL, defaults: Defaults) throws {
        if defaults == .fairseq {
            cls = "<s>"
            sep = "</s>"
            pad = "<pad>"
            unk = "<unk>"
        }
        // special_tokens_map.json first; tokenizer_config.json, the newer file, overrides it.
        for name in ["special_tokens_map.json", "tokenizer_config.json"] {
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else { continue }
            guard let fields = JSONValue.parse(data)?.objectValue else {
                throw EncoderError(.corruptFile, "\(url.path) is not a JSON object")
            }
            func token(_ key: String) -> String? {
                switch fields[key] {
                case .string(let text)?: text
                case .object(let object)?: object["content"]?.stringValue
                default: nil
                }
            }
            func flag(_ key: String) -> Bool? {
                if case .bool(let value)? = fields[key] { return value }
                return nil
            }
            cls = token("cls_token") ?? cls
            sep = token("sep_token") ?? sep
            pad = token("pad_token") ?? pad
            unk = token("unk_token") ?? unk
            doLowerCase = flag("do_lower_case") ?? doLowerCase
            stripAccents = flag("strip_accents") ?? stripAccents
            tokenizeChineseCharacters = flag("tokenize_chinese_chars") ?? tokenizeChineseCharacters
            if let added = fields["added_tokens_decoder"]?.objectValue {
                for (id, entry) in added {
                    if let id = Int(id), let content = entry.objectValue?["content"]?.stringValue {
                        addedTokenIds[content] = id
                    }
                }
            }
        }
    }
}
