import Foundation

/// A `pytorch_model.bin` in PyTorch's zip format (`torch.save` since 1.6): `data.pkl` pickles the state dict,
/// whose tensors point into raw little-endian storages `data/<key>`. Read in Swift, without Python.
final class PyTorchCheckpoint: CheckpointReader {
    let path: String
    private let file: MappedFile
    private var entries: [String: WeightTensor] = [:]
    private(set) var tensorNames: [String] = []
    private var unsupported: [String: String] = [:]

    init(url: URL) throws {
        path = url.path
        file = try MappedFile(url: url)
        let archive = try ZipArchive(file: file)
        guard
            let pickleEntry = archive.entries.values
                .filter({ $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") })
                .min(by: { $0.name.count < $1.name.count })
        else {
            throw EncoderError(.corruptFile, "\(path): no data.pkl in the archive; not a PyTorch checkpoint")
        }
        let root = String(pickleEntry.name.dropLast("data.pkl".count))
        var reader = PickleReader(data: try archive.contents(of: pickleEntry), source: path)
        let stateDict = try PyTorchCheckpoint.findStateDict(try reader.read(), path: path)

        var storages: [String: UnsafeRawBufferPointer] = [:]
        for (key, value) in stateDict.items {
            guard case .string(let name) = key, case .tensor(let tensor) = value else { continue }
            tensorNames.append(name)
            guard let dtype = PyTorchCheckpoint.dtype(ofStorage: tensor.storage.typeName) else {
                unsupported[name] = tensor.storage.typeName
                continue
            }
            let storageBytes: UnsafeRawBufferPointer
            if let cached = storages[tensor.storage.key] {
                storageBytes = cached
            } else {
                guard let entry = archive.entries[root + "data/" + tensor.storage.key] else {
                    throw EncoderError(.corruptFile, "\(path): storage data/\(tensor.storage.key) of \(name) is missing from the archive")
                }
                storageBytes = try archive.contents(of: entry)
                storages[tensor.storage.key] = storageBytes
            }
            let elements = storageBytes.count / dtype.size
            // The last element the tensor reaches, in checked arithmetic (crafted strides such as 2^40 overflow).
            var last: Int? = tensor.offset
            for (size, step) in zip(tensor.shape, tensor.strides) where size > 0 {
                guard let reached = last, step >= 0 else { last = nil; break }
                let (span, overflow) = (size - 1).multipliedReportingOverflow(by: step)
                let (sum, overflow2) = reached.addingReportingOverflow(span)
                last = overflow || overflow2 ? nil : sum
            }
            let empty = tensor.shape.contains(0)
            guard tensor.offset >= 0, tensor.offset <= elements, WeightTensor.elementCount(tensor.shape) != nil,
                empty || (last.map { $0 < elements } ?? false), tensor.strides.allSatisfy({ $0 >= 0 })
            else {
                throw EncoderError(.corruptFile, "\(path): tensor \(name) reaches past its storage (\(elements) elements)")
            }
            let start = min(tensor.offset * dtype.size, storageBytes.count)
            entries[name] = WeightTensor(
                name: name, dtype: dtype, shape: tensor.shape, strides: tensor.strides,
                bytes: UnsafeRawBufferPointer(rebasing: storageBytes[start...]))
        }
        tensorNames.sort()
    }

    func tensor(named name: String) throws -> WeightTensor? {
        if let type = unsupported[name] {
            throw EncoderError(.badWeights, "\(path): tensor \(name) is stored as \(type); supported: FloatStorage, HalfStorage, BFloat16Storage")
        }
        return entries[name]
    }

    private static func dtype(ofStorage typeName: String) -> WeightDType? {
        switch typeName {
        case "FloatStorage": .float32
        case "HalfStorage": .float16
        case "BFloat16Storage": .bfloat16
        default: nil
        }
    }

    /// The dict of tensors: the root itself, or one nested under a key such as `state_dict` or `model`.
    private static func findStateDict(_ root: PickleValue, path: String, depth: Int = 0) throws -> PickleDict {
        guard depth < 8 else { throw EncoderError(.corruptFile, "\(path): the checkpoint nests its dicts too deep (a dict that contains itself?)") }
        guard case .dict(let dict) = root else {
            throw EncoderError(.corruptFile, "\(path): the pickle's root is not a dict of tensors")
        }
        if dict.items.contains(where: { if case .tensor = $0.value { true } else { false } }) { return dict }
        for (key, value) in dict.items {
            if case .string(let name) = key, ["state_dict", "model", "module"].contains(name), case .dict(let inner) = value {
                return try findStateDict(.dict(inner), path: path, depth: depth + 1)
            }
        }
        throw EncoderError(.corruptFile, "\(path): the checkpoint holds no tensors")
    }
}
