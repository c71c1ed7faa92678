import Foundation
import KorEncoder
import KorSearchCore

#if canImport(Glibc)
import Glibc
#endif

/// BM25 exactly as SQLite's FTS5 `bm25()` computes it (the scores the catalog's FTS5 index gives, which the
/// pruned engine must reproduce): idf = ln((N − n + 0.5) / (n + 0.5)), at least 1e-6; k1 1.2, b 0.75; a
/// passage's length is its number of terms, the average over all passages. Operations in FTS5's order, so
/// the doubles are the same to the last bit.
enum BM25 {
    static let k1 = 1.2
    static let b = 0.75

    /// The idf of a term found in `containing` of `passages` passages.
    static func idf(passages: Int, containing: Int) -> Double {
        keywordIDF(passages: passages, containing: containing)
    }

    /// k1 · (1 − b + b · D / avgdl): the length part of the denominator, per passage.
    static func lengthNorm(_ length: UInt32, average: Double) -> Double {
        k1 * (1 - b + b * Double(length) / average)
    }

    /// One term's share of a passage's score.
    @inline(__always)
    static func score(idf: Double, frequency: UInt32, lengthNorm: Double) -> Double {
        idf * (Double(frequency) * (k1 + 1)) / (Double(frequency) + lengthNorm)
    }

    /// The share without the idf, rounded up to a float: what a block records as its bound.
    static func bound(frequency: UInt32, lengthNorm: Double) -> Float {
        Float(Double(frequency) * (k1 + 1) / (Double(frequency) + lengthNorm)).nextUp
    }
}

extension MappedFile {
    var count: Int { bytes.count }

    /// The value at `offset`, which the caller has checked lies inside the file.
    @inline(__always) func load<T>(_ offset: Int, as type: T.Type) -> T {
        bytes.baseAddress!.loadUnaligned(fromByteOffset: offset, as: type)
    }
}

