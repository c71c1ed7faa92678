import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The files of an index directory: `catalog.sqlite` (the truth), `vectors.faiss` (derived) and `write.lock`.
public struct IndexDirectory: Sendable {
    /// The directory.
    public let url: URL
    /// The SQLite catalog.
    public var catalogURL: URL { url.appendingPathComponent("catalog.sqlite") }
    /// The FAISS index file.
    public var vectorsURL: URL { url.appendingPathComponent("vectors.faiss") }
    /// The writer's lock file.
    public var lockURL: URL { url.appendingPathComponent("write.lock") }

    /// The index directory at a path.
    public init(_ url: URL) {
        self.url = url.standardizedFileURL
    }

    /// Whether the directory holds a catalog.
    public var exists: Bool { FileManager.default.fileExists(atPath: catalogURL.path) }

    /// Throws the "no index here" error when the directory holds no catalog.
    func requireExisting() throws {
        guard exists else {
            throw KorSearchError(.indexNotFound, "no index at \(url.path); build one with `korsearch index FOLDER --index \(url.path)`")
        }
    }
}

/// The exclusive right to write an index, held through `flock` on its lock file until released (or until
/// the process dies, when the kernel releases it: a crashed writer never leaves a stale lock).
final class WriterLock {
    private let descriptor: Int32

    /// Takes the lock, or fails at once saying which process holds it.
    init(_ directory: IndexDirectory) throws {
        try FileManager.default.createDirectory(at: directory.url, withIntermediateDirectories: true)
        descriptor = open(directory.lockURL.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw KorSearchError(.locked, "cannot open \(directory.lockURL.path): \(String(cString: strerror(errno)))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = pread(descriptor, &buffer, 64, 0)
            close(descriptor)
            let holder = count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw KorSearchError(.locked, "index \(directory.url.path) is being written by process \(holder); wait for it to finish (searches keep working meanwhile)")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
