import Foundation

/// One text's embedding: the pooled last hidden state, and the number of tokens it was computed from.
public struct Embedding: Sendable, Equatable {
    /// The vector (L2-normalized unless the embedder was asked for raw vectors).
    public var vector: [Float]
    /// Token count including [CLS] and [SEP], after truncation.
    public var tokens: Int
}

/// Texts in, vectors out: the tokenizer, the encoder and the pooling of one model folder, with batching.
/// Thread-safe; load it once and share it.
public final class Embedder: Sendable {
    /// The tokenizer of the model.
    public let tokenizer: TextTokenizer
    /// The encoder.
    public let model: DebertaV2Model
    /// The longest id sequence a text is cut to, [CLS] and [SEP] included.
    public let maxLength: Int
    /// How the last hidden states become one vector (the folder's sentence-transformers Pooling module, else
    /// the mean).
    public let pooling: Pooling
    /// The folder's Dense modules, applied to the pooled vector before it is normalized.
    public let dense: [DenseLayer]

    /// The texts put before queries and passages (a sentence-transformers folder's prompts; empty when none).
    public let prompts: Prompts

    /// What an embedder puts before a text, by its role.
    public struct Prompts: Sendable, Equatable {
        /// Before a query (e5: `"query: "`).
        public var query: String
        /// Before a passage (e5: `"passage: "`).
        public var passage: String

        public init(query: String = "", passage: String = "") {
            self.query = query
            self.passage = passage
        }
    }

    /// The length of an embedding: the last Dense module's output, else the hidden size.
    public var dimension: Int { dense.last?.output ?? model.config.hiddenSize }

    /// Creates an embedder from a loaded tokenizer and encoder.
    public init(
        tokenizer: TextTokenizer, model: DebertaV2Model, maxLength: Int = 512, pooling: Pooling = .mean, dense: [DenseLayer] = [],
        prompts: Prompts = Prompts()
    ) throws {
        if let first = dense.first, first.input != model.config.hiddenSize {
            throw EncoderError(
                .unsupportedConfiguration, "the first Dense module takes \(first.input) values; the model's hidden size is \(model.config.hiddenSize)"
            )
        }
        guard maxLength >= 2 else {
            throw EncoderError(.invalidInput, "--max-length must be at least 2 (for [CLS] and [SEP]), not \(maxLength)")
        }
        if let longest = model.config.maxSequenceLength, maxLength > longest {
            let offset = model.config.positionOffset
            throw EncoderError(
                .invalidInput,
                "--max-length \(maxLength) exceeds the longest sequence the model takes (\(longest): its max_position_embeddings \(model.config.maxPositionEmbeddings)\(offset > 0 ? " less the padding offset \(offset)" : ""))"
            )
        }
        self.tokenizer = tokenizer
        self.model = model
        self.maxLength = maxLength
        self.pooling = pooling
        self.dense = dense
        self.prompts = prompts
    }

    /// The longest input unless told otherwise: 512 tokens, or less when the model takes less (its positions,
    /// the folder's `max_seq_length`).
    public static let defaultMaxLength = 512

    /// Loads a model folder — `config.json`, `model.safetensors` or `pytorch_model.bin`, the SentencePiece model
    /// and the optional tokenizer files, and a sentence-transformers folder's pooling — to run at a precision.
    /// `maxLength` nil takes the default (`defaultMaxLength` or what the model allows, whichever is less).
    public convenience init(modelDirectory: URL, maxLength: Int? = nil, precision: Precision = .fp32) throws {
        let files = try ModelFiles(directory: modelDirectory)
        let config = try DebertaV2Config(contentsOf: files.config)
        let stack = try SentenceTransformerStack(directory: modelDirectory)
        let tokenizer = try TextTokenizer(directory: modelDirectory, layout: TextTokenizer.layout(of: config))
        let model = try DebertaV2Model(config: config, weightsAt: files.weights, precision: precision)
        try self.init(
            tokenizer: tokenizer, model: model, maxLength: maxLength ?? Embedder.defaultMaxLength(config: config, stack: stack),
            pooling: stack.pooling, dense: stack.dense, prompts: Prompts(query: stack.queryPrompt, passage: stack.passagePrompt))
    }

    /// The longest input of a model unless told otherwise: `defaultMaxLength`, its positions, or the folder's
    /// `max_seq_length`, whichever is least.
    public static func defaultMaxLength(config: DebertaV2Config, stack: SentenceTransformerStack) -> Int {
        [defaultMaxLength, config.maxSequenceLength, stack.maxSequenceLength].compactMap { $0 }.min()!
    }

    /// Token ids of each text with `prompt` before it (as sentence-transformers puts a prompt before the text),
    /// [CLS] … [SEP], cut to `maxLength`.
    public func tokenize(_ texts: [String], prompt: String = "") throws -> [[Int32]] {
        try texts.map { try tokenizer.encode(prompt + $0, maxLength: maxLength) }
    }

