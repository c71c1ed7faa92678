import Foundation

/// A cross-encoder reranker: a query and a passage read together, one relevance score out — transformers'
/// `XLMRobertaForSequenceClassification` / `RobertaForSequenceClassification` (the architecture of
/// `BAAI/bge-reranker-v2-m3`), `BertForSequenceClassification` or `DebertaV2ForSequenceClassification` with one
/// label, scored as sentence-transformers' `CrossEncoder.predict` scores it: the pair encoded as the tokenizer
/// pairs texts (`<s> query </s></s> passage </s>`, or `[CLS] query [SEP] passage [SEP]` with the passage's token
/// type 1), cut longest-first to the model's length, the classification head on the first token (a dense layer,
/// tanh — GELU for DeBERTa's pooler — and a projection to the logit), and the folder's activation on the logit
/// (a sigmoid unless its config names another). Thread-safe; load it once.
public final class CrossEncoder: Sendable {
    /// The tokenizer of the model.
    public let tokenizer: TextTokenizer
    /// The encoder under the head.
    public let model: DebertaV2Model
    /// The longest pair, special tokens included.
    public let maxLength: Int
    /// Whether `scores` are the sigmoid of the logit (else the logit itself).
    public let appliesSigmoid: Bool
    private let head: Head

    /// The classification head of one architecture: the names of its tensors and its activation.
    private struct Head: Sendable {
        var dense: [Float]
        var denseBias: [Float]
        var projection: [Float]
        var projectionBias: Float
        var width: Int
        var gelu: Bool

        /// The architectures this engine scores, with the head's tensor names: dense, projection.
        static let kinds: [(architecture: String, dense: String, projection: String, gelu: Bool)] = [
            ("XLMRobertaForSequenceClassification", "classifier.dense", "classifier.out_proj", false),
            ("RobertaForSequenceClassification", "classifier.dense", "classifier.out_proj", false),
            ("BertForSequenceClassification", "bert.pooler.dense", "classifier", false),
            ("DebertaV2ForSequenceClassification", "pooler.dense", "classifier", true),
        ]

        /// The logit of one sequence's first hidden state.
        func logit(_ first: [Float], hidden: Int) -> Float {
            let pooled = Kernels.linear(first, rows: 1, inputWidth: hidden, weight: dense, bias: denseBias, outputWidth: width).map {
                gelu ? 0.5 * $0 * (1 + erff($0 * Float(0.5).squareRoot())) : tanhf($0)
            }
            return zip(pooled, projection).reduce(projectionBias) { $0 + $1.0 * $1.1 }
        }
    }

    /// Loads a cross-encoder folder: `config.json` naming a `…ForSequenceClassification` architecture this
    /// engine runs with one label, its weights with the classifier, the tokenizer. `maxLength` nil takes the least
    /// of 512, the positions and the tokenizer's `model_max_length`.
    public init(modelDirectory: URL, maxLength: Int? = nil, precision: Precision = .fp32) throws {
        let files = try ModelFiles(directory: modelDirectory)
        let config = try DebertaV2Config(contentsOf: files.config)
        let fields = (FileManager.default.contents(atPath: files.config.path).flatMap(JSONValue.parse)?.objectValue) ?? [:]
        let architectures: [String] =
            if case .array(let list)? = fields["architectures"] { list.compactMap(\.stringValue) } else { [] }
        guard let kind = Head.kinds.first(where: { architectures.contains($0.architecture) }) else {
            throw EncoderError(
                .unsupportedConfiguration,
                "\(modelDirectory.path) is not a cross-encoder this engine runs (its architectures: \(architectures.isEmpty ? "none named" : architectures.joined(separator: ", "))); a reranker is \(Head.kinds.map(\.architecture).joined(separator: ", ")) with one label"
            )
        }
        let reader = try openCheckpoint(files.weights)
        let hidden = config.hiddenSize
        let width = kind.gelu ? (fields["pooler_hidden_size"]?.intValue ?? hidden) : hidden
        if kind.gelu, let activation = fields["pooler_hidden_act"]?.stringValue, activation != "gelu" {
            throw EncoderError(.unsupportedConfiguration, "\(files.config.path): pooler_hidden_act \(activation) is not one this engine runs (gelu)")
        }
        func load(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let tensor = try reader.tensor(named: name) else {
                throw EncoderError(.badWeights, "\(files.weights.path) has no tensor \(name): not a sequence-classification checkpoint")
            }
            guard tensor.shape == shape else {
                let labels = name.hasPrefix(kind.projection) && tensor.shape.count >= 1 ? " (\(tensor.shape[0]) labels; a reranker has one)" : ""
                throw EncoderError(.badWeights, "\(files.weights.path): tensor \(name) has shape \(tensor.shape), not \(shape)\(labels)")
            }
            return tensor.floats()
        }
        head = Head(
            dense: try load(kind.dense + ".weight", [width, hidden]), denseBias: try load(kind.dense + ".bias", [width]),
            projection: try load(kind.projection + ".weight", [1, width]), projectionBias: try load(kind.projection + ".bias", [1])[0],
            width: width, gelu: kind.gelu)
        appliesSigmoid = try CrossEncoder.appliesSigmoid(fields, source: files.config.path)
        model = try DebertaV2Model(config: config, checkpoint: reader, precision: precision)
        tokenizer = try TextTokenizer(directory: modelDirectory, layout: TextTokenizer.layout(of: config))
        let longest = [Embedder.defaultMaxLength, config.maxSequenceLength, CrossEncoder.modelMaxLength(modelDirectory)].compactMap { $0 }.min()!
        let shortest = tokenizer.pairSpecialTokens + 1
        if let maxLength, maxLength > longest || maxLength < shortest {
            throw EncoderError(.invalidInput, "the reranker's length must be between \(shortest) and \(longest), not \(maxLength)")
        }
        self.maxLength = maxLength ?? longest
    }

