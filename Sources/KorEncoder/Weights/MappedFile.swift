import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A whole file mapped read-only into memory; the mapping lives as long as this object. (Also the keyword
/// index's map, in the embedded store: korsearch replaces files only by rename, so a map stays valid — and a
/// file overwritten in place by something else, which would make reading the map fault, is noticed by
/// `changedOnDisk` before it is read.)
package final class MappedFile: @unchecked Sendable {
    package let url: URL
    package let bytes: UnsafeRawBufferPointer
    /// The open file (kept open to ask whether it changed) and its size and modification time when mapped.
    private let descriptor: Int32
    private let mapped: (size: Int, seconds: Int, nanoseconds: Int)

    package init(url: URL) throws {
        self.url = url
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw EncoderError(.missingFile, "cannot open \(url.path): \(reason)")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            close(descriptor)
            throw EncoderError(.missingFile, "cannot read \(url.path): \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        mapped = (Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec))
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw EncoderError(.corruptFile, "\(url.path) is a directory, not a file")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw EncoderError(.corruptFile, "cannot map \(url.path): \(reason)")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
        close(descriptor)
    }

    /// Whether the mapped file (the same inode: a file renamed over its path is another one, and this map
    /// stays valid) was written to since it was mapped — its size or modification time changed.
    package var changedOnDisk: Bool {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return true }
        return Int(info.st_size) != mapped.size || Int(info.st_mtim.tv_sec) != mapped.seconds || Int(info.st_mtim.tv_nsec) != mapped.nanoseconds
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
