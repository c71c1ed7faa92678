import CBLAS
import CKernels
import Dispatch
import Foundation

/// The numeric building blocks of the forward pass: attention's small GEMMs through OpenBLAS (the linear layers
/// go through oneDNN, see `LinearWeight`), memory-bound steps through the C kernels, each split across cores by
/// the encoder itself.
enum Kernels {
    /// The machine's cores (at most 64).
    static let cores = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 64))

    /// Cores the forward pass under way splits its work across: every core, or one for a small pass
    /// (`EncoderThreading.singleThreadBelowTokens`). Set under `forwardLock` only.
    nonisolated(unsafe) private static var activeThreads = cores
    static var threads: Int { activeThreads }

    /// Runs `body(range)` over `count` rows split into one contiguous range per core.
    static func parallelRows(_ count: Int, minimumRowsPerThread: Int = 8, _ body: @Sendable (Range<Int>) -> Void) {
        let parts = min(threads, max(1, count / minimumRowsPerThread))
        if parts <= 1 {
            body(0 ..< count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let start = count * part / parts, end = count * (part + 1) / parts
            body(start ..< end)
        }
    }

    /// Forward passes run one at a time under this lock: each already uses every core, so concurrent callers
    /// queue instead of fighting over the cores.
    private static let forwardLock = NSLock()

    /// OpenBLAS runs single-threaded: the encoder splits work across cores itself (heads of attention), so
    /// OpenBLAS's own spinning worker threads never compete with the other steps.
    private static let singleThreadedBLAS: Void = openblas_set_num_threads(1)

    /// Runs a forward pass of `tokens` tokens under the process-wide lock, on one thread when it is small.
    static func exclusive<T>(tokens: Int, _ body: () throws -> T) rethrows -> T {
        _ = singleThreadedBLAS
        forwardLock.lock()
        activeThreads = tokens < EncoderThreading.singleThreadBelowTokens ? 1 : cores
        defer {
            activeThreads = cores
            forwardLock.unlock()
        }
        return try body()
    }

    /// C[rows, outputWidth] = A[rows, inputWidth] · Wᵀ (+ C when `accumulate`), W stored [outputWidth, inputWidth].
    static func matmulTransposed(
        _ a: UnsafePointer<Float>, rows: Int, inputWidth: Int, lda: Int,
        weight: UnsafePointer<Float>, outputWidth: Int, ldw: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, alpha: Float = 1
    ) {
        guard rows > 0, outputWidth > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputWidth), Int32(inputWidth),
            alpha, a, Int32(lda), weight, Int32(ldw), accumulate ? 1 : 0, c, Int32(ldc))
    }

    /// C[rows, n] = A[rows, k] · B[k, n] (+ C when `accumulate`).
    static func matmul(
        _ a: UnsafePointer<Float>, rows: Int, inner: Int, lda: Int,
        _ b: UnsafePointer<Float>, columns: Int, ldb: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(columns), Int32(inner),
            1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }

    /// A linear layer on a whole matrix: x[rows, inputWidth] · Wᵀ + b.
    static func linear(_ x: [Float], rows: Int, inputWidth: Int, weight: [Float], bias: [Float], outputWidth: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * outputWidth)
        out.withUnsafeMutableBufferPointer { o in
            ks_fill_rows(o.baseAddress, rows, outputWidth, outputWidth, bias, nil, 0)
            matmulTransposed(
                x, rows: rows, inputWidth: inputWidth, lda: inputWidth, weight: weight,
                outputWidth: outputWidth, ldw: inputWidth, into: o.baseAddress!, ldc: outputWidth,
                accumulate: true)
        }
        return out
    }

    /// LayerNorm of each row of a matrix, in place.
    static func layerNorm(_ x: inout [Float], rows: Int, width: Int, weight: [Float], bias: [Float], eps: Float) {
        x.withUnsafeMutableBufferPointer { buffer in
            layerNorm(buffer.baseAddress!, rows: rows, width: width, weight: weight, bias: bias, eps: eps)
        }
    }

    /// LayerNorm of each row, in place, split across cores.
    static func layerNorm(
        _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, eps: Float
    ) {
        nonisolated(unsafe) let x = x, weight = weight, bias = bias
        parallelRows(rows) { range in
            ks_layernorm(x + range.lowerBound * width, range.count, width, weight, bias, eps)
        }
    }

    /// The exact GELU over `count` floats in place, split across cores.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        nonisolated(unsafe) let x = x
        let blocks = (count + 4095) / 4096
        parallelRows(blocks, minimumRowsPerThread: 4) { range in
            let start = range.lowerBound * 4096
            let end = min(count, range.upperBound * 4096)
            ks_gelu(x + start, end - start)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// How the forward pass uses the cores. A pass splits its steps (attention heads, rows of the products and
/// layers) across every core, each step waiting for the slowest part; a query's pass is small, and on a busy
/// machine one descheduled part made every step wait: one short query took 16× its idle time with one other
/// CPU-bound process on two cores. Passes of fewer tokens than `singleThreadBelowTokens` run on the calling
/// thread alone, with no step waiting on another thread (Benchmarks.md, "Query embedding on a busy machine").
public enum EncoderThreading {
    /// Passes (all sequences of a batch together) of fewer tokens run on one thread; 0 splits every pass.
    nonisolated(unsafe) public static var singleThreadBelowTokens = 128
}
