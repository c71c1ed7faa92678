import Foundation
import KorEncoder

/// One field of the JSON contract every front end speaks (`korsearch search --json`, the HTTP API, the MCP
/// tools): its name, type, meaning and limits, and the CLI option that sets it. Requests are checked against
/// their fields, and the OpenAPI document and the MCP tools' input and output schemas are generated from
/// them, so a new field is one entry in a table and the code that uses it.
public struct ContractField: Sendable {
    /// The JSON type of a field's value.
    public indirect enum Kind: Sendable {
        case string
        case integer
        case number
        case boolean
        /// A string from a closed list.
        case choice([String])
        /// An array of values of one kind.
        case list(Kind)
        /// An object with fields of its own.
        case object(ContractSchema)
    }

    /// The JSON name (snake_case).
    public var name: String
    public var kind: Kind
    /// What the field means, one line.
    public var summary: String
    /// Inclusive bounds of a number.
    public var minimum: Double?
    public var maximum: Double?
    /// What an absent field means.
    public var defaultValue: JSONValue?
    /// A request must give it; an answer always has it.
    public var isRequired: Bool
    /// An answer writes it as `null` when there is no value (the one rule for absent values: a field of the
    /// contract is always present; only `metadata`'s keys are left out when unknown).
    public var isNullable: Bool
    /// The CLI's option for this field (`--type`, `-k`), where the CLI has one.
    public var option: String?

    /// A field of the contract.
    public init(
        _ name: String, _ kind: Kind, _ summary: String, minimum: Double? = nil, maximum: Double? = nil,
        defaultValue: JSONValue? = nil, required: Bool = false, nullable: Bool = false, option: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.summary = summary
        self.minimum = minimum
        self.maximum = maximum
        self.defaultValue = defaultValue
        self.isRequired = required
        self.isNullable = nullable
        self.option = option
    }

    /// The bounds as a range, where the field has both.
    public var range: ClosedRange<Double>? {
        guard let minimum, let maximum else { return nil }
        return minimum ... maximum
    }
}

/// A named object of the contract (a request, a passage, an answer) and its fields.
public struct ContractSchema: Sendable {
    /// The schema's name in the OpenAPI document (`SearchRequest`, `Passage`).
    public var name: String
    public var summary: String
    public var fields: [ContractField]
    /// Whether fields not listed are refused (requests) or may be added later (answers).
    public var isClosed: Bool

    /// A schema.
    public init(_ name: String, _ summary: String, closed: Bool, _ fields: [ContractField]) {
        self.name = name
        self.summary = summary
        self.fields = fields
        self.isClosed = closed
    }

    /// The field at a dotted path (`filters.types`).
    public func field(at path: String) -> ContractField? {
        var fields = self.fields
        var found: ContractField?
        for part in path.split(separator: ".") {
            guard let field = fields.first(where: { $0.name == part }) else { return nil }
            found = field
            if case .object(let schema) = field.kind { fields = schema.fields } else { fields = [] }
        }
        return found
    }

    /// Every field's dotted path, nested objects' fields after their object's.
    public var paths: [String] {
        fields.flatMap { field -> [String] in
            if case .object(let schema) = field.kind { return [field.name] + schema.paths.map { field.name + "." + $0 } }
            return [field.name]
        }
    }
}

// MARK: Schemas

extension ContractSchema {
    /// The two dialects the contract's schemas are written in.
    public enum Dialect: Sendable {
        /// OpenAPI 3.0: `nullable: true`, named objects as `$ref`s to `#/components/schemas/`.
        case openAPI
        /// JSON Schema (draft 2020-12, as MCP's `inputSchema` and `outputSchema`): `type: [T, "null"]`,
        /// every object written out in place.
        case jsonSchema
    }

