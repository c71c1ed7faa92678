import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file replacement: write elsewhere, fsync, rename over the target, fsync the folder.
package enum AtomicFile {
    /// Flushes `temporary` to disk and renames it to `target` in one step a crash cannot split. `role` names
    /// the file in messages ("the FAISS index", "the downloaded model file"), `kind` the error's kind.
    package static func syncAndRename(_ temporary: URL, to target: URL, role: String, kind: KorSearchError.Kind = .catalog) throws {
        let descriptor = open(temporary.path, O_RDONLY)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw KorSearchError(kind, "cannot replace \(role) \(target.path): \(reason)")
        }
        let folder = open(target.deletingLastPathComponent().path, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}
