import KorEncoder
import XCTest

/// The forward pass against transformers' DebertaV2Model on tiny random models of every configuration the
/// fixtures cover (real mdeberta buckets, small log buckets, absolute positions, fp16, bf16, .bin, safetensors).
final class EncoderReferenceTests: XCTestCase {
    private let tolerance: Float = 1e-4

    func testLastHiddenStatesAndPooledEmbeddingsMatchTransformers() throws {
        for name in Fixtures.modelNames {
            let expected = try Fixtures.expected(name)
            let embedder = try Embedder(modelDirectory: Fixtures.model(name), maxLength: expected.max_length)
            XCTAssertEqual(try embedder.tokenize(expected.texts), expected.ids, name)

            // One padded batch of mixed lengths on the Python side; one packed batch here.
            let states = try embedder.model.forward(expected.ids)
            for (index, hidden) in expected.hidden.enumerated() {
                let difference = maxAbsDifference(states.sequence(index), hidden)
                XCTAssertLessThan(difference, tolerance, "\(name) sequence \(index) hidden states")
            }
            let pooled = try embedder.embed(expected.texts, normalize: false)
            for (index, vector) in expected.pooled.enumerated() {
                XCTAssertEqual(pooled[index].tokens, expected.ids[index].count)
                XCTAssertLessThan(maxAbsDifference(pooled[index].vector, vector), tolerance, "\(name) pooled \(index)")
            }
        }
    }

    func testNormalizedEmbeddingIsUnitLengthAndParallelToRaw() throws {
        let name = "mdeberta-tiny-safetensors"
        let expected = try Fixtures.expected(name)
        let embedder = try Embedder(modelDirectory: Fixtures.model(name))
        let normalized = try embedder.embed(expected.texts)
        for (index, embedding) in normalized.enumerated() {
            let raw = expected.pooled[index]
            let norm = sqrt(raw.reduce(0) { $0 + $1 * $1 })
            XCTAssertEqual(sqrt(embedding.vector.reduce(0) { $0 + $1 * $1 }), 1, accuracy: 1e-5)
            XCTAssertLessThan(maxAbsDifference(embedding.vector, raw.map { $0 / norm }), tolerance)
        }
    }

    func testATextAloneEqualsTheSameTextInsideABatch() throws {
        for name in ["mdeberta-tiny-safetensors", "absolute-positions-safetensors"] {
            let expected = try Fixtures.expected(name)
            let embedder = try Embedder(modelDirectory: Fixtures.model(name), maxLength: expected.max_length)
            let batched = try embedder.embed(expected.texts, normalize: false, batchSize: expected.texts.count)
            for (index, text) in expected.texts.enumerated() {
                let alone = try embedder.embed([text], normalize: false)[0]
                // GEMM blocking depends on the batch's row count: equal up to float rounding, far inside 1e-4.
                XCTAssertLessThan(maxAbsDifference(alone.vector, batched[index].vector), 1e-5, "\(name) text \(index)")
            }
            // Order and batch size do not matter either.
            let reversed = try embedder.embed(expected.texts.reversed(), normalize: false, batchSize: 2)
            for (index, embedding) in reversed.reversed().enumerated() {
                XCTAssertLessThan(maxAbsDifference(embedding.vector, batched[index].vector), 1e-5)
            }
        }
    }

    /// A pass on one thread (a small one, by default) and the same pass split across the cores give the same
    /// vectors: only who computes each row and head differs. Bit for bit on AVX-512 processors; on AVX2 ones
    /// oneDNN blocks a product's sums differently by thread count, so the last bits may differ (1e-5 here).
    func testOneThreadAndEveryCoreGiveTheSameVectors() throws {
        let saved = EncoderThreading.singleThreadBelowTokens
        defer { EncoderThreading.singleThreadBelowTokens = saved }
        for name in Fixtures.modelNames {
            let expected = try Fixtures.expected(name)
            let embedder = try Embedder(modelDirectory: Fixtures.model(name), maxLength: expected.max_length)
            EncoderThreading.singleThreadBelowTokens = 0
            let split = try embedder.embed(expected.texts, normalize: false, batchSize: expected.texts.count)
            EncoderThreading.singleThreadBelowTokens = Int.max
            let alone = try embedder.embed(expected.texts, normalize: false, batchSize: expected.texts.count)
            for (a, b) in zip(split, alone) { XCTAssertLessThan(maxAbsDifference(a.vector, b.vector), 1e-5, name) }
        }
    }

    func testRelativePositionBucketsMatchTransformers() throws {
        for name in ["mdeberta-tiny-safetensors", "log-buckets-pytorch", "absolute-positions-safetensors"] {
            let expected = try Fixtures.expected(name)
            let model = try Embedder(modelDirectory: Fixtures.model(name), maxLength: expected.max_length).model
            let buckets = expected.bucket_distances.map(model.relativeBucket)
            XCTAssertEqual(buckets, expected.buckets, name)
        }
    }

    func testEmbeddingsAreDeterministicAcrossThreads() throws {
        let name = "log-buckets-pytorch"
        let expected = try Fixtures.expected(name)
        let embedder = try Embedder(modelDirectory: Fixtures.model(name), maxLength: expected.max_length)
        let reference = try embedder.embed(expected.texts)
        let results = UnsafeMutableBufferPointer<[Embedding]>.allocate(capacity: 4)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        nonisolated(unsafe) let shared = results
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            shared[index] = (try? embedder.embed(expected.texts)) ?? []
        }
        for result in results {
            XCTAssertEqual(result.count, reference.count)
            for (a, b) in zip(result, reference) { XCTAssertLessThan(maxAbsDifference(a.vector, b.vector), 1e-6) }
        }
    }

    func testInvalidIdsAndEmptySequencesAreErrorsNotCrashes() throws {
        let model = try Embedder(modelDirectory: Fixtures.model("log-buckets-pytorch")).model
        XCTAssertThrowsError(try model.forward([[1, 999_999, 2]])) { error in
            XCTAssertTrue("\(error)".contains("outside the vocabulary"), "\(error)")
        }
        XCTAssertThrowsError(try model.forward([[]]))
        XCTAssertEqual(try model.forward([]).offsets, [0])
    }

    func testMaxLengthBeyondAbsolutePositionsIsRejected() throws {
        // This model adds absolute position embeddings: 512 of them.
        XCTAssertThrowsError(try Embedder(modelDirectory: Fixtures.model("absolute-positions-safetensors"), maxLength: 600)) { error in
            XCTAssertTrue("\(error)".contains("max_position_embeddings"), "\(error)")
        }
    }
}
