import Dispatch
import Foundation
import Logging
import MCP

#if canImport(Glibc)
import Glibc
#endif

/// MCP's stdio framing (one JSON-RPC message a line) over a pair of file descriptors, written for what hosts do
/// to a server: many tool calls at once, large answers, input closed right after a request, long messages.
///
/// - Each message is written whole before the next starts: one serial writer, blocking writes that loop until
///   every byte is out (the SDK's `StdioTransport` writes from an actor that suspends between partial writes to
///   a non-blocking pipe, so the writes of parallel answers interleave).
/// - `disconnect` returns only once every message handed to `send` is written, so an answer computed after the
///   client closed its input still reaches it whole; `unanswered` counts the requests read and not yet
///   answered, so the server can wait for them after the input closes.
/// - Reading is linear in the input (a newline is searched for only in bytes not yet searched), on a thread of
///   its own with blocking reads; a message longer than `maxMessageBytes` is skipped up to its newline and
///   answered with a JSON-RPC error (`-32600`), and the server goes on.
actor LineTransport: Transport {
    nonisolated let logger = Logger(label: "korsearch.mcp.transport", factory: { _ in SwiftLogNoOpLogHandler() })
    private let input: Int32
    private let writer: LineWriter
    private let maxMessageBytes: Int
    private let messages: AsyncThrowingStream<Data, Swift.Error>
    private let continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation
    private var connected = false
    private let ledger = RequestLedger()

    /// A transport reading requests from `input` and writing answers to `output`; longer requests than
    /// `maxMessageBytes` are refused.
    init(input: Int32, output: Int32, maxMessageBytes: Int = LineTransport.defaultMaxMessageBytes) {
        self.input = input
        writer = LineWriter(output)
        self.maxMessageBytes = maxMessageBytes
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    /// The longest request read (16 MiB).
    static let defaultMaxMessageBytes = 16 << 20

    func connect() async throws {
        guard !connected else { return }
        connected = true
        LineTransport.setBlocking(input)
        let reader = LineReader(input: input, maxMessageBytes: maxMessageBytes, continuation: continuation, writer: writer, ledger: ledger)
        let thread = Thread { reader.run() }
        thread.name = "korsearch-mcp-reader"
        thread.start()
    }

    /// Waits until every message sent so far is written, then ends the message stream.
    func disconnect() async {
        await writer.drain()
        continuation.finish()
    }

    /// Requests read (JSON-RPC messages with an id and a method) that no response has answered yet.
    nonisolated var unanswered: Int { ledger.unanswered }

    func send(_ data: Data) async throws {
        if RequestLedger.kind(of: data) == .response { ledger.answered() }
        var line = data
        line.append(0x0A)
        try await writer.write(line)
    }

    func receive() -> AsyncThrowingStream<Data, Swift.Error> { messages }

    /// Clears `O_NONBLOCK` (another program, or the SDK's transport, may have set it on a shared descriptor).
    static func setBlocking(_ descriptor: Int32) {
        let flags = fcntl(descriptor, F_GETFL)
        if flags >= 0, flags & O_NONBLOCK != 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
    }
}

/// Counts requests read and responses written.
final class RequestLedger: @unchecked Sendable {
    private let lock = NSLock()
    private var requests = 0
    private var responses = 0

    enum Kind { case request, response, other }

    /// A JSON-RPC message's kind: a request has an id and a method, a response an id and a result or an error.
    static func kind(of data: Data) -> Kind {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let id = object["id"], !(id is NSNull) else {
            return .other
        }
        if object["method"] != nil { return .request }
        return object["result"] != nil || object["error"] != nil ? .response : .other
    }

    func received() { lock.withLock { requests += 1 } }
    func answered() { lock.withLock { responses += 1 } }
    var unanswered: Int { lock.withLock { max(0, requests - responses) } }
}

/// Writes whole lines to a descriptor, one after another, on a serial queue.
final class LineWriter: Sendable {
    private let output: Int32
    private let queue = DispatchQueue(label: "korsearch.mcp.writer")

    init(_ output: Int32) {
        self.output = output
        LineTransport.setBlocking(output)
    }

    /// Writes all of `data` before any later line; throws when the descriptor is closed or fails.
    func write(_ data: Data) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Swift.Error>) in
            queue.async { [output] in
                do {
                    try LineWriter.writeAll(data, to: output)
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }
        }
    }

    /// Writes from the reader's thread (errors about requests), in the same order as the rest.
    func writeLater(_ data: Data) {
        queue.async { [output] in try? LineWriter.writeAll(data, to: output) }
    }

    /// Returns once everything queued before the call is written.
    func drain() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in queue.async { done.resume() } }
    }

    private static func writeAll(_ data: Data, to output: Int32) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(output, raw.baseAddress! + offset, raw.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR || errno == EAGAIN {
                    if errno == EAGAIN { usleep(1_000) }
                } else {
                    throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
                }
            }
        }
    }
}

/// Reads lines from a descriptor on its own thread and yields each as a message.
private final class LineReader: @unchecked Sendable {
    private let input: Int32
    private let maxMessageBytes: Int
    private let continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation
    private let writer: LineWriter
    private let ledger: RequestLedger

    init(
        input: Int32, maxMessageBytes: Int, continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation, writer: LineWriter,
        ledger: RequestLedger
    ) {
        self.input = input
        self.maxMessageBytes = maxMessageBytes
        self.continuation = continuation
        self.writer = writer
        self.ledger = ledger
    }

    private func yield(_ message: Data) {
        if RequestLedger.kind(of: message) == .request { ledger.received() }
        continuation.yield(message)
    }

    func run() {
        var pending: [UInt8] = []
        var searched = 0  // bytes of `pending` known to hold no newline
        var skipping = false  // inside a message past the limit, until its newline
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count < 0, errno == EAGAIN {
                usleep(1_000)
                continue
            }
            if count <= 0 { break }
            pending.append(contentsOf: chunk[0 ..< count])
            var start = 0
            while let newline = pending[searched...].firstIndex(of: 0x0A) {
                if skipping {
                    skipping = false
                } else if newline > start {
                    yield(Data(pending[start ..< newline]))
                }
                start = newline + 1
                searched = start
            }
            searched = pending.count
            if start > 0 {
                pending.removeFirst(start)
                searched -= start
            }
            if !skipping, pending.count > maxMessageBytes {
                skipping = true
                refuse()
            }
            if skipping {
                pending.removeAll(keepingCapacity: true)
                searched = 0
            }
        }
        if !skipping, !pending.isEmpty { yield(Data(pending)) }
        continuation.finish()
    }

    /// Answers a message past the limit (its id unknown: JSON-RPC's `null`).
    private func refuse() {
        let message =
            #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"request longer than \#(maxMessageBytes) bytes, the limit per message"}}"#
        writer.writeLater(Data((message + "\n").utf8))
    }
}
