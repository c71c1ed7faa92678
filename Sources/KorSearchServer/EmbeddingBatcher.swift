import Foundation
import KorSearch

/// Dynamic batching: texts from concurrent requests that arrive within a short window are embedded in one
/// forward pass on a dedicated thread (never on the server's event loops), so throughput under load
/// approaches the batch benchmark while a lone request waits at most the window.
final class EmbeddingBatcher: @unchecked Sendable {
    private struct Job {
        let ids: [[Int32]]
        let continuation: CheckedContinuation<[Embedding], any Error>
    }

    private let embedder: Embedder
    private let window: TimeInterval
    private let maxBatch: Int
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopped = false
    private var batchCount = 0
    private var textCount = 0

    /// Forward passes run so far (for /v1/info and tests).
    var batches: Int { condition.lock(); defer { condition.unlock() }; return batchCount }
    /// Texts embedded so far.
    var texts: Int { condition.lock(); defer { condition.unlock() }; return textCount }

    init(embedder: Embedder, window: TimeInterval = 0.004, maxBatch: Int = 64) {
        self.embedder = embedder
        self.window = window
        self.maxBatch = maxBatch
        let thread = Thread { [weak self] in self?.run() }
        thread.name = "korsearch-embedder"
        thread.start()
    }

    /// Token ids of texts, cut to the model's maximum length.
    func tokenize(_ texts: [String]) throws -> [[Int32]] { try embedder.tokenize(texts) }

    /// Embeds token id sequences (L2-normalized), batched with other callers'.
    func embed(ids: [[Int32]]) async throws -> [Embedding] {
        if ids.isEmpty { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if stopped {
                condition.unlock()
                continuation.resume(throwing: KorSearchError(.invalidArgument, "the server is shutting down"))
                return
            }
            queue.append(Job(ids: ids, continuation: continuation))
            condition.signal()
            condition.unlock()
        }
    }

    /// Stops the worker after the queued jobs.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty && stopped { condition.unlock(); return }
            // Wait out the window (or until the batch is full) for more requests to join.
            let deadline = Date(timeIntervalSinceNow: window)
            while queue.reduce(0, { $0 + $1.ids.count }) < maxBatch, condition.wait(until: deadline) {}
            var jobs: [Job] = []
            var count = 0
            while let job = queue.first, jobs.isEmpty || count + job.ids.count <= maxBatch {
                jobs.append(queue.removeFirst())
                count += job.ids.count
            }
            condition.unlock()

            let all = jobs.flatMap(\.ids)
            do {
                let embeddings = try embedder.embed(ids: all, normalize: true, batchSize: 32)
                condition.lock()
                batchCount += 1
                textCount += all.count
                condition.unlock()
                var offset = 0
                for job in jobs {
                    job.continuation.resume(returning: Array(embeddings[offset ..< offset + job.ids.count]))
                    offset += job.ids.count
                }
            } catch {
                for job in jobs { job.continuation.resume(throwing: error) }
            }
        }
    }
}
