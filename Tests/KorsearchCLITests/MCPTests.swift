import Foundation
import MCP
import SystemPackage
import XCTest

/// `korsearch mcp` as a real process, driven by the MCP Swift SDK's own client over its stdin and stdout.
final class MCPTests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The server process and a client connected to it.
    private struct Session {
        let process: Process
        let client: Client
        let input: FileHandle   // the server's stdin (closing it ends the server)
        let errors: Pipe
    }

    private func start(index: String, arguments: [String] = []) async throws -> Session {
        let process = Process()
        process.executableURL = Bundle.main.bundleURL.appendingPathComponent("korsearch")
        process.arguments = ["mcp", "--index", index] + arguments
        let toServer = Pipe(), fromServer = Pipe(), errors = Pipe()
        process.standardInput = toServer
        process.standardOutput = fromServer
        process.standardError = errors
        try process.run()
        let transport = StdioTransport(input: FileDescriptor(rawValue: fromServer.fileHandleForReading.fileDescriptor),
                                       output: FileDescriptor(rawValue: toServer.fileHandleForWriting.fileDescriptor))
        let client = Client(name: "korsearch-tests", version: "1.0")
        _ = try await client.connect(transport: transport)
        return Session(process: process, client: client, input: toServer.fileHandleForWriting, errors: errors)
    }

    private func structured(_ session: Session, _ tool: String, _ arguments: [String: Value]) async throws -> CallTool.Result {
        try await session.client.callTool(name: tool, arguments: arguments).value
    }

    private func text(_ result: CallTool.Result) -> String {
        result.content.compactMap { if case .text(let text, _, _) = $0 { text } else { nil } }.joined()
    }

    func testToolsListedCalledAndBadArgumentsAreToolErrors() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-mcp-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let model = repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path
        let index = folder.appendingPathComponent("index").path
        let indexed = try runKorsearch(["index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", model, "--quiet"])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let session = try await start(index: index, arguments: ["--model", model])

        let (tools, _) = try await session.client.listTools()
        XCTAssertEqual(tools.map(\.name), ["search", "get_context", "get_document", "index_info"])
        XCTAssertEqual(tools.first?.inputSchema.objectValue?["required"], ["query"])

        // The same top hit as the CLI, in every mode, with the metadata filters.
        for mode in ["keyword", "hybrid", "vector"] {
            let cli = try runKorsearch(["search", "푸른건설 PF 대출 보증", "--index", index, "--model", model, "--json", "-k", "3", "--mode", mode])
            let expected = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])
            let result = try await structured(session, "search", ["query": "푸른건설 PF 대출 보증", "k": 3, "mode": .string(mode)])
            XCTAssertEqual(result.isError, false, text(result))
            let hits = try XCTUnwrap(result.structuredContent?.objectValue?["results"]?.arrayValue)
            XCTAssertEqual(hits.compactMap { $0.objectValue?["chunk_id"]?.intValue }, expected.compactMap { $0["chunk_id"] as? Int }, mode)
            XCTAssertEqual(hits.first?.objectValue?["path"]?.stringValue, expected.first?["path"] as? String)
            XCTAssertTrue(text(result).hasPrefix("[1] "), "a text rendering with citations: \(text(result))")
        }
        let filtered = try await structured(session, "search", [
            "query": "보증 잔액", "k": 2, "mode": "keyword", "context": 1,
            "filters": ["company": "00887766", "report_type": "반기보고서", "period": "2024"],
        ])
        let top = try XCTUnwrap(filtered.structuredContent?.objectValue?["results"]?.arrayValue?.first?.objectValue)
        XCTAssertEqual(top["path"]?.stringValue, "disclosures/20240816000456.zip")
        XCTAssertEqual(top["section"]?.stringValue, "IV. 우발부채 등에 관한 사항 > 1. PF 대출 지급보증")
        XCTAssertEqual(top["metadata"]?.objectValue?["company"]?.stringValue, "푸른건설㈜")
        XCTAssertNotNil(top["context"]?.arrayValue)

        // The passage's neighbours, and its document by ranges.
        let chunkId = try XCTUnwrap(top["chunk_id"]?.intValue)
        let context = try await structured(session, "get_context", ["chunk_id": .int(chunkId), "neighbours": 1])
        XCTAssertEqual(context.structuredContent?.objectValue?["chunk_id"]?.intValue, chunkId)
        XCTAssertFalse(context.structuredContent?.objectValue?["neighbours"]?.arrayValue?.isEmpty ?? true)
        let documentId = try XCTUnwrap(top["document_id"]?.intValue)
        let whole = try await structured(session, "get_document", ["document_id": .int(documentId)])
        let body = try XCTUnwrap(whole.structuredContent?.objectValue)
        XCTAssertEqual(body["path"]?.stringValue, "disclosures/20240816000456.zip")
        XCTAssertEqual(body["truncated"]?.boolValue, false)
        let total = try XCTUnwrap(body["total_characters"]?.intValue)
        XCTAssertEqual(body["text"]?.stringValue?.unicodeScalars.count, total)
        let part = try await structured(session, "get_document", ["document_id": .int(documentId), "start": 10, "end": 30])
        XCTAssertEqual(part.structuredContent?.objectValue?["text"]?.stringValue,
                       String(String.UnicodeScalarView(Array(body["text"]!.stringValue!.unicodeScalars)[10 ..< 30])))
        let info = try await structured(session, "index_info", [:])
        XCTAssertEqual(info.structuredContent?.objectValue?["documents"]?.intValue, 22)
        XCTAssertEqual(info.structuredContent?.objectValue?["facets"]?.objectValue?["company"]?.arrayValue?.first?.objectValue?["value"]?.stringValue, "한빛전자")

        // Bad arguments: tool errors with a message; the server goes on.
        let bad: [(String, [String: Value], String)] = [
            ("search", [:], "query is required"),
            ("search", ["query": "배당", "k": 0], "k must be between 1 and 100"),
            ("search", ["query": "배당", "mode": "fuzzy"], "mode must be hybrid, vector or keyword"),
            ("search", ["query": "배당", "filters": ["period": "2024-Q9"]], "is not YYYY, YYYY-H1/H2 or YYYY-Q1..Q4"),
            ("search", ["query": "배당", "filters": ["colour": "red"]], "unknown argument filters.colour"),
            ("search", ["query": "배당", "filters": ["types": ["xls"]]], "filters.types: xls is not a type"),
            ("search", ["query": 42], "query must be a string"),
            ("get_context", ["chunk_id": 999_999], "no passage with chunk_id 999999"),
            ("get_document", ["document_id": .int(documentId), "start": 50, "end": 10], "end 10 is before start 50"),
            ("get_document", ["document_id": -1], "no document with document_id -1"),
            ("index_info", ["verbose": true], "unknown argument verbose"),
            ("translate", [:], "no tool translate"),
        ]
        for (tool, arguments, message) in bad {
            let result = try await structured(session, tool, arguments)
            XCTAssertEqual(result.isError, true, "\(tool) \(arguments)")
            XCTAssertTrue(text(result).contains(message), "\(tool) \(arguments): \(text(result))")
        }
        let still = try await structured(session, "search", ["query": "배당", "k": 1, "mode": "keyword"])
        XCTAssertEqual(still.isError, false, "the server keeps running")

        // Closing its input ends the server, cleanly; stdout carried only protocol messages (the client parsed
        // every line), logs went to stderr.
        await session.client.disconnect()
        try session.input.close()
        session.process.waitUntilExit()
        XCTAssertEqual(session.process.terminationStatus, 0)
        let log = String(decoding: session.errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("MCP server on stdio"), log)
    }
}
