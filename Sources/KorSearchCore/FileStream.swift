import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file's bytes read from start to end in fixed steps, never the whole file in memory: what hashing and
/// checksumming a file of any size read through.
package enum FileStream {
    /// Calls `body` with each step of the file's bytes, in order; throws the system's reason (`strerror`) as
    /// a string when the file cannot be opened or read.
    package static func forEachChunk(of url: URL, size: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileStreamFailure) {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileStreamFailure(reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: size)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileStreamFailure(reason: String(cString: strerror(errno)))
            }
            if count == 0 { return }
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        }
    }
}

/// Why a file could not be read, as the system says it.
package struct FileStreamFailure: Error {
    package let reason: String
}
