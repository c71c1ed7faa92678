import Foundation

/// DeBERTa's relative positions: the (log-bucketed) distance i - j between a query and a key, and the row of
/// the relative embedding table that each distance reads.
struct RelativePositions: Sendable {
    let buckets: Int
    let maxPosition: Int
    let span: Int

    init(config: DebertaV2Config) {
        buckets = config.positionBuckets
        maxPosition = config.effectiveMaxRelativePositions
        span = config.attentionSpan
    }

    /// The bucket of a relative distance, as transformers' `make_log_bucket_position` computes it in float32:
    /// distances within half the bucket count stay exact; farther ones shrink logarithmically, up to
    /// `maxPosition`, keeping their sign.
    func bucket(_ distance: Int) -> Int {
        guard buckets > 0 else { return distance }
        let mid = buckets / 2
        let magnitude = abs(distance)
        let clipped = magnitude < mid ? mid - 1 : magnitude
        if clipped <= mid { return distance }
        let ratio = logf(Float(clipped) / Float(mid)) / logf(Float(Double(maxPosition - 1) / Double(mid)))
        let logPosition = Int(ceilf(ratio * Float(mid - 1))) + mid
        return distance < 0 ? -logPosition : logPosition
    }

    /// The row of the relative embedding table for a distance: bucket + span, clamped to the table.
    func tableRow(_ distance: Int) -> Int {
        min(max(bucket(distance) + span, 0), 2 * span - 1)
    }

    /// The rows of the relative embedding table that a sequence of `length` tokens reads.
    func window(length: Int) -> RelativeWindow {
        let first = tableRow(-(length - 1))
        let last = tableRow(length - 1)
        let offsets = (-(length - 1) ... (length - 1)).map { Int32(tableRow($0) - first) }
        return RelativeWindow(firstRow: first, width: last - first + 1, offsets: offsets)
    }
}

/// The part of the relative embedding table one sequence length reads.
struct RelativeWindow: Sendable {
    /// The first table row any query-key pair reads.
    let firstRow: Int
    /// The number of rows from the first to the last one read.
    let width: Int
    /// For each distance d = i - j, at index d + length - 1: its row minus `firstRow`.
    let offsets: [Int32]
}
