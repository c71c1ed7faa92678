import Foundation

/// The element types a checkpoint may store that the encoder can load.
public enum WeightDType: String, Sendable {
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"

    /// Bytes per element.
    var size: Int { self == .float32 ? 4 : 2 }
}

/// One tensor as a checkpoint stores it: its element type, shape and strides (in elements) over raw
/// little-endian bytes that stay valid while the checkpoint is open.
struct WeightTensor {
    let name: String
    let dtype: WeightDType
    let shape: [Int]
    let strides: [Int]
    /// The bytes from the tensor's first element to the end of its storage.
    let bytes: UnsafeRawBufferPointer

    var count: Int { shape.reduce(1, *) }

    /// The number of elements of a shape, or nil when it overflows (a crafted shape such as [1e11, 1e11]).
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for size in shape {
            guard size >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// A 64-bit size or offset read from a file as an `Int`, or nil when it does not fit.
    static func fileInt(_ value: UInt64) -> Int? { Int(exactly: value) }

    /// Row-major contiguous strides for a shape.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// The elements in row-major order, converted to Float.
    func floats() -> [Float] {
        let count = self.count
        var result = [Float](repeating: 0, count: count)
        guard count > 0 else { return result }
        let contiguous = strides == WeightTensor.contiguousStrides(shape)
        result.withUnsafeMutableBufferPointer { out in
            if contiguous {
                convert(elementsFrom: 0, count: count, into: out.baseAddress!)
            } else {
                var index = 0
                copyStrided(axis: 0, offset: 0, into: out.baseAddress!, index: &index)
            }
        }
        return result
    }

    private func copyStrided(axis: Int, offset: Int, into out: UnsafeMutablePointer<Float>, index: inout Int) {
        if axis == shape.count {
            convert(elementsFrom: offset, count: 1, into: out + index)
            index += 1
            return
        }
        for step in 0 ..< shape[axis] {
            copyStrided(axis: axis + 1, offset: offset + step * strides[axis], into: out, index: &index)
        }
    }

    private func convert(elementsFrom start: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let base = bytes.baseAddress!
        switch dtype {
        case .float32:
            // The host is little-endian (x86-64, arm64): the stored bytes are the floats.
            UnsafeMutableRawPointer(out).copyMemory(from: base + start * 4, byteCount: count * 4)
        case .bfloat16:
            for i in 0 ..< count {
                let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: (start + i) * 2, as: UInt16.self))
                out[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .float16:
            for i in 0 ..< count {
                let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: (start + i) * 2, as: UInt16.self))
                out[i] = halfToFloat(bits)
            }
        }
    }
}

/// IEEE 754 binary16 to binary32, exact, including subnormals, infinities and NaN.
func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    if exponent == 0x1F {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    if exponent == 0 {
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    }
    return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
}

/// Opens a weight file by its kind: safetensors (memory-mapped), else a PyTorch checkpoint.
func openCheckpoint(_ url: URL) throws -> CheckpointReader {
    url.pathExtension == "safetensors" ? try SafeTensorsFile(url: url) : try PyTorchCheckpoint(url: url)
}

/// A checkpoint file opened for reading tensors by name.
protocol CheckpointReader: AnyObject {
    /// The file, for error messages.
    var path: String { get }
    /// Every tensor name the file holds.
    var tensorNames: [String] { get }
    /// The tensor of a name, or nil when the file has none.
    func tensor(named name: String) throws -> WeightTensor?
}
