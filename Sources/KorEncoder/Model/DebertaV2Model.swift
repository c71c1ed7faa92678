import CBLAS
import CKernels
import CMatmul
import Dispatch
import Foundation
import Synchronization

/// The last hidden states of a batch of sequences, packed without padding: the rows of sequence `s` are
/// `offsets[s] ..< offsets[s + 1]` of a row-major [tokens, width] matrix.
public struct PackedHiddenStates: Sendable {
    /// Row-major values, `offsets.last! * width` floats.
    public var values: [Float]
    /// Row offsets of each sequence; one more entry than sequences.
    public var offsets: [Int]
    /// The hidden size.
    public var width: Int

    /// The hidden states of one sequence, row after row.
    public func sequence(_ index: Int) -> ArraySlice<Float> {
        values[offsets[index] * width ..< offsets[index + 1] * width]
    }

    /// One vector per sequence by `pooling`, optionally scaled to unit L2 norm.
    public func pooled(_ pooling: Pooling, normalize: Bool) -> [[Float]] {
        if pooling == .mean { return meanPooled(normalize: normalize) }
        return (0 ..< offsets.count - 1).map { index in
            let rows = sequence(index)
            var vector: [Float]
            switch pooling {
            case .cls: vector = Array(rows.prefix(width))
            case .lastToken: vector = Array(rows.suffix(width))
            default:
                vector = Array(rows.prefix(width))
                var row = rows.startIndex + width
                while row < rows.endIndex {
                    for i in 0 ..< width where rows[row + i] > vector[i] { vector[i] = rows[row + i] }
                    row += width
                }
            }
            return normalize ? PackedHiddenStates.unitLength(vector) : vector
        }
    }

    /// A vector scaled to unit L2 norm (a zero vector stays zero).
    static func unitLength(_ vector: [Float]) -> [Float] {
        let norm = sqrt(vector.reduce(0) { $0 + $1 * $1 })
        let inverse = 1 / max(norm, 1e-12)
        return vector.map { $0 * inverse }
    }

    /// The mean of each sequence's rows (every token counts, [CLS] and [SEP] included), optionally scaled to
    /// unit L2 norm.
    public func meanPooled(normalize: Bool) -> [[Float]] {
        (0 ..< offsets.count - 1).map { index in
            let rows = offsets[index + 1] - offsets[index]
            var sum = [Float](repeating: 0, count: width)
            values.withUnsafeBufferPointer { all in
                ks_sum_rows(&sum, all.baseAddress! + offsets[index] * width, rows, width, width)
            }
            let scale = 1 / max(Float(rows), 1e-9)
            let pooled = sum.map { $0 * scale }
            return normalize ? PackedHiddenStates.unitLength(pooled) : pooled
        }
    }
}

/// A DeBERTa-v2 encoder (Hugging Face's `DebertaV2Model`, eval mode) computed natively: embeddings,
/// disentangled self-attention with relative positions, feed-forward, LayerNorms. The BERT family (`BertModel`,
/// `RobertaModel`, `XLMRobertaModel`) runs as its special case: absolute positions and token types added to the
/// input, no relative attention, scores scaled by 1/√head size. Sequences in a batch are
/// packed without padding, so a sequence's output never depends on what else is in its batch.
public final class DebertaV2Model: @unchecked Sendable {
    /// The architecture.
    public let config: DebertaV2Config
    let weights: DebertaV2Weights
    private let positions: RelativePositions
    /// The scratch matrices of the last forward pass, kept for the next (fresh pages cost a kernel page clear
    /// each); only touched under `Kernels.exclusive`.
    private var cachedWorkspace: Workspace?

    /// The precision of the large matrix products.
    public let precision: Precision
    /// Attention's products in bf16, for the reduced precisions (fp32 runs them in float32 on OpenBLAS).
    private let attentionProducts: AttentionProducts?

    /// Loads the weights of a configuration from a safetensors file or a PyTorch checkpoint, to run at a
    /// precision.
    public convenience init(config: DebertaV2Config, weightsAt url: URL, precision: Precision = .fp32) throws {
        try self.init(config: config, checkpoint: try openCheckpoint(url), precision: precision)
    }

