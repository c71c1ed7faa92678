import Foundation
import KorDocuments
import KorSearchCore
import KorSearchHub

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client of OpenDART, the Financial Supervisory Service's API over DART: its JSON endpoints and the two that
/// answer with a zip (`corpCode.xml`, `document.xml`), each answer's `status` turned into a `KorSearchError`
/// whose `code` is OpenDART's, requests spaced out and retried within its limits.
///
/// Statuses (OpenDART's guide): `000` done; `010`/`011`/`012`/`901` the key is refused (unregistered, suspended,
/// from an IP not allowed, expired) — `invalidArgument`; `013` nothing matches and `014` no such file — `notFound`;
/// `020` the request limit is reached — retried after `backoff`, then `rateLimited`; `100`/`101` a field OpenDART
/// refuses — `invalidArgument`; `800` maintenance, `900` an undefined failure and HTTP 5xx — retried, then `network`.
public final class OpenDART: @unchecked Sendable {
    /// OpenDART's API root.
    public static let defaultEndpoint = "https://opendart.fss.or.kr/api"

    /// The API root requests go to (`…/api`; a test's loopback server).
    public let endpoint: URL
    private let key: String
    /// Seconds to wait before retry `n` (from 1) of a request that hit the rate limit or a server failure.
    public var backoff: @Sendable (Int) -> Double = { attempt in min(30, pow(2, Double(attempt - 1))) }
    /// Retries of a rate-limited request before giving up (1 + 2 + 4 + 8 + 16 s of waiting by default).
    public var rateLimitRetries = 5
    /// Retries of a request the server failed (HTTP 5xx, status 800/900) or the network dropped.
    public var failureRetries = 2
    /// The least time between two requests, in seconds: OpenDART allows about 1,000 a minute per key.
    public var pace = 0.1
    /// Requests sent, retries included.
    public private(set) var requestCount = 0
    private var lastRequest: Date?

