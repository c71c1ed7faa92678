import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Decodes the bytes of a text file the way Korean finance systems write them: UTF-8 with or without BOM,
/// UTF-16 with BOM, or CP949 / EUC-KR (still common in exports), detected in that order.
enum TextDecoding {
    /// The encodings `decode` recognises.
    enum Encoding: String, Sendable {
        case utf8 = "UTF-8"
        case utf16LE = "UTF-16LE"
        case utf16BE = "UTF-16BE"
        case cp949 = "CP949"
    }

    /// Why bytes are not text.
    enum Failure: Error, Equatable {
        case binary
        case undecodable
    }

    /// The text and the encoding it was found in; `.binary` for bytes with NULs outside UTF-16, `.undecodable`
    /// for bytes that are neither UTF-8 nor CP949.
    static func decode(_ data: Data, preferring hint: Encoding? = nil) -> Result<(text: String, encoding: Encoding), Failure> {
        // The bytes in place (a mapped file or an inflated part is not copied before it is decoded).
        data.withUnsafeBytes { raw in decode(raw.bindMemory(to: UInt8.self), preferring: hint) }
    }

    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, preferring hint: Encoding?) -> Result<(text: String, encoding: Encoding), Failure>
    {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return String(validating: UnsafeBufferPointer(rebasing: bytes.dropFirst(3)), as: UTF8.self).map { .success(($0, .utf8)) }
                ?? .failure(.undecodable)
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            guard bytes.count % 2 == 0 else { return .failure(.undecodable) }
            var units: [UInt16] = []
            units.reserveCapacity(bytes.count / 2 - 1)
            for index in stride(from: 2, to: bytes.count, by: 2) {
                let pair =
                    little
                    ? UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
                    : UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
                units.append(pair)
            }
            guard let text = String(validating: units, as: UTF16.self) else { return .failure(.undecodable) }
            return .success((text, little ? .utf16LE : .utf16BE))
        }
        if bytes.prefix(8192).contains(0) { return .failure(.binary) }
        if hint != .cp949, let text = String(validating: bytes, as: UTF8.self) { return .success((text, .utf8)) }
        if let text = iconvDecode(bytes, from: "CP949") { return .success((text, .cp949)) }
        if let text = String(validating: bytes, as: UTF8.self) { return .success((text, .utf8)) }
        return .failure(.undecodable)
    }

    /// Converts bytes of a named encoding to a String through iconv; nil when the bytes are not valid in it.
    /// (A double-byte encoding such as CP949 grows at most 3/2 in UTF-8: the output buffer is twice the input.)
    static func iconvDecode(_ bytes: UnsafeBufferPointer<UInt8>, from encoding: String) -> String? {
        let converter = iconv_open("UTF-8", encoding)
        guard converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        if bytes.isEmpty { return "" }
        var output = [UInt8](repeating: 0, count: bytes.count * 2 + 16)
        let written: Int? = output.withUnsafeMutableBufferPointer { outBuffer in
            var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(mutating: bytes.baseAddress!)
                .assumingMemoryBound(to: CChar.self)
            var inLeft = bytes.count
            var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress!)
                .assumingMemoryBound(to: CChar.self)
            var outLeft = outBuffer.count
            let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
            if result == -1 || inLeft != 0 { return nil }
            return outBuffer.count - outLeft
        }
        guard let written else { return nil }
        return String(validating: output.prefix(written), as: UTF8.self)
    }
}
