import Foundation
import KorSearchCore

#if canImport(Glibc)
import Glibc
#endif

/// Passages' keyword terms gathered in memory, in chunk id order, until they are written into a keyword
/// index file: each term once, and per term its postings (passage, frequency) in one `UInt64` each.
final class KeywordPostings {
    private(set) var chunkIds: [Int64] = []
    private(set) var lengths: [UInt32] = []
    private(set) var terms: [String] = []
    /// Per term: (passage number here << 32) | frequency, ascending.
    private(set) var lists: [[UInt64]] = []
    private var termIds: [String: Int32] = [:]
    private var scratch: [Int32] = []
    /// Whether a passage came with a chunk id not above the one before (the merge then cannot append).
    private(set) var outOfOrder = false

    var isEmpty: Bool { chunkIds.isEmpty }

    /// Adds a passage's terms (as `KeywordTerms.terms` gives them; repeats count).
    func add(chunkId: Int64, terms passageTerms: [String]) {
        if let last = chunkIds.last, chunkId <= last { outOfOrder = true }
        scratch.removeAll(keepingCapacity: true)
        for term in passageTerms {
            if let id = termIds[term] {
                scratch.append(id)
            } else {
                let id = Int32(terms.count)
                termIds[term] = id
                terms.append(term)
                lists.append([])
                scratch.append(id)
            }
        }
        scratch.sort()
        let passage = UInt64(chunkIds.count) << 32
        var index = 0
        while index < scratch.count {
            var end = index + 1
            while end < scratch.count, scratch[end] == scratch[index] { end += 1 }
            lists[Int(scratch[index])].append(passage | UInt64(end - index))
            index = end
        }
        chunkIds.append(chunkId)
        lengths.append(UInt32(clamping: passageTerms.count))
    }
}

/// Writes keyword index files (see `KeywordIndex` for the layout).
enum KeywordIndexFile {
    /// Thrown when new passages do not all come after the base file's (the caller then rebuilds from the catalog).
    struct OutOfOrder: Error {}

