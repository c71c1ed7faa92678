import Crypto
import Foundation
import KorEncoder
import KorSearchCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where and how the Hugging Face hub is reached, from the same environment variables Python's tools read.
public struct HubSettings: Sendable {
    /// `$HF_ENDPOINT`, default `https://huggingface.co`.
    public var endpoint: URL
    /// `$HF_TOKEN`, sent as a bearer token.
    public var token: String?
    /// The shared cache (`$HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub`).
    public var cache: URL
    /// `$HF_HUB_OFFLINE=1`: use the cache only.
    public var offline: Bool

    /// Settings from an environment (the process's by default).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        endpoint = URL(string: environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co")!
        token = environment["HF_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        cache = ModelLocator.hubCache(environment: environment)
        offline = ["1", "true", "yes", "on"].contains((environment["HF_HUB_OFFLINE"] ?? "").lowercased())
    }
}

/// One file of a cached model snapshot.
public struct HubFile: Sendable, Equatable {
    public var name: String
    public var size: Int64
    /// The blob's ETag: the sha256 of large (LFS) files, the git blob sha1 of small ones.
    public var etag: String
}

/// Downloads models from the Hugging Face hub into the shared cache, in the layout Python's tools use
/// (`models--ORG--NAME/refs/REV`, `snapshots/COMMIT/FILE` → `blobs/ETAG`), so either side reuses what the
/// other fetched. Only the files the encoder needs are fetched; downloads resume, are checked against the
/// hub's ETag (sha256 for large files), and are placed atomically.
public final class ModelHub: @unchecked Sendable {
    /// The settings in use.
    public let settings: HubSettings
    private let progress: (@Sendable (String, Int64, Int64) -> Void)?

    /// Files every model folder needs; the tokenizer and the weights are looked up separately.
    static let requiredFiles = ["config.json"]
    /// The SentencePiece model, by the names repositories give it (DeBERTa-v2's, XLM-RoBERTa's), else the files of
    /// a fast tokenizer (`tokenizer.json`, WordPiece or Unigram, and BERT's `vocab.txt`, both fetched when there):
    /// one is needed.
    static let tokenizerFiles = ["spm.model", "sentencepiece.bpe.model"]
    static let fastTokenizerFiles = ["tokenizer.json", "vocab.txt"]
    /// The tokenizer's special tokens.
    static let optionalFiles = ["tokenizer_config.json", "special_tokens_map.json"]
    /// A sentence-transformers folder's length and prompts, fetched when it has `modules.json` (with each module's
    /// folder: the Pooling configuration, the Dense layers' configurations and weights).
    static let sentenceTransformerFiles = ["sentence_bert_config.json", "config_sentence_transformers.json"]
    static let weightFiles = ["model.safetensors", "pytorch_model.bin"]

    /// A hub client; `progress` hears (file, bytes so far, total bytes) during downloads.
    public init(settings: HubSettings = HubSettings(), progress: (@Sendable (String, Int64, Int64) -> Void)? = nil) {
        self.settings = settings
        self.progress = progress
    }

    /// The cache folder of a repository.
    public func repositoryFolder(_ repository: String) -> URL {
        settings.cache.appendingPathComponent("models--" + repository.replacingOccurrences(of: "/", with: "--"))
    }

