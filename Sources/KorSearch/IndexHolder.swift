import Foundation
import KorSearchCore

/// The searcher of a served index, reopened when another process has updated the index in a way an open
/// copy does not see by itself (a rewritten FAISS file; a PostgreSQL store is always current), checked at most
/// every `interval` seconds: how every server (HTTP and MCP) picks up a re-indexed index.
public final class IndexHolder: @unchecked Sendable {
    /// The index served.
    public let location: IndexLocation
    private let embedder: Embedder?
    private let model: ModelIdentity?
    private let reranker: Reranker?
    private let interval: TimeInterval
    private let lock = NSLock()
    private var current: Searcher
    private var stamp: String
    private var checked = Date()
    private let warn: @Sendable (String) -> Void

    /// Holds an opened index; `location` is where it is reopened from.
    public init(opened: OpenedIndex, location: IndexLocation, interval: TimeInterval = 2, warn: @escaping @Sendable (String) -> Void) throws {
        self.location = location
        embedder = opened.embedder
        model = opened.model
        reranker = opened.reranker
        self.interval = interval
        self.warn = warn
        current = try opened.searcher(warn: warn)
        stamp = current.index.changeStamp()
    }

    /// The current searcher, reopened first if the index changed on disk.
    public var searcher: Searcher {
        lock.lock()
        defer { lock.unlock() }
        if Date().timeIntervalSince(checked) >= interval {
            checked = Date()
            let now = current.index.changeStamp()
            if now != stamp {
                do {
                    current = try Searcher(location: location, embedder: embedder, model: model, reranker: reranker, warn: warn)
                    stamp = now
                } catch {
                    warn("the index changed on disk but could not be reopened (\(error)); still serving the previous one")
                }
            }
        }
        return current
    }
}
