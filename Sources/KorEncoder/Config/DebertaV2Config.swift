import Foundation

/// The architecture of an encoder, read from a Hugging Face `config.json`, with the same defaults as
/// transformers' config class of its `model_type` for every field the file leaves out: DeBERTa-v2 (relative
/// positions, disentangled attention), or the BERT family — BERT, RoBERTa and XLM-RoBERTa (learned absolute
/// positions, token types, plain scaled dot-product attention), which the same engine runs as the case without
/// relative attention.
public struct DebertaV2Config: Equatable, Sendable {
    /// The `model_type`s the engine runs.
    public enum Architecture: String, Sendable, Equatable, CaseIterable {
        case debertaV2 = "deberta-v2"
        case bert
        case roberta
        case xlmRoberta = "xlm-roberta"

        /// Whether it is one of the BERT family (absolute positions, no relative attention).
        public var isBERTFamily: Bool { self != .debertaV2 }

        /// The architecture of a `model_type` as configs write it (`deberta_v2`, `xlm_roberta` too).
        init?(modelType: String) {
            self.init(rawValue: modelType.replacingOccurrences(of: "_", with: "-"))
        }
    }

    /// The architecture (`model_type`).
    public var architecture = Architecture.debertaV2
    /// Kinds of disentangled attention between content and relative position.
    public enum PositionAttention: String, Sendable, Equatable {
        /// Content-to-position: a query attends to the relative position of the key.
        case c2p
        /// Position-to-content: a key attends to the relative position of the query.
        case p2c
    }

    public var vocabSize = 128_100
    public var hiddenSize = 1536
    public var numHiddenLayers = 24
    public var numAttentionHeads = 24
    /// Size of one attention head (`attention_head_size`, default hidden size / heads).
    public var attentionHeadSize = 64
    public var intermediateSize = 6144
    public var hiddenAct = "gelu"
    public var maxPositionEmbeddings = 512
    public var typeVocabSize = 0
    public var layerNormEps: Float = 1e-7
    public var relativeAttention = false
    /// `max_relative_positions` as written; below 1 means `max_position_embeddings` (see `effectiveMaxRelativePositions`).
    public var maxRelativePositions = -1
    /// `position_buckets`; 0 or less means relative positions are not bucketed.
    public var positionBuckets = -1
    public var padTokenId = 0
    public var positionBiasedInput = true
    public var positionAttention: [PositionAttention] = []
    public var shareAttentionKey = false
    /// Whether the relative position embeddings pass through a LayerNorm (`norm_rel_ebd` contains `layer_norm`).
    public var normalizeRelativeEmbeddings = false
    /// `embedding_size`: the word embedding width; a projection to `hiddenSize` follows when they differ.
    public var embeddingSize = 1536

    /// The distance beyond which relative positions clamp: `max_relative_positions`, or `max_position_embeddings`
    /// when that is below 1.
    public var effectiveMaxRelativePositions: Int {
        maxRelativePositions < 1 ? maxPositionEmbeddings : maxRelativePositions
    }

    /// The attention span (half the number of relative embeddings used): `position_buckets` when positive,
    /// else the effective maximum relative position.
    public var attentionSpan: Int {
        positionBuckets > 0 ? positionBuckets : effectiveMaxRelativePositions
    }

    /// The position id of a sequence's first token: RoBERTa and XLM-RoBERTa count positions from the padding
    /// id + 1 (transformers' `create_position_ids_from_input_ids`), BERT and DeBERTa from 0.
    public var positionOffset: Int {
        architecture == .roberta || architecture == .xlmRoberta ? padTokenId + 1 : 0
    }

    /// The longest sequence the model takes: every position, for a model with absolute positions, needs an
    /// embedding (`max_position_embeddings` less the offset); DeBERTa's relative positions take any length.
    public var maxSequenceLength: Int? {
        positionBiasedInput ? maxPositionEmbeddings - positionOffset : nil
    }

    /// A configuration with transformers' defaults.
    public init() {}

