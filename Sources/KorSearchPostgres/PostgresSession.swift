import Foundation
import KorSearchCore
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// One PostgreSQL connection used from one thread at a time, with blocking calls: the library's callers
/// (the indexer, the searcher) are synchronous. The I/O runs on NIO's shared event loops, never on the caller's
/// thread, so blocking here cannot starve it.
final class PostgresSession: @unchecked Sendable {
    let connection: PostgresConnection
    let location: PostgresLocation
    /// pgvector's `hnsw.ef_search` on this connection.
    var searchList = 40
    private static let logger = Logger(label: "korsearch.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Connects and selects the index's schema (then `public`, where pgvector's type lives).
    init(_ location: PostgresLocation) throws {
        self.location = location
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        do {
            connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1,
                logger: PostgresSession.logger
            ).wait()
        } catch {
            throw PostgresSession.describe(error, location, connecting: true)
        }
        try execute("SET search_path TO \(location.schema), public")
    }

    deinit {
        // The connection must outlive its closing (PostgresNIO checks that it was closed when it goes).
        let connection = self.connection
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Runs a statement and returns its rows.
    @discardableResult
    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> [PostgresRow] {
        do {
            return try connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: PostgresSession.logger).wait().rows
        } catch {
            throw PostgresSession.describe(error, location, connecting: false)
        }
    }

    /// Runs a statement, ignoring any rows.
    func execute(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws {
        try query(sql, binds)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws. A deadlock or a
    /// serialization failure (another writer's transaction in the way) is retried a few times.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            try execute("BEGIN")
            do {
                let result = try body()
                try execute("COMMIT")
                return result
            } catch {
                try? execute("ROLLBACK")
                attempt += 1
                if let error = error as? KorSearchError, error.kind == .store, error.code == "40P01" || error.code == "40001", attempt < 5 {
                    usleep(UInt32.random(in: 10_000 ... 100_000))
                    continue
                }
                throw error
            }
        }
    }

    /// The SQLSTATE of a connection that failed or was lost (class 08, connection exception).
    static let connectionFailure = "08006"

    /// Why a connection failed, in words instead of SwiftNIO's nested error text (kept when none fits).
    static func plainCause(_ raw: String, _ location: PostgresLocation) -> String {
        let host = "\(location.host):\(location.port)"
        if raw.contains("Connection refused") { return "connection refused: nothing listens on \(host) (is PostgreSQL running there?)" }
        if raw.contains("UnknownHost") || raw.contains("Name or service not known") || raw.contains("nodename nor servname") {
            return "no such host \(location.host)"
        }
        if raw.localizedCaseInsensitiveContains("timed out") || raw.localizedCaseInsensitiveContains("timeout") {
            return "no answer from \(host) (timed out)"
        }
        if raw.contains("Network is unreachable") || raw.contains("No route to host") { return "\(host) cannot be reached from here" }
        return raw
    }

    /// A PostgresNIO error as one line: the server's message and SQLSTATE, or why the connection failed.
    static func describe(_ error: any Error, _ location: PostgresLocation, connecting: Bool) -> KorSearchError {
        if let error = error as? KorSearchError { return error }
        guard let error = error as? PSQLError else {
            return KorSearchError(.store, "PostgreSQL at \(location): \(error)")
        }
        if let info = error.serverInfo, let message = info[.message] {
            let state = info[.sqlState] ?? "?"
            if state == "3D000" || state == "28000" || state == "28P01" {
                return KorSearchError(.store, "cannot connect to PostgreSQL at \(location): \(message)", code: state)
            }
            let detail = info[.detail].map { " (\($0))" } ?? ""
            return KorSearchError(.store, "PostgreSQL at \(location): \(message)\(detail) [\(state)]", code: state)
        }
        if connecting || error.code == .connectionError || error.code == .serverClosedConnection {
            let cause = plainCause(error.underlying.map { "\($0)" } ?? "\(error.code)", location)
            return KorSearchError(.store, "cannot connect to PostgreSQL at \(location): \(cause)", code: connectionFailure)
        }
        return KorSearchError(.store, "PostgreSQL at \(location): \(error.code)")
    }
}

/// A few sessions shared by concurrent searches: a search takes one, runs its queries, and gives it back.
final class PostgresPool: @unchecked Sendable {
    let location: PostgresLocation
    private let limit: Int
    private let condition = NSCondition()
    private var idle: [PostgresSession] = []
    private var open = 0

    init(_ location: PostgresLocation, limit: Int = 4) {
        self.location = location
        self.limit = limit
    }

    /// Runs `body` with a session of its own, opening one when none is idle and the limit allows.
    func withSession<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        condition.lock()
        while idle.isEmpty && open >= limit { condition.wait() }
        var session = idle.popLast()
        if session == nil { open += 1 }
        condition.unlock()
        if session == nil {
            do {
                session = try PostgresSession(location)
            } catch {
                condition.lock()
                open -= 1
                condition.signal()
                condition.unlock()
                throw error
            }
        }
        var healthy = true
        defer {
            condition.lock()
            if healthy { idle.append(session!) } else { open -= 1 }
            condition.signal()
            condition.unlock()
        }
        do {
            return try body(session!)
        } catch let error as KorSearchError {
            // A dropped connection is not given back; the next search opens a new one.
            healthy = error.code?.hasPrefix("08") != true && !session!.connection.isClosed
            throw error
        }
    }
}

/// A pgvector `vector` sent as a binary parameter: dimension and a reserved word as 16-bit integers, then the
/// values as big-endian float32. Exact, and a quarter of the text form's size.
struct PostgresVector: PostgresDynamicTypeEncodable {
    let values: [Float]
    /// The `vector` type's OID in this database (an extension type has no fixed OID).
    let oid: UInt32

    var psqlType: PostgresDataType { PostgresDataType(oid) }
    var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeInteger(Int16(values.count))
        byteBuffer.writeInteger(Int16(0))
        for value in values { byteBuffer.writeInteger(value.bitPattern) }
    }
}