    /// Embeds texts, each with `prompt` before it (e.g. `prompts.query`), in batches of `batchSize`; results come
    /// back in input order.
    public func embed(_ texts: [String], prompt: String = "", normalize: Bool = true, batchSize: Int = 32) throws -> [Embedding] {
        try embed(ids: tokenize(texts, prompt: prompt), normalize: normalize, batchSize: batchSize)
    }

    /// Embeds already tokenized texts in batches of `batchSize`, in input order.
    public func embed(ids: [[Int32]], normalize: Bool = true, batchSize: Int = 32) throws -> [Embedding] {
        guard batchSize >= 1 else {
            throw EncoderError(.invalidInput, "the batch size must be at least 1, not \(batchSize)")
        }
        var results: [Embedding] = []
        results.reserveCapacity(ids.count)
        var start = 0
        while start < ids.count {
            let batch = Array(ids[start ..< min(start + batchSize, ids.count)])
            var vectors = try model.forward(batch).pooled(pooling, normalize: normalize && dense.isEmpty)
            if !dense.isEmpty {
                vectors = vectors.map { pooled in
                    let projected = dense.reduce(pooled) { $1.apply($0) }
                    return normalize ? PackedHiddenStates.unitLength(projected) : projected
                }
            }
            for (sequence, vector) in zip(batch, vectors) {
                results.append(Embedding(vector: vector, tokens: sequence.count))
            }
            start += batchSize
        }
        return results
    }
}

/// The files of a model folder that the encoder reads.
public struct ModelFiles: Sendable {
    /// `config.json`.
    public let config: URL
    /// `model.safetensors` when present, else `pytorch_model.bin`.
    public let weights: URL
    /// The tokenizer (`spm.model`, `sentencepiece.bpe.model`, `tokenizer.json` or `vocab.txt`).
    public let tokenizer: TokenizerFile

    /// Finds the files in a folder; an error names what is missing.
    public init(directory: URL) throws {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EncoderError(.missingFile, "model folder \(directory.path) does not exist")
        }
        config = directory.appendingPathComponent("config.json")
        guard fileManager.fileExists(atPath: config.path) else {
            throw EncoderError(.missingFile, "\(directory.path) has no config.json")
        }
        guard let weights = ModelFiles.weightFile(in: directory) else {
            throw EncoderError(.missingFile, "\(directory.path) has neither model.safetensors nor pytorch_model.bin")
        }
        self.weights = weights
        tokenizer = try ModelFiles.tokenizerFile(in: directory)
    }

    /// A folder's weight file: `model.safetensors` when present, else `pytorch_model.bin`, else nil.
    public static func weightFile(in directory: URL) -> URL? {
        ["model.safetensors", "pytorch_model.bin"].map { directory.appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// A tokenizer file of a model folder, by kind.
    public enum TokenizerFile: Sendable, Equatable {
        /// A SentencePiece model: `spm.model` (DeBERTa-v2), `tokenizer.model` or `sentencepiece.bpe.model`
        /// (XLM-RoBERTa).
        case sentencePiece(URL)
        /// `tokenizer.json`, a fast tokenizer's whole description, with a WordPiece or a Unigram model (`TextTokenizer`
        /// reads either; `UnigramTokenizerJSON` turns a Unigram one back into its SentencePiece model).
        case tokenizerJSON(URL)
        /// `vocab.txt`, BERT's WordPiece vocabulary (its options in `tokenizer_config.json`).
        case wordPieceVocabulary(URL)

        /// The file.
        public var url: URL {
            switch self {
            case .sentencePiece(let url), .tokenizerJSON(let url), .wordPieceVocabulary(let url): url
            }
        }
    }

    /// The tokenizer of a folder: a SentencePiece model when it has one; else `tokenizer.json` (what
    /// transformers' fast tokenizer, and so sentence-transformers, runs) — unless a `vocab.txt` beside it and a
    /// model other than WordPiece in it make `vocab.txt` the one; else `vocab.txt`. The JSON, which can be large,
    /// is read here only when both are there. An error when the folder has none of them.
    public static func tokenizerFile(in directory: URL) throws -> TokenizerFile {
        func existing(_ name: String) -> URL? {
            let url = directory.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        if let url = ["spm.model", "tokenizer.model", "sentencepiece.bpe.model"].lazy.compactMap(existing).first {
            return .sentencePiece(url)
        }
        switch (existing("tokenizer.json"), existing("vocab.txt")) {
        case (let json?, let vocab?):
            return try WordPieceModel.modelType(tokenizerJSON: json) == "WordPiece" ? .tokenizerJSON(json) : .wordPieceVocabulary(vocab)
        case (let json?, nil): return .tokenizerJSON(json)
        case (nil, let vocab?): return .wordPieceVocabulary(vocab)
        case (nil, nil): break
        }
        throw EncoderError(
            .missingFile, "\(directory.path) has no tokenizer: no spm.model or sentencepiece.bpe.model (SentencePiece), vocab.txt or tokenizer.json")
    }
}
