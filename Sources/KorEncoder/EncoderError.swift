/// An error raised while loading or running an encoder: a missing or corrupt file, a configuration the engine
/// cannot run, or input it cannot encode. The description says what is wrong and, where it helps, what to do.
public struct EncoderError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of failure this is. New kinds may be added; switch with a `default`.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A file the model needs is absent.
        public static let missingFile = Kind(name: "missing file")
        /// A file exists but cannot be parsed (truncated, wrong format, inconsistent).
        public static let corruptFile = Kind(name: "corrupt file")
        /// The configuration asks for something this engine does not implement, or is invalid.
        public static let unsupportedConfiguration = Kind(name: "unsupported configuration")
        /// A weight the architecture needs is absent or has the wrong shape or type.
        public static let badWeights = Kind(name: "bad weights")
        /// The tokenizer model could not be loaded or used.
        public static let tokenizer = Kind(name: "tokenizer")
        /// The caller's input cannot be encoded (for example, not valid UTF-8).
        public static let invalidInput = Kind(name: "invalid input")
        public var description: String { name }
    }

    /// The kind of failure.
    public let kind: Kind
    /// A one-line explanation naming the file, field or input at fault.
    public let message: String

    /// Creates an error of a kind with a message.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
