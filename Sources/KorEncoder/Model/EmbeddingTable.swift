/// The word embedding table (the largest tensor: 251,000 × 768 floats for mdeberta). A float32 table is read
/// in place from the memory-mapped checkpoint — only the rows of tokens actually seen are ever paged in, and
/// loading copies nothing; other dtypes are converted once.
final class EmbeddingTable: @unchecked Sendable {
    private let rows: UnsafePointer<Float>
    private let owned: [Float]?
    /// Keeps the mapped checkpoint alive while rows point into it.
    private let owner: AnyObject?
    let width: Int

    init(_ tensor: WeightTensor, width: Int, checkpoint: CheckpointReader) {
        self.width = width
        let base = tensor.bytes.baseAddress!
        let aligned = Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0
        if tensor.dtype == .float32, tensor.strides == WeightTensor.contiguousStrides(tensor.shape), aligned {
            rows = base.assumingMemoryBound(to: Float.self)
            owned = nil
            owner = checkpoint
        } else {
            let floats = tensor.floats()
            owned = floats
            rows = floats.withUnsafeBufferPointer { $0.baseAddress! }  // stable: `owned` keeps the storage
            owner = nil
        }
    }

    /// The embedding of a token id (the caller checks the id is in the vocabulary).
    func row(_ id: Int) -> UnsafePointer<Float> { rows + id * width }
}
