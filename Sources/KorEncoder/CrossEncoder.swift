import Foundation

/// A cross-encoder reranker: a query and a passage read together, one relevance score out — transformers'
/// `XLMRobertaForSequenceClassification` / `RobertaForSequenceClassification` with one label (the architecture
/// of `BAAI/bge-reranker-v2-m3`), scored as sentence-transformers' `CrossEncoder.predict` scores it: the pair
/// encoded `<s> query </s></s> passage </s>`, cut longest-first to the model's length, the classification head
/// (dense, tanh, projection) on the first token, and a sigmoid on the one logit. Thread-safe; load it once.
public final class CrossEncoder: Sendable {
    /// The tokenizer of the model.
    public let tokenizer: DebertaTokenizer
    /// The encoder under the head.
    public let model: DebertaV2Model
    /// The longest pair, special tokens included.
    public let maxLength: Int
    private let dense: [Float]
    private let denseBias: [Float]
    private let projection: [Float]
    private let projectionBias: Float

    /// Loads a cross-encoder folder: `config.json` naming a `…ForSequenceClassification` architecture with one
    /// label, its weights with the classifier, the SentencePiece tokenizer. `maxLength` nil takes the least of
    /// 512, the positions and the tokenizer's `model_max_length`.
    public init(modelDirectory: URL, maxLength: Int? = nil, precision: Precision = .fp32) throws {
        let files = try ModelFiles(directory: modelDirectory)
        let config = try DebertaV2Config(contentsOf: files.config)
        let architectures = CrossEncoder.architectures(files.config)
        let supported = ["XLMRobertaForSequenceClassification", "RobertaForSequenceClassification"]
        guard architectures.contains(where: supported.contains), config.architecture == .xlmRoberta || config.architecture == .roberta else {
            throw EncoderError(
                .unsupportedConfiguration,
                "\(modelDirectory.path) is not a cross-encoder this engine runs (its architectures: \(architectures.isEmpty ? "none named" : architectures.joined(separator: ", "))); a reranker is \(supported.joined(separator: " or ")) with one label"
            )
        }
        let reader = try openCheckpoint(files.weights)
        let hidden = config.hiddenSize
        func load(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let tensor = try reader.tensor(named: name) else {
                throw EncoderError(.badWeights, "\(files.weights.path) has no tensor \(name): not a sequence-classification checkpoint")
            }
            guard tensor.shape == shape else {
                let labels =
                    name.hasPrefix("classifier.out_proj") && tensor.shape.count >= 1 ? " (\(tensor.shape[0]) labels; a reranker has one)" : ""
                throw EncoderError(.badWeights, "\(files.weights.path): tensor \(name) has shape \(tensor.shape), not \(shape)\(labels)")
            }
            return tensor.floats()
        }
        dense = try load("classifier.dense.weight", [hidden, hidden])
        denseBias = try load("classifier.dense.bias", [hidden])
        projection = try load("classifier.out_proj.weight", [1, hidden])
        projectionBias = try load("classifier.out_proj.bias", [1])[0]
        model = try DebertaV2Model(config: config, checkpoint: reader, precision: precision)
        tokenizer = try DebertaTokenizer(directory: modelDirectory, layout: DebertaTokenizer.layout(of: config))
        let longest = [Embedder.defaultMaxLength, config.maxSequenceLength, CrossEncoder.modelMaxLength(modelDirectory)].compactMap { $0 }.min()!
        if let maxLength, maxLength > longest || maxLength < 5 {
            throw EncoderError(.invalidInput, "the reranker's length must be between 5 and \(longest), not \(maxLength)")
        }
        self.maxLength = maxLength ?? longest
    }

    /// The token ids of a pair, `<s> query </s></s> passage </s>`, the longer side cut first (then both,
    /// evenly) until the pair fits `maxLength`, as transformers' fast tokenizers cut `longest_first` for a batch
    /// of pairs (an empty passage is an empty second part, `<s> query </s></s></s>`).
    public func pair(_ query: String, _ passage: String) throws -> [Int32] {
        var first = try tokenizer.pieces(query)
        var second = try tokenizer.pieces(passage)
        var excess = first.count + second.count + 4 - maxLength
        if excess > 0 {
            let difference = min(abs(first.count - second.count), excess)
            if first.count > second.count { first.removeLast(difference) } else { second.removeLast(difference) }
            excess -= difference
            let half = excess / 2
            first.removeLast(half + excess % 2)
            second.removeLast(half)
        }
        return [tokenizer.clsId] + first + [tokenizer.sepId, tokenizer.sepId] + second + [tokenizer.sepId]
    }

    /// The one logit of each encoded pair, in input order, `batchSize` pairs per forward pass.
    public func logits(ids: [[Int32]], batchSize: Int = 16) throws -> [Float] {
        guard batchSize >= 1 else { throw EncoderError(.invalidInput, "the batch size must be at least 1, not \(batchSize)") }
        let hidden = model.config.hiddenSize
        var logits: [Float] = []
        logits.reserveCapacity(ids.count)
        for start in stride(from: 0, to: ids.count, by: batchSize) {
            let states = try model.forward(Array(ids[start ..< min(ids.count, start + batchSize)]))
            for index in 0 ..< states.offsets.count - 1 {
                let first = Array(states.sequence(index).prefix(hidden))
                let pooled = Kernels.linear(first, rows: 1, inputWidth: hidden, weight: dense, bias: denseBias, outputWidth: hidden).map { tanhf($0) }
                logits.append(zip(pooled, projection).reduce(projectionBias) { $0 + $1.0 * $1.1 })
            }
        }
        return logits
    }

    /// Relevance scores of passages to a query, 0 to 1 (the sigmoid of the logit), in the passages' order.
    public func scores(query: String, passages: [String], batchSize: Int = 16) throws -> [Float] {
        try logits(ids: passages.map { try pair(query, $0) }, batchSize: batchSize).map { 1 / (1 + expf(-$0)) }
    }

    /// The `architectures` a `config.json` names.
    private static func architectures(_ url: URL) -> [String] {
        guard let data = FileManager.default.contents(atPath: url.path), case .array(let list)? = JSONValue.parse(data)?.objectValue?["architectures"]
        else { return [] }
        return list.compactMap(\.stringValue)
    }

    /// `model_max_length` of `tokenizer_config.json`, when it is a real bound (transformers writes 10³⁰ for none).
    private static func modelMaxLength(_ directory: URL) -> Int? {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("tokenizer_config.json").path),
            let value = JSONValue.parse(data)?.objectValue?["model_max_length"]?.intValue, value >= 5, value < 1_000_000
        else { return nil }
        return value
    }
}
