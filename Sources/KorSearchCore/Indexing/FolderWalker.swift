import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A regular file found under the indexed folder.
package struct FoundFile: Sendable {
    /// Path relative to the folder, `/`-separated.
    package var path: String
    package var url: URL
    package var size: Int64
    /// Modification time, seconds since 1970.
    package var modified: Double
}

/// Walks a folder recursively, reading names as the file system holds them (bytes): hidden files and folders
/// (names starting with `.`) and the given excluded folder (the index itself) are left out. Symbolic links are
/// followed only while they stay inside the folder, unless `followLinks` says otherwise; a folder reached twice
/// (a link loop) is walked once, and a file reached twice (through links) is indexed once, under its own
/// path where it has one in the folder. Everything else that is not read is listed with its reason.
package enum FolderWalker {
    /// What a walk found: the files to index and the entries it passed over, with why.
    package struct Walk {
        package var files: [FoundFile] = []
        package var skipped: [SkippedFile] = []
    }

    /// The regular files under `folder`.
    package static func files(in folder: URL, excluding excluded: URL?, followLinks: Bool = false) throws -> [FoundFile] {
        try walk(folder, excluding: excluded, followLinks: followLinks).files
    }

    package static func walk(_ folder: URL, excluding excluded: URL?, followLinks: Bool) throws -> Walk {
        var info = stat()
        guard stat(folder.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw KorSearchError(.folderNotFound, "folder \(folder.path) does not exist or is not a folder")
        }
        let root = realPath(folder.path) ?? folder.path
        let excludedPath = excluded.flatMap { realPath($0.path) ?? $0.standardizedFileURL.path }
        var visitedFolders = Set<[UInt64]>()
        // Files by (device, inode): the first path that reached each, and whether it came through a link.
        var seen: [[UInt64]: (index: Int, viaLink: Bool)] = [:]
        var walk = Walk()

        func inside(_ path: String) -> Bool { path == root || path.hasPrefix(root == "/" ? "/" : root + "/") }

        func visit(_ url: URL, _ relative: String, viaLink: Bool) {
            var info = stat()
            guard stat(url.path, &info) == 0 else { return }
            guard visitedFolders.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted else { return }
            if let excludedPath, (realPath(url.path) ?? url.path) == excludedPath { return }
            guard let directory = opendir(url.path) else {
                let reason = String(cString: strerror(errno))
                walk.skipped.append(SkippedFile(path: relative.isEmpty ? "." : relative + "/", reason: "folder cannot be read: \(reason)"))
                return
            }
            var names: [[UInt8]] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
                if name.first == UInt8(ascii: ".") { continue }  // hidden, and . and ..
                names.append(name)
            }
            closedir(directory)
            // In name order; names that are not UTF-8 last, in byte order.
            let decoded = names.map { (bytes: $0, name: String(validating: $0, as: UTF8.self)) }.sorted { a, b in
                switch (a.name, b.name) {
                case let (x?, y?): x < y
                case (nil, nil): a.bytes.lexicographicallyPrecedes(b.bytes)
                case (.some, nil): true
                case (nil, .some): false
                }
            }
            for entry in decoded {
                guard let name = entry.name else {
                    let shown = String(decoding: entry.bytes, as: UTF8.self)
                    walk.skipped.append(
                        SkippedFile(
                            path: relative.isEmpty ? shown : relative + "/" + shown,
                            reason: "its name is not valid UTF-8; rename it to index it"))
                    continue
                }
                let child = url.appendingPathComponent(name)
                let childRelative = relative.isEmpty ? name : relative + "/" + name
                var linkInfo = stat()
                guard lstat(child.path, &linkInfo) == 0 else { continue }  // vanished meanwhile
                var isLink = false
                var childInfo = linkInfo
                if (linkInfo.st_mode & S_IFMT) == S_IFLNK {
                    isLink = true
                    guard let target = realPath(child.path), stat(child.path, &childInfo) == 0 else {
                        walk.skipped.append(SkippedFile(path: childRelative, reason: "a dangling link (its target does not exist)"))
                        continue
                    }
                    if !followLinks, !inside(target) {
                        walk.skipped.append(
                            SkippedFile(path: childRelative, reason: "a link to \(target), outside the folder; index it with --follow-links"))
                        continue
                    }
                }
                switch childInfo.st_mode & S_IFMT {
                case S_IFDIR:
                    visit(child, childRelative, viaLink: viaLink || isLink)
                case S_IFREG:
                    let key = [UInt64(childInfo.st_dev), UInt64(childInfo.st_ino)]
                    let modified = Double(childInfo.st_mtim.tv_sec) + Double(childInfo.st_mtim.tv_nsec) / 1e9
                    let found = FoundFile(path: childRelative, url: child, size: Int64(childInfo.st_size), modified: modified)
                    let throughLink = viaLink || isLink
                    if let earlier = seen[key] {
                        // The same file again: keep the path that is not a link, else the first.
                        if earlier.viaLink, !throughLink {
                            let other = walk.files[earlier.index]
                            walk.files[earlier.index] = found
                            seen[key] = (earlier.index, false)
                            walk.skipped.append(SkippedFile(path: other.path, reason: "the same file as \(childRelative), indexed once"))
                        } else {
                            walk.skipped.append(
                                SkippedFile(path: childRelative, reason: "the same file as \(walk.files[earlier.index].path), indexed once"))
                        }
                        continue
                    }
                    seen[key] = (walk.files.count, throughLink)
                    walk.files.append(found)
                case S_IFIFO:
                    walk.skipped.append(SkippedFile(path: childRelative, reason: "not a regular file (a named pipe)"))
                case S_IFCHR, S_IFBLK:
                    walk.skipped.append(SkippedFile(path: childRelative, reason: "not a regular file (a device)"))
                case S_IFSOCK:
                    walk.skipped.append(SkippedFile(path: childRelative, reason: "not a regular file (a socket)"))
                default:
                    walk.skipped.append(SkippedFile(path: childRelative, reason: "not a regular file"))
                }
            }
        }
        visit(folder, "", viaLink: false)
        return walk
    }

    /// The canonical absolute path (links resolved), or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
