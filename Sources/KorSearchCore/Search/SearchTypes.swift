import Foundation
import KorDocuments

/// How a query is matched.
public enum SearchMode: String, Sendable, CaseIterable, Codable {
    /// Reciprocal rank fusion of the vector and keyword rankings (the default).
    case hybrid
    /// Nearest neighbours of the query's embedding (cosine).
    case vector
    /// BM25 over the Korean-aware keyword index; needs no model.
    case keyword
}
