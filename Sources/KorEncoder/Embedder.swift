import Foundation

/// One text's embedding: the mean-pooled last hidden state, and the number of tokens it was computed from.
public struct Embedding: Sendable, Equatable {
    /// The vector (L2-normalized unless the embedder was asked for raw vectors).
    public var vector: [Float]
    /// Token count including [CLS] and [SEP], after truncation.
    public var tokens: Int
}

/// Texts in, vectors out: the tokenizer, the encoder and mean pooling of one model folder, with batching.
/// Thread-safe; load it once and share it.
public final class Embedder: Sendable {
    /// The tokenizer of the model.
    public let tokenizer: DebertaTokenizer
    /// The encoder.
    public let model: DebertaV2Model
    /// The longest id sequence a text is cut to, [CLS] and [SEP] included.
    public let maxLength: Int

    /// Creates an embedder from a loaded tokenizer and encoder.
    public init(tokenizer: DebertaTokenizer, model: DebertaV2Model, maxLength: Int = 512) throws {
        guard maxLength >= 2 else {
            throw EncoderError(.invalidInput, "--max-length must be at least 2 (for [CLS] and [SEP]), not \(maxLength)")
        }
        if model.config.positionBiasedInput, maxLength > model.config.maxPositionEmbeddings {
            throw EncoderError(
                .invalidInput, "--max-length \(maxLength) exceeds the model's max_position_embeddings (\(model.config.maxPositionEmbeddings))")
        }
        self.tokenizer = tokenizer
        self.model = model
        self.maxLength = maxLength
    }

    /// Loads a model folder: `config.json`, `model.safetensors` or `pytorch_model.bin`, `spm.model` and the
    /// optional tokenizer configuration files, to run at a precision.
    public convenience init(modelDirectory: URL, maxLength: Int = 512, precision: Precision = .fp32) throws {
        let files = try ModelFiles(directory: modelDirectory)
        let config = try DebertaV2Config(contentsOf: files.config)
        let tokenizer = try DebertaTokenizer(directory: modelDirectory)
        let model = try DebertaV2Model(config: config, weightsAt: files.weights, precision: precision)
        try self.init(tokenizer: tokenizer, model: model, maxLength: maxLength)
    }

    /// Token ids of each text, [CLS] … [SEP], cut to `maxLength`.
    public func tokenize(_ texts: [String]) throws -> [[Int32]] {
        try texts.map { try tokenizer.encode($0, maxLength: maxLength) }
    }

    /// Embeds texts in batches of `batchSize`; results come back in input order.
    public func embed(_ texts: [String], normalize: Bool = true, batchSize: Int = 32) throws -> [Embedding] {
        try embed(ids: tokenize(texts), normalize: normalize, batchSize: batchSize)
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
            let vectors = try model.forward(batch).meanPooled(normalize: normalize)
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
    /// `spm.model`.
    public let tokenizer: URL

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
        let candidates = ["model.safetensors", "pytorch_model.bin"].map { directory.appendingPathComponent($0) }
        guard let weights = candidates.first(where: { fileManager.fileExists(atPath: $0.path) }) else {
            throw EncoderError(.missingFile, "\(directory.path) has neither model.safetensors nor pytorch_model.bin")
        }
        self.weights = weights
        tokenizer = try ModelFiles.tokenizerModel(in: directory)
    }

    /// `spm.model` (or `tokenizer.model`) of a folder; an error when it has neither.
    public static func tokenizerModel(in directory: URL) throws -> URL {
        guard
            let url = ["spm.model", "tokenizer.model"].map({ directory.appendingPathComponent($0) })
                .first(where: { FileManager.default.fileExists(atPath: $0.path) })
        else {
            throw EncoderError(.missingFile, "\(directory.path) has no spm.model: the SentencePiece tokenizer model is missing")
        }
        return url
    }
}
