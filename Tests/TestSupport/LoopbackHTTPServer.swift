import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on a loopback port for the fake remote services of the tests (the Hugging Face hub,
/// OpenDART): one connection at a time, each answered by `handler` and closed. Every request is recorded.
public final class LoopbackHTTPServer: @unchecked Sendable {
    /// A request as it arrived.
    public struct Request: Sendable {
        public let method: String
        /// The request target as sent, query included.
        public let path: String
        /// Header names lowercased.
        public let headers: [String: String]

        /// The target without its query.
        public var route: String { String(path.split(separator: "?", maxSplits: 1).first ?? "") }
        /// The query's parameters, percent-decoded.
        public var query: [String: String] {
            var result: [String: String] = [:]
            for item in URLComponents(string: path)?.queryItems ?? [] { result[item.name] = item.value ?? "" }
            return result
        }
    }

    /// An answer: status line text (`200 OK`), headers, body, and how much of the body to send before the
    /// connection is dropped (all when nil).
    public struct Response: Sendable {
        public var status: String
        public var headers: [String: String]
        public var body: Data
        public var bodyLimit: Int?

        public init(status: String = "200 OK", headers: [String: String] = [:], body: Data = Data(), bodyLimit: Int? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            self.bodyLimit = bodyLimit
        }
    }

    public private(set) var port: UInt16 = 0
    private var listener: Int32 = -1
    private let lock = NSLock()
    private var requests: [Request] = []
    private let handler: @Sendable (Request) -> Response

    /// Listens on 127.0.0.1 at a free port and answers with `handler` on a thread of its own.
    public init(handler: @escaping @Sendable (Request) -> Response) throws {
        self.handler = handler
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

    /// `http://127.0.0.1:PORT`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Stops listening.
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// The requests received so far, in order.
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
        let response = handler(request)
        var text = "HTTP/1.1 \(response.status)\r\nConnection: close\r\n"
        for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        var bytes = Data(text.utf8)
        bytes.append(response.body.prefix(response.bodyLimit ?? response.body.count))
        bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let count = Glibc.send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if count <= 0 { return }
                sent += count
            }
        }
    }
}
