import Foundation
import KorSearchCore

#if canImport(Glibc)
import Glibc
#endif

/// The index directory's former name.
@available(*, deprecated, renamed: "EmbeddedLocation")
public typealias IndexDirectory = EmbeddedLocation

/// The embedded store's location, an index directory: `catalog.sqlite` (the truth), `vectors.faiss` and
/// `keywords.postings` (derived from it) and `write.lock`. `EmbeddedStore` opens it for search,
/// `EmbeddedWriter` for an indexing run.
public struct EmbeddedLocation: Sendable, IndexStoreLocation, IndexStoreWriting {
    /// The directory.
    public let url: URL
    /// The SQLite catalog.
    package var catalogURL: URL { url.appendingPathComponent("catalog.sqlite") }
    /// The FAISS index file.
    package var vectorsURL: URL { url.appendingPathComponent("vectors.faiss") }
    /// The keyword index file (`KeywordIndex`).
    package var keywordsURL: URL { url.appendingPathComponent("keywords.postings") }
    /// The writer's lock file.
    package var lockURL: URL { url.appendingPathComponent("write.lock") }

    /// The index directory at a path.
    public init(_ url: URL) {
        self.url = url.standardizedFileURL
    }

    /// Whether another process holds the writer lock now (an indexing run is under way).
    public var isBeingWritten: Bool {
        let descriptor = Glibc.open(lockURL.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    /// Whether the directory holds a catalog.
    public var exists: Bool { FileManager.default.fileExists(atPath: catalogURL.path) }

    /// Throws the "no index here" error when the directory holds no catalog.
    func requireExisting() throws {
        guard exists else {
            throw KorSearchError(.indexNotFound, "no index at \(url.path); build one with `korsearch index FOLDER --index \(url.path)`")
        }
    }

    public var description: String { url.path }
    public var newIndexHint: String { "directory" }
    public var ownFolder: URL? { url }

    public func open(warn: (String) -> Void) throws -> any IndexStore {
        try EmbeddedStore.open(self, warn: warn)
    }

    public func meta() throws -> IndexMeta {
        try EmbeddedStore.meta(of: self)
    }

    /// Takes the writer lock, creates the catalog and its meta when new (a bad FAISS factory string fails
    /// before anything is recorded), and opens the index for writing.
    package func openForWriting(creating meta: IndexMeta, options: IndexOptions, warn: @escaping (String) -> Void) throws -> any IndexWriting {
        // A bad factory string fails before anything is made; a folder this run made is gone again on failure.
        if !exists, let factory = meta.vectorIndex, factory != AutoVectorIndex.name {
            _ = try VectorIndex(dimension: meta.dimension, factory: factory)
        }
        let madeFolder = !FileManager.default.fileExists(atPath: url.path)
        do {
            let lock = try WriterLock(self)
            let catalog = try Catalog(url: catalogURL, create: true)
            if try catalog.meta()["dimension"] == nil {
                // A new index (or one whose creation was interrupted before its meta was written).
                var meta = meta
                meta.vectorIndex = meta.vectorIndex ?? AutoVectorIndex.name
                try catalog.setMeta(meta.storedEntries.merging(["generation": "0", "faiss_generation": "0"]) { $1 })
            }
            let index = try EmbeddedStore.open(self, writable: true, warn: warn)
            if let factory = options.faissFactory, factory != index.factory {
                throw KorSearchError(
                    .invalidArgument,
                    "index \(url.path) uses FAISS \"\(index.factory)\"; change it with `korsearch rebuild --index \(url.path) --faiss \(factory)`")
            }
            return EmbeddedWriter(index: index, lock: lock, warn: warn)
        } catch {
            if madeFolder { try? FileManager.default.removeItem(at: url) }
            throw error
        }
    }

    public func remove(paths: [String], warn: (String) -> Void) throws -> [String] {
        try EmbeddedStore.remove(self, paths: paths, warn: warn)
    }

    public func setMeta(_ entries: [String: String]) throws {
        try requireExisting()
        guard FileManager.default.isWritableFile(atPath: catalogURL.path), FileManager.default.isWritableFile(atPath: url.path) else {
            throw KorSearchError(.invalidArgument, "\(url.path) is read-only for this user; its settings cannot be stored")
        }
        try Catalog(url: catalogURL, create: false).setMeta(entries)
    }

    public func rebuild(vectorIndex: String?, warn: (String) -> Void) throws -> String {
        let index = try EmbeddedStore.rebuild(self, factory: vectorIndex, warn: warn)
        let setting = index.factory == index.vectors.factory ? "" : " (\(index.factory))"
        return
            "rebuilt \(index.vectors.factory)\(setting) with \(index.vectors.count) vectors and the keyword index of \(index.keywords?.passages ?? 0) passages"
    }
}

extension IndexLocation {
    /// An index directory.
    public static func directory(_ directory: EmbeddedLocation) -> IndexLocation {
        IndexLocation(directory)
    }
}

/// The exclusive right to write an index, held through `flock` on its lock file until released (or until
/// the process dies, when the kernel releases it: a crashed writer never leaves a stale lock).
final class WriterLock {
    private let descriptor: Int32

    /// Takes the lock, or fails at once saying which process holds it.
    init(_ directory: EmbeddedLocation) throws {
        // Each missing folder made in turn, so a failure names the system's reason (Foundation's is a code).
        var missing: [String] = []
        var path = directory.url.standardizedFileURL.path
        var info = stat()
        while !path.isEmpty, path != "/", stat(path, &info) != 0 {
            missing.append(path)
            path = (path as NSString).deletingLastPathComponent
        }
        for folder in missing.reversed() where mkdir(folder, 0o755) != 0 && errno != EEXIST {
            throw KorSearchError(.catalog, "cannot create the index directory \(directory.url.path): \(String(cString: strerror(errno)))")
        }
        // The descriptor becomes the lock's only once the lock is held: a lock that was not taken has no
        // descriptor to release, so its deinit never touches a number another thread may have been given since
        // (truncating, unlocking or closing that thread's file — an index's catalog, in one process with two
        // writers).
        let descriptor = open(directory.lockURL.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw KorSearchError(.locked, "cannot open \(directory.lockURL.path): \(String(cString: strerror(errno)))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = pread(descriptor, &buffer, 64, 0)
            close(descriptor)
            let holder = count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw KorSearchError(
                .locked, "index \(directory.url.path) is being written by process \(holder); wait for it to finish (searches keep working meanwhile)")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        self.descriptor = descriptor
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