/// The keyword index of an index directory (`keywords.postings`): every keyword term's posting list —
/// the passages containing it, ascending, with the term's frequency in each — compressed and memory-mapped,
/// and queried with dynamic pruning (MaxScore over block-max bounds) for the exact BM25 top-k that FTS5's
/// `bm25()` over all matches would give, same scores, ties broken by chunk id.
///
/// Derived data like the FAISS file: made from the catalog's passages, written whole at the end of each
/// write (merging the previous file with the run's changes), recorded in the meta with the catalog
/// generation it matches and its checksum, and rebuilt from the catalog when missing, behind or damaged.
///
/// Layout (little-endian): a 96-byte header; the chunk id of each passage (Int64, ascending: a passage's
/// number is its position); each passage's length in terms (UInt32); the posting lists; the term table
/// (40 bytes a term, sorted by the terms' UTF-8 bytes); the terms' bytes. A posting list is blocks of up to
/// 128 postings: first each block's header (last passage number, data offset, count, the largest score
/// share without idf in the block as a float rounded up), then the blocks' data — passage number gaps then
/// frequencies less one, each bit-packed at the block's width (read 8 bytes at a time, so 8 bytes of padding
/// end the lists).
package final class KeywordIndex: @unchecked Sendable {
    static let magic: [UInt8] = Array("KSPOST01".utf8)
    /// The layout version in the header (1: varint blocks; 2: bit-packed blocks).
    static let format: UInt32 = 2
    static let headerSize = 96
    static let termEntrySize = 40
    static let blockSize = 128
    static let blockHeaderSize = 16

    let file: MappedFile
    let url: URL
    /// The number of passages.
    package let passages: Int
    /// The `KeywordTerms.version` the terms were derived by.
    package let termsVersion: Int
    /// The number of distinct terms.
    package let termCount: Int
    let totalTokens: UInt64
    let averageLength: Double
    let docIdsOffset: Int
    let lengthsOffset: Int
    let postingsOffset: Int
    let postingsLength: Int
    let termTableOffset: Int
    let termBytesOffset: Int
    let termBytesLength: Int
    /// k1 · (1 − b + b · D / avgdl) of each passage, computed once.
    let lengthNorms: [Double]

    /// Maps and checks a keyword index file: its header, and that every table and posting list lies inside
    /// the file (a damaged file is an error, never a crash).
    init(contentsOf url: URL) throws {
        self.url = url
        let file: MappedFile
        do { file = try MappedFile(url: url) } catch {
            throw KorSearchError(.corruptIndex, "\(url.path) cannot be read as a keyword index (\(error))")
        }
        self.file = file
        let bad = { (what: String) in KorSearchError(.corruptIndex, "\(url.path) is not a valid keyword index (\(what))") }
        guard file.count >= KeywordIndex.headerSize,
            (0 ..< 8).allSatisfy({ file.load($0, as: UInt8.self) == KeywordIndex.magic[$0] })
        else { throw bad("no header") }
        guard file.load(8, as: UInt32.self) == KeywordIndex.format else { throw bad("format \(file.load(8, as: UInt32.self))") }
        termsVersion = Int(file.load(12, as: UInt32.self))
        let fields = (0 ..< 10).map { Int(clamping: file.load(16 + 8 * $0, as: UInt64.self)) }
        passages = fields[0]
        termCount = fields[1]
        totalTokens = UInt64(fields[2])
        (docIdsOffset, lengthsOffset, postingsOffset, postingsLength, termTableOffset, termBytesOffset, termBytesLength) = (
            fields[3], fields[4], fields[5], fields[6], fields[7], fields[8], fields[9]
        )
        let size = file.count
        func inside(_ offset: Int, _ length: Int) -> Bool { offset >= 0 && length >= 0 && offset <= size && length <= size - offset }
        guard passages < Int(UInt32.max), termCount < Int(UInt32.max),
            inside(docIdsOffset, passages * 8), inside(lengthsOffset, passages * 4), inside(postingsOffset, postingsLength),
            postingsLength >= 8,
            inside(termTableOffset, termCount * KeywordIndex.termEntrySize), inside(termBytesOffset, termBytesLength)
        else {
            throw bad("tables outside the file")
        }
        for index in 0 ..< termCount {
            let entry = KeywordIndex.entry(file, termTableOffset, index)
            guard entry.nameOffset >= 0, entry.nameLength <= termBytesLength, entry.nameOffset <= termBytesLength - entry.nameLength,
                // A list never reaches into the 8 bytes of padding after the lists (blocks are read 8 bytes at a time).
                entry.postingsOffset >= 0, entry.postingsLength <= postingsLength - 8,
                entry.postingsOffset <= postingsLength - 8 - entry.postingsLength,
                entry.blockCount * KeywordIndex.blockHeaderSize <= entry.postingsLength, entry.frequency <= passages
            else {
                throw bad("term \(index) outside the file")
            }
        }
        averageLength = passages > 0 ? Double(totalTokens) / Double(passages) : 1
        var norms = [Double](repeating: 0, count: passages)
        var previous = Int64.min
        for passage in 0 ..< passages {
            norms[passage] = BM25.lengthNorm(file.load(lengthsOffset + 4 * passage, as: UInt32.self), average: averageLength)
            // Chunk ids strictly increasing: lookups search them in halves, and a repeated id would answer one
            // passage twice.
            let id = file.load(docIdsOffset + 8 * passage, as: Int64.self)
            guard id > previous else { throw bad("chunk id \(id) out of order at passage \(passage)") }
            previous = id
        }
        lengthNorms = norms
    }

    /// A term's entry in the term table.
    struct TermEntry {
        var nameOffset: Int
        var postingsOffset: Int
        var postingsLength: Int
        var nameLength: Int
        /// The number of passages containing the term.
        var frequency: Int
        var blockCount: Int
        /// The largest score share without idf over the whole list.
        var bound: Float
    }

    static func entry(_ file: MappedFile, _ tableOffset: Int, _ index: Int) -> TermEntry {
        let at = tableOffset + index * termEntrySize
        return TermEntry(
            nameOffset: Int(clamping: file.load(at, as: UInt64.self)),
            postingsOffset: Int(clamping: file.load(at + 8, as: UInt64.self)),
            postingsLength: Int(clamping: file.load(at + 16, as: UInt64.self)),
            nameLength: Int(file.load(at + 24, as: UInt32.self)),
            frequency: Int(file.load(at + 28, as: UInt32.self)),
            blockCount: Int(file.load(at + 32, as: UInt32.self)),
            bound: file.load(at + 36, as: Float.self))
    }

    func entry(_ index: Int) -> TermEntry { KeywordIndex.entry(file, termTableOffset, index) }

    /// The UTF-8 bytes of term `index`.
    func name(_ entry: TermEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[termBytesOffset + entry.nameOffset ..< termBytesOffset + entry.nameOffset + entry.nameLength])
    }

    /// The chunk id of passage number `passage`.
    @inline(__always) func chunkId(_ passage: Int) -> Int64 { file.load(docIdsOffset + 8 * passage, as: Int64.self) }

    /// The length in terms of passage number `passage`.
    func length(_ passage: Int) -> UInt32 { file.load(lengthsOffset + 4 * passage, as: UInt32.self) }

    /// Whether the file was written to in place since it was mapped (see `MappedFile.changedOnDisk`).
    var changedOnDisk: Bool { file.changedOnDisk }

    /// The passage number of a chunk id, or nil.
    func passage(ofChunk id: Int64) -> Int? {
        var (low, high) = (0, passages)
        while low < high {
            let middle = (low + high) / 2
            if chunkId(middle) < id { low = middle + 1 } else { high = middle }
        }
        return low < passages && chunkId(low) == id ? low : nil
    }

    /// The entry of a term, by binary search over the sorted term table.
    func find(_ term: String) -> TermEntry? {
        var term = term
        return term.withUTF8 { wanted -> TermEntry? in
            var (low, high) = (0, termCount)
            while low < high {
                let middle = (low + high) / 2
                let entry = self.entry(middle)
                let order = KeywordIndex.compare(name(entry), UnsafeRawBufferPointer(wanted))
                if order == 0 { return entry }
                if order < 0 { low = middle + 1 } else { high = middle }
            }
            return nil
        }
    }

    /// Byte order of two UTF-8 strings (the term table's order).
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = min(a.count, b.count)
        if common > 0, let x = a.baseAddress, let y = b.baseAddress {
            let order = memcmp(x, y, common)
            if order != 0 { return Int(order) }
        }
        return a.count - b.count
    }

    /// How many passages contain each of `terms` (absent terms are left out).
    package func frequencies(_ terms: [String]) -> [String: Int] {
        var result: [String: Int] = [:]
        for term in terms { if let entry = find(term) { result[term] = entry.frequency } }
        return result
    }

    /// The `depth` best passages by BM25 matching any of `terms` (distinct), as `(chunk id, score)`, best
    /// first, ties by chunk id — exactly the first `depth` of all matches ranked by FTS5's `bm25()` with the
    /// query `t1 OR t2 OR …`. With `allowed`, only those chunk ids are ranked; a filter allowing few passages
    /// is answered by looking those passages up in the lists instead of walking the lists.
    /// A term's share of a score is multiplied by its weight in `weights` (1 when absent: exactly `bm25()`).
    package func search(
        _ terms: [String], weights: [String: Double] = [:], depth: Int, allowed: Set<Int64>? = nil
    ) throws -> [(id: Int64, score: Double)] {
        var scored = 0
        return try search(terms, weights: weights, depth: depth, allowed: allowed, scored: &scored)
    }

    /// `search`, counting in `scored` the passages scored in full (the rest were pruned or never visited).
    func search(
        _ terms: [String], weights: [String: Double] = [:], depth: Int, allowed: Set<Int64>?, scored: inout Int
    ) throws -> [(id: Int64, score: Double)] {
        if depth <= 0 || passages == 0 { return [] }
        var seen = Set<String>()
        var found: [(entry: TermEntry, position: Int, weight: Double)] = []
        for term in terms where seen.insert(term).inserted {
            if let entry = find(term) { found.append((entry, seen.count - 1, weights[term] ?? 1)) }
        }
        if found.isEmpty { return [] }
        // The cursors and their block buffers live in raw memory for the search: the hot loop then runs
        // without reference counting or exclusivity checks.
        let blocks = UnsafeMutablePointer<UInt32>.allocate(capacity: found.count * KeywordIndex.blockSize)
        let cursors = UnsafeMutableBufferPointer<PostingCursor>.allocate(capacity: found.count)
        let shares = UnsafeMutableBufferPointer<Double>.allocate(capacity: seen.count)
        shares.initialize(repeating: 0)
        defer {
            blocks.deallocate()
            _ = cursors.deinitialize()
            cursors.deallocate()
            shares.deallocate()
        }
        for (number, term) in found.enumerated() {
            // A weight of 1 leaves the idf as it is, bit for bit.
            let idf = BM25.idf(passages: passages, containing: term.entry.frequency) * term.weight
            _ = (cursors.baseAddress! + number).initialize(
                to: PostingCursor(
                    self, term.entry, idf: idf, position: term.position, buffer: blocks + number * KeywordIndex.blockSize))
        }
        var top = TopPassages(depth: depth)
        try lengthNorms.withUnsafeBufferPointer { norms in
            if let allowed {
                var allowedPassages: [Int] = allowed.compactMap { passage(ofChunk: $0) }
                if allowedPassages.isEmpty { return }
                let postings = cursors.reduce(0) { $0 + $1.frequency }
                if allowedPassages.count * 8 < postings {
                    allowedPassages.sort()
                    scored = KeywordIndex.scoreEach(allowedPassages, cursors, shares, norms, &top)
                } else {
                    var mask = [UInt64](repeating: 0, count: (passages + 63) / 64)
                    for passage in allowedPassages { mask[passage >> 6] |= 1 << UInt64(passage & 63) }
                    try mask.withUnsafeBufferPointer { scored = KeywordIndex.maxScore(cursors, shares, norms, &top, mask: $0) }
                }
            } else {
                scored = KeywordIndex.maxScore(cursors, shares, norms, &top, mask: nil)
            }
        }
        if cursors.contains(where: \.damaged) {
            throw KorSearchError(.corruptIndex, "\(url.path) holds a damaged posting list; rebuild the index with `korsearch rebuild`")
        }
        return top.ranked().map { (chunkId(Int($0.passage)), $0.score) }
    }

    /// Block-max MaxScore, window by window (as Lucene's MaxScore bulk scorer): a window runs from where the
    /// search stands to the nearest end of a block holding that point in any list (at most 4,096 passages),
    /// so within it every list's bound is its block's. The lists are sorted by those bounds; the strongest,
    /// whose bounds could reach the current k-th score (the essential lists), are added up over the window
    /// into an array, a list at a time; the weakest are only looked up (skipping whole blocks) for the
    /// passages the others bring, and a passage is dropped as soon as what it has plus the bounds of the lists
    /// still to look up falls below the k-th score. A window whose bounds together cannot reach it is skipped
    /// whole. A passage kept is scored again exactly, its shares summed in the query's term order. Returns
    /// the number of passages scored in full.
    private static func maxScore(
        _ cursors: UnsafeMutableBufferPointer<PostingCursor>, _ shares: UnsafeMutableBufferPointer<Double>,
        _ norms: UnsafeBufferPointer<Double>, _ top: inout TopPassages, mask: UnsafeBufferPointer<UInt64>?
    ) -> Int {
        let count = cursors.count
        let windowLimit = 4096
        var bounds = [Double](repeating: 0, count: count)
        var order = Array(0 ..< count)
        // prefix[r]: the window bounds of the lists ranked 0 ... r together.
        var prefix = [Double](repeating: 0, count: count)
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: windowLimit)
        sums.initialize(repeating: 0)
        let present = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: windowLimit / 64)
        present.initialize(repeating: 0)
        defer {
            sums.deallocate()
            present.deallocate()
        }
        var touched: [Int] = []
        touched.reserveCapacity(count)
        var threshold = -Double.infinity
        var scored = 0
        var windowStart = cursors.reduce(UInt32.max) { min($0, $1.passage) }
        while windowStart != .max {
            var windowEnd = windowStart > UInt32.max - UInt32(windowLimit) ? UInt32.max - 1 : windowStart + UInt32(windowLimit - 1)
            var anyLeft = false
            for index in 0 ..< count {
                let (bound, end) = cursors[index].blockBound(at: windowStart)
                bounds[index] = bound
                if end != .max { anyLeft = true }
                windowEnd = min(windowEnd, end)
            }
            if !anyLeft { break }
            order.sort { bounds[$0] < bounds[$1] }
            var running = 0.0
            for rank in 0 ..< count {
                running += bounds[order[rank]]
                prefix[rank] = running
            }
            // Fixed for the window: the essential lists are added up over it before any passage is looked at.
            var firstEssential = 0
            while firstEssential < count, prefix[firstEssential] < threshold { firstEssential += 1 }
            if firstEssential < count {
                for rank in firstEssential ..< count {
                    let index = order[rank]
                    cursors[index].advance(to: windowStart)
                    let idf = cursors[index].idf
                    cursors[index].consume(upTo: windowEnd) { passage, frequency in
                        let slot = Int(passage - windowStart)
                        sums[slot] += BM25.score(idf: idf, frequency: frequency, lengthNorm: norms[Int(passage)])
                        present[slot >> 6] |= 1 << UInt64(slot & 63)
                    }
                }
                for word in 0 ..< windowLimit / 64 where present[word] != 0 {
                    var bits = present[word]
                    present[word] = 0
                    while bits != 0 {
                        let slot = word << 6 | bits.trailingZeroBitCount
                        bits &= bits - 1
                        var partial = sums[slot]
                        sums[slot] = 0
                        let passage = windowStart + UInt32(slot)
                        if let mask, mask[Int(passage >> 6)] & (1 << UInt64(passage & 63)) == 0 { continue }
                        let norm = norms[Int(passage)]
                        var kept = true
                        var rank = firstEssential - 1
                        while rank >= 0 {
                            if partial + prefix[rank] < threshold {
                                kept = false
                                break
                            }
                            let index = order[rank]
                            cursors[index].advance(to: passage)
                            if cursors[index].passage == passage {
                                let share = BM25.score(idf: cursors[index].idf, frequency: cursors[index].frequencyHere, lengthNorm: norm)
                                shares[cursors[index].termPosition] = share
                                touched.append(cursors[index].termPosition)
                                partial += share
                            }
                            rank -= 1
                        }
                        if kept {
                            for rank in firstEssential ..< count {
                                let index = order[rank]
                                if let frequency = cursors[index].frequencyInBlock(at: passage) {
                                    shares[cursors[index].termPosition] = BM25.score(idf: cursors[index].idf, frequency: frequency, lengthNorm: norm)
                                    touched.append(cursors[index].termPosition)
                                }
                            }
                            scored += 1
                            if top.offer(TopPassages.exactSum(shares, &touched), passage) { threshold = top.threshold }
                        }
                        for position in touched { shares[position] = 0 }
                        touched.removeAll(keepingCapacity: true)
                    }
                }
            }
            windowStart = windowEnd + 1
        }
        return scored
    }

    /// Scores the given passages (ascending) by looking each up in every list.
    private static func scoreEach(
        _ passages: [Int], _ cursors: UnsafeMutableBufferPointer<PostingCursor>,
        _ shares: UnsafeMutableBufferPointer<Double>, _ norms: UnsafeBufferPointer<Double>,
        _ top: inout TopPassages
    ) -> Int {
        var touched: [Int] = []
        var scored = 0
        for passage in passages {
            let number = UInt32(passage)
            for index in cursors.indices {
                cursors[index].advance(to: number)
                if cursors[index].passage == number {
                    shares[cursors[index].termPosition] = BM25.score(
                        idf: cursors[index].idf, frequency: cursors[index].frequencyHere, lengthNorm: norms[passage])
                    touched.append(cursors[index].termPosition)
                }
            }
            if !touched.isEmpty {
                scored += 1
                _ = top.offer(TopPassages.exactSum(shares, &touched), number)
            }
            for position in touched { shares[position] = 0 }
            touched.removeAll(keepingCapacity: true)
        }
        return scored
    }
}

