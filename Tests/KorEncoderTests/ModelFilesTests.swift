import CKernels
import Foundation
import XCTest

@testable import KorEncoder

/// Bad model folders are clear errors that name the file and the field, never crashes.
final class ModelFilesTests: XCTestCase {
    private func loadError(_ folder: URL) -> String {
        do {
            _ = try Embedder(modelDirectory: folder)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    private func rewriteConfig(_ folder: URL, _ change: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent("config.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    func testMissingFolderAndFiles() throws {
        XCTAssertTrue(loadError(URL(fileURLWithPath: "/nonexistent/model")).contains("does not exist"))
        let folder = try Fixtures.copyOfModel("mdeberta-tiny-safetensors", in: self)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        XCTAssertTrue(loadError(folder).contains("neither model.safetensors nor pytorch_model.bin"))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("config.json"))
        XCTAssertTrue(loadError(folder).contains("no config.json"))
    }

    func testUnsupportedOrInvalidConfiguration() throws {
        let folder = try Fixtures.copyOfModel("mdeberta-tiny-safetensors", in: self)
        try rewriteConfig(folder) { $0["conv_kernel_size"] = 3 }
        XCTAssertTrue(loadError(folder).contains("conv_kernel_size"), loadError(folder))

        try rewriteConfig(folder) {
            $0["conv_kernel_size"] = 0; $0["pos_att_type"] = "c2p|p2p"
        }
        XCTAssertTrue(loadError(folder).contains("pos_att_type \"p2p\""), loadError(folder))

        try rewriteConfig(folder) {
            $0["pos_att_type"] = ["p2c", "c2p"]; $0["hidden_size"] = "large"
        }
        XCTAssertTrue(loadError(folder).contains("field hidden_size must be an integer"), loadError(folder))

        try rewriteConfig(folder) {
            $0["hidden_size"] = 32; $0["hidden_act"] = "relu"
        }
        XCTAssertTrue(loadError(folder).contains("hidden_act \"relu\""), loadError(folder))

        try rewriteConfig(folder) {
            $0["hidden_act"] = "gelu"; $0["model_type"] = "gpt2"
        }
        XCTAssertTrue(loadError(folder).contains("model_type \"gpt2\" is not one this engine runs"), loadError(folder))
        // A BERT-family config over DeBERTa weights: the tensor it needs is named.
        try rewriteConfig(folder) { $0["model_type"] = "bert" }
        XCTAssertTrue(loadError(folder).contains("has no tensor"), loadError(folder))

        try Data("{ not json".utf8).write(to: folder.appendingPathComponent("config.json"))
        XCTAssertTrue(loadError(folder).contains("config.json is not valid JSON"), loadError(folder))
    }

    func testConfigThatDisagreesWithTheWeightsNamesTheTensor() throws {
        let folder = try Fixtures.copyOfModel("mdeberta-tiny-safetensors", in: self)
        try rewriteConfig(folder) { $0["num_hidden_layers"] = 3 }
        XCTAssertTrue(loadError(folder).contains("no tensor encoder.layer.2.attention.self.query_proj.weight"), loadError(folder))
        try rewriteConfig(folder) {
            $0["num_hidden_layers"] = 2; $0["intermediate_size"] = 48
        }
        XCTAssertTrue(loadError(folder).contains("encoder.layer.0.intermediate.dense.weight has shape [64, 32]"), loadError(folder))
    }

    func testTruncatedSafetensorsIsRejected() throws {
        let folder = try Fixtures.copyOfModel("mdeberta-tiny-safetensors", in: self)
        let url = folder.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: url)
        try data.prefix(data.count / 2).write(to: url)
        XCTAssertTrue(loadError(folder).contains("outside the file"), loadError(folder))
        try data.prefix(5).write(to: url)
        XCTAssertTrue(loadError(folder).contains("too short"), loadError(folder))
        try (Data([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]) + data.suffix(100)).write(to: url)
        XCTAssertTrue(loadError(folder).contains("header length"), loadError(folder))
    }

    func testSafetensorsWithAnUnsupportedDtypeNamesTheTensor() throws {
        let header = #"{"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"y":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}"#
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header.utf8)
        data.append(contentsOf: [UInt8](repeating: 0, count: 8) + [0x00, 0x3C, 0x00, 0xC0])  // y = [1, -2]
        let url = try Fixtures.temporaryFolder(self).appendingPathComponent("model.safetensors")
        try data.write(to: url)
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.tensorNames, ["x", "y"])
        XCTAssertThrowsError(try file.tensor(named: "x")) { XCTAssertTrue("\($0)".contains("dtype I64")) }
        XCTAssertEqual(try file.tensor(named: "y")?.floats(), [1, -2])
    }

    func testTruncatedOrForeignPyTorchFileIsRejected() throws {
        let folder = try Fixtures.copyOfModel("log-buckets-pytorch", in: self)
        let url = folder.appendingPathComponent("pytorch_model.bin")
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 2000).write(to: url)
        XCTAssertTrue(loadError(folder).contains("not a zip archive"), loadError(folder))
        try Data(repeating: 0x42, count: 4096).write(to: url)
        XCTAssertTrue(loadError(folder).contains("not a zip archive"), loadError(folder))
    }

    func testPyTorchCheckpointKeepsSharedStoragesAndIgnoresHeads() throws {
        let checkpoint = try PyTorchCheckpoint(url: Fixtures.model("log-buckets-pytorch").appendingPathComponent("pytorch_model.bin"))
        XCTAssertTrue(checkpoint.tensorNames.contains("lm_predictions.lm_head.decoder.weight"))
        let embeddings = try XCTUnwrap(checkpoint.tensor(named: "deberta.embeddings.word_embeddings.weight"))
        let decoder = try XCTUnwrap(checkpoint.tensor(named: "lm_predictions.lm_head.decoder.weight"))
        XCTAssertEqual(embeddings.floats(), decoder.floats())
        // Q, K and V are views into one stacked storage at different offsets.
        let key = try XCTUnwrap(checkpoint.tensor(named: "deberta.encoder.layer.0.attention.self.key_proj.weight"))
        let query = try XCTUnwrap(checkpoint.tensor(named: "deberta.encoder.layer.0.attention.self.query_proj.weight"))
        XCTAssertEqual(query.bytes.count - key.bytes.count, query.count * 4)
    }

    func testHalfPrecisionConversionIsExact() {
        for bits in UInt16.min ... UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let converted = halfToFloat(bits)
            if expected.isNaN {
                XCTAssertTrue(converted.isNaN)
            } else {
                XCTAssertEqual(converted.bitPattern, expected.bitPattern, "half bits \(bits)")
            }
        }
    }

    func testVectorizedErfIsAccurate() {
        var worst: Double = 0
        for step in -8000 ... 8000 {
            let x = Float(step) / 1000
            worst = max(worst, abs(Double(ks_erf(x)) - erf(Double(x))))
        }
        XCTAssertLessThan(worst, 5e-7)
    }
}
