import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A whole file mapped read-only into memory; the mapping lives as long as this object. (Also the keyword
/// index's map, in the embedded store: files are only replaced by rename there, so a map stays valid.)
package final class MappedFile: @unchecked Sendable {
    package let url: URL
    package let bytes: UnsafeRawBufferPointer

    package init(url: URL) throws {
        self.url = url
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw EncoderError(.missingFile, "cannot open \(url.path): \(reason)")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw EncoderError(.missingFile, "cannot read \(url.path): \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw EncoderError(.corruptFile, "\(url.path) is a directory, not a file")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw EncoderError(.corruptFile, "cannot map \(url.path): \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    /// Reads a little-endian unsigned integer of `T`'s width at `offset`; the caller checks bounds.
    func littleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + MemoryLayout<T>.size]))
        }
        return T(littleEndian: value)
    }
}
