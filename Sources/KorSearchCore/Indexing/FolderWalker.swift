import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A regular file found under the indexed folder.
struct FoundFile {
    /// Path relative to the folder, `/`-separated.
    var path: String
    var url: URL
    var size: Int64
    /// Modification time, seconds since 1970.
    var modified: Double
}

/// Walks a folder recursively: hidden files and folders (names starting with `.`) and the given excluded
/// folder (the index itself) are left out; symbolic links are followed, and a folder reached twice (a link
/// loop) is walked once.
enum FolderWalker {
    static func files(in folder: URL, excluding excluded: URL?) throws -> [FoundFile] {
        var info = stat()
        guard stat(folder.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw KorSearchError(.folderNotFound, "folder \(folder.path) does not exist or is not a folder")
        }
        let excludedPath = excluded.map { $0.resolvingSymlinksInPath().path }
        var visited = Set<[UInt64]>()
        var found: [FoundFile] = []
        func walk(_ url: URL, _ relative: String) {
            var info = stat()
            guard stat(url.path, &info) == 0 else { return }
            guard visited.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted else { return }
            if let excludedPath, url.resolvingSymlinksInPath().path == excludedPath { return }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return }
            for name in names.sorted() where !name.hasPrefix(".") {
                let child = url.appendingPathComponent(name)
                let childRelative = relative.isEmpty ? name : relative + "/" + name
                var childInfo = stat()
                guard stat(child.path, &childInfo) == 0 else {
                    // A dangling link or a file that vanished: reported as unreadable.
                    found.append(FoundFile(path: childRelative, url: child, size: -1, modified: 0))
                    continue
                }
                switch childInfo.st_mode & S_IFMT {
                case S_IFDIR:
                    walk(child, childRelative)
                case S_IFREG:
                    let modified = Double(childInfo.st_mtim.tv_sec) + Double(childInfo.st_mtim.tv_nsec) / 1e9
                    found.append(FoundFile(path: childRelative, url: child, size: Int64(childInfo.st_size), modified: modified))
                default:
                    continue  // sockets, devices, fifos
                }
            }
        }
        walk(folder, "")
        return found
    }
}
