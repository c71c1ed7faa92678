import CSentencePiece
import Foundation

/// A SentencePiece model loaded through libsentencepiece: the model's own normalizer (its NFKC character
/// map) and segmentation, exactly as `spm.encode` gives them. Encoding is thread-safe.
public final class SentencePieceModel: @unchecked Sendable {
    private let handle: OpaquePointer

    /// Loads a serialized model such as `spm.model`.
    public init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw EncoderError(.missingFile, "tokenizer model \(url.path) does not exist")
        }
        var error: UnsafeMutablePointer<CChar>?
        guard let handle = ks_spm_load(url.path, &error) else {
            let reason = error.map { String(cString: $0) } ?? "unknown error"
            ks_spm_free_string(error)
            throw EncoderError(.tokenizer, "cannot load SentencePiece model \(url.path): \(reason)")
        }
        self.handle = handle
    }

    /// Loads a model from its serialized ModelProto (as `UnigramTokenizerJSON` builds one); `source` names it in
    /// errors.
    public init(serializedModel: Data, source: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let loaded = serializedModel.withUnsafeBytes { bytes in
            ks_spm_load_proto(bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count, &error)
        }
        guard let loaded else {
            let reason = error.map { String(cString: $0) } ?? "unknown error"
            ks_spm_free_string(error)
            throw EncoderError(.tokenizer, "cannot load the SentencePiece model built from \(source): \(reason)")
        }
        handle = loaded
    }

    deinit { ks_spm_free(handle) }

    /// Number of pieces in the vocabulary.
    public var vocabularySize: Int { Int(ks_spm_vocab_size(handle)) }

    /// The id of the unknown piece.
    public var unknownId: Int32 { ks_spm_unk_id(handle) }

    /// The id of a piece, or nil when the vocabulary has no such piece.
    public func id(ofPiece piece: String) -> Int32? {
        let id = ks_spm_piece_id(handle, piece)
        return id < 0 ? nil : id
    }

    /// The piece ids of a text (no special tokens added).
    public func encode(_ text: String) throws -> [Int32] {
        var utf8 = Array(text.utf8)
        if utf8.isEmpty { return [] }
        var ids: UnsafeMutablePointer<Int32>?
        var count = 0
        var error: UnsafeMutablePointer<CChar>?
        let status = utf8.withUnsafeMutableBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                ks_spm_encode(handle, $0, bytes.count, &ids, &count, &error)
            }
        }
        guard status == 0, let ids else {
            let reason = error.map { String(cString: $0) } ?? "unknown error"
            ks_spm_free_string(error)
            throw EncoderError(.tokenizer, "SentencePiece could not encode the text: \(reason)")
        }
        defer { ks_spm_free_ids(ids) }
        return Array(UnsafeBufferPointer(start: ids, count: count))
    }

    /// The piece ids of a text with each piece's span in it, in Unicode scalars (Python `str` indices):
    /// where a passage can be cut between pieces without tokenizing it again.
    public func encodeWithSpans(_ text: String) throws -> [(id: Int32, span: Range<Int>)] {
        var utf8 = Array(text.utf8)
        if utf8.isEmpty { return [] }
        var ids: UnsafeMutablePointer<Int32>?
        var begins: UnsafeMutablePointer<UInt32>?
        var ends: UnsafeMutablePointer<UInt32>?
        var count = 0
        var error: UnsafeMutablePointer<CChar>?
        let status = utf8.withUnsafeMutableBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                ks_spm_encode_spans(handle, $0, bytes.count, &ids, &begins, &ends, &count, &error)
            }
        }
        guard status == 0, let ids, let begins, let ends else {
            let reason = error.map { String(cString: $0) } ?? "unknown error"
            ks_spm_free_string(error)
            throw EncoderError(.tokenizer, "SentencePiece could not encode the text: \(reason)")
        }
        defer {
            ks_spm_free_ids(ids)
            ks_spm_free_spans(begins)
            ks_spm_free_spans(ends)
        }
        return (0 ..< count).map { (ids[$0], Int(begins[$0]) ..< max(Int(begins[$0]), Int(ends[$0]))) }
    }
}
