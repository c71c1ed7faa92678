import Foundation

/// The parameters of one encoder layer, laid out for the forward pass.
struct DebertaV2LayerWeights {
    /// Query, key and value projections stacked: [3 * allHead, hidden], and their biases.
    var qkvWeight: LinearWeight
    var qkvBias: [Float]
    /// Attention output projection [hidden, allHead].
    var outputWeight: LinearWeight
    var outputBias: [Float]
    var attentionNormWeight: [Float]
    var attentionNormBias: [Float]
    /// Feed-forward: [intermediate, hidden] and [hidden, intermediate].
    var intermediateWeight: LinearWeight
    var intermediateBias: [Float]
    var ffnOutputWeight: LinearWeight
    var ffnOutputBias: [Float]
    var outputNormWeight: [Float]
    var outputNormBias: [Float]
    /// Relative position keys [2 * span, allHead] for c2p: the (normalized) relative embeddings through the
    /// layer's key projection (or its own pos_key_proj). Input-independent, so computed once at load.
    var positionKeys: [Float]?
    /// Relative position queries [2 * span, allHead] for p2c, likewise.
    var positionQueries: [Float]?
    /// The two tables rounded to bfloat16, for attention at reduced precision.
    var positionKeysBF16: [UInt16]?
    var positionQueriesBF16: [UInt16]?
}

/// Every parameter of a DeBERTa-v2 encoder, converted to Float32 from a checkpoint.
struct DebertaV2Weights {
    var wordEmbeddings: EmbeddingTable
    var positionEmbeddings: [Float]?
    /// The token type embeddings [types, embedding] (rows 0 and 1 at most: a text, the second text of a pair),
    /// when the model has them.
    var tokenTypeEmbeddings: [Float]?
    /// [hidden, embedding] when embedding_size differs from hidden_size.
    var embedProjection: [Float]?
    var embeddingNormWeight: [Float]
    var embeddingNormBias: [Float]
    var layers: [DebertaV2LayerWeights]

