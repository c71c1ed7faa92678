import Foundation
import KorSearchCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Blocking HTTP over URLSession: a request whose redirects may be left unfollowed, and a streaming download
/// to a file that resumes from what the file already holds. Shared with the other clients of remote services in
/// this package (OpenDART).
package enum HTTPExchange {
    /// Sends a request and returns the response and body.
    package static func run(_ request: URLRequest, followRedirects: Bool) throws -> (HTTPURLResponse, Data) {
        let delegate = ExchangeDelegate(followRedirects: followRedirects, output: nil)
        let session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        delegate.done.wait()
        if let error = delegate.error { throw describe(error, request, kept: 0) }
        guard let response = delegate.response else { throw describe(URLError(.badServerResponse), request, kept: 0) }
        return (response, delegate.body)
    }

    /// GETs a URL into `file`, resuming with a Range request when the file already holds a prefix; a status other
    /// than 200/206 is an error of `kind`.
    package static func download(
        _ request: URLRequest, to file: URL, expectedSize: Int64?, kind: KorSearchError.Kind = .hub,
        progress: @escaping (Int64, Int64) -> Void
    ) throws {
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: file.path) { _ = fileManager.createFile(atPath: file.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var offset = Int64(try handle.seekToEnd())
        if let expectedSize, offset > expectedSize {
            try handle.truncate(atOffset: 0)
            offset = 0
        }
        if let expectedSize, offset == expectedSize, expectedSize > 0 { return }
        var request = request
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        let delegate = ExchangeDelegate(followRedirects: true, output: handle)
        delegate.resumeOffset = offset
        delegate.total = expectedSize ?? 0
        delegate.progress = progress
        let session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        delegate.done.wait()
        if let error = delegate.error {
            let kept = Int64((try? handle.seekToEnd()) ?? 0)
            throw describe(error, request, kept: kept)
        }
        guard let status = delegate.response?.statusCode, status == 200 || status == 206 else {
            throw KorSearchError(kind, "downloading \(request.url?.absoluteString ?? "?") failed with HTTP \(delegate.response?.statusCode ?? 0)")
        }
        try handle.synchronize()
    }

    /// `kept`: the bytes of a partial download left in place (it resumes from them next time).
    private static func describe(_ error: Error, _ request: URLRequest, kept: Int64) -> Error {
        if error is KorSearchError { return error }
        let url = request.url?.absoluteString ?? "?"
        let resume = kept > 0 ? "; the \(kept) bytes downloaded are kept and the download resumes next time" : ""
        return KorSearchError(.network, "cannot reach \(url): \((error as NSError).localizedDescription)\(resume)")
    }
}

private final class ExchangeDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let followRedirects: Bool
    let output: FileHandle?
    let done = DispatchSemaphore(value: 0)
    var response: HTTPURLResponse?
    var body = Data()
    var error: Error?
    var resumeOffset: Int64 = 0
    var written: Int64 = 0
    var total: Int64 = 0
    var progress: ((Int64, Int64) -> Void)?

    init(followRedirects: Bool, output: FileHandle?) {
        self.followRedirects = followRedirects
        self.output = output
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(followRedirects ? request : nil)
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        self.response = response as? HTTPURLResponse
        if let output, let status = self.response?.statusCode {
            if status == 200, resumeOffset > 0 {
                // The server ignored the Range: start over.
                try? output.truncate(atOffset: 0)
                resumeOffset = 0
            } else if status != 200 && status != 206 {
                completionHandler(.cancel)
                return
            }
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if let output {
            do { try output.write(contentsOf: data) } catch { self.error = error; dataTask.cancel(); return }
            written += Int64(data.count)
            progress?(resumeOffset + written, max(total, resumeOffset + written))
        } else {
            body.append(data)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error, (error as? URLError)?.code != .cancelled || response == nil { self.error = self.error ?? error }
        done.signal()
    }
}
