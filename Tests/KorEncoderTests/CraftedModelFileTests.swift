import Foundation
import XCTest

@testable import KorEncoder

/// Model files crafted to break a reader — shapes whose element count overflows, lengths near 2^64, strides
/// of 2^40, a zip64 locator pointing past the end of everything, a config whose attention width overflows, a
/// state dict that contains itself — are each a clear error, never a trap or a crash.
final class CraftedModelFileTests: XCTestCase {
    private func error(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    private func safetensors(_ header: String, data: Int = 8) throws -> URL {
        var bytes = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header.utf8)
        bytes.append(Data(count: data))
        let url = try Fixtures.temporaryFolder(self).appendingPathComponent("model.safetensors")
        try bytes.write(to: url)
        return url
    }

    func testSafetensorsShapesAndOffsetsThatOverflow() throws {
        let huge = try safetensors(#"{"x":{"dtype":"F32","shape":[100000000000,100000000000],"data_offsets":[0,8]}}"#)
        XCTAssertTrue(error { _ = try SafeTensorsFile(url: huge) }.contains("has 8 bytes for shape"), error { _ = try SafeTensorsFile(url: huge) })
        let far = try safetensors(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8000000000000000]}}"#)
        XCTAssertTrue(error { _ = try SafeTensorsFile(url: far) }.contains("outside the file"))
        let deep = try safetensors(#"{"x":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,2],"data_offsets":[0,8]}}"#)
        XCTAssertTrue(error { _ = try SafeTensorsFile(url: deep) }.contains("invalid shape"))
    }

    func testAConfigWhoseAttentionWidthOverflows() throws {
        let folder = try Fixtures.copyOfModel("mdeberta-tiny-safetensors", in: self)
        let url = folder.appendingPathComponent("config.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        object["num_attention_heads"] = 4_000_000
        object["attention_head_size"] = 4_000_000_000_000
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        let message = error { _ = try Embedder(modelDirectory: folder) }
        XCTAssertTrue(message.contains("larger than this engine runs"), message)
    }

    // MARK: PyTorch checkpoints

    /// A zip with its entries stored, as torch.save writes it.
    private func storedZip(_ entries: [(String, [UInt8])], zip64LocatorOffset: UInt64? = nil) -> Data {
        var out = Data(), central = Data()
        func u16(_ v: Int, _ d: inout Data) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
        func u32(_ v: UInt32, _ d: inout Data) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        for (name, bytes) in entries {
            let offset = UInt32(out.count)
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(0, &out); u32(UInt32(bytes.count), &out); u32(UInt32(bytes.count), &out); u16(name.utf8.count, &out); u16(0, &out)
            out.append(contentsOf: name.utf8); out.append(contentsOf: bytes)
            u32(0x0201_4B50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u32(0, &central); u32(UInt32(bytes.count), &central); u32(UInt32(bytes.count), &central)
            u16(name.utf8.count, &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central)
            u32(0, &central); u32(offset, &central); central.append(contentsOf: name.utf8)
        }
        let directoryOffset = UInt32(out.count)
        out.append(central)
        if let zip64LocatorOffset {
            u32(0x0706_4B50, &out); u32(0, &out)
            withUnsafeBytes(of: zip64LocatorOffset.littleEndian) { out.append(contentsOf: $0) }
            u32(1, &out)
        }
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(UInt32(central.count), &out); u32(directoryOffset, &out); u16(0, &out)
        return out
    }

    private func checkpointError(
        _ pickle: [UInt8], storage: [UInt8] = [UInt8](repeating: 0, count: 16), zip64LocatorOffset: UInt64? = nil
    ) throws -> String {
        let url = try Fixtures.temporaryFolder(self).appendingPathComponent("pytorch_model.bin")
        try storedZip([("archive/data.pkl", pickle), ("archive/data/0", storage)], zip64LocatorOffset: zip64LocatorOffset).write(to: url)
        return error { _ = try PyTorchCheckpoint(url: url) }
    }

    private func unicode(_ text: String) -> [UInt8] { [0x8C, UInt8(text.utf8.count)] + Array(text.utf8) }
    private func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }

    /// `{"w": _rebuild_tensor_v2(FloatStorage "0" of 4 floats, 0, (2, 2), strides, False, {})}`.
    private func tensorPickle(strides: [UInt8]) -> [UInt8] {
        let storage: [UInt8] = [0x28] + unicode("storage") + global("torch", "FloatStorage") + unicode("0") + unicode("cpu") + [0x4B, 4, 0x74, 0x51]
        let arguments: [UInt8] = [0x28] + storage + [0x4B, 0] + [0x4B, 2, 0x4B, 2, 0x86] + strides + [0x89, 0x7D, 0x74]
        return [0x80, 2, 0x7D] + unicode("w") + global("torch._utils", "_rebuild_tensor_v2") + arguments + [0x52, 0x73, 0x2E]
    }

    func testPickleAndZipValuesBeyondTheFile() throws {
        // A well-formed tensor loads: the crafted cases below differ from it in one value each.
        XCTAssertEqual(try checkpointError(tensorPickle(strides: [0x4B, 2, 0x4B, 1, 0x86])), "no error")
        // Strides of 2^40: the last element's offset overflows nothing, and lies far past the storage.
        let hugeStride: [UInt8] = [0x8A, 8, 0, 0, 0, 0, 0, 1, 0, 0] + [0x4B, 1, 0x86]
        XCTAssertTrue(try checkpointError(tensorPickle(strides: hugeStride)).contains("reaches past its storage"))
        let overflowing: [UInt8] =
            [0x8A, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F] + [0x8A, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x86]
        XCTAssertTrue(try checkpointError(tensorPickle(strides: overflowing)).contains("reaches past its storage"))
        // BINUNICODE8 and BINBYTES8 lengths near 2^64.
        for opcode: UInt8 in [0x8D, 0x8E] {
            let message = try checkpointError([0x80, 2, opcode, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E])
            XCTAssertTrue(message.contains("the pickle ends early"), message)
        }
        // A state dict that holds itself under "state_dict".
        let selfish: [UInt8] = [0x80, 2, 0x7D, 0x71, 0] + unicode("state_dict") + [0x68, 0, 0x73, 0x2E]
        XCTAssertTrue(try checkpointError(selfish).contains("nests its dicts too deep"))
        // A zip64 locator whose record offset is near 2^64.
        let message = try checkpointError(tensorPickle(strides: [0x4B, 2, 0x4B, 1, 0x86]), zip64LocatorOffset: 0xFFFF_FFFF_FFFF_FFF0)
        XCTAssertTrue(message.contains("zip64"), message)
    }
}
