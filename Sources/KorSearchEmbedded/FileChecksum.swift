import CKSZlib
import Foundation
import KorSearchCore
#if canImport(Glibc)
import Glibc
#endif

/// The CRC-32 (zlib's) and size of a file, read in 4 MiB steps: what the catalog records of the FAISS file it
/// wrote, so that a file changed or damaged afterwards — even one with the right vector count — is noticed on
/// open and rebuilt from the stored vectors.
enum FileChecksum {
    /// `crc32:XXXXXXXX:SIZE`, or nil when the file cannot be read.
    static func of(_ url: URL) -> String? {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var crc: UInt = crc32_z(0, nil, 0)
        var size = 0
        var buffer = [UInt8](repeating: 0, count: 4 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            crc = buffer.withUnsafeBufferPointer { crc32_z(crc, $0.baseAddress, count) }
            size += count
        }
        return String(format: "crc32:%08x:%d", UInt32(truncatingIfNeeded: crc), size)
    }
}
