import Foundation
import KorSearch

/// The OpenAPI 3.0 description of the HTTP API, served at /openapi.json. The search, passage and document
/// requests and answers are generated from the contract's field tables (`SearchRequest.schema`,
/// `SearchAnswer.schema`, ...), the same tables the MCP tools' schemas come from; the rest is written here.
enum OpenAPIDocument {
    static let json: String = {
        guard case .object(var document)? = JSONValue.parse(Data(template.utf8)),
            case .object(var components)? = document["components"], case .object(var schemas)? = components["schemas"],
            case .object(var paths)? = document["paths"]
        else { fatalError("the OpenAPI template is not the expected JSON") }
        for schema in [SearchRequest.schema, SearchAnswer.schema, PassageContext.schema, DocumentText.schema, FactRequest.schema, FactsAnswer.schema]
        {
            schemas.merge(schema.components) { first, _ in first }
        }
        components["schemas"] = .object(schemas)
        document["components"] = .object(components)
        // The query parameters of the passage and document routes, from their requests' fields.
        let routes: [(path: String, schema: ContractSchema, parameters: [String])] = [
            ("/v1/chunks/{id}", ContextRequest.schema, ["neighbours"]), ("/v1/documents/{id}", DocumentRequest.schema, ["start", "end"]),
        ]
        for route in routes {
            guard case .object(var item)? = paths[route.path], case .object(var get)? = item["get"],
                case .array(var parameters)? = get["parameters"]
            else { continue }
            for name in route.parameters {
                guard let field = route.schema.field(at: name) else { continue }
                parameters.append(["name": .string(name), "in": "query", "description": .string(field.summary), "schema": field.schema(.openAPI)])
            }
            get["parameters"] = .array(parameters)
            item["get"] = .object(get)
            paths[route.path] = .object(item)
        }
        document["paths"] = .object(paths)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(JSONValue.object(document))) ?? Data(), as: UTF8.self)
    }()

    private static let template = #"""
        {
          "openapi": "3.0.3",
          "info": {"title": "KorSearch API", "version": "1.0.0",
                   "description": "Korean semantic search for RAG pipelines: OpenAI-compatible embeddings and passage search."},
          "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
              "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["message", "type"],
                "properties": {"message": {"type": "string"}, "type": {"type": "string"}, "param": {"type": "string", "nullable": true},
                               "code": {"type": "string", "nullable": true}}}}},
              "EmbeddingRequest": {"type": "object", "required": ["input"], "properties": {
                "input": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]},
                "model": {"type": "string"}, "encoding_format": {"type": "string", "enum": ["float", "base64"]},
                "dimensions": {"type": "integer"}, "user": {"type": "string"}}},
              "EmbeddingResponse": {"type": "object", "required": ["object", "data", "model", "usage"], "properties": {
                "object": {"type": "string", "enum": ["list"]},
                "data": {"type": "array", "items": {"type": "object", "required": ["object", "index", "embedding"], "properties": {
                  "object": {"type": "string", "enum": ["embedding"]}, "index": {"type": "integer"},
                  "embedding": {"oneOf": [{"type": "array", "items": {"type": "number"}}, {"type": "string", "description": "base64 of little-endian float32"}]}}}},
                "model": {"type": "string"},
                "usage": {"type": "object", "required": ["prompt_tokens", "total_tokens"], "properties": {
                  "prompt_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}}}}}
            }
          },
          "security": [{"bearer": []}],
          "paths": {
            "/v1/embeddings": {"post": {"summary": "Embed texts (OpenAI-compatible)",
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingRequest"}}}},
              "responses": {"200": {"description": "Embeddings", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingResponse"}}}},
                "400": {"description": "Bad request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "Missing or wrong API key", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "413": {"description": "Too large", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/search": {"post": {"summary": "Passages for a query",
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchRequest"}}}},
              "responses": {"200": {"description": "Hits", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchAnswer"}}}},
                "400": {"description": "Bad request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/documents/{id}": {"get": {"summary": "A document with its stored text (the whole text unless start or end is given)",
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
              "responses": {"200": {"description": "The document", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentText"}}}}, "404": {"description": "Not found", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/chunks/{id}": {"get": {"summary": "A chunk with its neighbours",
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
              "responses": {"200": {"description": "The chunk", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PassageContext"}}}}, "404": {"description": "Not found", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/facts": {"post": {"summary": "Financial statement lines of companies (from the indexed folder's financials.jsonl)",
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FactRequest"}}}},
              "responses": {"200": {"description": "The lines", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FactsAnswer"}}}},
                "400": {"description": "Bad request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "404": {"description": "No statements of a company, or no such account", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}},
              "get": {"summary": "The same, with the request's fields as query parameters (company, account and period repeatable)",
              "parameters": [{"name": "company", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "account", "in": "query", "schema": {"type": "string"}}, {"name": "period", "in": "query", "schema": {"type": "string"}}, {"name": "statement", "in": "query", "schema": {"type": "string"}}, {"name": "consolidated", "in": "query", "schema": {"type": "boolean"}}, {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
              "responses": {"200": {"description": "The lines", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FactsAnswer"}}}},
                "404": {"description": "No statements of a company, or no such account", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/info": {"get": {"summary": "What the index holds", "responses": {"200": {"description": "Counts, model, FAISS type"}}}},
            "/v1/models": {"get": {"summary": "OpenAI's model list: the one model this server embeds with, by name", "responses": {"200": {"description": "{object: list, data: [{id, object: model, created, owned_by}]}"}}}},
            "/v1/models/{model}": {"get": {"summary": "The model, when it is this server's", "parameters": [{"name": "model", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "{id, object: model, created, owned_by}"}, "404": {"description": "Not this server's model", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/health": {"get": {"summary": "Liveness", "security": [], "responses": {"200": {"description": "ok"}}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI"}}}}
          }
        }
        """#
}
