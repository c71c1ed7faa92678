import Foundation

/// A `.safetensors` file, memory-mapped: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the data area.
final class SafeTensorsFile: CheckpointReader {
    let path: String
    private let file: MappedFile
    private var entries: [String: WeightTensor] = [:]
    private(set) var tensorNames: [String] = []
    /// Tensors whose dtype the engine cannot load, by name; an error only if one of them is asked for.
    private var unsupported: [String: String] = [:]

    init(url: URL) throws {
        path = url.path
        file = try MappedFile(url: url)
        let size = file.bytes.count
        guard size >= 8 else {
            throw EncoderError(.corruptFile, "\(path) is too short to be a safetensors file (\(size) bytes)")
        }
        let headerLength = file.littleEndian(UInt64.self, at: 0)
        guard headerLength <= UInt64(size - 8), headerLength <= 100_000_000 else {
            throw EncoderError(
                .corruptFile, "\(path): header length \(headerLength) exceeds the file (\(size) bytes); the file is truncated or not safetensors")
        }
        let dataStart = 8 + Int(headerLength)
        let header = Data(file.bytes[8 ..< dataStart])
        guard let parsed = JSONValue.parse(header), let fields = parsed.objectValue else {
            throw EncoderError(.corruptFile, "\(path): the header is not a JSON object")
        }
        for (name, value) in fields where name != "__metadata__" {
            guard let info = value.objectValue,
                let dtypeName = info["dtype"]?.stringValue,
                case .array(let shapeValues)? = info["shape"],
                case .array(let offsetValues)? = info["data_offsets"], offsetValues.count == 2,
                let begin = offsetValues[0].intValue, let end = offsetValues[1].intValue
            else {
                throw EncoderError(.corruptFile, "\(path): tensor \(name) has a malformed header entry")
            }
            let shape = shapeValues.compactMap(\.intValue)
            guard shape.count == shapeValues.count, shape.count <= 8, shape.allSatisfy({ $0 >= 0 }) else {
                throw EncoderError(.corruptFile, "\(path): tensor \(name) has an invalid shape")
            }
            guard begin >= 0, end >= begin, end <= size - dataStart else {
                throw EncoderError(.corruptFile, "\(path): tensor \(name) lies outside the file (truncated download?)")
            }
            tensorNames.append(name)
            guard let dtype = WeightDType(rawValue: dtypeName) else {
                unsupported[name] = dtypeName
                continue
            }
            guard let count = WeightTensor.elementCount(shape), count <= (end - begin) / dtype.size, count * dtype.size == end - begin else {
                throw EncoderError(.corruptFile, "\(path): tensor \(name) has \(end - begin) bytes for shape \(shape) of \(dtypeName)")
            }
            entries[name] = WeightTensor(
                name: name, dtype: dtype, shape: shape, strides: WeightTensor.contiguousStrides(shape),
                bytes: UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + begin) ..< (dataStart + end)]))
        }
        tensorNames.sort()
    }

    func tensor(named name: String) throws -> WeightTensor? {
        if let dtype = unsupported[name] {
            throw EncoderError(.badWeights, "\(path): tensor \(name) has dtype \(dtype); supported: F32, F16, BF16")
        }
        return entries[name]
    }
}
