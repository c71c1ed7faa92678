import Foundation
import KorSearch

/// `input` of an embeddings request: a string or an array of strings (token arrays are refused).
enum EmbeddingInput: Decodable {
    case texts([String])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .texts([text])
        } else if let texts = try? container.decode([String].self) {
            self = .texts(texts)
        } else {
            throw APIError.badRequest(
                "input must be a string or an array of strings: token arrays are another model's tokens (LangChain's OpenAIEmbeddings sends tiktoken ids unless check_embedding_ctx_length=False)",
                param: "input")
        }
    }
}

struct EmbeddingRequest: Decodable {
    let input: EmbeddingInput
    let model: String?
    let encoding_format: String?
    let dimensions: Int?
    let user: String?
}

struct EmbeddingResponse: Encodable {
    struct Item: Encodable {
        enum Vector: Encodable {
            case floats([Float])
            case base64(String)
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .floats(let values): try container.encode(values)
                case .base64(let text): try container.encode(text)
                }
            }
        }
        let object = "embedding"
        let index: Int
        let embedding: Vector
    }
    struct Usage: Encodable { let prompt_tokens: Int; let total_tokens: Int }
    let object = "list"
    let data: [Item]
    let model: String
    let usage: Usage
}

/// A request body whose fields are all known: a field the endpoint does not take (`top_k` for `k`) is a 400,
/// never silently ignored.
protocol KnownFields {
    /// The fields of the body, and of each nested object by its key.
    static var fields: Set<String> { get }
    static var nestedFields: [String: Set<String>] { get }
}

extension KnownFields {
    static var nestedFields: [String: Set<String>] { [:] }

    /// Throws a 400 naming the first field the endpoint does not know.
    static func rejectUnknownFields(in data: Data) throws {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        func check(_ object: [String: Any], _ allowed: Set<String>, _ prefix: String) throws {
            if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw APIError.badRequest(
                    "unknown field \(prefix)\(unknown); this endpoint takes \(allowed.sorted().map { prefix + $0 }.joined(separator: ", "))",
                    param: prefix + unknown)
            }
        }
        try check(object, fields, "")
        for (key, allowed) in nestedFields {
            if let nested = object[key] as? [String: Any] { try check(nested, allowed, key + ".") }
        }
    }
}

extension EmbeddingRequest: KnownFields {
    static let fields: Set<String> = ["input", "model", "encoding_format", "dimensions", "user"]
}

/// `GET /v1/models` as OpenAI answers it: the one model this server embeds with, by its name (the index's model
/// id, a folder by its own name — never the server's path).
struct ModelList: Encodable {
    struct Model: Encodable {
        let id: String
        let object = "model"
        let created = 0
        let owned_by = "korsearch"
    }
    let object = "list"
    let data: [Model]
}
