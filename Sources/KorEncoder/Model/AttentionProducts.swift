import CMatmul
import Foundation

/// One of attention's small matrix products in bfloat16 with float32 accumulation (oneDNN), used by the
/// reduced precisions: c[m, n] = alpha · a[m, k] · B, with B given [k, n] or, transposed, [n, k].
final class BF16Product: @unchecked Sendable {
    private let handle: OpaquePointer

    init(transposedB: Bool, alpha: Float) throws {
        var error: UnsafePointer<CChar>?
        guard let handle = ks_gemm_bf16_create(transposedB ? 1 : 0, alpha, &error) else {
            throw EncoderError(
                .unsupportedConfiguration,
                "reduced-precision attention is not available here: \(error.map { String(cString: $0) } ?? "oneDNN failed")")
        }
        self.handle = handle
    }

    deinit { ks_gemm_free(handle) }

    /// Runs in the calling thread; nil on success, else oneDNN's message.
    func apply(
        m: Int, n: Int, k: Int, a: UnsafePointer<UInt16>, lda: Int, b: UnsafePointer<UInt16>, ldb: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> String? {
        var error: UnsafePointer<CChar>?
        if ks_gemm_bf16_apply(handle, Int64(m), Int64(n), Int64(k), a, Int64(lda), b, Int64(ldb), c, Int64(ldc), &error) != 0 {
            return error.map { String(cString: $0) } ?? "oneDNN bf16 matmul failed"
        }
        return nil
    }
}

/// The three kinds of attention product at reduced precision: scaled query–key scores, the relative-position
/// products (c2p, p2c) and probabilities times values.
struct AttentionProducts: Sendable {
    let scores: BF16Product
    let positions: BF16Product
    let context: BF16Product

    init(scale: Float) throws {
        scores = try BF16Product(transposedB: true, alpha: scale)
        positions = try BF16Product(transposedB: true, alpha: 1)
        context = try BF16Product(transposedB: false, alpha: 1)
    }
}

/// bfloat16 rounding (to nearest even) of float32 values.
enum BF16 {
    static func round(_ values: [Float]) -> [UInt16] {
        var result = [UInt16](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { ks_f32_to_bf16(source.baseAddress, $0.baseAddress, values.count) }
        }
        return result
    }

    /// Rounds a [rows, width] matrix, split across cores.
    static func round(_ source: UnsafePointer<Float>, rows: Int, width: Int, into target: UnsafeMutablePointer<UInt16>) {
        nonisolated(unsafe) let source = source, target = target
        Kernels.parallelRows(rows) { range in
            ks_f32_to_bf16(source + range.lowerBound * width, target + range.lowerBound * width, range.count * width)
        }
    }
}