    /// This schema as a JSON schema object.
    public func schema(_ dialect: Dialect) -> JSONValue {
        var object: [String: JSONValue] = [
            "type": "object",
            "description": .string(summary),
            "properties": .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0.schema(dialect)) })),
        ]
        let required = fields.filter(\.isRequired).map { JSONValue.string($0.name) }
        if !required.isEmpty { object["required"] = .array(required) }
        if isClosed { object["additionalProperties"] = false }
        return .object(object)
    }

    /// The named schemas this one refers to (itself included), for an OpenAPI document's components.
    public var components: [String: JSONValue] {
        var found = [name: schema(.openAPI)]
        func collect(_ kind: ContractField.Kind) {
            switch kind {
            case .object(let schema): found.merge(schema.components) { first, _ in first }
            case .list(let element): collect(element)
            default: break
            }
        }
        fields.forEach { collect($0.kind) }
        return found
    }
}

extension ContractField {
    /// The field's schema, its summary, bounds and default included.
    public func schema(_ dialect: ContractSchema.Dialect) -> JSONValue {
        var object = Self.typeSchema(kind, dialect)
        if case .object(var members) = object {
            if case .object = kind, dialect == .openAPI {
                // A $ref takes no siblings in OpenAPI 3.0: the reference alone.
                return isNullable ? .object(["allOf": .array([object]), "nullable": true, "description": .string(summary)]) : object
            }
            members["description"] = .string(summary)
            if let minimum { members["minimum"] = .number(minimum) }
            if let maximum { members["maximum"] = .number(maximum) }
            if let defaultValue { members["default"] = defaultValue }
            if isNullable {
                switch dialect {
                case .openAPI: members["nullable"] = true
                case .jsonSchema: if let type = members["type"] { members["type"] = .array([type, "null"]) }
                }
            }
            object = .object(members)
        }
        return object
    }

    private static func typeSchema(_ kind: Kind, _ dialect: ContractSchema.Dialect) -> JSONValue {
        switch kind {
        case .string: return ["type": "string"]
        case .integer: return ["type": "integer"]
        case .number: return ["type": "number"]
        case .boolean: return ["type": "boolean"]
        case .choice(let values): return ["type": "string", "enum": .array(values.map(JSONValue.string))]
        case .list(let element): return ["type": "array", "items": typeSchema(element, dialect)]
        case .object(let schema):
            switch dialect {
            case .openAPI: return ["$ref": .string("#/components/schemas/\(schema.name)")]
            case .jsonSchema: return schema.schema(.jsonSchema)
            }
        }
    }
}

// MARK: Checking what a client sent

/// How a front end names what it was sent, so one check gives each its own words: the HTTP API's fields
/// (`unknown field top_k`), the MCP tools' arguments, the CLI's options (`-k must be between 1 and 100`).
public struct FieldNaming: Sendable {
    /// What a client's field is called: `field`, `argument`, `option`.
    public var noun: String
    private let label: @Sendable (String) -> String

    /// Naming with a noun and a label for each dotted path.
    public init(noun: String, label: @escaping @Sendable (String) -> String = { $0 }) {
        self.noun = noun
        self.label = label
    }

    /// The HTTP API: fields by their JSON names.
    public static let json = FieldNaming(noun: "field")
    /// The MCP tools: arguments by their JSON names.
    public static let arguments = FieldNaming(noun: "argument")

    /// The CLI: the option that sets a field of `schema`, else the field's JSON name.
    public static func options(of schema: ContractSchema) -> FieldNaming {
        FieldNaming(noun: "option") { path in schema.field(at: path)?.option ?? path }
    }

    /// How a message names the field at `path`.
    public func name(_ path: String) -> String { label(path) }

    /// How a message quotes a value the client gave for the field at `path`: `--type xls` for an option,
    /// `filters.types: xls` for a field.
    public func quoting(_ path: String, _ value: String) -> String {
        noun == "option" ? "\(label(path)) \(value)" : "\(label(path)): \(value)"
    }

    /// The error for a bad value of the field at `path`.
    public func error(_ path: String, _ message: String) -> KorSearchError {
        KorSearchError(.invalidArgument, "\(name(path)) \(message)", parameter: path)
    }
}

/// A request's JSON object, read field by field with each value's type checked against the contract.
public struct ContractObject {
    /// The object's members.
    public let members: [String: JSONValue]
    private let schema: ContractSchema
    private let prefix: String
    private let naming: FieldNaming

