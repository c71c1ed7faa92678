import Foundation
import KorSearchCore

/// A PostgreSQL store named by a URL: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]`.
/// The password may also come from `PGPASSWORD`. Several indexes can share a database in different schemas
/// (default `korsearch`).
public struct PostgresLocation: Sendable, Equatable, IndexStoreLocation, IndexStoreWriting {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// The schema holding the index's tables.
    public var schema: String

    /// Parses a store URL.
    public init(_ text: String) throws {
        func bad(_ why: String) -> KorSearchError {
            KorSearchError(.invalidArgument, "--store takes postgres://USER@HOST:PORT/DATABASE[?schema=NAME]; \(text.redactingPassword) \(why)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["postgres", "postgresql"].contains(scheme.lowercased())
        else {
            throw bad("is not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw bad("names no host") }
        guard let user = components.user, !user.isEmpty else { throw bad("names no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw bad("names no database") }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password =
            (components.password?.removingPercentEncoding).flatMap { $0.isEmpty ? nil : $0 }
            ?? ProcessInfo.processInfo.environment["PGPASSWORD"]
        self.database = database.removingPercentEncoding ?? database
        schema = "korsearch"
        for item in components.queryItems ?? [] {
            switch item.name {
            case "schema":
                let name = item.value ?? ""
                guard name.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
                    throw bad("has schema \"\(name)\"; a schema name is lowercase letters, digits and _")
                }
                schema = name
            case "sslmode" where item.value == "disable" || item.value == "prefer":
                continue
            case "sslmode":
                throw bad("asks for sslmode=\(item.value ?? ""); KorSearch connects without TLS so far (use a trusted network or an SSH tunnel)")
            default:
                throw bad("has the unknown parameter \(item.name)")
            }
        }
    }

    /// The URL without the password.
    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (schema == "korsearch" ? "" : "?schema=\(schema)")
    }
}

extension PostgresLocation {
    public var newIndexHint: String { "schema (?schema=NAME in the store URL)" }
    public var ownFolder: URL? { nil }

    public func open(warn: (String) -> Void) throws -> any IndexStore {
        try PostgresStore.open(self)
    }

    public func meta() throws -> IndexMeta {
        try PostgresStore.open(self).meta
    }

    /// Creates the schema when new (safe when several workers start at once) and opens a worker's writer.
    package func openForWriting(creating meta: IndexMeta, options: IndexOptions, warn: @escaping (String) -> Void) throws -> any IndexWriting {
        if options.faissFactory != nil { throw PostgresLocation.noFaiss }
        return try PostgresWriter(store: try PostgresStore.create(self, meta: meta, warn: warn))
    }

    public func remove(paths: [String], warn: (String) -> Void) throws -> [String] {
        try PostgresStore.open(self).remove(paths: paths)
    }

    public func setMeta(_ entries: [String: String]) throws {
        try PostgresStore.open(self).setMeta(entries)
    }

    public func rebuild(vectorIndex: String?, warn: (String) -> Void) throws -> String {
        if vectorIndex != nil { throw PostgresLocation.noFaiss }
        let store = try PostgresStore.open(self)
        try store.rebuildVectorIndex()
        return "rebuilt pgvector HNSW with \(try store.info().vectors) vectors"
    }

    /// `--faiss` given for a PostgreSQL store.
    private static var noFaiss: KorSearchError {
        KorSearchError(.invalidArgument, "--faiss applies to index directories; a PostgreSQL store indexes its vectors with pgvector's HNSW")
    }
}

extension IndexLocation {
    /// A PostgreSQL database (and schema) with pgvector.
    public static func postgres(_ location: PostgresLocation) -> IndexLocation {
        IndexLocation(location)
    }
}

extension String {
    /// The text with the password of a URL in it replaced by `***`.
    var redactingPassword: String {
        replacingOccurrences(of: "(://[^:/@]+):[^@/]*@", with: "$1:***@", options: .regularExpression)
    }
}
