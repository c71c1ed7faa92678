import CKSZlib
import Foundation
import KorSearchCore

/// The CRC-32 (zlib's) and size of a file, read in 4 MiB steps: what the catalog records of the FAISS file it
/// wrote, so that a file changed or damaged afterwards — even one with the right vector count — is noticed on
/// open and rebuilt from the stored vectors.
enum FileChecksum {
    /// `crc32:XXXXXXXX:SIZE`, or nil when the file cannot be read.
    static func of(_ url: URL) -> String? {
        var crc: UInt = crc32_z(0, nil, 0)
        var size = 0
        do {
            try FileStream.forEachChunk(of: url, size: 4 << 20) { bytes in
                crc = crc32_z(crc, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count)
                size += bytes.count
            }
        } catch {
            return nil
        }
        return String(format: "crc32:%08x:%d", UInt32(truncatingIfNeeded: crc), size)
    }
}
