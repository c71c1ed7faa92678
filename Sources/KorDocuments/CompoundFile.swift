import CKSOlecf
import CKSZlib
import Foundation

/// An OLE compound file (the container of HWP 5.0, old Office formats) read through libolecf: its storages
/// and streams by path, each stream read whole within a byte budget shared by the file.
final class CompoundFile {
    /// libolecf's handles (`libolecf_file_t`, `libolecf_item_t`, `libolecf_error_t` are `intptr_t`).
    private typealias Handle = UnsafeMutablePointer<Int>

    private var file: Handle?
    private var root: Handle?
    /// The format's name, for skip reasons.
    let format: String
    /// The most bytes the streams read and inflated together may take, and how many have so far.
    private let budget: Int64
    private var used: Int64 = 0

    /// Opens a file as a compound file; throws `DocumentFailure` when it is not one.
    init(_ file: DocumentFile, format: String) throws {
        self.format = format
        budget = file.limits.maxInflatedBytes
        var error: Handle?
        defer { if error != nil { libolecf_error_free(&error) } }
        guard libolecf_file_initialize(&self.file, &error) == 1 else {
            throw DocumentFailure("cannot read \(format) file (out of memory)")
        }
        guard libolecf_file_open(self.file, file.url.path, 1 /* LIBOLECF_OPEN_READ */, &error) == 1,
            libolecf_file_get_root_item(self.file, &root, &error) == 1
        else {
            throw DocumentFailure("not a valid \(format) file (not an OLE compound file)")
        }
    }

    deinit {
        if root != nil { libolecf_item_free(&root, nil) }
        if file != nil {
            libolecf_file_close(file, nil)
            libolecf_file_free(&file, nil)
        }
    }

    /// The item at a path of names (`["BodyText", "Section0"]`), or nil when there is none. The caller frees it.
    private func item(_ path: [String]) -> Handle? {
        var current: Handle? = nil
        for name in path {
            var next: Handle?
            let bytes = Array(name.utf8)
            let found = libolecf_item_get_sub_item_by_utf8_name(current ?? root, bytes, bytes.count, &next, nil)
            if current != nil { libolecf_item_free(&current, nil) }
            guard found == 1, next != nil else { return nil }
            current = next
        }
        return current
    }

    /// The names of a storage's children (`["Section0", "Section1"]`); empty when there is no such storage.
    func children(_ path: [String]) -> [String] {
        guard let found = item(path) else { return [] }
        var storage: Handle? = found
        defer { libolecf_item_free(&storage, nil) }
        var count: Int32 = 0
        guard libolecf_item_get_number_of_sub_items(storage, &count, nil) == 1 else { return [] }
        var names: [String] = []
        for index in 0 ..< count {
            var child: Handle?
            guard libolecf_item_get_sub_item(storage, index, &child, nil) == 1, child != nil else { continue }
            defer { libolecf_item_free(&child, nil) }
            var size = 0
            guard libolecf_item_get_utf8_name_size(child, &size, nil) == 1, size > 0, size < 1024 else { continue }
            var name = [UInt8](repeating: 0, count: size)
            guard libolecf_item_get_utf8_name(child, &name, size, nil) == 1 else { continue }
            names.append(String(decoding: name.prefix { $0 != 0 }, as: UTF8.self))
        }
        return names
    }

    /// The bytes of the stream at `path`, or nil when there is none; throws when it would pass the budget or
    /// cannot be read whole.
    func stream(_ path: [String]) throws -> [UInt8]? {
        guard let found = item(path) else { return nil }
        var stream: Handle? = found
        defer { libolecf_item_free(&stream, nil) }
        var size: UInt32 = 0
        guard libolecf_item_get_size(stream, &size, nil) == 1 else { throw damaged(path) }
        try charge(Int64(size), path)
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var read = 0
        while read < bytes.count {
            let n = bytes.withUnsafeMutableBufferPointer { buffer in
                libolecf_stream_read_buffer(stream, buffer.baseAddress! + read, buffer.count - read, nil)
            }
            guard n > 0 else { throw damaged(path) }
            read += n
        }
        return bytes
    }

    /// Inflates a raw-deflate stream (no zlib header), within the same budget.
    func inflate(_ compressed: [UInt8], _ path: [String]) throws -> [UInt8] {
        var output: [UInt8] = []
        let result = RawInflate.inflate(compressed) { chunk in
            if (try? charge(Int64(chunk.count), path)) == nil { return false }
            output.append(contentsOf: chunk)
            return true
        }
        switch result {
        case .finished, .truncated: return output  // a stream cut at its end keeps what it holds
        case .stopped: throw overBudget(path)
        case .damaged: throw damaged(path)
        }
    }

    private func charge(_ bytes: Int64, _ path: [String]) throws {
        if bytes > budget - used { throw overBudget(path) }
        used += bytes
    }

    private func overBudget(_ path: [String]) -> DocumentFailure {
        DocumentFailure(
            "\(format) file holds more than \(DocumentLimits.describe(bytes: budget)), the limit per file (\(path.joined(separator: "/")))")
    }

    private func damaged(_ path: [String]) -> DocumentFailure {
        DocumentFailure("damaged \(format) file: \(path.joined(separator: "/")) cannot be read")
    }
}

/// zlib's raw inflate (RFC 1951, no header), handing out the output in chunks so a caller can stop it.
enum RawInflate {
    enum Result { case finished, truncated, stopped, damaged }

    /// Inflates `input`, calling `output` with each chunk (up to 256 KiB) until it returns false.
    static func inflate(_ input: [UInt8], output: ([UInt8]) -> Bool) -> Result {
        input.withUnsafeBufferPointer { source in inflate(source) { output(Array($0)) } }
    }

    /// Inflates `input` in place, calling `output` with each chunk (up to 256 KiB, valid during the call) until
    /// it returns false. Ends when the stream ends or the input does (`.truncated`): never waits for more.
    static func inflate(_ input: UnsafeBufferPointer<UInt8>, output: (UnsafeBufferPointer<UInt8>) -> Bool) -> Result {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return .damaged }
        defer { inflateEnd(&stream) }
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        // zlib counts input in 32 bits: a larger input is fed in parts.
        var fed = 0
        func feed() {
            let part = min(input.count - fed, Int(UInt32.max))
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + fed })
            stream.avail_in = UInt32(part)
            fed += part
        }
        feed()
        while true {
            let (status, produced, stopped) = chunk.withUnsafeMutableBufferPointer { buffer -> (Int32, Int, Bool) in
                stream.next_out = buffer.baseAddress
                stream.avail_out = UInt32(buffer.count)
                let status = CKSZlib.inflate(&stream, Z_NO_FLUSH)
                let produced = buffer.count - Int(stream.avail_out)
                let stopped = produced > 0 && !output(UnsafeBufferPointer(rebasing: buffer[0 ..< produced]))
                return (status, produced, stopped)
            }
            if stopped { return .stopped }
            switch status {
            case Z_STREAM_END: return .finished
            case Z_OK:
                if stream.avail_in == 0 { if fed < input.count { feed() } else if produced == 0 { return .truncated } }
            case Z_BUF_ERROR:
                guard stream.avail_in == 0 else { return .damaged }
                if fed < input.count { feed() } else { return .truncated }
            default: return .damaged
            }
        }
    }
}
