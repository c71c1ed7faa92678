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
}

/// The weight of one linear layer (y = x·Wᵀ, W stored [out, in]) in the precision the model runs at.
final class LinearWeight: @unchecked Sendable {
    let output: Int
    let input: Int
    /// The float32 weight (kept for fp32; empty once converted for bf16).
    let floats: [Float]
    /// The oneDNN layer for reduced precision.
    private let reduced: OpaquePointer?

    init(_ weight: [Float], output: Int, input: Int, precision: Precision) throws {
        self.output = output
        self.input = input
        switch precision {
        case .fp32:
            floats = weight
            reduced = nil
        case .bf16, .int8:
            var error: UnsafePointer<CChar>?
            let kind = precision == .bf16 ? KS_LINEAR_BF16 : KS_LINEAR_INT8
            guard let handle = weight.withUnsafeBufferPointer({ ks_linear_create(kind, Int64(output), Int64(input), $0.baseAddress, &error) }) else {
                throw EncoderError(.unsupportedConfiguration, "\(precision.rawValue) is not available here: \(error.map { String(cString: $0) } ?? "oneDNN failed")")
            }
            floats = []
            reduced = handle
        }
    }

    deinit { if let reduced { ks_linear_free(reduced) } }

    /// c[rows, output] (+)= a[rows, input] · Wᵀ; `scratch` holds rows × input 16-bit values for reduced precision.
    func apply(_ a: UnsafePointer<Float>, rows: Int, into c: UnsafeMutablePointer<Float>, accumulate: Bool,
               scratch: UnsafeMutablePointer<UInt16>) throws {
        if let reduced {
            // Rows split into one block per core, each converted into its own part of the scratch.
            nonisolated(unsafe) let a = a, c = c, scratch = scratch, handle = reduced
            let input = self.input, output = self.output
            let failure = Mutex<String?>(nil)
            Kernels.parallelRows(rows, minimumRowsPerThread: 64) { range in
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
        } else {
            Kernels.parallelMatmulTransposed(a, rows: rows, inputWidth: input, weight: floats, outputWidth: output,
                                             into: c, accumulate: accumulate)
        }
    }
}