    /// Reads and validates `config.json`. Errors name the file and the field at fault.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw EncoderError(.missingFile, "cannot read \(url.path): \(error.localizedDescription)")
        }
        try self.init(json: data, source: url.path)
    }

    /// Parses the JSON text of a `config.json`; `source` names it in error messages.
    public init(json data: Data, source: String = "config.json") throws {
        guard let parsed = JSONValue.parse(data) else {
            throw EncoderError(.corruptFile, "\(source) is not valid JSON")
        }
        guard let fields = parsed.objectValue else {
            throw EncoderError(.corruptFile, "\(source) is not a JSON object")
        }
        let reader = ConfigFieldReader(fields: fields, source: source)

        if let modelType = try reader.string("model_type") {
            guard let architecture = Architecture(modelType: modelType) else {
                throw EncoderError(
                    .unsupportedConfiguration,
                    "\(source): model_type \"\(modelType)\" is not one this engine runs (\(Architecture.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            self.architecture = architecture
        }
        if architecture.isBERTFamily {
            // transformers' BertConfig / RobertaConfig / XLMRobertaConfig defaults (those of the base models).
            vocabSize = architecture == .bert ? 30_522 : architecture == .roberta ? 50_265 : 30_522
            hiddenSize = 768
            numHiddenLayers = 12
            numAttentionHeads = 12
            intermediateSize = 3072
            typeVocabSize = 2
            layerNormEps = 1e-12
            padTokenId = architecture == .bert ? 0 : 1
            if let kind = try reader.string("position_embedding_type"), kind != "absolute" {
                throw EncoderError(
                    .unsupportedConfiguration, "\(source): position_embedding_type \"\(kind)\" is not supported (this engine runs \"absolute\")")
            }
        }
        vocabSize = try reader.int("vocab_size") ?? vocabSize
        hiddenSize = try reader.int("hidden_size") ?? hiddenSize
        numHiddenLayers = try reader.int("num_hidden_layers") ?? numHiddenLayers
        numAttentionHeads = try reader.int("num_attention_heads") ?? numAttentionHeads
        intermediateSize = try reader.int("intermediate_size") ?? intermediateSize
        hiddenAct = try reader.string("hidden_act") ?? hiddenAct
        maxPositionEmbeddings = try reader.int("max_position_embeddings") ?? maxPositionEmbeddings
        typeVocabSize = try reader.int("type_vocab_size") ?? typeVocabSize
        layerNormEps = Float(try reader.double("layer_norm_eps") ?? Double(layerNormEps))
        relativeAttention = try reader.bool("relative_attention") ?? relativeAttention
        maxRelativePositions = try reader.int("max_relative_positions") ?? maxRelativePositions
        positionBuckets = try reader.int("position_buckets") ?? positionBuckets
        padTokenId = try reader.int("pad_token_id") ?? padTokenId
        positionBiasedInput = try reader.bool("position_biased_input") ?? positionBiasedInput
        shareAttentionKey = try reader.bool("share_att_key") ?? shareAttentionKey
        embeddingSize = try reader.int("embedding_size") ?? hiddenSize

        let sizes = [
            ("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers),
            ("num_attention_heads", numAttentionHeads), ("intermediate_size", intermediateSize),
            ("max_position_embeddings", maxPositionEmbeddings), ("embedding_size", embeddingSize),
        ]
        for (field, value) in sizes where value < 1 {
            throw EncoderError(.unsupportedConfiguration, "\(source): \(field) must be positive, found \(value)")
        }
        // Far beyond any real encoder: larger values are a damaged or crafted file, not a model to allocate.
        for (field, value) in sizes where value > 1 << 24 {
            throw EncoderError(.unsupportedConfiguration, "\(source): \(field) \(value) is larger than this engine runs (at most \(1 << 24))")
        }
        if typeVocabSize < 0 {
            throw EncoderError(.unsupportedConfiguration, "\(source): type_vocab_size must not be negative")
        }
        attentionHeadSize = try reader.int("attention_head_size") ?? (hiddenSize / numAttentionHeads)
        if reader.fields["attention_head_size"] == nil, hiddenSize % numAttentionHeads != 0 {
            throw EncoderError(
                .unsupportedConfiguration,
                "\(source): hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
        if attentionHeadSize < 1 {
            throw EncoderError(.unsupportedConfiguration, "\(source): attention_head_size must be positive")
        }
        let (attentionWidth, overflow) = numAttentionHeads.multipliedReportingOverflow(by: attentionHeadSize)
        if overflow || attentionWidth > 1 << 20 {
            throw EncoderError(.unsupportedConfiguration, "\(source): num_attention_heads × attention_head_size is larger than this engine runs")
        }

        if !["gelu", "gelu_python"].contains(hiddenAct) {
            throw EncoderError(
                .unsupportedConfiguration,
                "\(source): hidden_act \"\(hiddenAct)\" is not supported (this engine runs the exact erf \"gelu\")")
        }
        if architecture.isBERTFamily {
            // Absolute positions added to the input, plain attention: DeBERTa's fields do not apply.
            relativeAttention = false
            positionBiasedInput = true
            shareAttentionKey = false
            embeddingSize = hiddenSize
            if maxPositionEmbeddings <= positionOffset {
                throw EncoderError(
                    .unsupportedConfiguration,
                    "\(source): max_position_embeddings \(maxPositionEmbeddings) leaves no position after the padding offset \(positionOffset)")
            }
            return
        }
        positionAttention = try reader.positionAttentionTypes()
        if let norm = try reader.string("norm_rel_ebd") {
            normalizeRelativeEmbeddings = norm.lowercased().split(separator: "|")
                .map { $0.trimmingCharacters(in: .whitespaces) }.contains("layer_norm")
        }

        if let kernel = try reader.int("conv_kernel_size"), kernel > 0 {
            throw EncoderError(
                .unsupportedConfiguration,
                "\(source): conv_kernel_size \(kernel) asks for DeBERTa's convolution layer, which this engine does not run")
        }
        if relativeAttention, positionBuckets > 0, effectiveMaxRelativePositions <= positionBuckets / 2 + 1 {
            throw EncoderError(
                .unsupportedConfiguration,
                "\(source): max_relative_positions \(effectiveMaxRelativePositions) must exceed position_buckets / 2 + 1 for log buckets")
        }
    }
}

/// Typed access to the fields of a parsed `config.json`, with errors that name the field.
private struct ConfigFieldReader {
    let fields: [String: JSONValue]
    let source: String

    func value(_ key: String) -> JSONValue? {
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    func int(_ key: String) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value.intValue else {
            throw EncoderError(.corruptFile, "\(source): field \(key) must be an integer, found \(value.summary)")
        }
        return number
    }

    func double(_ key: String) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value else {
            throw EncoderError(.corruptFile, "\(source): field \(key) must be a number, found \(value.summary)")
        }
        return number
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else {
            throw EncoderError(.corruptFile, "\(source): field \(key) must be true or false, found \(value.summary)")
        }
        return flag
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.stringValue else {
            throw EncoderError(.corruptFile, "\(source): field \(key) must be a string, found \(value.summary)")
        }
        return text
    }

    /// `pos_att_type`: a string split on `|`, or a list of strings; each item c2p or p2c.
    func positionAttentionTypes() throws -> [DebertaV2Config.PositionAttention] {
        guard let value = value("pos_att_type") else { return [] }
        let names: [String]
        if let text = value.stringValue {
            names = text.lowercased().split(separator: "|").map { String($0) }
        } else if case .array(let list) = value, list.allSatisfy({ $0.stringValue != nil }) {
            names = list.compactMap { $0.stringValue?.lowercased() }
        } else {
            throw EncoderError(.corruptFile, "\(source): field pos_att_type must be a string or a list of strings")
        }
        var result: [DebertaV2Config.PositionAttention] = []
        for name in names.map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let kind = DebertaV2Config.PositionAttention(rawValue: name) else {
                throw EncoderError(
                    .unsupportedConfiguration, "\(source): pos_att_type \"\(name)\" is not supported (use c2p and/or p2c)")
            }
            if !result.contains(kind) { result.append(kind) }
        }
        return result
    }
}