    /// `smoothing`: whether int8 smooths outlier input channels (on unless a test measures without).
    init(config: DebertaV2Config, checkpoint: CheckpointReader, precision: Precision = .fp32, smoothing: Bool = true) throws {
        self.config = config
        self.precision = precision
        weights = try DebertaV2Weights(config: config, checkpoint: checkpoint, precision: precision, smoothing: smoothing)
        positions = RelativePositions(config: config)
        // Where oneDNN has no bf16 matmul (processors without AVX-512), attention stays float32 on OpenBLAS
        // rather than making int8 unavailable.
        attentionProducts = precision == .fp32 ? nil : try? AttentionProducts(scale: AttentionPlan.scale(config))
    }

    /// The relative-position bucket of a distance (exposed for tests against transformers).
    public func relativeBucket(_ distance: Int) -> Int { positions.bucket(distance) }

    /// Runs the encoder over sequences of token ids and returns their last hidden states. `secondSegmentStarts`
    /// gives, for pairs, the position where each sequence's second text starts: from there on its tokens are of
    /// type 1 when the model has two token types (BERT, DeBERTa-v2 with types); otherwise every token is type 0.
    public func forward(_ sequences: [[Int32]], secondSegmentStarts: [Int]? = nil) throws -> PackedHiddenStates {
        if let secondSegmentStarts, secondSegmentStarts.count != sequences.count {
            throw EncoderError(.invalidInput, "\(secondSegmentStarts.count) segment starts for \(sequences.count) sequences")
        }
        let hidden = config.hiddenSize
        var offsets = [0]
        for (index, ids) in sequences.enumerated() {
            guard !ids.isEmpty else {
                throw EncoderError(.invalidInput, "sequence \(index) is empty; every sequence needs at least one token")
            }
            if let longest = config.maxSequenceLength, ids.count > longest {
                throw EncoderError(.invalidInput, "sequence \(index) has \(ids.count) tokens; the model takes at most \(longest)")
            }
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw EncoderError(.invalidInput, "token id \(bad) in sequence \(index) is outside the vocabulary (\(config.vocabSize))")
            }
            offsets.append(offsets.last! + ids.count)
        }
        let tokens = offsets.last!
        var x = [Float](repeating: 0, count: tokens * hidden)
        if tokens == 0 { return PackedHiddenStates(values: x, offsets: offsets, width: hidden) }

