import Crypto
import Foundation
import KorDocuments

/// The SHA-256 of a file's content, read in 1 MiB steps (never the whole file in memory).
package enum FileDigest {
    /// The lowercase hex digest; `DocumentFailure` with the system's reason when the file cannot be read.
    package static func sha256(of url: URL) throws -> String {
        var hasher = SHA256()
        do {
            try FileStream.forEachChunk(of: url) { hasher.update(bufferPointer: $0) }
        } catch {
            throw DocumentFailure("unreadable: \(error.reason)")
        }
        return hasher.finalize().hexString
    }
}
