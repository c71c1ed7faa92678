import Crypto
import Foundation
import KorEncoder

/// What an index records about the model that built it, so that opening it with another model is an error
/// rather than silent garbage.
public struct ModelIdentity: Sendable, Equatable {
    /// The name the user gave (a hub id or a folder path).
    public var id: String
    /// SHA-256 over config.json, the tokenizer (a WordPiece vocabulary with its options), a sentence-transformers
    /// folder's module, pooling, prompt and Dense files, and the weight file's size and first and last MiB: cheap to compute at every open, and different
    /// for any other model (a folder without sentence-transformers files hashes as before they were read).
    public var fingerprint: String
    /// Embedding dimension (the hidden size).
    public var dimension: Int
    /// Pooling of the last hidden state (`Pooling`'s raw value): "mean" (over all tokens, [CLS] and [SEP]
    /// included) unless a sentence-transformers folder says otherwise.
    public var pooling = "mean"
    /// The prompts the model puts before queries and passages (a sentence-transformers folder's; empty when none).
    public var queryPrompt = ""
    public var passagePrompt = ""
    /// Normalization of pooled vectors: always "l2".
    public var normalization = "l2"
    /// Numeric precision of the forward pass (fp32, bf16 or int8). An index records the one that built it and
    /// queries default to it; the vectors of all three are close (cosine ≥ 0.99), so searching with another
    /// is allowed, while adding to the index at another precision is not.
    public var precision = Precision.fp32

    /// A model's name to show people and API clients, from the name the user gave: a hub id as it is
    /// (`BAAI/bge-m3`, revision dropped), a folder in a Hugging Face cache as its hub id
    /// (`…/models--BAAI--bge-m3/snapshots/…` → `BAAI/bge-m3`), any other folder by its own name — never a
    /// server's path.
    public static func displayName(_ id: String) -> String {
        let parts = id.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if let cached = parts.first(where: { $0.hasPrefix("models--") }) {
            let name = cached.dropFirst("models--".count).components(separatedBy: "--")
            if name.count >= 2 { return name.joined(separator: "/") }
        }
        let isPath = id.hasPrefix("/") || id.hasPrefix(".") || id.hasPrefix("~") || parts.count != 2 || FileManager.default.fileExists(atPath: id)
        if !isPath { return String(id.split(separator: "@").first ?? Substring(id)) }
        return parts.last(where: { $0 != "." && $0 != ".." }) ?? id
    }

    /// The identity of a model folder.
    public init(id: String, directory: URL, dimension: Int) throws {
        self.id = id
        self.dimension = dimension
        let files = try ModelFiles(directory: directory)
        var hasher = SHA256()
        // The Dense modules' folders (`2_Dense`, ...) and their weights, small next to the model's.
        let denseFolders = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix("_Dense") }.sorted()
        let denseFiles = denseFolders.flatMap { folder in
            ["config.json", "model.safetensors", "pytorch_model.bin"].map { directory.appendingPathComponent(folder).appendingPathComponent($0) }
        }
        let stackFiles =
            ["modules.json", "1_Pooling/config.json", "sentence_bert_config.json", "config_sentence_transformers.json"].map {
                directory.appendingPathComponent($0)
            } + denseFiles
        // A WordPiece vocabulary's normalization (lowercasing, accents) is in tokenizer_config.json.
        var tokenizerFiles = [files.tokenizer.url]
        if case .wordPieceVocabulary = files.tokenizer { tokenizerFiles.append(directory.appendingPathComponent("tokenizer_config.json")) }
        for url in [files.config] + tokenizerFiles + stackFiles {
            hasher.update(data: (try? Data(contentsOf: url)) ?? Data())
        }
        let handle = try FileHandle(forReadingFrom: files.weights)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        hasher.update(data: Data("\(files.weights.lastPathComponent):\(size)".utf8))
        try handle.seek(toOffset: 0)
        hasher.update(data: try handle.read(upToCount: 1 << 20) ?? Data())
        try handle.seek(toOffset: size > (1 << 20) ? size - (1 << 20) : 0)
        hasher.update(data: try handle.read(upToCount: 1 << 20) ?? Data())
        fingerprint = hasher.finalize().hexString
    }

    /// Throws when an index's meta records another model.
    func check(against meta: IndexMeta, index: IndexLocation) throws {
        if meta.modelFingerprint != fingerprint || meta.dimension != dimension {
            throw KorSearchError(
                .modelMismatch,
                "index \(index) was built by model \(meta.modelId) (fingerprint \(meta.modelFingerprint.prefix(12))), not by \(id) (fingerprint \(fingerprint.prefix(12))); use that model, or index into a new \(index.newHint)"
            )
        }
    }
}