        try Kernels.exclusive(tokens: tokens) {
            embed(sequences, secondSegmentStarts: secondSegmentStarts, into: &x)
            let workspace =
                cachedWorkspace.flatMap { $0.tokens >= tokens ? $0 : nil } ?? Workspace(config: config, tokens: tokens, precision: precision)
            cachedWorkspace = workspace
            for layer in weights.layers {
                try x.withUnsafeMutableBufferPointer { xs in
                    try runLayer(layer, x: xs.baseAddress!, offsets: offsets, workspace: workspace)
                }
            }
        }
        return PackedHiddenStates(values: x, offsets: offsets, width: hidden)
    }

    /// Word embeddings (plus position and token-type embeddings where the model has them), the optional
    /// projection, then LayerNorm. The attention mask is all ones on packed rows, so its multiply is a no-op.
    private func embed(_ sequences: [[Int32]], secondSegmentStarts: [Int]?, into x: inout [Float]) {
        let hidden = config.hiddenSize, width = config.embeddingSize
        let tokens = x.count / hidden
        var input = weights.embedProjection == nil ? [] : [Float](repeating: 0, count: tokens * width)
        input.withUnsafeMutableBufferPointer { projected in
            x.withUnsafeMutableBufferPointer { xs in
                let target = weights.embedProjection == nil ? xs.baseAddress! : projected.baseAddress!
                var row = 0
                for (sequence, ids) in sequences.enumerated() {
                    let secondStart = secondSegmentStarts?[sequence] ?? Int.max
                    for (position, id) in ids.enumerated() {
                        let out = target + row * width
                        out.update(from: weights.wordEmbeddings.row(Int(id)), count: width)
                        if let positionTable = weights.positionEmbeddings {
                            let base = (position + config.positionOffset) * width
                            for i in 0 ..< width { out[i] += positionTable[base + i] }
                        }
                        if let types = weights.tokenTypeEmbeddings {
                            let base = position >= secondStart && types.count >= 2 * width ? width : 0
                            for i in 0 ..< width { out[i] += types[base + i] }
                        }
                        row += 1
                    }
                }
                if let projection = weights.embedProjection {
                    Kernels.matmulTransposed(
                        projected.baseAddress!, rows: tokens, inputWidth: width, lda: width,
                        weight: projection, outputWidth: hidden, ldw: width,
                        into: xs.baseAddress!, ldc: hidden, accumulate: false)
                }
            }
        }
        Kernels.layerNorm(
            &x, rows: tokens, width: hidden, weight: weights.embeddingNormWeight,
            bias: weights.embeddingNormBias, eps: config.layerNormEps)
    }

    /// One encoder layer, in place on x [tokens, hidden].
    private func runLayer(
        _ layer: DebertaV2LayerWeights, x: UnsafeMutablePointer<Float>, offsets: [Int],
        workspace: Workspace
    ) throws {
        let hidden = config.hiddenSize
        let allHead = config.numAttentionHeads * config.attentionHeadSize
        let inter = config.intermediateSize
        let tokens = offsets.last!
        let eps = config.layerNormEps
        let qkv = workspace.qkv, context = workspace.context, attended = workspace.attended, ffn = workspace.ffn

        // Q, K and V in one GEMM over the stacked projection.
        ks_fill_rows(qkv, tokens, 3 * allHead, 3 * allHead, layer.qkvBias, nil, 0)
        let scratch = workspace.bf16
        try layer.qkvWeight.apply(x, rows: tokens, into: qkv, accumulate: true, scratch: scratch)
        if attentionProducts != nil { BF16.round(qkv, rows: tokens, width: 3 * allHead, into: workspace.qkvBF16) }
        try attention(layer, offsets: offsets, qkv: qkv, qkvBF16: workspace.qkvBF16, context: context)

        // Attention output projection + bias + residual, LayerNorm.
        ks_fill_rows(attended, tokens, hidden, hidden, layer.outputBias, x, hidden)
        try layer.outputWeight.apply(context, rows: tokens, into: attended, accumulate: true, scratch: scratch)
        Kernels.layerNorm(
            attended, rows: tokens, width: hidden, weight: layer.attentionNormWeight,
            bias: layer.attentionNormBias, eps: eps)

        // Feed-forward: GELU(h W1ᵀ + b1) W2ᵀ + b2 + h, LayerNorm.
        ks_fill_rows(ffn, tokens, inter, inter, layer.intermediateBias, nil, 0)
        try layer.intermediateWeight.apply(attended, rows: tokens, into: ffn, accumulate: true, scratch: scratch)
        Kernels.gelu(ffn, count: tokens * inter)
        ks_fill_rows(x, tokens, hidden, hidden, layer.ffnOutputBias, attended, hidden)
        try layer.ffnOutputWeight.apply(ffn, rows: tokens, into: x, accumulate: true, scratch: scratch)
        Kernels.layerNorm(
            x, rows: tokens, width: hidden, weight: layer.outputNormWeight,
            bias: layer.outputNormBias, eps: eps)
    }

    /// Disentangled self-attention of every head of every sequence, each (sequence, head) pair a work item
    /// taken by whichever core is free. At reduced precision the products read `qkvBF16`, Q, K and V rounded.
    private func attention(
        _ layer: DebertaV2LayerWeights, offsets: [Int], qkv: UnsafeMutablePointer<Float>,
        qkvBF16: UnsafeMutablePointer<UInt16>, context: UnsafeMutablePointer<Float>
    ) throws {
        let heads = config.numAttentionHeads
        let sequenceCount = offsets.count - 1
        let lengths = (0 ..< sequenceCount).map { offsets[$0 + 1] - offsets[$0] }
        // Longest sequences first, so the cores finish together.
        let order = (0 ..< sequenceCount).sorted { lengths[$0] > lengths[$1] }
        var windows: [Int: RelativeWindow] = [:]
        if config.relativeAttention {
            for length in Set(lengths) { windows[length] = positions.window(length: length) }
        }
        let plan = AttentionPlan(
            config: config, layer: layer, offsets: offsets, windows: windows,
            maxLength: lengths.max() ?? 0, maxWidth: windows.values.map(\.width).max() ?? 0,
            products: attentionProducts)
        nonisolated(unsafe) let qkv = qkv, qkvBF16 = qkvBF16, context = context
        let next = Atomic<Int>(0)
        let failure = Mutex<String?>(nil)
        let items = sequenceCount * heads
        DispatchQueue.concurrentPerform(iterations: min(Kernels.threads, items)) { _ in
            let scratch = AttentionScratch(plan: plan)
            while true {
                let item = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if item >= items { break }
                if let message = plan.run(
                    sequence: order[item / heads], head: item % heads, qkv: qkv, qkvBF16: qkvBF16,
                    context: context, scratch: scratch)
                {
                    failure.withLock { $0 = message }
                    break
                }
            }
        }
        if let message = failure.withLock({ $0 }) {
            throw EncoderError(.unsupportedConfiguration, "attention failed: \(message)")
        }
    }
}

