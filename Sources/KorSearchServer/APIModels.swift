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
            throw APIError.badRequest("input must be a string or an array of strings (token arrays are not supported)", param: "input")
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

struct SearchRequest: Decodable {
    struct Filters: Decodable {
        let path: String?
        let types: [String]?
        let modified_after: String?
        let modified_before: String?
    }
    let query: String
    let k: Int?
    let mode: String?
    let filters: Filters?
    let context: Int?
}
