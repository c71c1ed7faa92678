import Foundation
import KorEncoder

/// A cross-encoder as search uses it: the model and the name it was given (a hub id or a folder), which
/// answers report. It reads the first-stage hits with the query and orders them by its relevance score.
public struct Reranker: Sendable {
    /// The cross-encoder.
    public let model: CrossEncoder
    /// The model's name as given.
    public let name: String
    /// Pairs per forward pass.
    public var batchSize = 16

    /// A reranker from a loaded cross-encoder.
    public init(model: CrossEncoder, name: String) {
        self.model = model
        self.name = name
    }

    /// The best `limit` of `hits` by the cross-encoder's score of (query, passage text), ties in their
    /// first-stage order; each keeps its first-stage rank and score, its list ranks and highlights.
    public func reorder(_ hits: [SearchHit], query: String, limit: Int) throws -> [SearchHit] {
        if hits.isEmpty { return [] }
        let scores = try model.scores(query: query, passages: hits.map(\.text), batchSize: batchSize)
        let order = hits.indices.sorted { (scores[$0], -$0) > (scores[$1], -$1) }
        return order.prefix(limit).enumerated().map { rank, index in
            var hit = hits[index]
            hit.firstStageRank = hit.rank
            hit.firstStageScore = hit.score
            hit.rank = rank + 1
            hit.score = Double(scores[index])
            return hit
        }
    }
}
