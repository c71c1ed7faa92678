import Crypto
import Foundation
import KorDocuments
#if canImport(Glibc)
import Glibc
#endif

/// The SHA-256 of a file's content, read in 1 MiB steps (never the whole file in memory).
enum FileDigest {
    /// The lowercase hex digest; `DocumentFailure` with the system's reason when the file cannot be read.
    static func sha256(of url: URL) throws -> String {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DocumentFailure("unreadable: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw DocumentFailure("unreadable: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        }
        return hasher.finalize().hexString
    }
}