/// The best passages so far, kept in a heap with the worst on top. Passages are offered in ascending order,
/// so one that only ties the worst (to 9 places, as the rankings compare) never displaces it.
struct TopPassages {
    struct Entry {
        var key: Double
        var score: Double
        var passage: UInt32
    }

    let depth: Int
    private var heap: [Entry] = []

    init(depth: Int) {
        self.depth = depth
        heap.reserveCapacity(min(depth, 1 << 16))
    }

    /// The score a passage must exceed to enter, less a margin for the rounding to 9 places; −∞ until full.
    var threshold: Double { heap.count < depth ? -.infinity : heap[0].score - 1e-8 }

    /// The shares summed in the query's term order (FTS5's order, so the same double), then cleared by the caller.
    static func exactSum(_ shares: UnsafeMutableBufferPointer<Double>, _ touched: inout [Int]) -> Double {
        touched.sort()
        var sum = 0.0
        for position in touched { sum += shares[position] }
        return sum
    }

    private static func worse(_ a: Entry, _ b: Entry) -> Bool {
        a.key != b.key ? a.key < b.key : a.passage > b.passage
    }

    /// Offers a passage; returns whether the heap is full afterwards and its worst changed.
    mutating func offer(_ score: Double, _ passage: UInt32) -> Bool {
        let entry = Entry(key: (score * 1e9).rounded(), score: score, passage: passage)
        if heap.count < depth {
            heap.append(entry)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard TopPassages.worse(heap[child], heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
            return heap.count == depth
        }
        guard entry.key > heap[0].key else { return false }
        heap[0] = entry
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var worst = parent
            if left < heap.count, TopPassages.worse(heap[left], heap[worst]) { worst = left }
            if right < heap.count, TopPassages.worse(heap[right], heap[worst]) { worst = right }
            if worst == parent { break }
            heap.swapAt(parent, worst)
            parent = worst
        }
        return true
    }

