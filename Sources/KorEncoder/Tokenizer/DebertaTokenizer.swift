import Foundation

/// The DeBERTa-v2 tokenizer: SentencePiece pieces wrapped as `[CLS] pieces [SEP]`, truncated to a maximum
/// length that always keeps `[SEP]`. Special tokens come from `tokenizer_config.json` and
/// `special_tokens_map.json` when the model folder has them, else DeBERTa's defaults.
public final class DebertaTokenizer: Sendable {
    /// The SentencePiece model that segments text.
    public let sentencePiece: SentencePieceModel
    /// The id of `[CLS]`, the first token of every sequence.
    public let clsId: Int32
    /// The id of `[SEP]`, the last token of every sequence.
    public let sepId: Int32
    /// The id of `[PAD]`.
    public let padId: Int32

    /// Creates a tokenizer from a SentencePiece model and the ids of its special tokens.
    public init(sentencePiece: SentencePieceModel, clsId: Int32, sepId: Int32, padId: Int32) {
        self.sentencePiece = sentencePiece
        self.clsId = clsId
        self.sepId = sepId
        self.padId = padId
    }

    /// Loads `spm.model` (or `tokenizer.model`) and the special-token files of a model folder.
    public convenience init(directory: URL) throws {
        let modelURL = try ModelFiles.tokenizerModel(in: directory)
        let model = try SentencePieceModel(contentsOf: modelURL)
        let special = try SpecialTokens(directory: directory)
        func resolve(_ role: String, _ token: String) throws -> Int32 {
            if let id = model.id(ofPiece: token) { return id }
            if let id = special.addedTokenIds[token] { return Int32(id) }
            throw EncoderError(.tokenizer, "\(modelURL.path): the \(role) token \(token) is neither a piece of the model nor an added token")
        }
        self.init(
            sentencePiece: model,
            clsId: try resolve("cls", special.cls),
            sepId: try resolve("sep", special.sep),
            padId: try resolve("pad", special.pad))
    }

    /// The ids of one text: `[CLS]`, its pieces, `[SEP]`; at most `maxLength` ids (at least 2), the pieces cut
    /// at the end when the text is longer.
    public func encode(_ text: String, maxLength: Int = 512) throws -> [Int32] {
        guard maxLength >= 2 else {
            throw EncoderError(.invalidInput, "the maximum length must be at least 2 (for [CLS] and [SEP]), not \(maxLength)")
        }
        let pieces = try sentencePiece.encode(text)
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

    init(directory: URL) throws {
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
