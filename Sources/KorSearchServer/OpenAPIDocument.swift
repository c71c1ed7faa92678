/// The OpenAPI 3.0 description of the HTTP API, served at /openapi.json.
enum OpenAPIDocument {
    static let json = #"""
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
          "prompt_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}}}}},
      "SearchRequest": {"type": "object", "required": ["query"], "properties": {
        "query": {"type": "string"}, "k": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
        "mode": {"type": "string", "enum": ["hybrid", "vector", "keyword"], "default": "hybrid"},
        "context": {"type": "integer", "minimum": 0, "maximum": 20, "default": 0},
        "vector_weight": {"type": "number", "minimum": 0, "maximum": 1, "description": "hybrid: the vector ranking's weight against the keyword ranking (0 keyword only, 1 vector only); default the index's, else 0.5"},
        "filters": {"type": "object", "properties": {"path": {"type": "string", "description": "glob over the relative path"},
          "types": {"type": "array", "items": {"type": "string"}}, "modified_after": {"type": "string"},
          "modified_before": {"type": "string"}, "company": {"type": "string", "description": "name, corp_code or stock code"},
          "report_type": {"type": "string"}, "period": {"type": "string", "description": "2024, 2024-H1 or 2024-Q3"},
          "filed_after": {"type": "string", "description": "YYYY-MM-DD"}, "filed_before": {"type": "string", "description": "YYYY-MM-DD"}}}}},
      "Chunk": {"type": "object", "properties": {"chunk_id": {"type": "integer"}, "ordinal": {"type": "integer"},
        "text": {"type": "string"}, "start": {"type": "integer"}, "end": {"type": "integer"}, "page": {"type": "integer", "nullable": true},
        "section": {"type": "string", "nullable": true, "description": "the headings above the passage, joined by ' > '"}}},
      "SearchHit": {"type": "object", "required": ["rank", "score", "path", "chunk_id", "text", "start", "end", "page", "section"], "properties": {
        "rank": {"type": "integer"}, "score": {"type": "number"}, "path": {"type": "string"}, "title": {"type": "string", "nullable": true},
        "chunk_id": {"type": "integer"}, "document_id": {"type": "integer"}, "ordinal": {"type": "integer"}, "text": {"type": "string"},
        "start": {"type": "integer"}, "end": {"type": "integer"}, "page": {"type": "integer", "nullable": true},
        "section": {"type": "string", "nullable": true, "description": "the headings above the passage, joined by ' > '"},
        "metadata": {"type": "object", "description": "what the document is; keys omitted when unknown", "properties": {
          "company": {"type": "string"}, "corp_code": {"type": "string"}, "stock_code": {"type": "string"}, "report_type": {"type": "string"},
          "period": {"type": "string"}, "filed": {"type": "string"}, "rcept_no": {"type": "string"},
          "inferred": {"type": "array", "items": {"type": "string"}}}},
        "vector_rank": {"type": "integer", "nullable": true}, "keyword_rank": {"type": "integer", "nullable": true},
        "context": {"type": "array", "items": {"$ref": "#/components/schemas/Chunk"}}}},
      "SearchResponse": {"type": "object", "required": ["query", "mode", "results"], "properties": {
        "query": {"type": "string"}, "mode": {"type": "string"},
        "vector_weight": {"type": "number", "description": "the fusion's vector weight (hybrid only)"}, "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}}}}
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
      "responses": {"200": {"description": "Hits", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResponse"}}}},
        "400": {"description": "Bad request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/v1/documents/{id}": {"get": {"summary": "A document with its stored text",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
      "responses": {"200": {"description": "The document"}, "404": {"description": "Not found", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/v1/chunks/{id}": {"get": {"summary": "A chunk with its neighbours",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                     {"name": "neighbours", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 20, "default": 1}}],
      "responses": {"200": {"description": "The chunk"}, "404": {"description": "Not found", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/v1/info": {"get": {"summary": "What the index holds", "responses": {"200": {"description": "Counts, model, FAISS type"}}}},
    "/health": {"get": {"summary": "Liveness", "security": [], "responses": {"200": {"description": "ok"}}}},
    "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI"}}}}
  }
}
"""#
}
