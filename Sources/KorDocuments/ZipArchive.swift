import CKSZlib
import Foundation

/// A zip file read from its bytes: the entries its central directory lists (zip64 included), and an entry's
/// bytes stored or inflated through zlib, its CRC-32 checked, handed out in chunks so a caller can stop.
///
/// Written here rather than read through ZIPFoundation (which the tests still use to write zips): on Linux its
/// inflate loop never ends when a damaged deflate stream runs on to the end of the file (the mutation run,
/// `MutationTests`, found a DOCX with flipped bytes that hung a run), and its lookup by path walks the whole
/// directory each time. Every offset and size here is checked against the file before it is used. Shared with the
/// other targets of the package (OpenDART's zips).
package struct ZipArchive {
    /// One entry as the central directory lists it.
    package struct Entry {
        package let path: String
        let method: UInt16
        let flags: UInt16
        let crc: UInt32
        let compressedSize: Int
        package let uncompressedSize: Int64
        let localHeader: Int
    }

    /// Why a zip cannot be read.
    package enum Failure: Error, Equatable {
        /// Not a zip: no end of central directory, or one pointing outside the file.
        case notZip
        /// More entries than the limit.
        case tooManyEntries
        /// The directory or an entry's bytes are damaged (what, for the reason).
        case damaged(String)
        /// The caller stopped the output.
        case stopped
    }

    /// The entries, in directory order.
    package let entries: [Entry]
    private let data: Data

    /// Reads the central directory of `data`; more than `maxEntries` entries is `.tooManyEntries`, checked from
    /// the count the directory declares and again as it is read.
    package init(_ data: Data, maxEntries: Int) throws(Failure) {
        let data = data.startIndex == 0 ? data : Data(data)  // offsets below count from 0
        self.data = data
        let bytes = [UInt8](data.suffix(22 + 65_535))
        let base = data.count - bytes.count
        // The end of central directory record: the last signature whose comment length reaches the end.
        var end: Int?
        var at = bytes.count - 22
        while at >= 0 {
            if ZipArchive.u32(bytes, at) == 0x0605_4B50, at + 22 + Int(ZipArchive.u16(bytes, at + 20)) <= bytes.count {
                end = at
                break
            }
            at -= 1
        }
        guard let end else { throw .notZip }
        var count = Int(ZipArchive.u16(bytes, end + 10))
        var size = Int(ZipArchive.u32(bytes, end + 12))
        var offset = Int(ZipArchive.u32(bytes, end + 16))
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            // zip64: a locator just before the record points to the zip64 end of central directory record.
            let locator = base + end - 20
            guard locator >= 0, ZipArchive.u32(data, locator) == 0x0706_4B50 else { throw .notZip }
            let record = ZipArchive.int(ZipArchive.u64(data, locator + 8))
            guard record >= 0, record + 56 <= data.count, ZipArchive.u32(data, record) == 0x0606_4B50 else { throw .notZip }
            count = ZipArchive.int(ZipArchive.u64(data, record + 32))
            size = ZipArchive.int(ZipArchive.u64(data, record + 40))
            offset = ZipArchive.int(ZipArchive.u64(data, record + 48))
        }
        guard count >= 0, size >= 0, offset >= 0, offset <= data.count, size <= data.count - offset else { throw .notZip }
        if count > maxEntries { throw .tooManyEntries }
        var entries: [Entry] = []
        var position = offset
        let directoryEnd = offset + size
        while position + 46 <= directoryEnd {
            guard ZipArchive.u32(data, position) == 0x0201_4B50 else { throw .damaged("its central directory") }
            let nameLength = Int(ZipArchive.u16(data, position + 28))
            let extraLength = Int(ZipArchive.u16(data, position + 30))
            let commentLength = Int(ZipArchive.u16(data, position + 32))
            let next = position + 46 + nameLength + extraLength + commentLength
            guard next <= directoryEnd else { throw .damaged("its central directory") }
            let name = String(decoding: data[(position + 46) ..< (position + 46 + nameLength)], as: UTF8.self)
            var compressed = Int64(ZipArchive.u32(data, position + 20))
            var uncompressed = Int64(ZipArchive.u32(data, position + 24))
            var local = Int64(ZipArchive.u32(data, position + 42))
            // zip64 sizes and offset, in that order, for the fields that hold 0xFFFFFFFF.
            var extra = position + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = ZipArchive.u16(data, extra)
                let length = Int(ZipArchive.u16(data, extra + 2))
                guard extra + 4 + length <= extraEnd else { break }
                if id == 0x0001 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF, field + 8 <= extra + 4 + length {
                        uncompressed = Int64(bitPattern: ZipArchive.u64(data, field))
                        field += 8
                    }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extra + 4 + length {
                        compressed = Int64(bitPattern: ZipArchive.u64(data, field))
                        field += 8
                    }
                    if local == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { local = Int64(bitPattern: ZipArchive.u64(data, field)) }
                }
                extra += 4 + length
            }
            guard compressed >= 0, uncompressed >= 0, local >= 0, local < data.count, compressed <= data.count else {
                throw .damaged(name)
            }
            entries.append(
                Entry(
                    path: name, method: ZipArchive.u16(data, position + 10), flags: ZipArchive.u16(data, position + 8),
                    crc: ZipArchive.u32(data, position + 16), compressedSize: Int(compressed), uncompressedSize: uncompressed,
                    localHeader: Int(local)))
            if entries.count > maxEntries { throw .tooManyEntries }
            position = next
        }
        self.entries = entries
    }

    /// Hands the bytes of `entry` to `output` in chunks (up to 256 KiB), stored or inflated; throws `.stopped` when
    /// `output` returns false, `.damaged` for bytes that are not the entry (past the file, a broken or unfinished
    /// deflate stream, a CRC-32 that differs, encryption or a method other than stored and deflate).
    package func read(_ entry: Entry, output: (UnsafeBufferPointer<UInt8>) -> Bool) throws(Failure) {
        let header = entry.localHeader
        guard header + 30 <= data.count, ZipArchive.u32(data, header) == 0x0403_4B50 else { throw .damaged(entry.path) }
        let start = header + 30 + Int(ZipArchive.u16(data, header + 26)) + Int(ZipArchive.u16(data, header + 28))
        guard entry.flags & 1 == 0, start <= data.count, entry.compressedSize <= data.count - start else { throw .damaged(entry.path) }
        var crc = CKSZlib.crc32(0, nil, 0)
        let result: RawInflate.Result = data.withUnsafeBytes { raw in
            let source = UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[start ..< start + entry.compressedSize])
            func counted(_ chunk: UnsafeBufferPointer<UInt8>) -> Bool {
                if let base = chunk.baseAddress { crc = CKSZlib.crc32(crc, base, UInt32(chunk.count)) }
                return output(chunk)
            }
            switch entry.method {
            case 0:
                var at = 0
                while at < source.count {
                    let end = min(at + (256 << 10), source.count)
                    if !counted(UnsafeBufferPointer(rebasing: source[at ..< end])) { return .stopped }
                    at = end
                }
                return .finished
            case 8:
                return RawInflate.inflate(source) { counted($0) }
            default:
                return .damaged
            }
        }
        switch result {
        case .finished: break
        case .stopped: throw .stopped
        case .truncated, .damaged: throw .damaged(entry.path)
        }
        if UInt32(crc) != entry.crc { throw .damaged(entry.path) }
    }

    private static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    private static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 { UInt32(u16(bytes, at)) | UInt32(u16(bytes, at + 2)) << 16 }

    /// Little-endian reads from the file (0 past its end).
    private static func u16(_ data: Data, _ at: Int) -> UInt16 {
        guard at >= 0, at + 2 <= data.count else { return 0 }
        return UInt16(data[data.startIndex + at]) | UInt16(data[data.startIndex + at + 1]) << 8
    }
    private static func u32(_ data: Data, _ at: Int) -> UInt32 { UInt32(u16(data, at)) | UInt32(u16(data, at + 2)) << 16 }
    private static func u64(_ data: Data, _ at: Int) -> UInt64 { UInt64(u32(data, at)) | UInt64(u32(data, at + 4)) << 32 }
    /// A 64-bit size or offset as an Int, -1 when it does not fit.
    private static func int(_ value: UInt64) -> Int { value > UInt64(Int.max) ? -1 : Int(value) }
}
