import CMatmul
import Foundation
import Synchronization

/// The numeric precision of the encoder's large matrix products.
public enum Precision: String, Sendable, CaseIterable, Codable {
    /// float32 everywhere: the same numbers as Hugging Face transformers (within 1e-4).
    case fp32
    /// bfloat16 weights and GEMM inputs with float32 accumulation (oneDNN); LayerNorm, softmax, GELU, attention
    /// and pooling stay float32.
    case bf16
    /// int8 weights (one scale per output channel) and GEMM inputs (one dynamic scale per call), int32
    /// accumulation (oneDNN, VNNI); everything else float32.
    case int8

    /// The command line's default: bf16 where the processor multiplies bfloat16 natively (AVX512-BF16 or AMX),
    /// the fastest precision whose accuracy holds (cosine ≥ 0.99999 to fp32 on the full-size model, retrieval
    /// unchanged); fp32 elsewhere, where oneDNN would only emulate bf16. The library's own default stays fp32,
    /// the exact one.
    public static let recommended: Precision = hasNativeBF16 ? .bf16 : .fp32

    /// Whether oneDNN runs this precision on this processor: fp32 and int8 everywhere; bf16 needs AVX-512 (oneDNN
    /// 2.6 has no bf16 matrix product for AVX2 processors, not even an emulated one). Checked once per process
    /// by building a small layer.
    public var isAvailable: Bool {
        switch self {
        case .fp32: true
        case .bf16: Precision.bf16Available
        case .int8: Precision.int8Available
        }
    }

    private static let bf16Available = canBuild(KS_LINEAR_BF16)
    private static let int8Available = canBuild(KS_LINEAR_INT8)

    private static func canBuild(_ kind: ks_linear_kind) -> Bool {
        let weights = [Float](repeating: 0.25, count: 16 * 16)
        var error: UnsafePointer<CChar>?
        guard let layer = weights.withUnsafeBufferPointer({ ks_linear_create(kind, 16, 16, $0.baseAddress, nil, &error) }) else { return false }
        ks_linear_free(layer)
        return true
    }

    /// Whether the processor's flags (Linux's /proc/cpuinfo) include a native bfloat16 dot product.
    static var hasNativeBF16: Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return false }
        let set = Set(flags.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }))
        return set.contains("avx512_bf16") || set.contains("amx_bf16")
    }
}

/// The weight of one linear layer (y = x·Wᵀ, W stored [out, in]) in the precision the model runs at.
final class LinearWeight: @unchecked Sendable {
    let output: Int
    let input: Int
    /// The oneDNN layer: the weight in oneDNN's layout and the primitives that multiply by it.
    private let layer: OpaquePointer

    /// `inputNorm`: the LayerNorm whose output is this layer's input, if one is; at int8 its parameters bound each
    /// input channel (|β| + 4|γ|), and channels with outlying bounds are smoothed (see `smoothing`).
    init(
        _ weight: [Float], output: Int, input: Int, precision: Precision,
        inputNorm: (weight: [Float], bias: [Float])? = nil
    ) throws {
        self.output = output
        self.input = input
        let kind =
            switch precision {
            case .fp32: KS_LINEAR_F32
            case .bf16: KS_LINEAR_BF16
            case .int8: KS_LINEAR_INT8
            }
        let scales = precision == .int8 ? inputNorm.map { LinearWeight.smoothing(weight, output: output, input: input, norm: $0) } : nil
        var error: UnsafePointer<CChar>?
        guard
            let handle = weight.withUnsafeBufferPointer({ w in
                scales.withOptionalBuffer { ks_linear_create(kind, Int64(output), Int64(input), w.baseAddress, $0, &error) }
            })
        else {
            throw EncoderError(
                .unsupportedConfiguration, "\(precision.rawValue) is not available here: \(error.map { String(cString: $0) } ?? "oneDNN failed")")
        }
        layer = handle
    }

    deinit { ks_linear_free(layer) }

    /// SmoothQuant's per-input-channel factors with α = 0.5, s_j = √(max|x_j| / max|W_:,j|), with max|x_j|
    /// bounded from the LayerNorm that produces x (|β_j| + 4|γ_j|, no calibration data needed): a channel whose
    /// LayerNorm scale makes it an outlier (as real checkpoints have, and random weights do not) is divided down
    /// before the input is quantized, and its weight column multiplied up by the same factor. Normalized to a
    /// geometric mean of 1, so ordinary channels stay about where they were.
    static func smoothing(_ weight: [Float], output: Int, input: Int, norm: (weight: [Float], bias: [Float])) -> [Float] {
        var columnMax = [Float](repeating: 0, count: input)
        for row in 0 ..< output {
            for j in 0 ..< input { columnMax[j] = max(columnMax[j], abs(weight[row * input + j])) }
        }
        var scales = (0 ..< input).map { j -> Float in
            let bound = abs(norm.bias[j]) + 4 * abs(norm.weight[j])
            return bound > 0 && columnMax[j] > 0 ? (bound / columnMax[j]).squareRoot() : 1
        }
        let meanLog = scales.reduce(0) { $0 + log($1) } / Float(input)
        let center = exp(meanLog)
        scales = scales.map { $0 / center }
        return scales
    }

    /// c[rows, output] (+)= a[rows, input] · Wᵀ; `scratch` holds rows × input 16-bit values for reduced precision.
    func apply(
        _ a: UnsafePointer<Float>, rows: Int, into c: UnsafeMutablePointer<Float>, accumulate: Bool,
        scratch: UnsafeMutablePointer<UInt16>
    ) throws {
        // Rows split into one block per core, each converted into its own part of the scratch. Under 32 rows (one
        // short query) they stay on one core, where oneDNN reads the weights once without packing them and the
        // other core is free (for the keyword half of a hybrid search).
        nonisolated(unsafe) let a = a, c = c, scratch = scratch, handle = layer
        let input = self.input, output = self.output
        let failure = Mutex<String?>(nil)
        Kernels.parallelRows(rows, minimumRowsPerThread: 16) { range in
            var error: UnsafePointer<CChar>?
            if ks_linear_apply(
                handle, Int64(range.count), a + range.lowerBound * input, c + range.lowerBound * output,
                accumulate ? 1 : 0, scratch + range.lowerBound * input, &error) != 0
            {
                let message = error.map { String(cString: $0) } ?? "?"
                failure.withLock { $0 = message }
            }
        }
        if let message = failure.withLock({ $0 }) {
            throw EncoderError(.unsupportedConfiguration, "oneDNN matmul failed: \(message)")
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with a pointer to the elements, or NULL when there are none.
    func withOptionalBuffer<T>(_ body: (UnsafePointer<Float>?) -> T) -> T {
        switch self {
        case .some(let values): values.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: body(nil)
        }
    }
}