    /// Loads and checks every tensor the configuration needs; keys may carry the prefix of task checkpoints
    /// (`deberta.`, `bert.`, `roberta.`), and tensors the encoder does not use (heads such as `lm_predictions.*`,
    /// BERT's pooler) are ignored.
    init(config: DebertaV2Config, checkpoint: CheckpointReader, precision: Precision = .fp32, smoothing: Bool = true) throws {
        var prefix = ""
        for candidate in ["deberta.", "bert.", "roberta."] where try checkpoint.tensor(named: candidate + "embeddings.word_embeddings.weight") != nil
        {
            prefix = candidate
            break
        }
        // DeBERTa names its projections query_proj, key_proj, value_proj; the BERT family query, key, value.
        let projection = config.architecture.isBERTFamily ? "" : "_proj"
        let path = checkpoint.path
        func tensor(_ key: String, _ shape: [Int]) throws -> WeightTensor {
            guard let tensor = try checkpoint.tensor(named: prefix + key) else {
                throw EncoderError(.badWeights, "\(path) has no tensor \(prefix + key), which the configuration needs")
            }
            guard tensor.shape == shape else {
                throw EncoderError(.badWeights, "\(path): tensor \(prefix + key) has shape \(tensor.shape), the configuration needs \(shape)")
            }
            return tensor
        }
        func load(_ key: String, _ shape: [Int]) throws -> [Float] { try tensor(key, shape).floats() }
        let hidden = config.hiddenSize
        let embedding = config.embeddingSize
        let allHead = config.numAttentionHeads * config.attentionHeadSize
        let inter = config.intermediateSize

        wordEmbeddings = EmbeddingTable(
            try tensor("embeddings.word_embeddings.weight", [config.vocabSize, embedding]),
            width: embedding, checkpoint: checkpoint)
        positionEmbeddings =
            config.positionBiasedInput
            ? try load("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, embedding]) : nil
        tokenTypeEmbeddings =
            config.typeVocabSize > 0
            ? Array(
                try load("embeddings.token_type_embeddings.weight", [config.typeVocabSize, embedding])[0 ..< min(2, config.typeVocabSize) * embedding]
            )
            : nil
        embedProjection = embedding != hidden ? try load("embeddings.embed_proj.weight", [hidden, embedding]) : nil
        embeddingNormWeight = try load("embeddings.LayerNorm.weight", [hidden])
        embeddingNormBias = try load("embeddings.LayerNorm.bias", [hidden])

        var relative: [Float]?
        let span = config.attentionSpan
        if config.relativeAttention {
            var table = try load("encoder.rel_embeddings.weight", [2 * span, hidden])
            if config.normalizeRelativeEmbeddings {
                let weight = try load("encoder.LayerNorm.weight", [hidden])
                let bias = try load("encoder.LayerNorm.bias", [hidden])
                Kernels.layerNorm(&table, rows: 2 * span, width: hidden, weight: weight, bias: bias, eps: config.layerNormEps)
            }
            relative = table
        }

        layers = []
        // The LayerNorm whose output feeds the next layer's Q, K and V (the embeddings' for the first layer).
        var inputNorm = (weight: embeddingNormWeight, bias: embeddingNormBias)
        for index in 0 ..< config.numHiddenLayers {
            let base = "encoder.layer.\(index)."
            let query = try load(base + "attention.self.query" + projection + ".weight", [allHead, hidden])
            let queryBias = try load(base + "attention.self.query" + projection + ".bias", [allHead])
            let key = try load(base + "attention.self.key" + projection + ".weight", [allHead, hidden])
            let keyBias = try load(base + "attention.self.key" + projection + ".bias", [allHead])
            let value = try load(base + "attention.self.value" + projection + ".weight", [allHead, hidden])
            let valueBias = try load(base + "attention.self.value" + projection + ".bias", [allHead])
            func linear(_ key: String, _ output: Int, _ input: Int, after norm: (weight: [Float], bias: [Float])? = nil) throws -> LinearWeight {
                try LinearWeight(
                    try load(base + key, [output, input]), output: output, input: input, precision: precision,
                    inputNorm: smoothing ? norm : nil)
            }
            let attentionNorm = (
                weight: try load(base + "attention.output.LayerNorm.weight", [hidden]),
                bias: try load(base + "attention.output.LayerNorm.bias", [hidden])
            )
            var layer = DebertaV2LayerWeights(
                qkvWeight: try LinearWeight(
                    query + key + value, output: 3 * allHead, input: hidden, precision: precision,
                    inputNorm: smoothing ? inputNorm : nil),
                qkvBias: queryBias + keyBias + valueBias,
                outputWeight: try linear("attention.output.dense.weight", hidden, allHead),
                outputBias: try load(base + "attention.output.dense.bias", [hidden]),
                attentionNormWeight: attentionNorm.weight,
                attentionNormBias: attentionNorm.bias,
                intermediateWeight: try linear("intermediate.dense.weight", inter, hidden, after: attentionNorm),
                intermediateBias: try load(base + "intermediate.dense.bias", [inter]),
                ffnOutputWeight: try linear("output.dense.weight", hidden, inter),
                ffnOutputBias: try load(base + "output.dense.bias", [hidden]),
                outputNormWeight: try load(base + "output.LayerNorm.weight", [hidden]),
                outputNormBias: try load(base + "output.LayerNorm.bias", [hidden]))
            inputNorm = (layer.outputNormWeight, layer.outputNormBias)
            if let relative {
                let kinds = config.positionAttention
                if kinds.contains(.c2p) {
                    let (weight, bias) =
                        config.shareAttentionKey
                        ? (key, keyBias)
                        : (
                            try load(base + "attention.self.pos_key_proj.weight", [allHead, hidden]),
                            try load(base + "attention.self.pos_key_proj.bias", [allHead])
                        )
                    layer.positionKeys = Kernels.linear(
                        relative, rows: 2 * span, inputWidth: hidden,
                        weight: weight, bias: bias, outputWidth: allHead)
                }
                if kinds.contains(.p2c) {
                    let (weight, bias) =
                        config.shareAttentionKey
                        ? (query, queryBias)
                        : (
                            try load(base + "attention.self.pos_query_proj.weight", [allHead, hidden]),
                            try load(base + "attention.self.pos_query_proj.bias", [allHead])
                        )
                    layer.positionQueries = Kernels.linear(
                        relative, rows: 2 * span, inputWidth: hidden,
                        weight: weight, bias: bias, outputWidth: allHead)
                }
                if precision != .fp32 {
                    layer.positionKeysBF16 = layer.positionKeys.map(BF16.round)
                    layer.positionQueriesBF16 = layer.positionQueries.map(BF16.round)
                }
            }
            layers.append(layer)
        }
    }
}
