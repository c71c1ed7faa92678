import Foundation
import KorEncoder
import KorSearchCore

/// Finds a model given as a folder path or as a Hugging Face hub id (`ORG/NAME`, optionally `@REVISION`): in
/// the shared Hugging Face cache first, so a model Python tools already downloaded is reused, else downloaded.
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

    /// A hub id split into repository and revision (`ORG/NAME@REVISION`, revision `main` by default); nil when
    /// the text is not of that form.
    public static func hubId(_ spec: String) -> (repository: String, revision: String)? {
        let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
        guard let repository = parts.first else { return nil }
        let names = repository.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard names.count == 2, names.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") && $0.unicodeScalars.allSatisfy(allowed.contains) })
        else { return nil }
        let revision = parts.count > 1 ? parts[1] : "main"
        guard !revision.isEmpty, !revision.contains(".."), !revision.hasPrefix("/") else { return nil }
        return (repository, revision)
    }

    /// The folder of a model: the path itself when it is a folder, else the snapshot of a hub id in the
    /// Hugging Face cache, downloaded first when it is not there (unless `HF_HUB_OFFLINE` is set).
    public static func resolve(_ spec: String, hub: ModelHub = ModelHub()) throws -> URL {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory), isDirectory.boolValue {
            return URL(fileURLWithPath: spec)
        }
        guard let id = hubId(spec) else {
            if FileManager.default.fileExists(atPath: spec) {
                throw KorSearchError(.invalidArgument, "model \(spec) is a file, not a model folder (config.json, weights, spm.model)")
            }
            throw KorSearchError(
                .modelNotFound, "model \(spec) is neither a folder nor a hub id such as \(defaultModel): the folder does not exist")
        }
        return try hub.snapshot(id.repository, revision: id.revision)
    }

    /// Loads a cross-encoder reranker given by folder or hub id.
    public static func loadReranker(_ spec: String, precision: Precision = .fp32, hub: ModelHub = ModelHub()) throws -> Reranker {
        Reranker(model: try CrossEncoder(modelDirectory: try resolve(spec, hub: hub), precision: precision), name: spec)
    }

    /// Loads the embedder and identity of a model given by folder or hub id.
    public static func load(
        _ spec: String, maxLength: Int? = nil, precision: Precision = .fp32,
        hub: ModelHub = ModelHub()
    ) throws -> (embedder: Embedder, identity: ModelIdentity) {
        let folder = try resolve(spec, hub: hub)
        let embedder = try Embedder(modelDirectory: folder, maxLength: maxLength, precision: precision)
        // A folder is recorded as an absolute path (an index opened from another folder still finds it); a hub
        // id as the id.
        var isDirectory: ObjCBool = false
        let isFolder = FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory) && isDirectory.boolValue
        let id = isFolder ? URL(fileURLWithPath: spec).standardizedFileURL.path : spec
        var identity = try ModelIdentity(id: id, directory: folder, dimension: embedder.dimension)
        identity.precision = precision
        identity.pooling = embedder.pooling.rawValue
        identity.queryPrompt = embedder.prompts.query
        identity.passagePrompt = embedder.prompts.passage
        return (embedder, identity)
    }
}
