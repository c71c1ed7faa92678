import KorEncoder

/// The embed stage of an indexing run: model inputs to normalized vectors, in groups of a few forward passes
/// so that a progress display moves while a large file embeds.
package struct PassageEmbedding {
    package let embedder: Embedder
    /// Texts per forward pass.
    package let batchSize: Int

    package init(embedder: Embedder, batchSize: Int) {
        self.embedder = embedder
        self.batchSize = batchSize
    }

    /// Inputs per group between reports.
    package var group: Int { max(batchSize * 4, 64) }

    /// The unit vectors of `inputs`, in order; `after` hears each group's input and token counts once it is done.
    package func embed(_ inputs: [[Int32]], after: (_ inputs: Int, _ tokens: Int) throws -> Void = { _, _ in }) throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(inputs.count)
        for start in stride(from: 0, to: inputs.count, by: group) {
            let slice = Array(inputs[start ..< min(inputs.count, start + group)])
            vectors += try embedder.embed(ids: slice, normalize: true, batchSize: batchSize).map(\.vector)
            try after(slice.count, slice.reduce(0) { $0 + $1.count })
        }
        return vectors
    }
}