    /// Checks that `value` is an object whose every member is a field of `schema`, and that its required
    /// fields are there (`null` counts as absent).
    public init(_ value: JSONValue, _ schema: ContractSchema, naming: FieldNaming, prefix: String = "") throws {
        guard let members = value.objectValue else {
            throw prefix.isEmpty
                ? KorSearchError(.invalidArgument, "the body must be a JSON object")
                : naming.error(String(prefix.dropLast()), "must be an object")
        }
        let known = Set(schema.fields.map(\.name))
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            let expected = schema.fields.isEmpty ? "this takes none" : "expected " + schema.fields.map { prefix + $0.name }.joined(separator: ", ")
            throw KorSearchError(.invalidArgument, "unknown \(naming.noun) \(prefix)\(unknown); \(expected)", parameter: prefix + unknown)
        }
        for field in schema.fields where field.isRequired && (members[field.name] ?? .null) == .null {
            throw naming.error(prefix + field.name, "is required")
        }
        self.members = members.filter { $0.value != .null }
        self.schema = schema
        self.prefix = prefix
        self.naming = naming
    }

    private func value(_ name: String) -> JSONValue? {
        precondition(schema.fields.contains { $0.name == name }, "\(name) is not a field of \(schema.name)")
        return members[name]
    }

    public func string(_ name: String) throws -> String? {
        guard let value = value(name) else { return nil }
        guard let text = value.stringValue else { throw naming.error(prefix + name, "must be a string") }
        return text
    }

    public func strings(_ name: String) throws -> [String]? {
        guard let value = value(name) else { return nil }
        guard case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) else {
            throw naming.error(prefix + name, "must be an array of strings")
        }
        return items.compactMap(\.stringValue)
    }

    /// An integer, or a number without a fractional part (some clients send `10.0`).
    public func integer(_ name: String) throws -> Int? {
        guard let value = value(name) else { return nil }
        guard let number = value.intValue else { throw naming.error(prefix + name, "must be an integer") }
        return number
    }

    public func boolean(_ name: String) throws -> Bool? {
        guard let value = value(name) else { return nil }
        guard case .bool(let flag) = value else { throw naming.error(prefix + name, "must be true or false") }
        return flag
    }

    public func number(_ name: String) throws -> Double? {
        guard let value = value(name) else { return nil }
        guard case .number(let number) = value, number.isFinite else { throw naming.error(prefix + name, "must be a number") }
        return number
    }

    /// A value from the field's closed list.
    public func choice(_ name: String) throws -> String? {
        guard let text = try string(name) else { return nil }
        guard case .choice(let values)? = schema.field(at: name)?.kind, values.contains(text) else {
            throw naming.error(prefix + name, "must be \(ContractObject.alternatives(schema.field(at: name)?.kind)), not \(text)")
        }
        return text
    }

    /// A nested object, checked against its field's schema.
    public func object(_ name: String) throws -> ContractObject? {
        guard let value = value(name) else { return nil }
        guard case .object(let nested)? = schema.field(at: name)?.kind else { return nil }
        return try ContractObject(value, nested, naming: naming, prefix: prefix + name + ".")
    }

    /// `a, b or c` for a choice.
    static func alternatives(_ kind: ContractField.Kind?) -> String {
        guard case .choice(let values)? = kind, let last = values.last else { return "one of the listed values" }
        return values.count == 1 ? last : values.dropLast().joined(separator: ", ") + " or " + last
    }
}

extension ContractField {
    /// Throws unless `value` lies within the field's bounds (`k must be between 1 and 100, not 0`).
    public func check(_ value: Double, at path: String? = nil, naming: FieldNaming) throws {
        if let range, !range.contains(value) || !value.isFinite {
            throw naming.error(
                path ?? name,
                "must be between \(ContractField.number(range.lowerBound)) and \(ContractField.number(range.upperBound)), not \(ContractField.number(value))"
            )
        }
    }

    /// A number as people write it: `1`, not `1.0`.
    static func number(_ value: Double) -> String {
        value.isFinite && value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
