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

    /// Whether the processor's flags (Linux's /proc/cpuinfo) include a native bfloat16 dot product.
    static var hasNativeBF16: Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
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

    init(_ weight: [Float], output: Int, input: Int, precision: Precision) throws {
        self.output = output
        self.input = input
        let kind = switch precision {
        case .fp32: KS_LINEAR_F32
        case .bf16: KS_LINEAR_BF16
        case .int8: KS_LINEAR_INT8
        }
        var error: UnsafePointer<CChar>?
        guard let handle = weight.withUnsafeBufferPointer({ ks_linear_create(kind, Int64(output), Int64(input), $0.baseAddress, &error) }) else {
            throw EncoderError(.unsupportedConfiguration, "\(precision.rawValue) is not available here: \(error.map { String(cString: $0) } ?? "oneDNN failed")")
        }
        layer = handle
    }

    deinit { ks_linear_free(layer) }

    /// c[rows, output] (+)= a[rows, input] · Wᵀ; `scratch` holds rows × input 16-bit values for reduced precision.
    func apply(_ a: UnsafePointer<Float>, rows: Int, into c: UnsafeMutablePointer<Float>, accumulate: Bool,
               scratch: UnsafeMutablePointer<UInt16>) throws {
        // Rows split into one block per core, each converted into its own part of the scratch. Under 32 rows (one
        // short query) they stay on one core, where oneDNN reads the weights once without packing them and the
        // other core is free (for the keyword half of a hybrid search).
        nonisolated(unsafe) let a = a, c = c, scratch = scratch, handle = layer
        let input = self.input, output = self.output
        let failure = Mutex<String?>(nil)
        Kernels.parallelRows(rows, minimumRowsPerThread: 16) { range in
            var error: UnsafePointer<CChar>?
            if ks_linear_apply(handle, Int64(range.count), a + range.lowerBound * input, c + range.lowerBound * output,
                               accumulate ? 1 : 0, scratch + range.lowerBound * input, &error) != 0 {
                let message = error.map { String(cString: $0) } ?? "?"
                failure.withLock { $0 = message }
            }
        }
        if let message = failure.withLock({ $0 }) {
            throw EncoderError(.unsupportedConfiguration, "oneDNN matmul failed: \(message)")
        }
    }
}
