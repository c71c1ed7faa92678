import Foundation

/// The entries of a zip archive whose members are stored uncompressed, as `torch.save` writes them; read from
/// a memory-mapped file without copying. Zip64 records are understood.
struct ZipArchive {
    struct Entry {
        let name: String
        let method: UInt16
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    let file: MappedFile
    private(set) var entries: [String: Entry] = [:]
    private var path: String { file.url.path }

    init(file: MappedFile) throws {
        self.file = file
        let size = file.bytes.count
        guard let end = ZipArchive.findEndOfCentralDirectory(file) else {
            throw EncoderError(
                .corruptFile,
                "\(file.url.path) is not a zip archive (no end-of-central-directory record); a truncated download, or a legacy pre-1.6 PyTorch file")
        }
        var entryCount = Int(file.littleEndian(UInt16.self, at: end + 10))
        var directorySize = Int(file.littleEndian(UInt32.self, at: end + 12))
        var directoryOffset = Int(file.littleEndian(UInt32.self, at: end + 16))
        // Zip64: a locator just before the end record points to the zip64 end record.
        if end >= 20, file.littleEndian(UInt32.self, at: end - 20) == 0x0706_4B50 {
            guard let recordOffset = WeightTensor.fileInt(file.littleEndian(UInt64.self, at: end - 20 + 8)), recordOffset <= size - 56,
                file.littleEndian(UInt32.self, at: recordOffset) == 0x0606_4B50
            else {
                throw EncoderError(.corruptFile, "\(file.url.path): broken zip64 end-of-central-directory record")
            }
            guard let count = WeightTensor.fileInt(file.littleEndian(UInt64.self, at: recordOffset + 32)),
                let length = WeightTensor.fileInt(file.littleEndian(UInt64.self, at: recordOffset + 40)),
                let offset = WeightTensor.fileInt(file.littleEndian(UInt64.self, at: recordOffset + 48))
            else {
                throw EncoderError(.corruptFile, "\(file.url.path): the zip64 end-of-central-directory record holds impossible sizes")
            }
            (entryCount, directorySize, directoryOffset) = (count, length, offset)
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset <= size, directorySize <= size - directoryOffset,
            entryCount <= directorySize / 46 + 1
        else {
            throw EncoderError(.corruptFile, "\(file.url.path): the zip central directory lies outside the file (truncated?)")
        }
        var cursor = directoryOffset
        for _ in 0 ..< entryCount {
            guard cursor + 46 <= size, file.littleEndian(UInt32.self, at: cursor) == 0x0201_4B50 else {
                throw EncoderError(.corruptFile, "\(file.url.path): malformed zip central directory")
            }
            let method = file.littleEndian(UInt16.self, at: cursor + 10)
            var compressed = Int(file.littleEndian(UInt32.self, at: cursor + 20))
            var uncompressed = Int(file.littleEndian(UInt32.self, at: cursor + 24))
            let nameLength = Int(file.littleEndian(UInt16.self, at: cursor + 28))
            let extraLength = Int(file.littleEndian(UInt16.self, at: cursor + 30))
            let commentLength = Int(file.littleEndian(UInt16.self, at: cursor + 32))
            var localOffset = Int(file.littleEndian(UInt32.self, at: cursor + 42))
            let nameStart = cursor + 46
            guard nameStart + nameLength + extraLength + commentLength <= size else {
                throw EncoderError(.corruptFile, "\(file.url.path): malformed zip central directory entry")
            }
            let name = String(decoding: file.bytes[nameStart ..< nameStart + nameLength], as: UTF8.self)
            // Zip64 extended information: the 64-bit values of the fields that read as 0xFFFFFFFF, in order.
            var extra = nameStart + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = file.littleEndian(UInt16.self, at: extra)
                let length = Int(file.littleEndian(UInt16.self, at: extra + 2))
                if id == 0x0001 {
                    var field = extra + 4
                    // A value past Int.max cannot be in this file: -1 fails every bounds check below.
                    if uncompressed == 0xFFFF_FFFF, field + 8 <= extraEnd {
                        uncompressed = WeightTensor.fileInt(file.littleEndian(UInt64.self, at: field)) ?? -1; field += 8
                    }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extraEnd {
                        compressed = WeightTensor.fileInt(file.littleEndian(UInt64.self, at: field)) ?? -1; field += 8
                    }
                    if localOffset == 0xFFFF_FFFF, field + 8 <= extraEnd {
                        localOffset = WeightTensor.fileInt(file.littleEndian(UInt64.self, at: field)) ?? -1
                    }
                }
                extra += 4 + length
            }
            entries[name] = Entry(
                name: name, method: method, compressedSize: compressed,
                uncompressedSize: uncompressed, localHeaderOffset: localOffset)
            cursor = nameStart + nameLength + extraLength + commentLength
        }
    }

    /// The stored bytes of an entry; an error when it is compressed or lies outside the file.
    func contents(of entry: Entry) throws -> UnsafeRawBufferPointer {
        let size = file.bytes.count
        let header = entry.localHeaderOffset
        guard header >= 0, header <= size - 30, file.littleEndian(UInt32.self, at: header) == 0x0403_4B50 else {
            throw EncoderError(.corruptFile, "\(path): zip entry \(entry.name) has no valid local header")
        }
        guard entry.method == 0, entry.compressedSize == entry.uncompressedSize, entry.compressedSize >= 0 else {
            throw EncoderError(
                .corruptFile,
                "\(path): zip entry \(entry.name) is compressed (method \(entry.method)); PyTorch checkpoints store entries uncompressed")
        }
        let start =
            header + 30 + Int(file.littleEndian(UInt16.self, at: header + 26))
            + Int(file.littleEndian(UInt16.self, at: header + 28))
        guard entry.compressedSize <= size - start else {
            throw EncoderError(.corruptFile, "\(path): zip entry \(entry.name) runs past the end of the file (truncated download?)")
        }
        return UnsafeRawBufferPointer(rebasing: file.bytes[start ..< start + entry.compressedSize])
    }

    private static func findEndOfCentralDirectory(_ file: MappedFile) -> Int? {
        let size = file.bytes.count
        guard size >= 22 else { return nil }
        let lowest = max(0, size - 22 - 65_535)
        var offset = size - 22
        while offset >= lowest {
            if file.littleEndian(UInt32.self, at: offset) == 0x0605_4B50 { return offset }
            offset -= 1
        }
        return nil
    }
}