    /// A client of the API at `endpoint` (OpenDART's when nil) with an API key (40 characters from OpenDART).
    public init(key: String, endpoint: String? = nil) throws {
        let key = key.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else {
            throw KorSearchError(.invalidArgument, "no OpenDART API key: pass --api-key or set DART_API_KEY (OpenDART issues one for free)")
        }
        guard key.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isAlphabetic || ("0" ... "9").contains($0) }) else {
            throw KorSearchError(.invalidArgument, "the OpenDART API key holds characters other than letters and digits")
        }
        let text = endpoint ?? OpenDART.defaultEndpoint
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host != nil
        else {
            throw KorSearchError(.invalidArgument, "the OpenDART endpoint \(text) is not an http(s) URL", parameter: "endpoint")
        }
        self.endpoint = url
        self.key = key
    }

    /// The JSON answer of `api` (`list.json`, `fnlttSinglAcntAll.json`) to `query`, status `000` checked.
    public func json(_ api: String, _ query: [(String, String)]) throws -> [String: Any] {
        try retrying(api) {
            let (response, body) = try HTTPExchange.run(request(api, query), followRedirects: true)
            if let failure = OpenDART.httpFailure(response.statusCode, api) { return .failed(failure) }
            guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
                return .failed(KorSearchError(.network, "OpenDART's \(api) answered with something other than JSON (HTTP \(response.statusCode))"))
            }
            let status = (object["status"] as? String) ?? ""
            let message = (object["message"] as? String) ?? ""
            return status == "000" ? .done(object) : .status(status, message)
        }
    }

    /// Saves the zip `api` (`corpCode.xml`, `document.xml`) answers to `query` as `file`, written beside it under
    /// a hidden name and renamed into place once it is a whole zip (a run stopped mid-way leaves no partial file
    /// under the real name). An answer that is not a zip is OpenDART's status, thrown.
    public func zip(_ api: String, _ query: [(String, String)], to file: URL) throws {
        let partial = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).part")
        try retrying(api) {
            try? FileManager.default.removeItem(at: partial)
            try HTTPExchange.download(try request(api, query), to: partial, expectedSize: nil, kind: .network) { _, _ in }
            let head = try OpenDART.prefix(of: partial, 4096)
            if head.starts(with: [0x50, 0x4B]) {
                // A whole zip: its central directory reads.
                let data = try Data(contentsOf: partial, options: .alwaysMapped)
                do { _ = try ZipArchive(data, maxEntries: 100_000) } catch {
                    return .failed(KorSearchError(.network, "OpenDART's \(api) sent a zip that is cut off or damaged (\(data.count) bytes)"))
                }
                return .done([:])
            }
            let text = String(decoding: head, as: UTF8.self)
            if let status = OpenDART.tag("status", in: text) { return .status(status, OpenDART.tag("message", in: text) ?? "") }
            return .failed(KorSearchError(.network, "OpenDART's \(api) answered with neither a zip nor a status"))
        }
        try AtomicFile.syncAndRename(partial, to: file, role: "the downloaded \(api) zip", kind: .network)
    }

    // MARK: Requests

    private enum Outcome {
        case done([String: Any])
        case status(String, String)
        case failed(KorSearchError)
    }

    /// Runs `attempt` with the spacing, retries and status mapping the type describes.
    @discardableResult
    private func retrying(_ api: String, _ attempt: () throws -> Outcome) throws -> [String: Any] {
        var rateLimited = 0
        var failures = 0
        while true {
            if let lastRequest {
                let wait = pace - Date().timeIntervalSince(lastRequest)
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
            lastRequest = Date()
            requestCount += 1
            var outcome: Outcome
            do { outcome = try attempt() } catch let error as KorSearchError {
                outcome = .failed(error)
            }
            // The key travels in the URL: messages never show it.
            if case .failed(let error) = outcome, error.message.contains(key) {
                outcome = .failed(
                    KorSearchError(error.kind, error.message.replacingOccurrences(of: key, with: "…"), code: error.code, parameter: error.parameter))
            }
            switch outcome {
            case .done(let object): return object
            case .status("020", let message):
                rateLimited += 1
                guard rateLimited <= rateLimitRetries else {
                    throw KorSearchError(
                        .rateLimited, "OpenDART's request limit is reached (status 020: \(message)); run again later to go on where this run stopped",
                        code: "020")
                }
                Thread.sleep(forTimeInterval: backoff(rateLimited))
            case .status(let status, let message) where status == "800" || status == "900":
                failures += 1
                guard failures <= failureRetries else { throw OpenDART.error(status, message, api) }
                Thread.sleep(forTimeInterval: backoff(failures))
            case .status(let status, let message):
                throw OpenDART.error(status, message, api)
            case .failed(let error):
                failures += 1
                guard failures <= failureRetries, error.kind == .network else { throw error }
                Thread.sleep(forTimeInterval: backoff(failures))
            }
        }
    }

    private func request(_ api: String, _ query: [(String, String)]) throws -> URLRequest {
        var components = URLComponents(url: endpoint.appendingPathComponent(api), resolvingAgainstBaseURL: false)
        components?.queryItems = [URLQueryItem(name: "crtfc_key", value: key)] + query.map { URLQueryItem(name: $0.0, value: $0.1) }
        guard let url = components?.url else { throw KorSearchError(.invalidArgument, "cannot make an OpenDART URL for \(api)") }
        var request = URLRequest(url: url)
        request.timeoutInterval = 60
        request.setValue("korsearch/\(KorSearchVersion.current)", forHTTPHeaderField: "User-Agent")
        return request
    }

    /// The error an OpenDART status stands for, naming the API, the status and OpenDART's message.
    static func error(_ status: String, _ message: String, _ api: String) -> KorSearchError {
        let said = message.isEmpty ? "status \(status)" : "status \(status): \(message)"
        switch status {
        case "010", "011", "012", "901":
            return KorSearchError(
                .invalidArgument, "OpenDART refused the API key (\(said)); check --api-key or DART_API_KEY", code: status, parameter: "api_key")
        case "013", "014":
            return KorSearchError(.notFound, "OpenDART has no data for this \(api) request (\(said))", code: status)
        case "020":
            return KorSearchError(.rateLimited, "OpenDART's request limit is reached (\(said))", code: status)
        case "100", "101":
            return KorSearchError(.invalidArgument, "OpenDART refused the \(api) request (\(said))", code: status)
        default:
            return KorSearchError(.network, "OpenDART failed the \(api) request (\(said)); try again later", code: status)
        }
    }

    private static func httpFailure(_ status: Int, _ api: String) -> KorSearchError? {
        guard status != 200 else { return nil }
        return KorSearchError(.network, "OpenDART's \(api) answered HTTP \(status)", code: "HTTP \(status)")
    }

    private static func prefix(of file: URL, _ count: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        return try handle.read(upToCount: count) ?? Data()
    }

    /// The text of the first `<name>…</name>` in `text`, trimmed.
    static func tag(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound ..< text.endIndex)
        else { return nil }
        return String(text[open.upperBound ..< close.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
