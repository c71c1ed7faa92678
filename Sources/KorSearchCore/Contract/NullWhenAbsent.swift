/// An optional field of an answer that JSON writes as `null` when it has no value: the contract's one rule for
/// absent values (a field is never left out, so clients can rely on every key). Synthesized `Codable` uses
/// it as it is; decoding takes a missing key as no value.
@propertyWrapper
public struct NullWhenAbsent<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension KeyedDecodingContainer {
    /// A `NullWhenAbsent` field whose key is missing has no value.
    public func decode<Value>(_ type: NullWhenAbsent<Value>.Type, forKey key: Key) throws -> NullWhenAbsent<Value> {
        try decodeIfPresent(type, forKey: key) ?? NullWhenAbsent(wrappedValue: nil)
    }
}

/// A flag of an answer that is `false` unless it is set: always written, and read as `false` from an answer
/// that lacks it (one from a korsearch older than the flag).
@propertyWrapper
public struct FalseWhenAbsent: Codable, Sendable, Equatable {
    public var wrappedValue: Bool

    public init(wrappedValue: Bool) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(Bool.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

extension KeyedDecodingContainer {
    /// A `FalseWhenAbsent` flag whose key is missing is `false`.
    public func decode(_ type: FalseWhenAbsent.Type, forKey key: Key) throws -> FalseWhenAbsent {
        try decodeIfPresent(type, forKey: key) ?? FalseWhenAbsent(wrappedValue: false)
    }
}
