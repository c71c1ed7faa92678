import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file replacement: write elsewhere, fsync, rename over the target, fsync the folder.
enum AtomicFile {
    /// Flushes `temporary` to disk and renames it to `target` in one step a crash cannot split.
    static func syncAndRename(_ temporary: URL, to target: URL) throws {
        let descriptor = open(temporary.path, O_RDONLY)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw KorSearchError(.catalog, "cannot replace \(target.path): \(reason)")
        }
        let folder = open(target.deletingLastPathComponent().path, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}