    /// Writes to `url` (atomically: a temporary file beside it, fsync, rename) the passages of `base` minus
    /// the chunk ids in `removing`, followed by `adding`'s (minus `removing` too). Every list is re-encoded:
    /// block bounds depend on the average length, which every change moves.
    static func write(to url: URL, base: KeywordIndex?, removing: Set<Int64>, adding: KeywordPostings) throws {
        if adding.outOfOrder { throw OutOfOrder() }
        // Passage numbers of the new file for the base's and the added passages (-1: removed).
        var chunkIds: [Int64] = []
        var lengths: [UInt32] = []
        var baseMap = [Int32](repeating: -1, count: base?.passages ?? 0)
        if let base {
            for passage in 0 ..< base.passages where !removing.contains(base.chunkId(passage)) {
                baseMap[passage] = Int32(chunkIds.count)
                chunkIds.append(base.chunkId(passage))
                lengths.append(base.length(passage))
            }
        }
        var addedMap = [Int32](repeating: -1, count: adding.chunkIds.count)
        for (passage, id) in adding.chunkIds.enumerated() where !removing.contains(id) {
            if let last = chunkIds.last, id <= last { throw OutOfOrder() }
            addedMap[passage] = Int32(chunkIds.count)
            chunkIds.append(id)
            lengths.append(adding.lengths[passage])
        }
        guard chunkIds.count < Int(UInt32.max) else {
            throw KorSearchError(.invalidArgument, "the keyword index holds at most \(UInt32.max - 1) passages")
        }
        let totalTokens = lengths.reduce(UInt64(0)) { $0 + UInt64($1) }
        let average = chunkIds.isEmpty ? 1 : Double(totalTokens) / Double(chunkIds.count)
        let norms = lengths.map { BM25.lengthNorm($0, average: average) }

        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        let output = try BufferedOutput(temporary)
        do {
            output.append(zeros: KeywordIndex.headerSize)
            let docIdsOffset = output.offset
            for id in chunkIds { output.append(id) }
            let lengthsOffset = output.offset
            for length in lengths { output.append(length) }
            output.align(8)
            let postingsOffset = output.offset

            var table: [UInt8] = []
            var names: [UInt8] = []
            var termCount = 0
            var encoder = ListEncoder()
            var postings: [UInt64] = []
            let blockBuffer = UnsafeMutablePointer<UInt32>.allocate(capacity: KeywordIndex.blockSize)
            defer { blockBuffer.deallocate() }
            func emit(_ name: UnsafeRawBufferPointer) throws {
                guard !postings.isEmpty else { return }
                output.align(4)
                let start = output.offset - postingsOffset
                let (length, blocks, bound) = encoder.encode(postings, norms: norms, into: output)
                table.append(UInt64(names.count))
                table.append(UInt64(start))
                table.append(UInt64(length))
                table.append(UInt32(name.count))
                table.append(UInt32(postings.count))
                table.append(UInt32(blocks))
                table.append(bound.bitPattern)
                names.append(contentsOf: name)
                termCount += 1
                try output.flushIfFull()
            }
            // The merged term order: the base's table is sorted by bytes; the added terms are sorted the same way.
            let added = adding.terms.indices.map { (id: $0, bytes: Array(adding.terms[$0].utf8)) }
                .sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
            var next = 0
            func appendAdded(_ id: Int) {
                for posting in adding.lists[id] {
                    let mapped = addedMap[Int(posting >> 32)]
                    if mapped >= 0 { postings.append(UInt64(mapped) << 32 | (posting & 0xFFFF_FFFF)) }
                }
            }
            for term in 0 ..< (base?.termCount ?? 0) {
                let base = base!
                let entry = base.entry(term)
                let name = base.name(entry)
                while next < added.count, added[next].bytes.withUnsafeBytes({ KeywordIndex.compare($0, name) < 0 }) {
                    postings.removeAll(keepingCapacity: true)
                    appendAdded(added[next].id)
                    try added[next].bytes.withUnsafeBytes { try emit($0) }
                    next += 1
                }
                postings.removeAll(keepingCapacity: true)
                var cursor = PostingCursor(base, entry, idf: 0, position: 0, buffer: blockBuffer)
                while cursor.passage != .max {
                    let mapped = baseMap[Int(cursor.passage)]
                    if mapped >= 0 { postings.append(UInt64(mapped) << 32 | UInt64(cursor.frequencyHere)) }
                    cursor.next()
                }
                if cursor.damaged {
                    throw KorSearchError(.corruptIndex, "\(base.url.path) holds a damaged posting list")
                }
                if next < added.count, added[next].bytes.withUnsafeBytes({ KeywordIndex.compare($0, name) == 0 }) {
                    appendAdded(added[next].id)
                    next += 1
                }
                try emit(name)
            }
            while next < added.count {
                postings.removeAll(keepingCapacity: true)
                appendAdded(added[next].id)
                try added[next].bytes.withUnsafeBytes { try emit($0) }
                next += 1
            }
            // Blocks are read 8 bytes at a time: what follows the last one is padding, not the end of the file.
            output.append(zeros: 8)
            let postingsLength = output.offset - postingsOffset
            output.align(8)
            let termTableOffset = output.offset
            output.append(bytes: table)
            let termBytesOffset = output.offset
            output.append(bytes: names)

            var header: [UInt8] = KeywordIndex.magic
            header.append(UInt32(KeywordIndex.format))
            header.append(UInt32(KeywordTerms.version))
            for field in [
                chunkIds.count, termCount, Int(totalTokens), docIdsOffset, lengthsOffset, postingsOffset,
                postingsLength, termTableOffset, termBytesOffset, names.count,
            ] {
                header.append(UInt64(field))
            }
            try output.finish(header: header)
        } catch {
            output.abandon()
            throw error
        }
        try AtomicFile.syncAndRename(temporary, to: url, role: "the keyword index")
    }
}

/// Encodes one posting list: blocks of 128, each header then all the data. A block's data: the bit width
/// of its gaps and of its frequencies less one (a byte each), then the gaps (passage − previous − 1) and
/// the frequencies less one, each packed at that width, least significant bit first.
private struct ListEncoder {
    private var headers: [UInt8] = []
    private var data: [UInt8] = []

