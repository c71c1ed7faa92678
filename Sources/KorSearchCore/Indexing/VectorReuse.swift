/// The reuse stage of an indexing run: each distinct encoder input of a group of documents is embedded once,
/// and not at all when the store already holds a passage with that input (`Chunk.inputHash`): an index holds
/// one model at one precision, so the stored vector is what embedding again would give.
package struct VectorReuse {
    /// Whether stored and repeated inputs are reused (`--no-reuse` turns it off, for comparison).
    package let enabled: Bool

    package init(enabled: Bool) {
        self.enabled = enabled
    }

    /// What a group of documents needs: the inputs to embed, in order, and where every passage's vector comes
    /// from.
    package struct Plan {
        /// Each document's passages' input hashes.
        package var hashes: [[String]]
        /// Vectors by input hash: the stored ones, then (as `assign` goes) the embedded ones.
        package var known: [String: [Float]]
        /// The model inputs to embed, each distinct input once (every passage's when reuse is off).
        package var missing: [[Int32]]
        /// The document (index into the updates) each of `missing` is of, for progress displays.
        package var missingOwners: [Int]
        /// Passages that take a vector they did not embed.
        package var reused: Int { hashes.reduce(0) { $0 + $1.count } - missing.count }
    }

    /// The plan for a group of documents, asking `writer` for the stored vectors of their inputs.
    package func plan(_ updates: [DocumentUpdate], writer: any IndexWriting) throws -> Plan {
        let hashes = updates.map { $0.chunks.map(\.inputHash) }
        let known = enabled ? try writer.vectors(forInputs: Array(Set(hashes.joined()))) : [:]
        var missing: [[Int32]] = []
        var owners: [Int] = []
        var queued = Set<String>()
        for (owner, (update, inputs)) in zip(updates, hashes).enumerated() {
            for (chunk, hash) in zip(update.chunks, inputs) where known[hash] == nil && (!enabled || queued.insert(hash).inserted) {
                missing.append(chunk.ids)
                owners.append(owner)
            }
        }
        return Plan(hashes: hashes, known: known, missing: missing, missingOwners: owners)
    }

    /// Gives every passage of `updates` its vector: the known one for its input, else the next of `embedded`
    /// (the vectors of `plan.missing`, in order).
    package func assign(_ embedded: [[Float]], by plan: Plan, to updates: inout [DocumentUpdate]) {
        var known = plan.known
        var cursor = 0
        for index in updates.indices {
            updates[index].vectors = plan.hashes[index].map { hash in
                if enabled, let vector = known[hash] { return vector }
                let vector = embedded[cursor]
                cursor += 1
                if enabled { known[hash] = vector }
                return vector
            }
        }
    }
}