/// What every attention work item of one layer shares.
private struct AttentionPlan: @unchecked Sendable {
    let heads: Int
    let headSize: Int
    let scale: Float
    let offsets: [Int]
    let windows: [Int: RelativeWindow]
    let positionKeys: [Float]?
    let positionQueries: [Float]?
    let maxLength: Int
    let maxWidth: Int
    /// The reduced-precision products and the bf16 position tables; nil at fp32.
    let products: AttentionProducts?
    let positionKeysBF16: [UInt16]?
    let positionQueriesBF16: [UInt16]?

    /// transformers scales by sqrt(head size × (1 + number of position attention types)).
    static func scale(_ config: DebertaV2Config) -> Float {
        1 / sqrtf(Float(config.attentionHeadSize) * Float(1 + config.positionAttention.count))
    }

    init(
        config: DebertaV2Config, layer: DebertaV2LayerWeights, offsets: [Int], windows: [Int: RelativeWindow],
        maxLength: Int, maxWidth: Int, products: AttentionProducts?
    ) {
        heads = config.numAttentionHeads
        headSize = config.attentionHeadSize
        scale = AttentionPlan.scale(config)
        self.products = products
        positionKeysBF16 = config.relativeAttention ? layer.positionKeysBF16 : nil
        positionQueriesBF16 = config.relativeAttention ? layer.positionQueriesBF16 : nil
        self.offsets = offsets
        self.windows = windows
        positionKeys = config.relativeAttention ? layer.positionKeys : nil
        positionQueries = config.relativeAttention ? layer.positionQueries : nil
        self.maxLength = maxLength
        self.maxWidth = maxWidth
    }

    /// Attention of one head of one sequence: scores, relative-position bias, softmax, weighted values.
    /// Returns nil, or what failed.
    func run(
        sequence: Int, head: Int, qkv: UnsafeMutablePointer<Float>, qkvBF16: UnsafeMutablePointer<UInt16>,
        context: UnsafeMutablePointer<Float>, scratch: AttentionScratch
    ) -> String? {
        let allHead = heads * headSize
        let stride = 3 * allHead
        let start = offsets[sequence]
        let length = offsets[sequence + 1] - start
        if let products {
            return runBF16(products, start: start, length: length, head: head, qkv: qkvBF16, context: context, scratch: scratch)
        }
        let q = qkv + start * stride + head * headSize
        let k = q + allHead
        let v = q + 2 * allHead
        let scores = scratch.scores
        Kernels.matmulTransposed(
            q, rows: length, inputWidth: headSize, lda: stride, weight: k,
            outputWidth: length, ldw: stride, into: scores, ldc: length,
            accumulate: false, alpha: scale)
        if let window = windows[length] {
            let column = window.firstRow * allHead + head * headSize
            if let positionKeys {
                positionKeys.withUnsafeBufferPointer { table in
                    Kernels.matmulTransposed(
                        q, rows: length, inputWidth: headSize, lda: stride,
                        weight: table.baseAddress! + column, outputWidth: window.width,
                        ldw: allHead, into: scratch.c2p, ldc: window.width, accumulate: false)
                }
            }
            if let positionQueries {
                positionQueries.withUnsafeBufferPointer { table in
                    Kernels.matmulTransposed(
                        k, rows: length, inputWidth: headSize, lda: stride,
                        weight: table.baseAddress! + column, outputWidth: window.width,
                        ldw: allHead, into: scratch.p2c, ldc: window.width, accumulate: false)
                }
            }
            ks_add_relative_bias(
                scores, length, length, positionKeys == nil ? nil : scratch.c2p,
                positionQueries == nil ? nil : scratch.p2c, window.width, window.offsets, scale)
        }
        ks_softmax_rows(scores, length, length, length)
        Kernels.matmul(
            scores, rows: length, inner: length, lda: length, v, columns: headSize, ldb: stride,
            into: context + start * allHead + head * headSize, ldc: allHead)
        return nil
    }

