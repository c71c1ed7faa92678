import Foundation
import Hummingbird
import KorSearch

/// An error answered in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
struct APIError: Error {
    let status: HTTPResponse.Status
    let message: String
    var type = "invalid_request_error"
    var param: String?
    var code: String?

    static func badRequest(_ message: String, param: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, param: param)
    }

    var response: Response {
        struct Body: Encodable {
            struct Detail: Encodable {
                let message: String; let type: String; let param: String?; let code: String?
                // OpenAI sends param and code as null when absent.
                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(message, forKey: .message)
                    try container.encode(type, forKey: .type)
                    try container.encode(param, forKey: .param)
                    try container.encode(code, forKey: .code)
                }
                enum CodingKeys: String, CodingKey { case message, type, param, code }
            }
            let error: Detail
        }
        return JSONResponse.make(Body(error: .init(message: message, type: type, param: param, code: code)), status: status)
    }
}

/// Turns every failure into an OpenAI-style error response: ours, KorSearch's, Hummingbird's (404, 413, ...),
/// and anything unexpected (500, without internals). Nothing a client sends reaches the process as a crash.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as KorSearchError {
            let status: HTTPResponse.Status =
                switch error.kind {
                case .invalidArgument: .badRequest
                case .indexNotFound, .notFound: .notFound
                case .modelMismatch, .corruptIndex, .catalog, .vectorIndex: .internalServerError
                case .locked, .store: .serviceUnavailable
                default: .badRequest
                }
            if status == .badRequest {
                return APIError(status: status, message: error.message, type: "invalid_request_error", param: error.parameter).response
            }
            // What a request asked for that the index does not hold (a company's statements, an account).
            if error.kind == .notFound {
                return APIError(status: .notFound, message: error.message, type: "invalid_request_error", param: error.parameter).response
            }
            // The index's own faults name its files or its server: those stay in the server's log.
            FileHandle.standardError.write(Data("korsearch: \(request.method) \(request.uri.path): \(error.message)\n".utf8))
            let message =
                status == .serviceUnavailable
                ? "the index is busy or its store unavailable; try again"
                : "the index could not answer this request (the server's log has the details)"
            return APIError(status: status, message: message, type: "server_error").response
        } catch let error as any HTTPResponseError {
            let message =
                switch error.status {
                case .contentTooLarge: "the request body is too large"
                case .notFound: "no such endpoint: \(request.method) \(request.uri.path)"
                case .methodNotAllowed: "method \(request.method) is not allowed on \(request.uri.path)"
                default: "\(error.status)"
                }
            return APIError(status: error.status, message: message, code: error.status == .contentTooLarge ? "request_too_large" : nil).response
        } catch {
            context.logger.error("unexpected error: \(error)")
            return APIError(status: .internalServerError, message: "internal error", type: "server_error").response
        }
    }
}

/// Requires `Authorization: Bearer KEY` on every path but /health, /openapi.json and the search page's files.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        // The page and its assets are public; the data they load is not (the page asks for the key).
        if ["/health", "/openapi.json", "/", "/app.css", "/app.js"].contains(path) { return try await next(request, context) }
        guard request.headers[.authorization] == "Bearer \(key)" else {
            throw APIError(status: .unauthorized, message: "missing or wrong API key: send Authorization: Bearer <key>", code: "invalid_api_key")
        }
        return try await next(request, context)
    }
}

/// JSON responses with sorted keys.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// One line on stderr per request: method, path (without its query), status and milliseconds. Bodies,
/// queries and keys are never logged.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = Date()
        var status = 500
        defer {
            let milliseconds = Date().timeIntervalSince(started) * 1000
            let path = String(request.uri.path.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
            FileHandle.standardError.write(
                Data(String(format: "korsearch: %@ %@ %d %.1f ms\n", "\(request.method)", path, status, milliseconds).utf8))
        }
        let response = try await next(request, context)
        status = response.status.code
        return response
    }
}
