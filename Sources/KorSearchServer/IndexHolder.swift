import Foundation
import KorSearch

/// The searcher of the served index, reopened when another process has updated the index (a new catalog
/// generation or a rewritten FAISS file), checked at most every `interval` seconds.
final class IndexHolder: @unchecked Sendable {
    let directory: IndexDirectory
    private let embedder: Embedder?
    private let model: ModelIdentity?
    private let interval: TimeInterval
    private let lock = NSLock()
    private var current: Searcher
    private var stamp: String
    private var checked = Date()
    private let warn: @Sendable (String) -> Void

    init(directory: IndexDirectory, embedder: Embedder?, model: ModelIdentity?, interval: TimeInterval = 2,
         warn: @escaping @Sendable (String) -> Void) throws {
        self.directory = directory
        self.embedder = embedder
        self.model = model
        self.interval = interval
        self.warn = warn
        current = try Searcher(directory: directory, embedder: embedder, model: model, warn: warn)
        stamp = IndexHolder.stamp(directory)
    }

    /// What changes when a writer commits: the FAISS file's modification time and size.
    private static func stamp(_ directory: IndexDirectory) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory.vectorsURL.path)
        let date = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(date):\(attributes?[.size] as? Int ?? 0)"
    }

    /// The current searcher, reopened first if the index changed on disk.
    var searcher: Searcher {
        lock.lock()
        defer { lock.unlock() }
        if Date().timeIntervalSince(checked) >= interval {
            checked = Date()
            let now = IndexHolder.stamp(directory)
            if now != stamp {
                do {
                    current = try Searcher(directory: directory, embedder: embedder, model: model, warn: warn)
                    stamp = now
                } catch {
                    warn("the index changed on disk but could not be reopened (\(error)); still serving the previous one")
                }
            }
        }
        return current
    }
}