    /// Best first: higher score (to 9 places), then lower passage number (lower chunk id).
    func ranked() -> [Entry] {
        heap.sorted { TopPassages.worse($1, $0) }
    }
}

/// A position in one term's posting list, decoding one block's passage numbers at a time into a buffer its
/// owner provides (128 `UInt32`s; frequencies are read from the packed block when asked for). Reads the
/// mapped file through a raw pointer: its owner keeps the `KeywordIndex` alive while the cursor is used.
struct PostingCursor {
    private let bytes: UnsafeRawPointer
    private let headers: Int
    private let data: Int
    private let dataLength: Int
    private let blockCount: Int
    private let passageLimit: UInt32
    private let passages: UnsafeMutablePointer<UInt32>
    /// Where the current block's packed frequencies start, and their width.
    private var frequencyOffset = 0
    private var frequencyBits = 0
    let idf: Double
    /// idf × the list's largest share: no passage gets more from this term.
    let bound: Double
    let frequency: Int
    /// The term's position in the query (the order its share is summed in).
    let termPosition: Int
    /// The current passage number, `UInt32.max` past the end.
    private(set) var passage: UInt32 = 0
    private(set) var damaged = false
    private var block = -1
    private var shallow = 0
    private var position = 0
    private var count = 0

    init(_ index: KeywordIndex, _ entry: KeywordIndex.TermEntry, idf: Double, position: Int, buffer: UnsafeMutablePointer<UInt32>) {
        bytes = index.file.bytes.baseAddress!  // a valid index has at least its header
        headers = index.postingsOffset + entry.postingsOffset
        data = headers + entry.blockCount * KeywordIndex.blockHeaderSize
        dataLength = entry.postingsLength - entry.blockCount * KeywordIndex.blockHeaderSize
        blockCount = entry.blockCount
        passageLimit = UInt32(index.passages)
        passages = buffer
        self.idf = idf
        bound = idf * Double(entry.bound)
        frequency = entry.frequency
        termPosition = position
        if blockCount > 0 { load(0) } else { passage = .max }
    }

