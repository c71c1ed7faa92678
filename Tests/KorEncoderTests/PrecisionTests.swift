import KorEncoder
import XCTest

/// bf16 inference (oneDNN) against transformers' fp32 outputs: close in direction, not bit-equal.
final class PrecisionTests: XCTestCase {
    private func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let norms = sqrt(a.reduce(0.0) { $0 + Double($1 * $1) }) * sqrt(b.reduce(0.0) { $0 + Double($1 * $1) })
        return dot / norms
    }

    func testBF16EmbeddingsStayWithinCosine0999OfTransformers() throws {
        try XCTSkipUnless(Precision.bf16.isAvailable, "bf16 needs a processor with AVX-512: oneDNN 2.6 has no bf16 matrix product for AVX2")
        var worst = 1.0
        for name in Fixtures.modelNames {
            let expected = try Fixtures.expected(name)
            let embedder = try Embedder(modelDirectory: Fixtures.model(name), maxLength: expected.max_length, precision: .bf16)
            XCTAssertEqual(embedder.model.precision, .bf16)
            let pooled = try embedder.embed(expected.texts, normalize: false)
            for (index, reference) in expected.pooled.enumerated() {
                worst = min(worst, cosine(pooled[index].vector, reference))
            }
        }
        XCTAssertGreaterThanOrEqual(worst, 0.999, "min cosine \(worst)")
        // …and bf16 is a different computation: not the fp32 numbers to the last bit.
        let expected = try Fixtures.expected("mdeberta-tiny-safetensors")
        let fp32 = try Embedder(modelDirectory: Fixtures.model("mdeberta-tiny-safetensors")).embed([expected.texts[0]])[0].vector
        let bf16 = try Embedder(modelDirectory: Fixtures.model("mdeberta-tiny-safetensors"), precision: .bf16).embed([expected.texts[0]])[0].vector
        XCTAssertNotEqual(fp32, bf16)
    }

    func testINT8EmbeddingsStayWithinCosine099OfTransformers() throws {
        var worst = 1.0
        for name in Fixtures.modelNames {
            let expected = try Fixtures.expected(name)
            let embedder = try Embedder(modelDirectory: Fixtures.model(name), maxLength: expected.max_length, precision: .int8)
            let pooled = try embedder.embed(expected.texts, normalize: false)
            for (index, reference) in expected.pooled.enumerated() {
                worst = min(worst, cosine(pooled[index].vector, reference))
            }
        }
        XCTAssertGreaterThanOrEqual(worst, 0.99, "min cosine \(worst)")
    }

    func testINT8DependsOnlySlightlyOnTheBatch() throws {
        // Inputs are quantized with one scale per block of rows, so a text's neighbours in the batch move its
        // embedding a little; never far.
        let expected = try Fixtures.expected("mdeberta-tiny-safetensors")
        let embedder = try Embedder(modelDirectory: Fixtures.model("mdeberta-tiny-safetensors"), precision: .int8)
        let batched = try embedder.embed(expected.texts, batchSize: expected.texts.count)
        for (index, text) in expected.texts.enumerated() {
            XCTAssertGreaterThan(cosine(try embedder.embed([text])[0].vector, batched[index].vector), 0.995)
        }
    }

    func testBF16BatchIndependence() throws {
        try XCTSkipUnless(Precision.bf16.isAvailable, "bf16 needs a processor with AVX-512: oneDNN 2.6 has no bf16 matrix product for AVX2")
        let expected = try Fixtures.expected("mdeberta-tiny-safetensors")
        let embedder = try Embedder(modelDirectory: Fixtures.model("mdeberta-tiny-safetensors"), precision: .bf16)
        let batched = try embedder.embed(expected.texts, batchSize: expected.texts.count)
        for (index, text) in expected.texts.enumerated() {
            XCTAssertGreaterThan(cosine(try embedder.embed([text])[0].vector, batched[index].vector), 0.99999)
        }
    }
}
