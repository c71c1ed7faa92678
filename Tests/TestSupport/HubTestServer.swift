import Crypto
import Foundation

/// A server on a loopback port (`LoopbackHTTPServer`) that serves a model folder with the Hugging Face hub's URL layout
/// and headers: `/{repo}/resolve/{revision}/{file}` answers small files directly (ETag = git blob sha1) and
/// large files with a 302 to `/cdn/{sha256}` (X-Linked-Etag, X-Linked-Size), which honours Range requests.
public final class HubTestServer: @unchecked Sendable {
    public typealias Request = LoopbackHTTPServer.Request

    public let folder: URL
    public let repository: String
    public let commit = "0123456789abcdef0123456789abcdef01234567"
    /// Files served through the large-file redirect.
    public let largeFiles: Set<String> = ["model.safetensors", "pytorch_model.bin"]
    /// Repositories that answer 401 without `Authorization: Bearer secret`.
    public var privateRepositories: Set<String> {
        get { lock.withLock { _privateRepositories } }
        set { lock.withLock { _privateRepositories = newValue } }
    }
    /// When set, the next CDN download sends this many bytes and drops the connection.
    public var cutNextDownloadAfter: Int? {
        get { lock.withLock { _cutNextDownloadAfter } }
        set { lock.withLock { _cutNextDownloadAfter = newValue } }
    }
    /// When set, CDN downloads send bytes that do not match their hash.
    public var corruptDownloads: Bool {
        get { lock.withLock { _corruptDownloads } }
        set { lock.withLock { _corruptDownloads = newValue } }
    }
    private var _privateRepositories: Set<String> = []
    private var _cutNextDownloadAfter: Int?
    private var _corruptDownloads = false
    private let lock = NSLock()
    private var server: LoopbackHTTPServer!

    public init(serving folder: URL, as repository: String) throws {
        self.folder = folder
        self.repository = repository
        server = try LoopbackHTTPServer { [unowned self] request in self.respond(to: request) }
    }

    public var port: UInt16 { server.port }
    public var endpoint: String { server.endpoint }
    public func stop() { server.stop() }
    public var recorded: [Request] { server.recorded }

    private func data(_ name: String) -> Data? {
        try? Data(contentsOf: folder.appendingPathComponent(name).resolvingSymlinksInPath())
    }

    private static func hex<D: Sequence<UInt8>>(_ bytes: D) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    private func respond(to request: Request) -> LoopbackHTTPServer.Response {
        let notFound = LoopbackHTTPServer.Response(status: "404 Not Found", headers: ["Content-Length": "0"])
        if request.path.hasPrefix("/cdn/") {
            let sha = String(request.path.dropFirst("/cdn/".count))
            guard let name = largeFiles.first(where: { data($0).map { Self.hex(SHA256.hash(data: $0)) } == sha }),
                var body = data(name)
            else {
                return notFound
            }
            if corruptDownloads { body[body.count / 2] ^= 0xFF }
            var status = "200 OK"
            var headers = ["Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"]
            if let range = request.headers["range"], range.hasPrefix("bytes="), let start = Int(range.dropFirst(6).split(separator: "-")[0]) {
                headers["Content-Range"] = "bytes \(start)-\(body.count - 1)/\(body.count)"
                body = body.subdata(in: start ..< body.count)
                status = "206 Partial Content"
            }
            headers["Content-Length"] = "\(body.count)"
            let limit: Int? = lock.withLock {
                defer { _cutNextDownloadAfter = nil }
                return _cutNextDownloadAfter
            }
            return .init(status: status, headers: headers, body: request.method == "HEAD" ? Data() : body, bodyLimit: limit)
        }
        // /{org}/{name}/resolve/{revision}/{file}, the file possibly in a subfolder (`1_Pooling/config.json`).
        var components = request.path.split(separator: "/").map(String.init)
        if components.count > 5, !components.contains("..") {
            components = Array(components[0 ..< 4]) + [components[4...].joined(separator: "/")]
        }
        guard components.count == 5, components[2] == "resolve" else { return notFound }
        let repo = components[0] + "/" + components[1]
        if privateRepositories.contains(repo), request.headers["authorization"] != "Bearer secret" {
            return .init(status: "401 Unauthorized", headers: ["Content-Length": "0"])
        }
        guard repo == repository || privateRepositories.contains(repo), components[3] == "main" || components[3] == commit,
            let body = data(components[4])
        else {
            return .init(status: "404 Not Found", headers: ["Content-Length": "0", "X-Error-Code": "EntryNotFound"])
        }
        if largeFiles.contains(components[4]) {
            let sha = Self.hex(SHA256.hash(data: body))
            return .init(
                status: "302 Found",
                headers: [
                    "Location": "/cdn/\(sha)", "X-Linked-Etag": "\"\(sha)\"", "X-Linked-Size": "\(body.count)",
                    "X-Repo-Commit": commit, "ETag": "\"not-the-content-hash\"", "Content-Length": "0",
                ])
        }
        var sha1 = Insecure.SHA1()
        sha1.update(data: Data("blob \(body.count)\u{0}".utf8))
        sha1.update(data: body)
        return .init(
            status: "200 OK",
            headers: [
                "ETag": "\"\(Self.hex(sha1.finalize()))\"", "X-Repo-Commit": commit, "Content-Length": "\(body.count)",
            ], body: request.method == "HEAD" ? Data() : body)
    }
}
