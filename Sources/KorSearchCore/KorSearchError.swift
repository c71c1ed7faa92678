/// An error of indexing or search that a user can cause and fix: a missing or corrupt index, a model that does
/// not match the index, an index held by another writer, a bad argument. The description is one line that
/// says what is wrong and what to do.
public struct KorSearchError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of failure this is. New kinds may be added; switch with a `default`.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The index directory or one of its files does not exist.
        public static let indexNotFound = Kind(name: "index not found")
        /// A file of the index cannot be read (corrupt, truncated, not ours).
        public static let corruptIndex = Kind(name: "corrupt index")
        /// The index was built by another model or with other settings than the ones given.
        public static let modelMismatch = Kind(name: "model mismatch")
        /// Another process is writing to the index.
        public static let locked = Kind(name: "locked")
        /// An argument is invalid (an empty query, a bad FAISS factory string, ...).
        public static let invalidArgument = Kind(name: "invalid argument")
        /// A model named by a path that does not exist.
        public static let modelNotFound = Kind(name: "model not found")
        /// The folder to index cannot be read.
        public static let folderNotFound = Kind(name: "folder not found")
        /// FAISS refused an operation.
        public static let vectorIndex = Kind(name: "vector index")
        /// SQLite refused an operation.
        public static let catalog = Kind(name: "catalog")
        /// The PostgreSQL store cannot be reached or refused an operation (`code` holds the SQLSTATE where the
        /// server gave one).
        public static let store = Kind(name: "store")
        /// The model hub refused or could not serve a model (not found, private, no such revision, a download
        /// that does not match, offline with nothing cached).
        public static let hub = Kind(name: "hub")
        /// A server could not be reached over the network (connection refused, DNS, timeout, TLS), or failed.
        public static let network = Kind(name: "network")
        /// What was asked of a remote service does not exist there (OpenDART: no such company, no filings).
        public static let notFound = Kind(name: "not found")
        /// A remote service's request limit is reached (OpenDART's status 020): try again later.
        public static let rateLimited = Kind(name: "rate limited")
        public var description: String { name }
    }

    /// The kind of failure.
    public let kind: Kind
    /// One line: what is wrong and, where it helps, what to do.
    public let message: String
    /// The code of the system that refused, where it gives one: PostgreSQL's SQLSTATE (`40P01` for a deadlock,
    /// class `08` for a lost connection). Decide on this, never on the message's text.
    public let code: String?
    /// The request field at fault (`k`, `filters.period`), for an invalid argument a client sent.
    public let parameter: String?

    /// Creates an error of a kind with a message and, where there is one, the refusing system's code or the
    /// request field at fault.
    public init(_ kind: Kind, _ message: String, code: String? = nil, parameter: String? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
        self.parameter = parameter
    }

    public var description: String { message }
}