    /// The cached snapshot of a repository at a revision, when it holds a config and weights.
    public func cachedSnapshot(_ repository: String, revision: String = "main") -> URL? {
        let folder = repositoryFolder(repository)
        var commit = revision
        if let ref = try? String(contentsOf: folder.appendingPathComponent("refs/\(revision)"), encoding: .utf8) {
            commit = ref.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let snapshot = folder.appendingPathComponent("snapshots/\(commit)")
        let fileManager = FileManager.default
        guard Self.requiredFiles.allSatisfy({ fileManager.fileExists(atPath: snapshot.appendingPathComponent($0).path) }),
            (Self.tokenizerFiles + Self.fastTokenizerFiles).contains(where: {
                fileManager.fileExists(atPath: snapshot.appendingPathComponent($0).path)
            }),
            Self.weightFiles.contains(where: { fileManager.fileExists(atPath: snapshot.appendingPathComponent($0).path) })
        else { return nil }
        return snapshot
    }

    /// The snapshot folder of a repository: from the cache, else downloaded (unless offline).
    public func snapshot(_ repository: String, revision: String = "main") throws -> URL {
        if let cached = cachedSnapshot(repository, revision: revision) { return cached }
        if settings.offline {
            throw KorSearchError(
                .hub,
                "model \(repository) is not in the Hugging Face cache (\(settings.cache.path)) and HF_HUB_OFFLINE is set; fetch it once online with `korsearch model fetch \(repository)`"
            )
        }
        return try download(repository, revision: revision)
    }

    /// Downloads what is missing of a repository's snapshot and returns its folder.
    @discardableResult
    public func download(_ repository: String, revision: String = "main") throws -> URL {
        var commit: String?
        var snapshot: URL?
        func fetch(_ name: String, required: Bool) throws -> Bool {
            guard let metadata = try metadata(repository, revision: revision, file: name, required: required) else { return false }
            let found = metadata.commit ?? commit ?? revision
            commit = commit ?? found
            let folder = repositoryFolder(repository)
            let target = folder.appendingPathComponent("snapshots/\(found)")
            snapshot = target
            try place(name, metadata: metadata, repository: repository, snapshot: target, blobs: folder.appendingPathComponent("blobs"))
            return true
        }
        for name in Self.requiredFiles { _ = try fetch(name, required: true) }
        if try !Self.tokenizerFiles.contains(where: { try fetch($0, required: false) }) {
            let fast = try Self.fastTokenizerFiles.map { try fetch($0, required: false) }
            guard fast.contains(true) else {
                throw KorSearchError(
                    .hub,
                    "\(repository) has no tokenizer this engine reads (\((Self.tokenizerFiles + Self.fastTokenizerFiles).joined(separator: ", "))) at \(revision)"
                )
            }
        }
        for name in Self.optionalFiles { _ = try fetch(name, required: false) }
        if try fetch("modules.json", required: false), let snapshot {
            for name in Self.sentenceTransformerFiles { _ = try fetch(name, required: false) }
            for module in try Self.moduleFolders(snapshot.appendingPathComponent("modules.json")) {
                _ = try fetch(module.path + "/config.json", required: false)
                if module.isDense, try !fetch(module.path + "/model.safetensors", required: false) {
                    _ = try fetch(module.path + "/pytorch_model.bin", required: false)
                }
            }
        }
        if try !fetch(Self.weightFiles[0], required: false) {
            guard try fetch(Self.weightFiles[1], required: false) else {
                throw KorSearchError(.hub, "\(repository) has neither model.safetensors nor pytorch_model.bin at \(revision)")
            }
        }
        if let commit, commit != revision {
            let refs = repositoryFolder(repository).appendingPathComponent("refs")
            try FileManager.default.createDirectory(at: refs, withIntermediateDirectories: true)
            try Data(commit.utf8).write(to: refs.appendingPathComponent(revision), options: .atomic)
        }
        return snapshot!
    }

    /// The folders of a `modules.json`'s modules (the transformer at the root has none), and which are Dense.
    static func moduleFolders(_ url: URL) throws -> [(path: String, isDense: Bool)] {
        guard let data = FileManager.default.contents(atPath: url.path), case .array(let modules)? = JSONValue.parse(data) else {
            throw KorSearchError(.hub, "\(url.path) is not a JSON list of modules")
        }
        return modules.compactMap { module in
            guard let fields = module.objectValue, let path = fields["path"]?.stringValue, !path.isEmpty,
                !path.contains(".."), !path.hasPrefix("/")
            else { return nil }
            return (path, fields["type"]?.stringValue?.hasSuffix("Dense") == true)
        }
    }

    /// The files of a cached snapshot with their sizes and blob names.
    public func files(in snapshot: URL) throws -> [HubFile] {
        try FileManager.default.contentsOfDirectory(atPath: snapshot.path).sorted().map { name in
            let url = snapshot.appendingPathComponent(name)
            let blob = url.resolvingSymlinksInPath()
            let size = (try? FileManager.default.attributesOfItem(atPath: blob.path)[.size] as? Int64) ?? 0
            return HubFile(name: name, size: size, etag: blob.lastPathComponent)
        }
    }

    // MARK: HTTP

    struct Metadata {
        var commit: String?
        var etag: String
        var size: Int64?
        /// Where the bytes are: the resolve URL, or the redirect target of a large file.
        var location: URL
    }

    private func request(_ url: URL, method: String) -> URLRequest {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 60)
        request.httpMethod = method
        request.setValue("korsearch/1", forHTTPHeaderField: "User-Agent")
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        if let token = settings.token, url.host == settings.endpoint.host {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        return request
    }

    /// HEAD of a file's resolve URL without following the redirect of large files: the commit, ETag and size.
    func metadata(_ repository: String, revision: String, file: String, required: Bool) throws -> Metadata? {
        var url = settings.endpoint.appendingPathComponent(repository).appendingPathComponent("resolve")
            .appendingPathComponent(revision).appendingPathComponent(file)
        for _ in 0 ..< 5 {
            let (response, _) = try HTTPExchange.run(request(url, method: "HEAD"), followRedirects: false)
            let header = { (name: String) in response.value(forHTTPHeaderField: name) }
            switch response.statusCode {
            case 200, 301, 302, 303, 307, 308:
                let redirect = header("Location").flatMap { URL(string: $0, relativeTo: url)?.absoluteURL }
                guard let rawTag = header("X-Linked-Etag") ?? header("ETag") else {
                    if let redirect, response.statusCode != 200 { url = redirect; continue }  // a renamed repository
                    throw KorSearchError(.hub, "\(url.absoluteString) answered without an ETag; is HF_ENDPOINT a Hugging Face hub?")
                }
                let etag = rawTag.replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                let size = (header("X-Linked-Size") ?? header("Content-Length")).flatMap { Int64($0) }
                return Metadata(
                    commit: header("X-Repo-Commit"), etag: etag, size: size,
                    location: response.statusCode == 200 ? url : (redirect ?? url))
            case 401, 403:
                throw KorSearchError(
                    .hub, "the hub refused \(repository) (\(response.statusCode)): it may be private or gated; set HF_TOKEN to a token with access")
            case 404:
                if required {
                    throw KorSearchError(
                        .hub, "\(repository)@\(revision) has no \(file) on \(settings.endpoint.absoluteString) (404): check the model id and revision"
                    )
                }
                return nil
            default:
                throw KorSearchError(.hub, "the hub answered \(response.statusCode) for \(url.absoluteString)")
            }
        }
        throw KorSearchError(.hub, "too many redirects for \(url.absoluteString)")
    }

    /// Downloads a blob unless the cache has it, checks it, and links it into the snapshot.
    private func place(_ name: String, metadata: Metadata, repository: String, snapshot: URL, blobs: URL) throws {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: blobs, withIntermediateDirectories: true)
        try fileManager.createDirectory(at: snapshot, withIntermediateDirectories: true)
        guard !metadata.etag.contains("/"), !metadata.etag.contains(".."), !metadata.etag.isEmpty else {
            throw KorSearchError(.hub, "the hub sent an unusable ETag for \(name)")
        }
        let blob = blobs.appendingPathComponent(metadata.etag)
        if !fileManager.fileExists(atPath: blob.path) {
            let partial = blobs.appendingPathComponent(metadata.etag + ".incomplete")
            try HTTPExchange.download(request(metadata.location, method: "GET"), to: partial, expectedSize: metadata.size) { done, total in
                self.progress?(name, done, total)
            }
            do {
                try Self.verify(partial, etag: metadata.etag, size: metadata.size, name: name)
            } catch {
                try? fileManager.removeItem(at: partial)
                throw error
            }
            try AtomicFile.syncAndRename(partial, to: blob, role: "the downloaded model file", kind: .hub)
        }
        // A file in a subfolder (`1_Pooling/config.json`) links one level further up, as the hub's cache does.
        let link = snapshot.appendingPathComponent(name)
        try fileManager.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? fileManager.removeItem(at: link)
        let up = String(repeating: "../", count: 2 + name.split(separator: "/").count - 1)
        try fileManager.createSymbolicLink(atPath: link.path, withDestinationPath: up + "blobs/\(metadata.etag)")
    }

    /// Checks a downloaded file against its ETag: sha256 for LFS files (64 hex digits), git's blob sha1 for
    /// small files (40 hex digits), and its size when known.
    static func verify(_ url: URL, etag: String, size: Int64?, name: String) throws {
        let data = try Data(contentsOf: url, options: .mappedIfSafe)
        if let size, Int64(data.count) != size {
            throw KorSearchError(.hub, "\(name): downloaded \(data.count) bytes, the hub announced \(size); nothing was kept")
        }
        let isHex = etag.allSatisfy(\.isHexDigit)
        if etag.count == 64, isHex, SHA256.hash(data: data).hexString != etag.lowercased() {
            throw KorSearchError(.hub, "\(name): the sha256 of the download does not match the hub's ETag \(etag.prefix(12))…; nothing was kept")
        }
        if etag.count == 40, isHex {
            var hasher = Insecure.SHA1()
            hasher.update(data: Data("blob \(data.count)\u{0}".utf8))
            hasher.update(data: data)
            if hasher.finalize().hexString != etag.lowercased() {
                throw KorSearchError(.hub, "\(name): the download does not match the hub's ETag \(etag.prefix(12))…; nothing was kept")
            }
        }
    }
}