    /// The token ids of a pair and where the passage starts (`TextTokenizer.pair`), cut to `maxLength`.
    public func pair(_ query: String, _ passage: String) throws -> (ids: [Int32], secondStart: Int) {
        try tokenizer.pair(query, passage, maxLength: maxLength)
    }

    /// The one logit of each encoded pair, in input order, `batchSize` pairs per forward pass.
    public func logits(pairs: [(ids: [Int32], secondStart: Int)], batchSize: Int = 16) throws -> [Float] {
        guard batchSize >= 1 else { throw EncoderError(.invalidInput, "the batch size must be at least 1, not \(batchSize)") }
        let hidden = model.config.hiddenSize
        var logits: [Float] = []
        logits.reserveCapacity(pairs.count)
        for start in stride(from: 0, to: pairs.count, by: batchSize) {
            let batch = pairs[start ..< min(pairs.count, start + batchSize)]
            let states = try model.forward(batch.map(\.ids), secondSegmentStarts: batch.map(\.secondStart))
            for index in 0 ..< states.offsets.count - 1 {
                logits.append(head.logit(Array(states.sequence(index).prefix(hidden)), hidden: hidden))
            }
        }
        return logits
    }

    /// Relevance scores of passages to a query, in the passages' order: the sigmoid of the logit (0 to 1), or
    /// the logit when the folder's activation is the identity.
    public func scores(query: String, passages: [String], batchSize: Int = 16) throws -> [Float] {
        let logits = try logits(pairs: passages.map { try pair(query, $0) }, batchSize: batchSize)
        return appliesSigmoid ? logits.map { 1 / (1 + expf(-$0)) } : logits
    }

    /// The activation sentence-transformers applies to a one-label cross-encoder's logit: the one its config
    /// names (`sentence_transformers.activation_fn`, or the older `sbert_ce_default_activation_function`), else a
    /// sigmoid.
    private static func appliesSigmoid(_ fields: [String: JSONValue], source: String) throws -> Bool {
        let name =
            fields["sentence_transformers"]?.objectValue?["activation_fn"]?.stringValue
            ?? fields["sbert_ce_default_activation_function"]?.stringValue ?? "torch.nn.modules.activation.Sigmoid"
        switch name {
        case "torch.nn.modules.activation.Sigmoid": return true
        case "torch.nn.modules.linear.Identity": return false
        default: throw EncoderError(.unsupportedConfiguration, "\(source): the activation \(name) is not one this engine runs (Sigmoid, Identity)")
        }
    }

    /// `model_max_length` of `tokenizer_config.json`, when it is a real bound (transformers writes 10³⁰ for none).
    private static func modelMaxLength(_ directory: URL) -> Int? {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("tokenizer_config.json").path),
            let value = JSONValue.parse(data)?.objectValue?["model_max_length"]?.intValue, value >= 5, value < 1_000_000
        else { return nil }
        return value
    }
}
