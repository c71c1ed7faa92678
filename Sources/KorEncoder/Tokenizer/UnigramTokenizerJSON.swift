import Foundation

/// A `tokenizer.json` whose model is Unigram — what an XLM-RoBERTa repository saved from a fast tokenizer alone
/// ships, with no `sentencepiece.bpe.model` — turned back into the SentencePiece model it was converted from, so
/// libsentencepiece runs it as it runs the original: the pieces and scores in the file's order (its ids, the
/// fairseq specials `<s>` `<pad>` `</s>` `<unk>` first, `<mask>` last, already in place), the `Precompiled`
/// normalizer's character map, whitespace collapsed when the file's normalizers collapse it, and a `▁` put before
/// the text when its `Metaspace` pre-tokenizer prepends one.
///
/// The ModelProto is written field by field here (a handful of protobuf fields: piece, score, type; model type and
/// vocabulary size; the normalizer's map and flags) rather than through a protobuf library, which the package does
/// not otherwise need.
enum UnigramTokenizerJSON {
    /// The serialized SentencePiece model of a Unigram `tokenizer.json`; an error names what it cannot carry over
    /// (another normalizer or pre-tokenizer, byte fallback).
    static func sentencePieceModel(_ fields: [String: JSONValue], source: String) throws -> Data {
        guard let model = fields["model"]?.objectValue, case .array(let vocabulary)? = model["vocab"], !vocabulary.isEmpty else {
            throw EncoderError(.corruptFile, "\(source): a Unigram model needs its vocab")
        }
        if case .bool(true)? = model["byte_fallback"] {
            throw EncoderError(.unsupportedConfiguration, "\(source): a Unigram model with byte fallback is not one this engine runs")
        }
        let unknownId = model["unk_id"]?.intValue ?? 0
        var specials = Set<String>()
        if case .array(let added)? = fields["added_tokens"] {
            for entry in added {
                if let object = entry.objectValue, case .bool(true)? = object["special"], let content = object["content"]?.stringValue {
                    specials.insert(content)
                }
            }
        }
        let normalizer = try normalization(fields["normalizer"], source: source)
        let prefix = try dummyPrefix(fields["pre_tokenizer"], source: source)

        var proto = ProtoWriter()
        for (index, entry) in vocabulary.enumerated() {
            guard case .array(let pair) = entry, pair.count == 2, let piece = pair[0].stringValue, case .number(let score) = pair[1] else {
                throw EncoderError(.corruptFile, "\(source): vocab entry \(index) is not [piece, score]")
            }
            // SentencePiece's types: 1 normal, 2 unknown, 3 control (never matched in text).
            let type = index == unknownId ? 2 : specials.contains(piece) ? 3 : 1
            var entry = ProtoWriter()
            entry.string(1, piece)
            entry.float(2, Float(score))
            entry.varint(3, UInt64(type))
            proto.message(1, entry)
        }
        var trainer = ProtoWriter()
        trainer.varint(3, 1)  // model_type: UNIGRAM
        trainer.varint(4, UInt64(vocabulary.count))
        trainer.varint(40, UInt64(unknownId))
        proto.message(2, trainer)
        var spec = ProtoWriter()
        spec.string(1, normalizer.charsmap.isEmpty ? "identity" : "user_defined")
        spec.bytes(2, normalizer.charsmap)
        spec.varint(3, prefix ? 1 : 0)
        spec.varint(4, normalizer.collapsesWhitespace ? 1 : 0)
        spec.varint(5, 1)  // escape_whitespaces
        proto.message(3, spec)
        return proto.data
    }

    /// The character map of a `Precompiled` normalizer (alone or in a `Sequence`), and whether the sequence
    /// collapses runs of spaces as SentencePiece's `remove_extra_whitespaces` does.
    private static func normalization(_ value: JSONValue?, source: String) throws -> (charsmap: Data, collapsesWhitespace: Bool) {
        var charsmap = Data()
        var collapses = false
        for part in steps(value, listedAs: "normalizers") {
            switch part["type"]?.stringValue {
            case "Precompiled":
                guard let text = part["precompiled_charsmap"]?.stringValue, let data = Data(base64Encoded: text) else {
                    throw EncoderError(.corruptFile, "\(source): the Precompiled normalizer's precompiled_charsmap is not base64")
                }
                charsmap = data
            case "Replace" where part["pattern"]?.objectValue?["Regex"]?.stringValue == " {2,}":
                collapses = true
            case "Strip":
                continue
            case let other:
                throw EncoderError(
                    .unsupportedConfiguration,
                    "\(source): normalizer \(other ?? "unnamed") is not one this engine runs with a Unigram model (Precompiled, whitespace Strip and Replace)"
                )
            }
        }
        return (charsmap, collapses)
    }

    /// The steps of a normalizer or pre-tokenizer: those of a `Sequence` (listed under `key`), else the one.
    private static func steps(_ value: JSONValue?, listedAs key: String) -> [[String: JSONValue]] {
        guard let object = value?.objectValue else { return [] }
        guard object["type"]?.stringValue == "Sequence" else { return [object] }
        if case .array(let list)? = object[key] { return list.compactMap(\.objectValue) }
        return []
    }

    /// Whether the `Metaspace` pre-tokenizer (alone or after a whitespace split) puts `▁` before the text.
    private static func dummyPrefix(_ value: JSONValue?, source: String) throws -> Bool {
        let parts = steps(value, listedAs: "pretokenizers")
        guard let metaspace = parts.first(where: { $0["type"]?.stringValue == "Metaspace" }),
            metaspace["replacement"]?.stringValue ?? "▁" == "▁",
            parts.allSatisfy({ ["Metaspace", "WhitespaceSplit"].contains($0["type"]?.stringValue ?? "") })
        else {
            throw EncoderError(.unsupportedConfiguration, "\(source): a Unigram model's pre-tokenizer must be Metaspace (▁), as SentencePiece's")
        }
        if case .bool(let add)? = metaspace["add_prefix_space"] { return add }
        return metaspace["prepend_scheme"]?.stringValue ?? "always" != "never"
    }
}

/// The few protobuf wire encodings a ModelProto needs.
private struct ProtoWriter {
    private(set) var data = Data()

    private mutating func raw(_ value: UInt64) {
        var value = value
        repeat {
            let byte = UInt8(value & 0x7F)
            value >>= 7
            data.append(value == 0 ? byte : byte | 0x80)
        } while value != 0
    }

    mutating func varint(_ field: Int, _ value: UInt64) {
        raw(UInt64(field << 3))
        raw(value)
    }

    mutating func float(_ field: Int, _ value: Float) {
        raw(UInt64(field << 3 | 5))
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
    }

    mutating func bytes(_ field: Int, _ value: Data) {
        raw(UInt64(field << 3 | 2))
        raw(UInt64(value.count))
        data.append(value)
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Data(value.utf8)) }

    mutating func message(_ field: Int, _ value: ProtoWriter) { bytes(field, value.data) }
}
