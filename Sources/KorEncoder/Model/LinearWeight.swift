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
}

/// The weight of one linear layer (y = x·Wᵀ, W stored [out, in]) in the precision the model runs at.
final class LinearWeight: @unchecked Sendable {
    let output: Int
    let input: Int
    /// The float32 weight (kept for fp32; empty once converted for bf16).
    let floats: [Float]
    private let bf16: OpaquePointer?

    init(_ weight: [Float], output: Int, input: Int, precision: Precision) throws {
        self.output = output
        self.input = input
        switch precision {
        case .fp32:
            floats = weight
            bf16 = nil
        case .bf16:
            var error: UnsafePointer<CChar>?
            guard let handle = weight.withUnsafeBufferPointer({ ks_bf16_linear_create(Int64(output), Int64(input), $0.baseAddress, &error) }) else {
                throw EncoderError(.unsupportedConfiguration, "bf16 is not available here: \(error.map { String(cString: $0) } ?? "oneDNN failed")")
            }
            floats = []
            bf16 = handle
        }
    }

    deinit { if let bf16 { ks_bf16_linear_free(bf16) } }

    /// c[rows, output] (+)= a[rows, input] · Wᵀ; `scratch` holds rows × input bf16 values for the bf16 path.
    func apply(_ a: UnsafePointer<Float>, rows: Int, into c: UnsafeMutablePointer<Float>, accumulate: Bool,
               scratch: UnsafeMutablePointer<UInt16>) throws {
        if let bf16 {
            // Rows split into one block per core, each converted into its own part of the scratch.
            nonisolated(unsafe) let a = a, c = c, scratch = scratch, handle = bf16
            let input = self.input, output = self.output
            let failure = Mutex<String?>(nil)
            Kernels.parallelRows(rows, minimumRowsPerThread: 64) { range in
                var error: UnsafePointer<CChar>?
                if ks_bf16_linear_apply(handle, Int64(range.count), a + range.lowerBound * input, c + range.lowerBound * output,
                                        accumulate ? 1 : 0, scratch + range.lowerBound * input, &error) != 0 {
                    let message = error.map { String(cString: $0) } ?? "?"
                    failure.withLock { $0 = message }
                }
            }
            if let message = failure.withLock({ $0 }) {
                throw EncoderError(.unsupportedConfiguration, "oneDNN bf16 matmul failed: \(message)")
            }
        } else {
            Kernels.parallelMatmulTransposed(a, rows: rows, inputWidth: input, weight: floats, outputWidth: output,
                                             into: c, accumulate: accumulate)
        }
    }
}
