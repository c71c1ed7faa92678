/// The precision every store keeps passage vectors in: IEEE half precision (float16). Embeddings are unit
/// vectors, so each value keeps a relative error of at most 2⁻¹¹, and a score (an inner product) moves by
/// about 10⁻⁴; the catalog's copy takes half the bytes of float32. Every path that stores a vector — a new
/// embedding, a reused one, a rebuild from the catalog, the PostgreSQL store — stores these rounded values,
/// so they all give the same index and the same scores.
package enum StoredVector {
    /// The values as stored: rounded to the nearest float16; unchanged when float16 cannot hold them (a
    /// value beyond ±65504), in which case the catalog keeps the vector as float32.
    package static func rounded(_ vector: [Float]) -> [Float] {
        fitsHalf(vector) ? vector.map { Float(Float16($0)) } : vector
    }

    /// Whether every value is within float16's range.
    package static func fitsHalf(_ vector: [Float]) -> Bool {
        vector.allSatisfy { abs($0) <= Float(Float16.greatestFiniteMagnitude) }
    }
}
