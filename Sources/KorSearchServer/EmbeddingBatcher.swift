import Foundation
import KorSearch

/// Dynamic batching: texts from concurrent requests that arrive within a short window are embedded in one
/// forward pass on a dedicated thread (never on the server's event loops), so throughput under load
/// approaches the batch benchmark while a lone request waits at most the window.
final class EmbeddingBatcher: @unchecked Sendable {
    /// Whose texts these are: a search's query waits for at most one forward pass of bulk embeddings.
    enum Priority {
        /// A search's query: goes before every bulk text still queued.
        case query
        /// An embeddings request: split into passes of at most `maxBatch` texts, first come first served.
        case bulk
    }

    private final class Job {
        let ids: [[Int32]]
        let priority: Priority
        let continuation: CheckedContinuation<[Embedding], any Error>
        /// Texts handed to a forward pass so far, and the embeddings back.
        var taken = 0
        var results: [Embedding] = []

        init(ids: [[Int32]], priority: Priority, continuation: CheckedContinuation<[Embedding], any Error>) {
            self.ids = ids
            self.priority = priority
            self.continuation = continuation
        }
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

    /// Token ids of texts with `prompt` before each, cut to the model's maximum length.
    func tokenize(_ texts: [String], prompt: String = "") throws -> [[Int32]] { try embedder.tokenize(texts, prompt: prompt) }

    /// Embeds token id sequences (L2-normalized), batched with other callers'.
    func embed(ids: [[Int32]], priority: Priority = .bulk) async throws -> [Embedding] {
        if ids.isEmpty { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if stopped {
                condition.unlock()
                continuation.resume(throwing: KorSearchError(.invalidArgument, "the server is shutting down"))
                return
            }
            queue.append(Job(ids: ids, priority: priority, continuation: continuation))
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

    /// Texts still to be embedded in the queue.
    private var queuedTexts: Int { queue.reduce(0) { $0 + $1.ids.count - $1.taken } }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty && stopped { condition.unlock(); return }
            // Wait out the window (or until the batch is full) for more requests to join.
            let deadline = Date(timeIntervalSinceNow: window)
            while queuedTexts < maxBatch, condition.wait(until: deadline) {}
            // Queries first, then bulk texts in arrival order, at most `maxBatch` in all (a query longer than
            // that still goes whole).
            var pieces: [(job: Job, range: Range<Int>)] = []
            var count = 0
            for job in queue.filter({ $0.priority == .query }) + queue.filter({ $0.priority == .bulk }) {
                let left = job.ids.count - job.taken
                let take = job.priority == .query ? left : min(left, maxBatch - count)
                if take <= 0 || (count > 0 && count + take > maxBatch && job.priority == .query) { continue }
                pieces.append((job, job.taken ..< job.taken + take))
                job.taken += take
                count += take
                if count >= maxBatch { break }
            }
            condition.unlock()

            let all = pieces.flatMap { Array($0.job.ids[$0.range]) }
            let outcome = Result { try embedder.embed(ids: all, normalize: true, batchSize: 32) }
            condition.lock()
            batchCount += 1
            textCount += all.count
            var finished: [(Job, Result<[Embedding], any Error>)] = []
            var offset = 0
            for (job, range) in pieces {
                switch outcome {
                case .success(let embeddings):
                    job.results += embeddings[offset ..< offset + range.count]
                    if job.results.count == job.ids.count { finished.append((job, .success(job.results))) }
                case .failure(let error):
                    finished.append((job, .failure(error)))  // a job has one piece in a pass
                }
                offset += range.count
            }
            queue.removeAll { job in finished.contains { $0.0 === job } }
            condition.unlock()
            for (job, result) in finished { job.continuation.resume(with: result) }
        }
    }
}
