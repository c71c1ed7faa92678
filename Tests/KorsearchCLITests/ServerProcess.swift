import Foundation
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `korsearch serve` child process on a free loopback port, stopped when the test ends.
final class ServerProcess: @unchecked Sendable {
    let process: Process
    /// Where it listens, e.g. http://127.0.0.1:40123
    let base: URL
    /// Its standard error, after the line that announced the port, drained as it comes (the request log
    /// would otherwise fill the pipe and block the server).
    private let errors: Pipe
    private let lock = NSLock()
    private var collected = Data()
    private let drained = DispatchSemaphore(value: 0)

    private init(process: Process, base: URL, errors: Pipe) {
        self.process = process
        self.base = base
        self.errors = errors
        Thread { [self] in
            while true {
                let chunk = errors.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                lock.lock(); collected.append(chunk); lock.unlock()
            }
            drained.signal()
        }.start()
    }

    /// What it printed on stderr after the port line; once it has exited, all of it.
    func standardError() -> String {
        if !process.isRunning { drained.wait(); drained.signal() }
        lock.lock(); defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    /// One HTTP request to the server (a JSON body, or raw bytes), answered with its status and body.
    func fetch(
        _ method: String, _ path: String, json: Any? = nil, body: Data? = nil, headers: [String: String] = [:]
    ) throws -> (status: Int, data: Data) {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json { request.httpBody = try JSONSerialization.data(withJSONObject: json) }
        if let body { request.httpBody = body }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, Data)?
        nonisolated(unsafe) var failure: Error?
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { failure = error } else { result = ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()) }
            done.signal()
        }.resume()
        done.wait()
        if let failure { throw failure }
        return result!
    }

    /// Starts `korsearch serve --index INDEX --port 0 EXTRA...` (or `--store STORE`) and waits for it to listen.
    static func start(index: String, store: String? = nil, _ extra: [String] = [], for test: XCTestCase) throws -> ServerProcess {
        let process = Process()
        process.executableURL = Bundle.main.bundleURL.appendingPathComponent("korsearch")
        process.arguments = ["serve"] + (store.map { ["--store", $0] } ?? ["--index", index]) + ["--port", "0"] + extra
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        test.addTeardownBlock { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        // What is served, then the line that announces the port.
        var banner = Data()
        let deadline = Date(timeIntervalSinceNow: 60)
        while !String(decoding: banner, as: UTF8.self).contains("listening on http://") || banner.last != 0x0A, Date() < deadline {
            let byte = errors.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            banner.append(byte)
        }
        let text = String(decoding: banner, as: UTF8.self)
        let address = try XCTUnwrap(
            text.range(of: "http://").map { String(text[$0.lowerBound...].prefix { !$0.isWhitespace }) }, text)
        let server = ServerProcess(process: process, base: try XCTUnwrap(URL(string: address)), errors: errors)
        server.banner = text
        return server
    }

    /// What it printed up to the line that announced the port: what it serves and where.
    private(set) var banner = ""
}

/// Copies Examples/corpus into `folder`/corpus and indexes it into `folder`/index; returns the index path.
func buildCorpusIndex(in folder: URL, model: String) throws -> String {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let corpus = folder.appendingPathComponent("corpus")
    try FileManager.default.copyItem(at: repository.appendingPathComponent("Examples/corpus"), to: corpus)
    let index = folder.appendingPathComponent("index").path
    let run = try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--quiet"])
    XCTAssertEqual(run.status, 0, run.stderr)
    return index
}
