import Foundation
import KorEncoder

/// Finds a model given as a folder path or as a Hugging Face hub id (`ORG/NAME`, optionally `@REVISION`) in
/// the shared Hugging Face cache, so a model Python tools already downloaded is reused.
public enum ModelLocator {
    /// The model KorSearch uses when none is named.
    public static let defaultModel = "lighthouse/mdeberta-v3-base-kor-further"

    /// The Hugging Face hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
    public static func hubCache(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let cache = environment["HF_HUB_CACHE"], !cache.isEmpty { return URL(fileURLWithPath: cache) }
        if let home = environment["HF_HOME"], !home.isEmpty { return URL(fileURLWithPath: home).appendingPathComponent("hub") }
        let user = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        return user.appendingPathComponent(".cache/huggingface/hub")
    }

    /// The folder of a model: the path itself when it is a folder, else the cached snapshot of a hub id.
    public static func resolve(_ spec: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory), isDirectory.boolValue {
            return URL(fileURLWithPath: spec)
        }
        let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
        let repository = parts[0]
        let revision = parts.count > 1 ? parts[1] : "main"
        guard repository.split(separator: "/").count == 2, !repository.hasPrefix("/"), !repository.hasPrefix(".") else {
            throw KorSearchError(.invalidArgument, "model \(spec) is neither a folder nor a hub id such as \(defaultModel)")
        }
        let cache = hubCache(environment: environment)
        let folder = cache.appendingPathComponent("models--" + repository.replacingOccurrences(of: "/", with: "--"))
        var commit = revision
        if let ref = try? String(contentsOf: folder.appendingPathComponent("refs/\(revision)"), encoding: .utf8) {
            commit = ref.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let snapshot = folder.appendingPathComponent("snapshots/\(commit)")
        if FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("config.json").path) {
            return snapshot
        }
        throw KorSearchError(.invalidArgument, "model \(spec) is not a folder and is not in the Hugging Face cache (\(cache.path)); downloading from the hub is not built yet — fetch it once with Python (`huggingface-cli download \(repository)`) or pass --model FOLDER")
    }

    /// Loads the embedder and identity of a model given by folder or hub id.
    public static func load(_ spec: String, maxLength: Int = 512) throws -> (embedder: Embedder, identity: ModelIdentity) {
        let folder = try resolve(spec)
        let embedder = try Embedder(modelDirectory: folder, maxLength: maxLength)
        let identity = try ModelIdentity(id: spec, directory: folder, dimension: embedder.model.config.hiddenSize)
        return (embedder, identity)
    }
}
