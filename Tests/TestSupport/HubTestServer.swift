import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on a loopback port that serves a model folder with the Hugging Face hub's URL layout
/// and headers: `/{repo}/resolve/{revision}/{file}` answers small files directly (ETag = git blob sha1) and
/// large files with a 302 to `/cdn/{sha256}` (X-Linked-Etag, X-Linked-Size), which honours Range requests.
public final class HubTestServer: @unchecked Sendable {
    public struct Request: Sendable { public let method: String; public let path: String; public let headers: [String: String] }

    public let folder: URL
    public let repository: String
    public let commit = "0123456789abcdef0123456789abcdef01234567"
    /// Files served through the large-file redirect.
    public let largeFiles: Set<String> = ["model.safetensors", "pytorch_model.bin"]
    /// Repositories that answer 401 without `Authorization: Bearer secret`.
    public var privateRepositories: Set<String> = []
    /// When set, the next CDN download sends this many bytes and drops the connection.
    public var cutNextDownloadAfter: Int?
    /// When set, CDN downloads send bytes that do not match their hash.
    public var corruptDownloads = false
    private(set) var requests: [Request] = []
    public private(set) var port: UInt16 = 0
    private var listener: Int32 = -1
    private let lock = NSLock()

    public init(serving folder: URL, as repository: String) throws {
        self.folder = folder
        self.repository = repository
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [weak self] in self?.serve() }
        thread.start()
    }

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    public var recorded: [Request] { lock.lock(); defer { lock.unlock() }; return requests }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var buffer = [UInt8](repeating: 0, count: 8192)
        var received = Data()
        while !received.contains(Data("\r\n\r\n".utf8)) {
            let count = recv(client, &buffer, buffer.count, 0)
            if count <= 0 { return }
            received.append(contentsOf: buffer[0 ..< count])
        }
        let head = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ").map(String.init)
        guard parts.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let request = Request(method: parts[0], path: parts[1], headers: headers)
        lock.lock(); requests.append(request); lock.unlock()
        respond(to: request, on: client)
    }

    private func send(_ client: Int32, status: String, headers: [String: String], body: Data = Data(), bodyLimit: Int? = nil) {
        var text = "HTTP/1.1 \(status)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        var bytes = Data(text.utf8)
        bytes.append(body.prefix(bodyLimit ?? body.count))
        bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let count = Glibc.send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if count <= 0 { return }
                sent += count
            }
        }
    }

    private func data(_ name: String) -> Data? {
        try? Data(contentsOf: folder.appendingPathComponent(name).resolvingSymlinksInPath())
    }

    private static func hex<D: Sequence<UInt8>>(_ bytes: D) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    private func respond(to request: Request, on client: Int32) {
        if request.path.hasPrefix("/cdn/") {
            let sha = String(request.path.dropFirst("/cdn/".count))
            guard let name = largeFiles.first(where: { data($0).map { Self.hex(SHA256.hash(data: $0)) } == sha }),
                var body = data(name)
            else {
                send(client, status: "404 Not Found", headers: ["Content-Length": "0"])
                return
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
            var limit: Int?
            lock.lock()
            if let cut = cutNextDownloadAfter { limit = cut; cutNextDownloadAfter = nil }
            lock.unlock()
            send(client, status: status, headers: headers, body: request.method == "HEAD" ? Data() : body, bodyLimit: limit)
            return
        }
        // /{org}/{name}/resolve/{revision}/{file}, the file possibly in a subfolder (`1_Pooling/config.json`).
        var components = request.path.split(separator: "/").map(String.init)
        if components.count > 5, !components.contains("..") {
            components = Array(components[0 ..< 4]) + [components[4...].joined(separator: "/")]
        }
        guard components.count == 5, components[2] == "resolve" else {
            send(client, status: "404 Not Found", headers: ["Content-Length": "0"])
            return
        }
        let repo = components[0] + "/" + components[1]
        if privateRepositories.contains(repo), request.headers["authorization"] != "Bearer secret" {
            send(client, status: "401 Unauthorized", headers: ["Content-Length": "0"])
            return
        }
        guard repo == repository || privateRepositories.contains(repo), components[3] == "main" || components[3] == commit,
            let body = data(components[4])
        else {
            send(client, status: "404 Not Found", headers: ["Content-Length": "0", "X-Error-Code": "EntryNotFound"])
            return
        }
        if largeFiles.contains(components[4]) {
            let sha = Self.hex(SHA256.hash(data: body))
            send(
                client, status: "302 Found",
                headers: [
                    "Location": "/cdn/\(sha)", "X-Linked-Etag": "\"\(sha)\"", "X-Linked-Size": "\(body.count)",
                    "X-Repo-Commit": commit, "ETag": "\"not-the-content-hash\"", "Content-Length": "0",
                ])
            return
        }
        var sha1 = Insecure.SHA1()
        sha1.update(data: Data("blob \(body.count)\u{0}".utf8))
        sha1.update(data: body)
        send(
            client, status: "200 OK",
            headers: [
                "ETag": "\"\(Self.hex(sha1.finalize()))\"", "X-Repo-Commit": commit, "Content-Length": "\(body.count)",
            ], body: request.method == "HEAD" ? Data() : body)
    }
}
