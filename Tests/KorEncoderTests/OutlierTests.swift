import Foundation
import XCTest

@testable import KorEncoder

/// Real checkpoints have a few hidden channels whose LayerNorm scale makes them outliers (tens of times the
/// others); random test weights have none. This builds such a model from the tiny fixture — two channels of
/// every LayerNorm scaled ×100 — and measures int8 against its own fp32 output, with and without smoothing.
final class OutlierTests: XCTestCase {
    /// The fixture's tensors, with LayerNorm weights and biases of the outlier channels scaled.
    final class OutlierCheckpoint: CheckpointReader {
        let base: CheckpointReader
        let channels: [Int]
        let factor: Float
        private var buffers: [UnsafeMutableRawBufferPointer] = []

        init(_ base: CheckpointReader, channels: [Int], factor: Float) {
            self.base = base
            self.channels = channels
            self.factor = factor
        }

        deinit { buffers.forEach { $0.deallocate() } }

        var path: String { base.path }
        var tensorNames: [String] { base.tensorNames }

        func tensor(named name: String) throws -> WeightTensor? {
            guard let tensor = try base.tensor(named: name) else { return nil }
            guard name.hasSuffix("LayerNorm.weight") || name.hasSuffix("LayerNorm.bias"), !name.contains("encoder.LayerNorm") else {
                return tensor
            }
            var values = tensor.floats()
            for channel in channels { values[channel] *= factor }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: values.count * 4, alignment: 16)
            values.withUnsafeBytes { buffer.copyMemory(from: $0) }
            buffers.append(buffer)
            return WeightTensor(
                name: name, dtype: .float32, shape: tensor.shape,
                strides: WeightTensor.contiguousStrides(tensor.shape), bytes: UnsafeRawBufferPointer(buffer))
        }
    }

    private func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        return dot / (sqrt(a.reduce(0.0) { $0 + Double($1 * $1) }) * sqrt(b.reduce(0.0) { $0 + Double($1 * $1) }))
    }

    private func embeddings(_ precision: Precision, smoothing: Bool, texts: [String]) throws -> [[Float]] {
        let directory = Fixtures.model("mdeberta-tiny-safetensors")
        let config = try DebertaV2Config(contentsOf: directory.appendingPathComponent("config.json"))
        let checkpoint = OutlierCheckpoint(
            try SafeTensorsFile(url: directory.appendingPathComponent("model.safetensors")),
            channels: [3, 17], factor: 100)
        let model = try DebertaV2Model(config: config, checkpoint: checkpoint, precision: precision, smoothing: smoothing)
        let tokenizer = try Embedder(modelDirectory: directory).tokenizer
        return try Embedder(tokenizer: tokenizer, model: model).embed(texts).map(\.vector)
    }

    func testINT8SmoothingKeepsOutlierChannelsAccurate() throws {
        let texts = try Fixtures.expected("mdeberta-tiny-safetensors").texts
        let reference = try embeddings(.fp32, smoothing: true, texts: texts)
        func worst(_ vectors: [[Float]]) -> Double { zip(vectors, reference).map { cosine($0, $1) }.min()! }
        let smoothed = worst(try embeddings(.int8, smoothing: true, texts: texts))
        let plain = worst(try embeddings(.int8, smoothing: false, texts: texts))
        print(String(format: "outlier model, min cosine to fp32: int8 smoothed %.6f, int8 plain %.6f", smoothed, plain))
        XCTAssertGreaterThanOrEqual(smoothed, 0.99, "int8 with smoothing")
        XCTAssertGreaterThan(smoothed, plain, "smoothing helps where outliers are")
        // bf16 where this processor runs it (AVX-512).
        if Precision.bf16.isAvailable {
            XCTAssertGreaterThanOrEqual(worst(try embeddings(.bf16, smoothing: true, texts: texts)), 0.999)
        }
    }
}