    @inline(__always) private func load<T>(_ offset: Int, as type: T.Type) -> T {
        bytes.loadUnaligned(fromByteOffset: offset, as: type)
    }

    /// The term's frequency in the current passage.
    var frequencyHere: UInt32 { frequency(at: position) }

    /// The frequency of the current block's posting `index`, unpacked.
    @inline(__always) private func frequency(at index: Int) -> UInt32 {
        let bit = index * frequencyBits
        let word = load(frequencyOffset + bit >> 3, as: UInt64.self)
        return UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & ((1 << UInt64(frequencyBits)) - 1)) + 1
    }

    @inline(__always) private func lastPassage(_ block: Int) -> UInt32 {
        load(headers + block * KeywordIndex.blockHeaderSize, as: UInt32.self)
    }

    private mutating func load(_ block: Int) {
        self.block = block
        let at = headers + block * KeywordIndex.blockHeaderSize
        let start = Int(load(at + 4, as: UInt32.self))
        let count = Int(load(at + 8, as: UInt32.self))
        let end = block + 1 < blockCount ? Int(load(at + KeywordIndex.blockHeaderSize + 4, as: UInt32.self)) : dataLength
        guard count >= 1, count <= KeywordIndex.blockSize, start <= end - 2, end <= dataLength else { return fail() }
        let gapBits = Int(load(data + start, as: UInt8.self))
        let frequencyBits = Int(load(data + start + 1, as: UInt8.self))
        let gapsOffset = data + start + 2
        let frequencyOffset = gapsOffset + (count * gapBits + 7) / 8
        guard gapBits <= 32, frequencyBits <= 32, frequencyOffset + (count * frequencyBits + 7) / 8 <= data + end else { return fail() }
        // Gaps packed LSB first: each read is 8 bytes from the byte holding its first bit (the padding after
        // the lists keeps the last read inside the file).
        let mask: UInt64 = (1 << UInt64(gapBits)) - 1
        var previous = block == 0 ? Int64(-1) : Int64(lastPassage(block - 1))
        var bit = 0
        for index in 0 ..< count {
            let word = load(gapsOffset + bit >> 3, as: UInt64.self)
            previous += 1 + Int64((word >> UInt64(bit & 7)) & mask)
            passages[index] = UInt32(truncatingIfNeeded: previous)
            bit += gapBits
        }
        guard previous < Int64(passageLimit), previous == Int64(lastPassage(block)) else { return fail() }
        self.frequencyOffset = frequencyOffset
        self.frequencyBits = frequencyBits
        self.count = count
        position = 0
        passage = passages[0]
    }

    private mutating func fail() {
        damaged = true
        passage = .max
    }

    /// Moves to the next posting.
    mutating func next() {
        position += 1
        if position < count {
            passage = passages[position]
        } else if block + 1 < blockCount, !damaged {
            load(block + 1)
        } else {
            passage = .max
        }
    }

    /// Calls `body` with each posting from the current one up to passage `end` in the current block, and moves
    /// past them. When the block is used up the cursor stays on its last posting (already given; every later
    /// target lies beyond it) and keeps the block decoded, for `frequencyInBlock`.
    mutating func consume(upTo end: UInt32, _ body: (UInt32, UInt32) -> Void) {
        guard passage != .max else { return }
        while position < count, passages[position] <= end {
            body(passages[position], frequency(at: position))
            position += 1
        }
        if position == count { position = count - 1 }
        passage = passages[position]
    }

    /// The term's frequency in passage `target` if the decoded block holds it.
    func frequencyInBlock(at target: UInt32) -> UInt32? {
        guard count > 0, !damaged else { return nil }
        var (low, high) = (0, count)
        while low < high {
            let middle = (low + high) / 2
            if passages[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low < count && passages[low] == target ? frequency(at: low) : nil
    }

    /// The first block from `from` whose last passage is at least `target` (galloping over the headers), or
    /// `blockCount`.
    private func blockReaching(_ target: UInt32, from: Int) -> Int {
        var low = from
        var step = 1
        var high = from
        while high < blockCount, lastPassage(high) < target {
            low = high + 1
            high += step
            step *= 2
        }
        high = min(high, blockCount)
        while low < high {
            let middle = (low + high) / 2
            if lastPassage(middle) < target { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Moves to the first posting at or after passage `target`.
    mutating func advance(to target: UInt32) {
        if passage >= target { return }
        if target > lastPassage(block) {
            let next = blockReaching(target, from: block + 1)
            if next >= blockCount { passage = .max; return }
            load(next)
            if damaged { return }
        }
        while passages[position] < target { position += 1 }
        passage = passages[position]
    }

    /// The block holding this list's postings from `target` on (from the current one when the cursor is past
    /// `target`): the most the term gives a passage there — idf × the block's largest share — and the block's
    /// last passage; `(0, UInt32.max)` past the end. Reads only block headers.
    mutating func blockBound(at target: UInt32) -> (bound: Double, last: UInt32) {
        shallow = blockReaching(target, from: max(shallow, block))
        guard shallow < blockCount else { return (0, .max) }
        let at = headers + shallow * KeywordIndex.blockHeaderSize
        return (idf * Double(load(at + 12, as: Float.self)), load(at, as: UInt32.self))
    }
}