    /// The same with bf16 products (float32 accumulation): Q, K, V and the position tables rounded once per
    /// layer, the probabilities after the float32 softmax.
    private func runBF16(
        _ products: AttentionProducts, start: Int, length: Int, head: Int, qkv: UnsafeMutablePointer<UInt16>,
        context: UnsafeMutablePointer<Float>, scratch: AttentionScratch
    ) -> String? {
        let allHead = heads * headSize
        let stride = 3 * allHead
        let q = UnsafePointer(qkv + start * stride + head * headSize)
        let k = q + allHead
        let v = q + 2 * allHead
        let scores = scratch.scores
        if let failure = products.scores.apply(
            m: length, n: length, k: headSize, a: q, lda: stride, b: k, ldb: stride,
            into: scores, ldc: length)
        {
            return failure
        }
        if let window = windows[length] {
            let column = window.firstRow * allHead + head * headSize
            for (table, rows, target) in [(positionKeysBF16, q, scratch.c2p), (positionQueriesBF16, k, scratch.p2c)] {
                guard let table else { continue }
                let failure = table.withUnsafeBufferPointer { table in
                    products.positions.apply(
                        m: length, n: window.width, k: headSize, a: rows, lda: stride,
                        b: table.baseAddress! + column, ldb: allHead, into: target, ldc: window.width)
                }
                if let failure { return failure }
            }
            ks_add_relative_bias(
                scores, length, length, positionKeysBF16 == nil ? nil : scratch.c2p,
                positionQueriesBF16 == nil ? nil : scratch.p2c, window.width, window.offsets, scale)
        }
        ks_softmax_rows(scores, length, length, length)
        ks_f32_to_bf16(scores, scratch.probabilities, length * length)
        return products.context.apply(
            m: length, n: headSize, k: length, a: scratch.probabilities, lda: length, b: v, ldb: stride,
            into: context + start * allHead + head * headSize, ldc: allHead)
    }
}

/// One core's scratch space for attention work items.
private final class AttentionScratch {
    let scores: UnsafeMutablePointer<Float>
    let c2p: UnsafeMutablePointer<Float>
    let p2c: UnsafeMutablePointer<Float>
    /// The probabilities rounded to bf16 (reduced precision only).
    let probabilities: UnsafeMutablePointer<UInt16>

    init(plan: AttentionPlan) {
        scores = .allocate(capacity: max(1, plan.maxLength * plan.maxLength))
        c2p = .allocate(capacity: max(1, plan.maxLength * plan.maxWidth))
        p2c = .allocate(capacity: max(1, plan.maxLength * plan.maxWidth))
        probabilities = .allocate(capacity: plan.products == nil ? 1 : max(1, plan.maxLength * plan.maxLength))
    }

    deinit {
        scores.deallocate(); c2p.deallocate(); p2c.deallocate(); probabilities.deallocate()
    }
}

/// Scratch matrices of one forward pass, reused by every layer.
private final class Workspace {
    let qkv: UnsafeMutablePointer<Float>
    let context: UnsafeMutablePointer<Float>
    let attended: UnsafeMutablePointer<Float>
    let ffn: UnsafeMutablePointer<Float>
    /// GEMM inputs converted to bf16 or int8 (reduced precision only; a single element for fp32).
    let bf16: UnsafeMutablePointer<UInt16>
    /// Q, K and V rounded to bf16 for attention (reduced precision only).
    let qkvBF16: UnsafeMutablePointer<UInt16>
    /// The number of packed tokens the matrices have room for.
    let tokens: Int

    init(config: DebertaV2Config, tokens: Int, precision: Precision) {
        let allHead = config.numAttentionHeads * config.attentionHeadSize
        self.tokens = tokens
        qkv = .allocate(capacity: tokens * 3 * allHead)
        context = .allocate(capacity: tokens * allHead)
        attended = .allocate(capacity: tokens * config.hiddenSize)
        ffn = .allocate(capacity: tokens * config.intermediateSize)
        bf16 = .allocate(capacity: precision == .fp32 ? 1 : tokens * max(config.hiddenSize, config.intermediateSize, allHead))
        qkvBF16 = .allocate(capacity: precision == .fp32 ? 1 : tokens * 3 * allHead)
    }

    deinit {
        qkv.deallocate(); context.deallocate(); attended.deallocate(); ffn.deallocate(); bf16.deallocate(); qkvBF16.deallocate()
    }
}