    /// Appends the encoded list to `output`; returns its length, block count and largest share bound.
    mutating func encode(_ postings: [UInt64], norms: [Double], into output: BufferedOutput) -> (Int, Int, Float) {
        headers.removeAll(keepingCapacity: true)
        data.removeAll(keepingCapacity: true)
        var previous: Int64 = -1
        var listBound: Float = 0
        var blocks = 0
        var start = 0
        var gaps: [UInt64] = []
        var frequencies: [UInt64] = []
        while start < postings.count {
            let end = min(postings.count, start + KeywordIndex.blockSize)
            let dataOffset = data.count
            var blockBound: Float = 0
            gaps.removeAll(keepingCapacity: true)
            frequencies.removeAll(keepingCapacity: true)
            for posting in postings[start ..< end] {
                let passage = Int64(posting >> 32)
                let frequency = UInt32(truncatingIfNeeded: posting)
                gaps.append(UInt64(passage - previous - 1))
                frequencies.append(UInt64(frequency - 1))
                previous = passage
                blockBound = max(blockBound, BM25.bound(frequency: frequency, lengthNorm: norms[Int(posting >> 32)]))
            }
            let gapBits = ListEncoder.width(gaps.max()!), frequencyBits = ListEncoder.width(frequencies.max()!)
            data.append(UInt8(gapBits))
            data.append(UInt8(frequencyBits))
            ListEncoder.pack(gaps, bits: gapBits, into: &data)
            ListEncoder.pack(frequencies, bits: frequencyBits, into: &data)
            headers.append(UInt32(previous))
            headers.append(UInt32(dataOffset))
            headers.append(UInt32(end - start))
            headers.append(blockBound.bitPattern)
            listBound = max(listBound, blockBound)
            blocks += 1
            start = end
        }
        output.append(bytes: headers)
        output.append(bytes: data)
        return (headers.count + data.count, blocks, listBound)
    }

    /// The bits `value` needs (0 for 0).
    static func width(_ value: UInt64) -> Int { 64 - value.leadingZeroBitCount }

    /// Appends `values` (each below 2^bits, bits ≤ 32) packed at `bits` each, least significant bit first,
    /// in whole bytes. Fewer than 8 bits wait between values, so 7 + 32 always fit the accumulator.
    static func pack(_ values: [UInt64], bits: Int, into data: inout [UInt8]) {
        var accumulator: UInt64 = 0
        var filled = 0
        for value in values {
            accumulator |= value << UInt64(filled)
            filled += bits
            while filled >= 8 {
                data.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                filled -= 8
            }
        }
        if filled > 0 { data.append(UInt8(truncatingIfNeeded: accumulator)) }
    }
}

/// A file written front to back through a buffer, its header written last.
private final class BufferedOutput {
    private let url: URL
    private let descriptor: Int32
    private var closed = false
    private var buffer: [UInt8] = []
    private(set) var offset = 0

    init(_ url: URL) throws {
        self.url = url
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw KorSearchError(.catalog, "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(8 << 20)
    }

    func append<T: FixedWidthInteger>(_ value: T) {
        buffer.append(value)
        offset += MemoryLayout<T>.size
    }

    func append<C: Collection>(bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        offset += bytes.count
    }

    func append(zeros count: Int) { append(bytes: repeatElement(UInt8(0), count: count)) }

    func align(_ alignment: Int) {
        let padding = (alignment - offset % alignment) % alignment
        if padding > 0 { append(zeros: padding) }
    }

    func flushIfFull() throws { if buffer.count >= 8 << 20 { try flush() } }

    private func flush() throws {
        var written = 0
        while written < buffer.count {
            let result = buffer.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw KorSearchError(.catalog, "cannot write \(url.path): \(String(cString: strerror(errno)))")
            }
            written += result
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered, then `header` at the start, and closes.
    func finish(header: [UInt8]) throws {
        try flush()
        let result = header.withUnsafeBytes { pwrite(descriptor, $0.baseAddress!, $0.count, 0) }
        closed = true
        guard result == header.count, close(descriptor) == 0 else {
            throw KorSearchError(.catalog, "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    func abandon() {
        if !closed { close(descriptor) }
        unlink(url.path)
    }
}

extension Array where Element == UInt8 {
    /// Appends a fixed-width integer's little-endian bytes.
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

}
