import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What keeps one file that crashes a reader from stopping every later run: before a file is read, a marker
/// names it (its path and content hash) in a small file of this process's own; after the read — whether the
/// file was indexed or skipped — the marker is removed. A marker left by a process that is no longer running
/// means the process died reading that file: the next run records the file's hash in `crashed-readers.json`
/// and skips the file with that reason until its content changes, so everything else in the folder is indexed.
///
/// The markers and the record live in the index directory (for a PostgreSQL store, in a folder of this
/// machine's user cache named after the store: a crash is remembered where it happened). Writing a marker is
/// one small write per file read, without `fsync`: a process that dies leaves its writes in the page cache.
package final class ReaderCrashes {
    /// A file that crashed the reader: its path when it did, and the content hash it had.
    package struct Crash: Codable, Equatable, Sendable {
        package var path: String
        package var sha256: String
    }

    private let folder: URL
    private let marker: URL
    private var record: [String: Crash]  // by content hash

    /// The crash memory kept in `folder`; markers of processes that died are turned into records now.
    package init(folder: URL) {
        self.folder = folder
        marker = folder.appendingPathComponent("reading-\(getpid()).json")
        let recordURL = folder.appendingPathComponent("crashed-readers.json")
        record = (try? JSONDecoder().decode([String: Crash].self, from: Data(contentsOf: recordURL))) ?? [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var changed = false
        for name in names where name.hasPrefix("reading-") && name.hasSuffix(".json") {
            let url = folder.appendingPathComponent(name)
            let pid = Int32(name.dropFirst("reading-".count).dropLast(".json".count)) ?? 0
            // A marker of a process still running (another worker) is its own business.
            if pid > 0, pid != getpid(), kill(pid, 0) == 0 || errno == EPERM { continue }
            if let crash = try? JSONDecoder().decode(Crash.self, from: Data(contentsOf: url)) {
                record[crash.sha256] = crash
                changed = true
            }
            try? FileManager.default.removeItem(at: url)
        }
        if changed, let data = try? JSONEncoder().encode(record) { try? data.write(to: recordURL, options: .atomic) }
    }

    /// The crash memory of an index: in its directory, or for a store without one, in the user's cache.
    package convenience init(store: any IndexStoreLocation, description: String) {
        if let own = store.ownFolder {
            self.init(folder: own)
        } else {
            let name = description.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : "_" }
            let cache = FileManager.default.urls(for: .cachesDirectory, in: .userDomainMask).first ?? FileManager.default.temporaryDirectory
            let folder = cache.appendingPathComponent("korsearch/crashes/" + String(name.prefix(120)))
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            self.init(folder: folder)
        }
    }

    /// Why a file with this content is skipped, when it crashed the reader in an earlier run.
    package func skipReason(sha256: String) -> String? {
        guard let crash = record[sha256] else { return nil }
        return "crashed the reader in an earlier run (as \(crash.path)); skipped until it changes"
    }

    /// Marks the start of reading a file.
    package func begin(path: String, sha256: String) {
        _ = ReaderCrashes.markers.withLock { $0.insert(marker.path) }
        if let data = try? JSONEncoder().encode(Crash(path: path, sha256: sha256)) { try? data.write(to: marker) }
    }

    /// Marks the end of reading it (indexed or skipped: it did not crash the process).
    package func end() {
        try? FileManager.default.removeItem(at: marker)
    }

    /// The markers this process may have written, for `withdrawMarkers`.
    private static let markers = Mutex(Set<String>())

    /// Removes this process's markers: called by a process ending itself on purpose in the middle of a read
    /// (a second Ctrl-C), which is not a crash of the reader. Only `unlink`, so it may run anywhere.
    package static func withdrawMarkers() {
        for path in markers.withLock({ $0 }) { unlink(path) }
    }
}
