import Foundation

/// A SentencePiece tokenizer as transformers runs it for DeBERTa-v2 and XLM-RoBERTa: pieces wrapped as
/// `[CLS] pieces [SEP]` (`<s> pieces </s>`), truncated to a maximum length that always keeps the last token.
/// Special tokens come from `tokenizer_config.json` and `special_tokens_map.json` when the model folder has them,
/// else the layout's defaults.
public final class DebertaTokenizer: Sendable {
    /// How SentencePiece's piece ids become the model's token ids.
    public enum IdLayout: Sendable, Equatable {
        /// The model's ids are SentencePiece's (DeBERTa-v2: the special tokens are pieces of the model).
        case sentencePiece
        /// fairseq's vocabulary (XLM-RoBERTa): `<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, then every piece one
        /// place after its SentencePiece id; SentencePiece's unknown piece becomes `<unk>`.
        case fairseq
    }

    /// The SentencePiece model that segments text.
    public let sentencePiece: SentencePieceModel
    /// The id of `[CLS]`, the first token of every sequence.
    public let clsId: Int32
    /// The id of `[SEP]`, the last token of every sequence.
    public let sepId: Int32
    /// The id of `[PAD]`.
    public let padId: Int32
    /// How piece ids map to token ids.
    public let layout: IdLayout
    /// The token id of an unknown piece.
    private let unknownTokenId: Int32

    /// Creates a tokenizer from a SentencePiece model and the ids of its special tokens.
    public init(sentencePiece: SentencePieceModel, clsId: Int32, sepId: Int32, padId: Int32, layout: IdLayout = .sentencePiece) {
        self.sentencePiece = sentencePiece
        self.clsId = clsId
        self.sepId = sepId
        self.padId = padId
        self.layout = layout
        unknownTokenId = layout == .fairseq ? DebertaTokenizer.fairseqSpecials["<unk>"]! : sentencePiece.unknownId
    }

    /// fairseq's four special tokens and their ids.
    static let fairseqSpecials: [String: Int32] = ["<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3]

    /// Loads the SentencePiece model (`spm.model`, `tokenizer.model` or `sentencepiece.bpe.model`) and the
    /// special-token files of a model folder.
    public convenience init(directory: URL, layout: IdLayout = .sentencePiece) throws {
        let modelURL = try ModelFiles.tokenizerModel(in: directory)
        let model = try SentencePieceModel(contentsOf: modelURL)
        let special = try SpecialTokens(directory: directory, layout: layout)
        func resolve(_ role: String, _ token: String) throws -> Int32 {
            switch layout {
            case .sentencePiece:
                if let id = model.id(ofPiece: token) { return id }
                if let id = special.addedTokenIds[token] { return Int32(id) }
            case .fairseq:
                if let id = special.addedTokenIds[token] { return Int32(id) }
                if let id = DebertaTokenizer.fairseqSpecials[token] { return id }
                if let id = model.id(ofPiece: token) { return id + 1 }
            }
            throw EncoderError(.tokenizer, "\(modelURL.path): the \(role) token \(token) is neither a piece of the model nor an added token")
        }
        self.init(
            sentencePiece: model,
            clsId: try resolve("cls", special.cls),
            sepId: try resolve("sep", special.sep),
            padId: try resolve("pad", special.pad),
            layout: layout)
    }

    /// The id layout of a model's tokenizer: fairseq's for XLM-RoBERTa and RoBERTa, SentencePiece's own else.
    public static func layout(of config: DebertaV2Config) -> IdLayout {
        config.architecture == .xlmRoberta || config.architecture == .roberta ? .fairseq : .sentencePiece
    }

    /// The tokenizer of a model folder, in the layout its `config.json` implies, and the longest input the
    /// model takes unless told otherwise (`Embedder.defaultMaxLength(config:stack:)`). A folder with only a
    /// SentencePiece model (no `config.json`) tokenizes as DeBERTa-v2 does.
    public static func load(modelDirectory: URL) throws -> (tokenizer: DebertaTokenizer, maxLength: Int) {
        let configURL = modelDirectory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            return (try DebertaTokenizer(directory: modelDirectory), Embedder.defaultMaxLength)
        }
        let config = try DebertaV2Config(contentsOf: configURL)
        let stack = try SentenceTransformerStack(directory: modelDirectory)
        return (
            try DebertaTokenizer(directory: modelDirectory, layout: layout(of: config)),
            Embedder.defaultMaxLength(config: config, stack: stack)
        )
    }

    /// The model's token id of a SentencePiece id.
    private func tokenId(_ piece: Int32) -> Int32 {
        switch layout {
        case .sentencePiece: piece
        case .fairseq: piece == sentencePiece.unknownId ? unknownTokenId : piece + 1
        }
    }

    /// The token ids of a text's pieces, without special tokens.
    public func pieces(_ text: String) throws -> [Int32] {
        let ids = try sentencePiece.encode(text)
        return layout == .sentencePiece ? ids : ids.map(tokenId)
    }

    /// The token ids of a text's pieces with the span of text (in Unicode scalars) each covers.
    public func piecesWithSpans(_ text: String) throws -> [(id: Int32, span: Range<Int>)] {
        let pieces = try sentencePiece.encodeWithSpans(text)
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
}

/// The special tokens named by a model folder's tokenizer files.
private struct SpecialTokens {
    var cls = "[CLS]"
    var sep = "[SEP]"
    var pad = "[PAD]"
    /// `added_tokens_decoder` of `tokenizer_config.json`: tokens outside the SentencePiece vocabulary.
    var addedTokenIds: [String: Int] = [:]

    init(directory: URL, layout: DebertaTokenizer.IdLayout) throws {
        if layout == .fairseq {
            cls = "<s>"
            sep = "</s>"
            pad = "<pad>"
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
            cls = token("cls_token") ?? cls
            sep = token("sep_token") ?? sep
            pad = token("pad_token") ?? pad
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
