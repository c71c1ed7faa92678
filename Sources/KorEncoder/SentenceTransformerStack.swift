import Foundation

/// How a sequence's last hidden states become one vector.
public enum Pooling: String, Sendable, Equatable, CaseIterable {
    /// The mean of every token's state, the special tokens included (sentence-transformers' mean over the
    /// attention mask; KorSearch's choice for a bare DeBERTa-v2 checkpoint).
    case mean
    /// The first token's state (`[CLS]`, `<s>`): bge-m3, KURE.
    case cls
    /// The largest value of each dimension over the tokens.
    case max
    /// The last token's state.
    case lastToken = "lasttoken"
}

/// A sentence-transformers `Dense` module: a linear layer over the pooled vector and its activation.
public struct DenseLayer: Sendable, Equatable {
    /// The activations sentence-transformers saves by their PyTorch names.
    public enum Activation: String, Sendable, Equatable {
        case identity = "torch.nn.modules.linear.Identity"
        case tanh = "torch.nn.modules.activation.Tanh"
    }

    /// `in_features` and `out_features`.
    public let input: Int
    public let output: Int
    /// [output, input], row-major, and the bias (zeros when the module has none).
    let weight: [Float]
    let bias: [Float]
    /// What follows the linear layer.
    public let activation: Activation

    /// The layer applied to one vector.
    func apply(_ vector: [Float]) -> [Float] {
        (0 ..< output).map { row in
            var sum = bias[row]
            for column in 0 ..< input { sum += weight[row * input + column] * vector[column] }
            return activation == .tanh ? tanhf(sum) : sum
        }
    }

    /// Reads a Dense module's folder: `config.json` and its weights (`model.safetensors` or `pytorch_model.bin`:
    /// `linear.weight`, and `linear.bias` unless the module has none).
    init(folder: URL) throws {
        let configURL = folder.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: configURL.path), let fields = JSONValue.parse(data)?.objectValue,
            let input = fields["in_features"]?.intValue, let output = fields["out_features"]?.intValue,
            (1 ... 1 << 16).contains(input), (1 ... 1 << 16).contains(output)
        else {
            throw EncoderError(.corruptFile, "\(configURL.path), a Dense module's configuration, is missing or lacks in_features and out_features")
        }
        let name = fields["activation_function"]?.stringValue ?? Activation.tanh.rawValue
        guard let activation = Activation(rawValue: name) else {
            throw EncoderError(.unsupportedConfiguration, "\(configURL.path): activation \(name) is not one this engine runs (Tanh, Identity)")
        }
        guard let weights = ModelFiles.weightFile(in: folder) else {
            throw EncoderError(.missingFile, "\(folder.path) has neither model.safetensors nor pytorch_model.bin for its Dense module")
        }
        let reader = try openCheckpoint(weights)
        guard let tensor = try reader.tensor(named: "linear.weight"), tensor.shape == [output, input] else {
            throw EncoderError(.badWeights, "\(weights.path) has no linear.weight of shape [\(output), \(input)]")
        }
        self.input = input
        self.output = output
        self.activation = activation
        weight = tensor.floats()
        if let bias = try reader.tensor(named: "linear.bias") {
            guard bias.shape == [output] else {
                throw EncoderError(.badWeights, "\(weights.path): linear.bias has shape \(bias.shape), not [\(output)]")
            }
            self.bias = bias.floats()
        } else {
            self.bias = [Float](repeating: 0, count: output)
        }
    }
}

/// What a sentence-transformers folder puts on top of its transformer, read from the files it is published
/// with: `modules.json` (the modules in order), the Pooling module's `config.json`, the `Dense` modules after it,
/// whether a `Normalize` module ends it, and `sentence_bert_config.json`'s `max_seq_length`. A folder without
/// `modules.json` is a bare transformer, pooled by the mean.
public struct SentenceTransformerStack: Sendable, Equatable {
    /// The pooling.
    public var pooling = Pooling.mean
    /// The Dense modules after the pooling, in order.
    public var dense: [DenseLayer] = []
    /// Whether the stack ends in a `Normalize` module (its vectors have unit length).
    public var normalizes = false
    /// `max_seq_length`: the longest input the model was trained for, when the folder says.
    public var maxSequenceLength: Int?
    /// Whether the folder is a sentence-transformers model (has `modules.json`).
    public var isSentenceTransformer = false
    /// The prompts of `config_sentence_transformers.json` by name (e5's `query` → `"query: "`, `passage` →
    /// `"passage: "`), and the name of the one used when none is asked for.
    public var prompts: [String: String] = [:]
    public var defaultPromptName: String?

    /// The text put before a query: the `query` prompt, else the default prompt, else none.
    public var queryPrompt: String { prompts["query"] ?? defaultPrompt }
    /// The text put before a passage: the `passage` prompt (or `document`, as some models name it), else the
    /// default prompt, else none.
    public var passagePrompt: String { prompts["passage"] ?? prompts["document"] ?? defaultPrompt }
    /// The default prompt's text, or none.
    private var defaultPrompt: String { defaultPromptName.flatMap { prompts[$0] } ?? "" }

    /// The stack of a bare transformer: mean pooling, nothing after it.
    public init() {}

