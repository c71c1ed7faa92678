import Crypto
import _CryptoExtras

/// The body of an HWP distribution document (배포용 문서), as the HWP 5.0 specification describes it: its sections
/// are `ViewText/SectionN` streams instead of `BodyText/SectionN`, each a `DISTRIBUTE_DOC_DATA` record (tag 28,
/// 256 bytes) followed by the section encrypted with AES-128 in ECB mode. The record's first four bytes are a
/// seed; the rest is scrambled by XOR with bytes from Microsoft C's `rand()` sequence seeded with it (each
/// byte of that sequence, the low 8 bits of one `rand()`, is used for 1–16 positions, as the low 4 bits of the
/// next `rand()` say); the key is the 16 bytes at 4 + (seed mod 16) of the unscrambled record. The decrypted
/// section is then the usual (raw-deflate compressed, when the file header says so) record stream.
///
/// AES comes from swift-crypto (`AES.inversePermute`, one block at a time: the mode is ECB), not from code of
/// ours; the scrambling is the specification's and a few lines. Checked against pyhwp's text of a real
/// distribution document (`Scripts/hwp_distribution_reference.py`).
enum HWPDistribution {
    /// The `DISTRIBUTE_DOC_DATA` record's tag (HWPTAG_BEGIN + 12).
    static let recordTag = 28

    /// A `ViewText/SectionN` stream decrypted: the section's bytes as a `BodyText/SectionN` stream holds them
    /// (still compressed when the file is).
    /// - Throws: `DocumentFailure` when the stream does not start with the key record or its encrypted part is
    ///   not whole 16-byte blocks (a damaged or truncated file).
    static func decrypt(_ stream: [UInt8]) throws -> [UInt8] {
        var records = HWPRecords(stream)
        guard let record = try records.next(), record.tag == recordTag, record.payload.count == 256 else {
            throw DocumentFailure("damaged HWP distribution document: a ViewText section does not start with its key record")
        }
        let key = SymmetricKey(data: self.key(Array(stream[record.payload])))
        let encrypted = stream[record.payload.upperBound...]
        guard encrypted.count % 16 == 0 else {
            throw DocumentFailure(
                "damaged HWP distribution document: a ViewText section is cut off (\(encrypted.count) encrypted bytes, not whole 16-byte blocks)")
        }
        var plain = Array(encrypted)
        var block = [UInt8](repeating: 0, count: 16)
        for start in stride(from: 0, to: plain.count, by: 16) {
            block.replaceSubrange(0 ..< 16, with: plain[start ..< start + 16])
            try AES.inversePermute(&block, key: key)
            plain.replaceSubrange(start ..< start + 16, with: block)
        }
        return plain
    }

    /// The AES key in a `DISTRIBUTE_DOC_DATA` record's 256 bytes.
    static func key(_ record: [UInt8]) -> [UInt8] {
        let data = unscrambled(record)
        let seed = HWPBytes.u32(record, 0)
        let offset = 4 + Int(seed & 0xF)
        return Array(data[offset ..< offset + 16])
    }

    /// The record's bytes after the first four XORed with the seeded `rand()` bytes (an involution: scrambling
    /// is the same operation).
    static func unscrambled(_ record: [UInt8]) -> [UInt8] {
        var data = record
        var state = HWPBytes.u32(record, 0)
        func rand() -> UInt32 {
            // Microsoft C's rand(): a linear congruential generator whose bits 16–30 are the value.
            state = state &* 214013 &+ 2_531_011
            return (state >> 16) & 0x7FFF
        }
        var value: UInt8 = 0
        var left = 0
        for index in data.indices {
            if left == 0 {
                value = UInt8(rand() & 0xFF)
                left = Int(rand() & 0xF) + 1
            }
            if index >= 4 { data[index] ^= value }
            left -= 1
        }
        return data
    }
}
