/// Assembles retrieved passages into the context block of a RAG prompt: numbered sources with their paths
/// and pages, each passage widened by its neighbouring chunks, within a token budget.
public struct ContextBuilder: Sendable {
    /// One numbered source in the assembled context.
    public struct Source: Sendable, Equatable {
        /// The citation number, from 1.
        public var number: Int
        public var path: String
        public var title: String?
        public var page: Int?
        /// Where the hit's passage is (`p. 3`, `pp. 3–4, OCR`: `Passage.pageLabel`), nil without pages.
        public var pageLabel: String?
        /// The headings above the hit's passage, where its document has headings.
        public var section: String?
        /// The passage with its neighbours, in document order.
        public var text: String
        /// The chunk ids the text is made of.
        public var chunkIds: [Int64]
    }

    /// Neighbouring chunks added before and after each hit.
    public var neighbours: Int
    /// The most model tokens the sources may use together (counted with the index's tokenizer).
    public var maxTokens: Int

    /// A builder adding `neighbours` chunks on each side, within `maxTokens`.
    public init(neighbours: Int = 1, maxTokens: Int = 2000) {
        self.neighbours = neighbours
        self.maxTokens = maxTokens
    }

    /// The sources for a query's hits, best first; a hit whose chunks another source already holds is merged
    /// away, and sources stop when the budget is spent.
    public func sources(for hits: [SearchHit], searcher: Searcher) throws -> [Source] {
        var sources: [Source] = []
        var used = Set<Int64>()
        var tokens = 0
        for hit in hits where !used.contains(hit.chunkId) {
            let chunks = try searcher.context(of: hit.chunkId, before: neighbours, after: neighbours).filter { !used.contains($0.id) }
            // Neighbours overlap each other by the chunk overlap: keep each new stretch of text once.
            var text = ""
            var end = -1
            for chunk in chunks {
                if chunk.start >= end {
                    text += (text.isEmpty ? "" : "\n") + chunk.text
                } else if chunk.end > end {
                    text += String(String.UnicodeScalarView(Array(chunk.text.unicodeScalars).dropFirst(end - chunk.start)))
                }
                end = max(end, chunk.end)
            }
            let cost = chunks.reduce(0) { $0 + $1.tokens }
            if tokens + cost > maxTokens, !sources.isEmpty { break }
            tokens += cost
            chunks.forEach { used.insert($0.id) }
            sources.append(
                Source(
                    number: sources.count + 1, path: hit.path, title: hit.title, page: hit.page, pageLabel: hit.pageLabel,
                    section: hit.section, text: text, chunkIds: chunks.map(\.id)))
        }
        return sources
    }

    /// The context block: each source as `[n] path (p. N) — title` (and `§ section` on its own line where the
    /// document has headings) followed by its text.
    public static func render(_ sources: [Source]) -> String {
        sources.map { source in
            var header = "[\(source.number)] \(source.path)"
            if let label = source.pageLabel ?? source.page.map({ "p. \($0)" }) { header += " (\(label))" }
            if let title = source.title { header += " — \(title)" }
            if let section = source.section { header += "\n§ \(section)" }
            return header + "\n" + source.text
        }.joined(separator: "\n\n")
    }
}
