import Foundation
import KorSearchTestSupport
import MCP
import XCTest

/// `korsearch mcp` as a real process, driven over its stdin and stdout twice: by a plain JSON-RPC client (one
/// message per line, as MCP's stdio transport frames them), which sees every byte the server writes, and by the
/// MCP Swift SDK's own `Client`, as a host built on the SDK would. The SDK client (0.12.1) must be disconnected
/// before the server's output ends: its message loop (`repeat { for try await … } while true`) spins after EOF.
final class MCPTests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var model: String { repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path }

    /// A server process and the lines it answers.
    private final class Session {
        let process = Process()
        let input = Pipe(), output = Pipe(), errors = Pipe()
        private var buffer = Data()
        private var nextID = 1

        init(_ arguments: [String]) throws {
            process.executableURL = Bundle.main.bundleURL.appendingPathComponent("korsearch")
            process.arguments = arguments
            process.standardInput = input
            process.standardOutput = output
            process.standardError = errors
            try process.run()
        }

        func send(_ message: [String: Any]) throws {
            var data = try JSONSerialization.data(withJSONObject: message)
            data.append(0x0A)
            try input.fileHandleForWriting.write(contentsOf: data)
        }

        /// Sends a request and returns its response's `result` (or `error`), skipping notifications.
        func request(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
            let id = nextID
            nextID += 1
            try send(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
            while true {
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = buffer[buffer.startIndex ..< newline]
                    buffer = Data(buffer[(newline + 1)...])
                    // Every line on stdout is a protocol message.
                    let message = try XCTUnwrap(try JSONSerialization.jsonObject(with: line) as? [String: Any], String(decoding: line, as: UTF8.self))
                    if message["id"] as? Int == id { return (message["result"] ?? message["error"]) as? [String: Any] ?? [:] }
                }
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty {
                    process.waitUntilExit()
                    let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    throw NSError(
                        domain: "MCPTests", code: 1,
                        userInfo: [NSLocalizedDescriptionKey: "the server closed its output (status \(process.terminationStatus)): \(log)"])
                }
                buffer.append(chunk)
            }
        }

        func call(_ tool: String, _ arguments: [String: Any]) throws -> (structured: [String: Any]?, text: String, isError: Bool) {
            let result = try request("tools/call", ["name": tool, "arguments": arguments])
            let text = (result["content"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }.joined()
            return (result["structuredContent"] as? [String: Any], text, result["isError"] as? Bool ?? false)
        }
    }

    func testToolsListedCalledAndBadArgumentsAreToolErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-mcp-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let index = folder.appendingPathComponent("index").path
        let indexed = try runKorsearch([
            "index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", model, "--quiet",
        ])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let session = try Session(["mcp", "--index", index, "--model", model])
        let initialized = try session.request(
            "initialize",
            [
                "protocolVersion": "2025-03-26", "capabilities": [String: Any](),
                "clientInfo": ["name": "korsearch-tests", "version": "1.0"],
            ])
        XCTAssertEqual((initialized["serverInfo"] as? [String: Any])?["name"] as? String, "korsearch")
        XCTAssertNotNil((initialized["capabilities"] as? [String: Any])?["tools"])
        try session.send(["jsonrpc": "2.0", "method": "notifications/initialized"])

        let tools = try XCTUnwrap(try session.request("tools/list")["tools"] as? [[String: Any]])
        XCTAssertEqual(
            tools.compactMap { $0["name"] as? String },
            ["search", "get_context", "get_document", "get_toc", "read_section", "get_financials", "compare_financials", "index_info"])
        XCTAssertEqual((tools.first?["inputSchema"] as? [String: Any])?["required"] as? [String], ["query"])

        // The same hits as the CLI, in every mode.
        for mode in ["keyword", "hybrid", "vector"] {
            let cli = try runKorsearch(["search", "푸른건설 PF 대출 보증", "--index", index, "--model", model, "--json", "-k", "3", "--mode", mode])
            let expected = try XCTUnwrap(
                (try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])
            let result = try session.call("search", ["query": "푸른건설 PF 대출 보증", "k": 3, "mode": mode])
            XCTAssertFalse(result.isError, result.text)
            let hits = try XCTUnwrap(result.structured?["results"] as? [[String: Any]])
            XCTAssertEqual(hits.compactMap { $0["chunk_id"] as? Int }, expected.compactMap { $0["chunk_id"] as? Int }, mode)
            XCTAssertTrue(result.text.hasPrefix("[1] "), "a text rendering with citations: \(result.text)")
        }
        let weighted = try session.call("search", ["query": "푸른건설 PF 대출 보증", "k": 3, "vector_weight": 0])
        XCTAssertEqual(weighted.structured?["vector_weight"] as? Double, 0)
        let keyword = try runKorsearch(["search", "푸른건설 PF 대출 보증", "--index", index, "--model", model, "--json", "-k", "3", "--mode", "keyword"])
        XCTAssertEqual(
            (weighted.structured?["results"] as? [[String: Any]])?.compactMap { $0["chunk_id"] as? Int },
            ((try JSONSerialization.jsonObject(with: Data(keyword.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])?.compactMap {
                $0["chunk_id"] as? Int
            },
            "vector_weight 0 ranks as keyword search")
        let filtered = try session.call(
            "search",
            [
                "query": "보증 잔액", "k": 2, "mode": "keyword", "context": 1,
                "filters": ["company": "00887766", "report_type": "반기보고서", "period": "2024"],
            ])
        let top = try XCTUnwrap((filtered.structured?["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(top["path"] as? String, "disclosures/20240816000456.zip")
        XCTAssertEqual(top["section"] as? String, "IV. 우발부채 등에 관한 사항 > 1. PF 대출 지급보증")
        XCTAssertEqual((top["metadata"] as? [String: Any])?["company"] as? String, "푸른건설㈜")
        XCTAssertNotNil(top["context"] as? [[String: Any]])

        // The passage's neighbours, and its document by ranges.
        let chunkId = try XCTUnwrap(top["chunk_id"] as? Int)
        let context = try session.call("get_context", ["chunk_id": chunkId, "neighbours": 1])
        XCTAssertEqual(context.structured?["chunk_id"] as? Int, chunkId)
        XCTAssertFalse((context.structured?["neighbours"] as? [Any] ?? []).isEmpty)
        let documentId = try XCTUnwrap(top["document_id"] as? Int)
        let whole = try XCTUnwrap(try session.call("get_document", ["document_id": documentId]).structured)
        XCTAssertEqual(whole["path"] as? String, "disclosures/20240816000456.zip")
        XCTAssertEqual(whole["truncated"] as? Bool, false)
        let text = try XCTUnwrap(whole["text"] as? String)
        XCTAssertEqual(text.unicodeScalars.count, whole["total_characters"] as? Int)
        let part = try session.call("get_document", ["document_id": documentId, "start": 10, "end": 30])
        XCTAssertEqual(part.structured?["text"] as? String, String(String.UnicodeScalarView(Array(text.unicodeScalars)[10 ..< 30])))
        let info = try XCTUnwrap(try session.call("index_info", [:]).structured)
        XCTAssertEqual(info["documents"] as? Int, 22)
        XCTAssertEqual((((info["facets"] as? [String: Any])?["company"] as? [[String: Any]])?.first)?["value"] as? String, "한빛전자")

        // Bad arguments: tool errors with a message; the server goes on.
        let bad: [(String, [String: Any], String)] = [
            ("search", [:], "query is required"),
            ("search", ["query": "배당", "k": 0], "k must be between 1 and 100"),
            ("search", ["query": "배당", "mode": "fuzzy"], "mode must be hybrid, vector or keyword"),
            ("search", ["query": "배당", "filters": ["period": "2024-Q9"]], "is not YYYY, YYYY-H1/H2 or YYYY-Q1..Q4"),
            ("search", ["query": "배당", "filters": ["colour": "red"]], "unknown argument filters.colour"),
            ("search", ["query": "배당", "filters": ["types": ["xls"]]], "filters.types: xls is not a type"),
            ("search", ["query": 42], "query must be a string"),
            ("search", ["query": "배당", "vector_weight": 2], "vector_weight must be between 0 and 1, not 2"),
            ("search", ["query": "배당", "vector_weight": "half"], "vector_weight must be a number"),
            ("get_context", ["chunk_id": 999_999], "no passage with chunk_id 999999"),
            ("get_document", ["document_id": documentId, "start": 50, "end": 10], "end 10 is before start 50"),
            ("get_document", ["document_id": -1], "no document with document_id -1"),
            ("index_info", ["verbose": true], "unknown argument verbose"),
            ("translate", [:], "no tool translate"),
        ]
        for (tool, arguments, message) in bad {
            let result = try session.call(tool, arguments)
            XCTAssertTrue(result.isError, "\(tool) \(arguments)")
            XCTAssertTrue(result.text.contains(message), "\(tool) \(arguments): \(result.text)")
        }
        XCTAssertFalse(try session.call("search", ["query": "배당", "k": 1, "mode": "keyword"]).isError, "the server keeps running")

        // Closing its input ends the server, cleanly; logs went to stderr.
        try session.input.fileHandleForWriting.close()
        session.process.waitUntilExit()
        XCTAssertEqual(session.process.terminationStatus, 0)
        let log = String(decoding: session.errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("MCP server on stdio"), log)
    }

    /// Like the HTTP server, the MCP server picks up an index another process has updated.
    func testAnIndexUpdatedByAnotherProcessIsServed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-mcp-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let index = try buildCorpusIndex(in: folder, model: model)
        let session = try Session(["mcp", "--index", index, "--model", model])
        addTeardownBlock { session.process.terminate() }
        _ = try session.request(
            "initialize",
            [
                "protocolVersion": "2025-03-26", "capabilities": [String: Any](),
                "clientInfo": ["name": "korsearch-tests", "version": "1.0"],
            ])
        try session.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        func top() throws -> String? {
            let result = try session.call("search", ["query": "스테이블코인", "mode": "keyword", "k": 1])
            return (result.structured?["results"] as? [[String: Any]])?.first?["path"] as? String
        }
        XCTAssertNotEqual(try top(), "market/stablecoin.txt")
        let update = try addStablecoinFilingInAnotherProcess(corpus: folder.appendingPathComponent("corpus"), index: index, model: model)
        XCTAssertEqual(update.status, 0, update.stderr)
        XCTAssertTrue(try eventually { try top() == "market/stablecoin.txt" }, "the updated index is served")
    }

    /// The SDK's `Client` over pipes to the real binary: it initializes, lists the tools, calls each, gets the
    /// CLI's top hit and a tool error for bad arguments.
    func testSDKClientOverPipesToTheBinary() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-mcp-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let index = folder.appendingPathComponent("index").path
        let query = "새봄은행 순이자마진"
        let expected = try Self.indexAndSearch(
            index: index, model: model, corpus: repository.appendingPathComponent("Examples/corpus").path, query: query)

        let process = Process(), toServer = Pipe(), fromServer = Pipe()
        process.executableURL = Bundle.main.bundleURL.appendingPathComponent("korsearch")
        process.arguments = ["mcp", "--index", index, "--model", model]
        process.standardInput = toServer
        process.standardOutput = fromServer
        process.standardError = FileHandle.nullDevice
        let client = Client(name: "korsearch-sdk-tests", version: "1.0")
        // A server that dies must fail the test, not hang it: disconnecting ends the client's pending requests
        // (and its message loop, which would spin on the closed pipe).
        process.terminationHandler = { _ in Task { await client.disconnect() } }
        try process.run()
        let transport = StdioTransport(
            input: .init(rawValue: fromServer.fileHandleForReading.fileDescriptor),
            output: .init(rawValue: toServer.fileHandleForWriting.fileDescriptor))
        let initialized = try await client.connect(transport: transport)
        XCTAssertEqual(initialized.serverInfo.name, "korsearch")

        let (tools, _) = try await client.listTools()
        XCTAssertEqual(
            tools.map(\.name),
            ["search", "get_context", "get_document", "get_toc", "read_section", "get_financials", "compare_financials", "index_info"])
        func call(_ name: String, _ arguments: [String: Value]) async throws -> CallTool.Result {
            try await client.send(CallTool.request(.init(name: name, arguments: arguments))).value
        }
        let search = try await call("search", ["query": .string(query), "k": 3])
        XCTAssertNotEqual(search.isError, true)
        let top = try XCTUnwrap(search.structuredContent?.objectValue?["results"]?.arrayValue?.first?.objectValue)
        XCTAssertEqual(top["chunk_id"]?.intValue, expected.chunk, "the CLI's top hit")
        XCTAssertEqual(top["path"]?.stringValue, expected.path)
        guard case .text(let rendering, _, _)? = search.content.first else { return XCTFail("no text content") }
        // (After the aliases line: the default list widens 순이자마진 by NIM.)
        XCTAssertTrue(rendering.hasPrefix("also searched: 순이자마진 → NIM\n\n[1] score "), rendering)
        XCTAssertTrue(rendering.contains(" · \(expected.path)"), rendering)

        let chunk = try XCTUnwrap(top["chunk_id"]), document = try XCTUnwrap(top["document_id"])
        let context = try await call("get_context", ["chunk_id": chunk, "neighbours": 1])
        XCTAssertEqual(context.structuredContent?.objectValue?["chunk_id"], chunk)
        let text = try await call("get_document", ["document_id": document, "start": 0, "end": 40])
        XCTAssertEqual(text.structuredContent?.objectValue?["text"]?.stringValue?.unicodeScalars.count, 40)
        let info = try await call("index_info", [:])
        XCTAssertEqual(info.structuredContent?.objectValue?["documents"]?.intValue, 22)

        // Bad arguments come back as a tool error with its message, through the SDK's own types too.
        let (content, isError) = try await client.callTool(name: "search", arguments: ["query": .string(query), "k": 1000])
        XCTAssertEqual(isError, true)
        guard case .text(let message, _, _)? = content.first else { return XCTFail("no error text") }
        XCTAssertTrue(message.contains("k must be between 1 and 100"), message)

        await client.disconnect()
        try toServer.fileHandleForWriting.close()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        XCTAssertEqual(process.terminationStatus, 0)
    }

    /// The financial tools over a synced index: get_financials answers an account of two companies over three
    /// years, compare_financials puts them side by side, each value citing its filing; the text shows the same.
    func testFinancialsToolsAnswerSideBySideAndCiteTheirFilings() throws {
        let server = try OpenDARTTestServer()
        defer { server.stop() }
        let folder = try temporaryFolder()
        let index = try buildDARTIndex(in: folder, server: server, model: model)
        let session = try openSession(["mcp", "--index", index, "--model", model])
        defer { try? session.input.fileHandleForWriting.close() }
        let arguments: [String: Any] = ["company": ["한빛전자", "푸른건설"], "account": ["영업이익"], "period": ["2021", "2022", "2023"]]
        let lines = try session.call("get_financials", arguments)
        XCTAssertFalse(lines.isError, lines.text)
        let facts = try XCTUnwrap(lines.structured?["facts"] as? [[String: Any]])
        XCTAssertEqual(facts.count, 6)
        XCTAssertEqual(facts.first?["current"] as? Int, Int(OpenDARTTestServer.won(-320, consolidated: true)))
        XCTAssertTrue(lines.text.contains("| 한빛전자 | 2023 | IS 연결 | 영업이익(손실) | 8,112.00억 | 7,300.00억 | 20240318000456 |"), lines.text)

        let compared = try session.call("compare_financials", arguments)
        XCTAssertFalse(compared.isError, compared.text)
        XCTAssertEqual(compared.structured?["periods"] as? [String], ["2021", "2022", "2023"])
        let rows = try XCTUnwrap(compared.structured?["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["company"] as? String }, ["푸른건설", "한빛전자"])
        let hanbit = try XCTUnwrap(rows.last?["values"] as? [[String: Any]])
        XCTAssertEqual(hanbit.map { $0["rcept_no"] as? String }, ["20220321000100", "20230320000100", "20240318000456"])
        XCTAssertTrue(compared.text.contains("| 한빛전자 | 영업이익(손실) | IS 연결 | 6,500.00억 | 7,300.00억 | 8,112.00억 |"), compared.text)
        XCTAssertTrue(compared.text.contains("한빛전자 2023 rcept_no 20240318000456"), compared.text)

        let noAccount = try session.call("compare_financials", ["company": ["한빛전자"]])
        XCTAssertTrue(noAccount.isError)
        XCTAssertTrue(noAccount.text.contains("account is required"), noAccount.text)
        let unknown = try session.call("get_financials", ["company": "누리바이오"])
        XCTAssertTrue(unknown.isError)
        XCTAssertTrue(unknown.text.contains("no financial statements of 누리바이오"), unknown.text)
        let searched = try session.call("search", ["query": "푸른건설 2023년 영업이익", "mode": "keyword", "k": 1])
        XCTAssertEqual((searched.structured?["facts"] as? [[String: Any]])?.first?["rcept_no"] as? String, "20240320000999")
        XCTAssertTrue(searched.text.hasPrefix("financial statement lines the question names:\n| company |"), searched.text)
    }

    /// A server process over `index`, initialized.
    private func openSession(_ arguments: [String]) throws -> Session {
        let session = try Session(arguments)
        _ = try session.request(
            "initialize",
            ["protocolVersion": "2025-03-26", "capabilities": [String: Any](), "clientInfo": ["name": "korsearch-tests", "version": "1.0"]])
        try session.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        return session
    }

    /// What an agent reads is what it needs to act: each hit's text has its rank, score, chunk_id, document_id,
    /// path, section and filing fields and the neighbours asked for, the table rows as rows; every tool declares
    /// an output schema its structured answer keeps to; `--keyword-only` offers keyword as the only and default
    /// mode, so an agent's first call (without a mode) succeeds.
    func testTheTextCarriesWhatAnAgentActsOnAndKeywordOnlyOffersKeyword() throws {
        let folder = try temporaryFolder()
        let index = folder.appendingPathComponent("index").path
        let indexed = try runKorsearch([
            "index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", model, "--quiet",
        ])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let session = try openSession(["mcp", "--index", index, "--model", model])
        let tools = try XCTUnwrap(try session.request("tools/list")["tools"] as? [[String: Any]])
        for tool in tools { XCTAssertNotNil(tool["outputSchema"], "\(tool["name"] ?? "?") declares its output") }
        let found = try session.call(
            "search", ["query": "보증 잔액", "k": 2, "mode": "keyword", "context": 1, "filters": ["company": "00887766"]])
        XCTAssertFalse(found.isError, found.text)
        let top = try XCTUnwrap((found.structured?["results"] as? [[String: Any]])?.first)
        let metadata = try XCTUnwrap(top["metadata"] as? [String: Any])
        let first = try XCTUnwrap(found.text.components(separatedBy: "\n[2] ").first)
        for expected in [
            "[1] score \(String(format: "%.4f", try XCTUnwrap(top["score"] as? Double))) · ", "chunk_id \(try XCTUnwrap(top["chunk_id"] as? Int))",
            "document_id \(try XCTUnwrap(top["document_id"] as? Int))", try XCTUnwrap(top["path"] as? String),
            "IV. 우발부채 등에 관한 사항", try XCTUnwrap(metadata["company"] as? String), try XCTUnwrap(metadata["report_type"] as? String),
            "rcept_no \(try XCTUnwrap(metadata["rcept_no"] as? String))",
        ] {
            XCTAssertTrue(first.contains(expected), "\(expected) in:\n\(first)")
        }
        for neighbour in top["context"] as? [[String: Any]] ?? [] {
            let id = try XCTUnwrap(neighbour["chunk_id"] as? Int)
            XCTAssertTrue(first.contains("[chunk_id \(id)]: "), "the neighbour \(id) is rendered:\n\(first)")
        }
        XCTAssertFalse((top["context"] as? [Any] ?? []).isEmpty)
        // index_info's answer keeps to its declared schema.
        let info = try XCTUnwrap(try session.call("index_info", [:]).structured)
        let declared = try XCTUnwrap(
            (tools.first { $0["name"] as? String == "index_info" }?["outputSchema"] as? [String: Any])?["properties"] as? [String: Any])
        XCTAssertEqual(Set(info.keys).subtracting(declared.keys), [], "fields the schema does not declare")
        let required = try XCTUnwrap(
            (tools.first { $0["name"] as? String == "index_info" }?["outputSchema"] as? [String: Any])?["required"] as? [String])
        XCTAssertEqual(Set(required).subtracting(info.keys), [], "declared required, missing")

        // The DART filing's sections as a map an agent navigates: a search in one section, its table of contents,
        // a section read by code; a section it does not have is a tool error naming those it has.
        let inSection = try session.call("search", ["query": "보증", "k": 3, "mode": "keyword", "filters": ["section": "XI-2"]])
        let hits = try XCTUnwrap(inSection.structured?["results"] as? [[String: Any]])
        XCTAssertFalse(hits.isEmpty, inSection.text)
        XCTAssertTrue(hits.allSatisfy { ($0["section"] as? String)?.hasPrefix("IV. 우발부채 등에 관한 사항") == true }, inSection.text)
        let filing = try XCTUnwrap(hits.first?["document_id"] as? Int)
        let toc = try session.call("get_toc", ["document_id": filing])
        XCTAssertFalse(toc.isError, toc.text)
        XCTAssertTrue(toc.text.contains("[II-1] II. 사업의 내용 > 1. 사업의 개요 (chunk_id "), toc.text)
        XCTAssertTrue(toc.text.contains("[XI-2] IV. 우발부채 등에 관한 사항"), toc.text)
        let codes = (toc.structured?["sections"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        XCTAssertTrue(codes.contains("III-1"), "\(codes)")
        let read = try session.call("read_section", ["document_id": filing, "section": "III"])
        XCTAssertFalse(read.isError, read.text)
        XCTAssertTrue(read.text.contains("[III-1] III. 재무에 관한 사항 > 1. 요약재무정보"), read.text)
        XCTAssertTrue((read.structured?["text"] as? String)?.contains("부채비율") == true, read.text)
        let missing = try session.call("read_section", ["document_id": filing, "section": "배당에 관한 사항"])
        XCTAssertTrue(missing.isError)
        XCTAssertTrue(missing.text.contains("has no section 배당에 관한 사항; it has: "), missing.text)
        let badDocument = try session.call("get_toc", ["document_id": 999_999])
        XCTAssertTrue(badDocument.isError && badDocument.text.contains("no document with document_id 999999"), badDocument.text)
        try session.input.fileHandleForWriting.close()
        session.process.waitUntilExit()

        let keywordOnly = try openSession(["mcp", "--index", index, "--keyword-only"])
        let offered = try XCTUnwrap(try keywordOnly.request("tools/list")["tools"] as? [[String: Any]])
        let properties = try XCTUnwrap(
            ((offered.first { $0["name"] as? String == "search" }?["inputSchema"] as? [String: Any])?["properties"] as? [String: Any]))
        let mode = try XCTUnwrap(properties["mode"] as? [String: Any])
        XCTAssertEqual(mode["enum"] as? [String], ["keyword"])
        XCTAssertEqual(mode["default"] as? String, "keyword")
        XCTAssertNil(properties["vector_weight"], "no vector weight without vectors")
        let plain = try keywordOnly.call("search", ["query": "보증 잔액", "k": 2])
        XCTAssertFalse(plain.isError, plain.text)
        XCTAssertEqual(plain.structured?["mode"] as? String, "keyword")
        let hybrid = try keywordOnly.call("search", ["query": "보증 잔액", "mode": "hybrid"])
        XCTAssertTrue(hybrid.isError && hybrid.text.contains("keyword only"), hybrid.text)
        try keywordOnly.input.fileHandleForWriting.close()
        keywordOnly.process.waitUntilExit()
    }

    /// An index of one long document (60,000 characters: a `get_document` answer of about 200 KB, past a pipe's
    /// 64 KiB buffer), a server over it, initialized; and the document's id.
    private func longDocumentSession() throws -> (Session, Int) {
        let folder = try temporaryFolder()
        let sentence = "한빛전자의 2024년 매출액은 전년보다 12.2% 늘었고 영업이익률은 29.0%로 개선되었다. "
        try write(String(repeating: sentence, count: 60_000 / sentence.count + 1), to: folder.appendingPathComponent("docs"), "long.txt")
        let index = folder.appendingPathComponent("index").path
        let indexed = try runKorsearch(["index", folder.appendingPathComponent("docs").path, "--index", index, "--model", model, "--quiet"])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let session = try Session(["mcp", "--index", index, "--model", model])
        _ = try session.request(
            "initialize",
            ["protocolVersion": "2025-03-26", "capabilities": [String: Any](), "clientInfo": ["name": "korsearch-tests", "version": "1.0"]])
        try session.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        let hit = try session.call("search", ["query": "한빛전자 매출액", "k": 1, "mode": "keyword"])
        let id = try XCTUnwrap((hit.structured?["results"] as? [[String: Any]])?.first?["document_id"] as? Int)
        return (session, id)
    }

    /// Every line the server writes until it closes its output, each parsed (a line that is not one JSON
    /// message fails the test).
    private func allMessages(_ session: Session) throws -> [[String: Any]] {
        let data = session.output.fileHandleForReading.readDataToEndOfFile()
        session.process.waitUntilExit()
        XCTAssertEqual(session.process.terminationStatus, 0)
        return try data.split(separator: 0x0A).map { line in
            try XCTUnwrap(
                try? JSONSerialization.jsonObject(with: line) as? [String: Any], "not one message: \(line.prefix(200)) … \(line.suffix(200))")
        }
    }

    /// Twenty `get_document` calls sent at once, as hosts issue parallel tool calls, each answer about 200 KB:
    /// every answer arrives whole, on a line of its own (they came back as lines of which 0–13 parsed).
    func testParallelCallsWithLargeAnswersArriveWhole() throws {
        let (session, document) = try longDocumentSession()
        for id in 100 ..< 120 {
            try session.send([
                "jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": ["name": "get_document", "arguments": ["document_id": document, "end": 60_000]],
            ])
        }
        try session.input.fileHandleForWriting.close()
        let answers = try allMessages(session).filter { ($0["id"] as? Int).map { $0 >= 100 } ?? false }
        XCTAssertEqual(Set(answers.compactMap { $0["id"] as? Int }), Set(100 ..< 120))
        for answer in answers {
            let text = ((answer["result"] as? [String: Any])?["structuredContent"] as? [String: Any])?["text"] as? String
            XCTAssertEqual(text?.unicodeScalars.count, 60_000)
        }
    }

    /// A client that closes its input right after a request still gets the whole answer (it was cut at a 64 KiB
    /// multiple), and the server then exits 0.
    func testAnAnswerIsWrittenWholeAfterTheInputCloses() throws {
        let (session, document) = try longDocumentSession()
        try session.send([
            "jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": ["name": "get_document", "arguments": ["document_id": document, "end": 60_000]],
        ])
        try session.input.fileHandleForWriting.close()
        let answer = try XCTUnwrap(try allMessages(session).first { $0["id"] as? Int == 7 })
        let text = ((answer["result"] as? [String: Any])?["structuredContent"] as? [String: Any])?["text"] as? String
        XCTAssertEqual(text?.unicodeScalars.count, 60_000)
    }

    /// A 4 MB message is read and answered (it took 41 s, reading in quadratic time); one past the 16 MiB limit
    /// is answered with a JSON-RPC error and the server goes on to the next.
    func testLongMessagesAreReadInOnePassAndOversizedOnesRefused() throws {
        let (session, _) = try longDocumentSession()
        let padding = String(repeating: "가", count: 4_000_000 / 3)
        let long = try session.request("tools/call", ["name": "search", "arguments": ["query": "매출액", "k": 1, "padding": padding]])
        XCTAssertNotNil(long["content"] ?? long["message"], "answered: \(long.keys)")
        var huge = Data(#"{"jsonrpc":"2.0","id":900,"method":"tools/call","params":{"name":"search","arguments":{"query":""#.utf8)
        huge.append(Data(repeating: 0x61, count: 17 << 20))
        huge.append(Data(#""}}}"#.utf8))
        huge.append(0x0A)
        try session.input.fileHandleForWriting.write(contentsOf: huge)
        try session.send([
            "jsonrpc": "2.0", "id": 901, "method": "tools/call", "params": ["name": "search", "arguments": ["query": "영업이익률", "k": 1]],
        ])
        try session.input.fileHandleForWriting.close()
        let messages = try allMessages(session)
        let refused = messages.compactMap { $0["error"] as? [String: Any] }
        XCTAssertEqual(refused.first?["code"] as? Int, -32600)
        XCTAssertEqual(refused.first?["message"] as? String, "request longer than 16777216 bytes, the limit per message")
        let next = try XCTUnwrap(messages.first { $0["id"] as? Int == 901 }?["result"] as? [String: Any], "the next request is answered")
        XCTAssertNotEqual(next["isError"] as? Bool, true)
    }

    /// Indexes the corpus and returns the CLI's top hybrid hit for `query` (processes run off the test's task).
    private static func indexAndSearch(index: String, model: String, corpus: String, query: String) throws -> (chunk: Int, path: String) {
        let indexed = try runKorsearch(["index", corpus, "--index", index, "--model", model, "--quiet"])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let cli = try runKorsearch(["search", query, "--index", index, "--model", model, "--json", "-k", "3"])
        let top = try XCTUnwrap(
            ((try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])?.first)
        return (try XCTUnwrap(top["chunk_id"] as? Int), try XCTUnwrap(top["path"] as? String))
    }
}