    /// Reads a model folder's sentence-transformers files; an error names the file and what it cannot run.
    public init(directory: URL) throws {
        try readPrompts(directory.appendingPathComponent("config_sentence_transformers.json"))
        let modulesURL = directory.appendingPathComponent("modules.json")
        guard let data = FileManager.default.contents(atPath: modulesURL.path) else { return }
        isSentenceTransformer = true
        guard case .array(let modules)? = JSONValue.parse(data) else {
            throw EncoderError(.corruptFile, "\(modulesURL.path) is not a JSON list of modules")
        }
        var pooled = false
        for (index, module) in modules.enumerated() {
            guard let fields = module.objectValue, let type = fields["type"]?.stringValue else {
                throw EncoderError(.corruptFile, "\(modulesURL.path): module \(index) has no type")
            }
            let path = fields["path"]?.stringValue ?? ""
            let kind = type.split(separator: ".").last.map(String.init) ?? type
            switch kind {
            case "Transformer" where index == 0 && path.isEmpty:
                continue
            case "Transformer":
                throw EncoderError(
                    .unsupportedConfiguration,
                    "\(modulesURL.path): the transformer is in the subfolder \(path); this engine reads it at the folder's root")
            case "Pooling" where !pooled:
                pooling = try SentenceTransformerStack.pooling(directory.appendingPathComponent(path).appendingPathComponent("config.json"))
                pooled = true
            case "Dense" where pooled && !normalizes:
                dense.append(try DenseLayer(folder: directory.appendingPathComponent(path)))
            case "Normalize" where pooled:
                normalizes = true
            default:
                throw EncoderError(
                    .unsupportedConfiguration,
                    "\(modulesURL.path): module \(index) (\(type)) is not one this engine runs (Transformer, then Pooling, then optionally Dense modules and Normalize)"
                )
            }
        }
        guard pooled else {
            throw EncoderError(.unsupportedConfiguration, "\(modulesURL.path) has no Pooling module")
        }
        var width: Int?
        for layer in dense {
            if let width, width != layer.input {
                throw EncoderError(
                    .unsupportedConfiguration, "\(modulesURL.path): a Dense module takes \(layer.input) values, the one before gives \(width)")
            }
            width = layer.output
        }
        let bertConfig = directory.appendingPathComponent("sentence_bert_config.json")
        if let data = FileManager.default.contents(atPath: bertConfig.path) {
            guard let fields = JSONValue.parse(data)?.objectValue else {
                throw EncoderError(.corruptFile, "\(bertConfig.path) is not a JSON object")
            }
            if let value = fields["max_seq_length"], value != .null {
                guard let length = value.intValue, length >= 2 else {
                    throw EncoderError(.corruptFile, "\(bertConfig.path): max_seq_length must be an integer of at least 2")
                }
                maxSequenceLength = length
            }
        }
    }

    /// The prompts of a `config_sentence_transformers.json`, when the folder has one.
    private mutating func readPrompts(_ url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        guard let fields = JSONValue.parse(data)?.objectValue else {
            throw EncoderError(.corruptFile, "\(url.path) is not a JSON object")
        }
        if let entries = fields["prompts"]?.objectValue {
            for (name, text) in entries {
                guard let text = text.stringValue else { throw EncoderError(.corruptFile, "\(url.path): prompt \(name) is not a string") }
                prompts[name] = text
            }
        }
        if let name = fields["default_prompt_name"]?.stringValue {
            guard prompts[name] != nil else {
                throw EncoderError(.corruptFile, "\(url.path): the default prompt \(name) is not one of its prompts")
            }
            defaultPromptName = name
        }
    }

    /// The one pooling mode a Pooling module's `config.json` turns on: by its `pooling_mode_*` flags, or (as
    /// sentence-transformers 5 writes it) by `pooling_mode`, a mode's name or a list of them.
    private static func pooling(_ url: URL) throws -> Pooling {
        guard let data = FileManager.default.contents(atPath: url.path), let fields = JSONValue.parse(data)?.objectValue else {
            throw EncoderError(.missingFile, "\(url.path), the Pooling module's configuration, is missing or not a JSON object")
        }
        let modes: [(String, Pooling?)] = [
            ("pooling_mode_cls_token", .cls), ("pooling_mode_mean_tokens", .mean), ("pooling_mode_max_tokens", .max),
            ("pooling_mode_lasttoken", .lastToken), ("pooling_mode_mean_sqrt_len_tokens", nil), ("pooling_mode_weightedmean_tokens", nil),
        ]
        if case .bool(false)? = fields["include_prompt"] {
            throw EncoderError(
                .unsupportedConfiguration,
                "\(url.path) pools without the prompt's tokens (include_prompt: false); this engine pools every token, the prompt's included")
        }
        // sentence-transformers 5's names, each the old flag's.
        let named = [
            "cls": "pooling_mode_cls_token", "mean": "pooling_mode_mean_tokens", "max": "pooling_mode_max_tokens",
            "lasttoken": "pooling_mode_lasttoken", "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens",
            "weightedmean": "pooling_mode_weightedmean_tokens",
        ]
        var flags = Set(modes.map(\.0).filter { if case .bool(true)? = fields[$0] { true } else { false } })
        if let mode = fields["pooling_mode"] {
            let names = mode.stringValue.map { [$0] } ?? mode.arrayValue?.compactMap(\.stringValue) ?? []
            for name in names {
                guard let flag = named[name] else {
                    throw EncoderError(
                        .unsupportedConfiguration, "\(url.path) names the pooling mode \(name); this engine runs cls, mean, max and lasttoken")
                }
                flags.insert(flag)
            }
        }
        let on = modes.filter { flags.contains($0.0) }
        guard on.count == 1, let mode = on[0].1 else {
            let names = on.map(\.0).joined(separator: ", ")
            throw EncoderError(
                .unsupportedConfiguration,
                "\(url.path) turns on \(on.isEmpty ? "no pooling mode" : names); this engine runs exactly one of cls, mean, max and lasttoken")
        }
        return mode
    }
}
