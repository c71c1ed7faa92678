import Foundation
import KorSearch
import XCTest

/// The one contract of every front end: the same request through `korsearch search --json`, `POST /v1/search`
/// and the MCP `search` tool (real processes, real HTTP on loopback, real stdio) gives the same results field
/// for field; the OpenAPI document and the MCP schemas list exactly the CLI's filters; the page's marks are
/// the CLI's highlights.
final class ContractTests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var model: String { repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    private func post(_ server: ServerProcess, _ path: String, _ body: Any) throws -> (status: Int, data: Data) {
        try server.fetch("POST", path, json: body)
    }

    private func get(_ server: ServerProcess, _ path: String) throws -> (status: Int, data: Data) {
        try server.fetch("GET", path)
    }

    /// MCP over stdio: initialize, then one `tools/call` per request; the tool results in order.
    private func mcp(
        index: String, _ calls: [(String, [String: Any])], extra: [String] = []
    ) throws -> (
        tools: [[String: Any]], results: [[String: Any]]
    ) {
        var messages: [[String: Any]] = [
            [
                "jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": [
                    "protocolVersion": "2025-03-26", "capabilities": [String: Any](), "clientInfo": ["name": "contract-tests", "version": "1"],
                ],
            ],
            ["jsonrpc": "2.0", "method": "notifications/initialized"],
            ["jsonrpc": "2.0", "id": 1, "method": "tools/list"],
        ]
        for (number, call) in calls.enumerated() {
            messages.append(["jsonrpc": "2.0", "id": number + 2, "method": "tools/call", "params": ["name": call.0, "arguments": call.1]])
        }
        let input =
            try messages.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }.joined(separator: "\n") + "\n"
        let run = try runKorsearch(["mcp", "--index", index, "--model", model] + extra, stdin: Data(input.utf8))
        XCTAssertEqual(run.status, 0, run.stderr)
        var byId: [Int: [String: Any]] = [:]
        for line in run.stdout.split(separator: "\n") {
            let message = try json(String(line))
            if let id = message["id"] as? Int { byId[id] = message["result"] as? [String: Any] }
        }
        let tools = try XCTUnwrap(byId[1]?["tools"] as? [[String: Any]], run.stdout)
        return (tools, try (0 ..< calls.count).map { try XCTUnwrap(byId[$0 + 2], "no answer to call \($0): \(run.stdout)") })
    }

    func testTheSameRequestGivesTheSameAnswerThroughTheCLIHTTPAndMCP() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-contract-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let index = try buildCorpusIndex(in: folder, model: model)

        // Filters, context and a vector weight, with each front end's spelling of them.
        let requests: [(cli: [String], body: [String: Any])] = [
            (
                [
                    "보증 잔액", "-k", "3", "--mode", "hybrid", "--vector-weight", "0.3", "--context", "1", "--company", "00887766", "--period", "2024",
                    "--filed-after", "2024-08-01", "--filed-before", "2025-01-01", "--facets",
                ],
                [
                    "query": "보증 잔액", "k": 3, "mode": "hybrid", "vector_weight": 0.3, "context": 1, "facets": true,
                    "filters": ["company": "00887766", "period": "2024", "filed_after": "2024-08-01", "filed_before": "2025-01-01"],
                ]
            ),
            (
                ["자기주식 소각", "-k", "4", "--mode", "keyword", "--type", "html", "--type", "MD", "--after", "2000-01-01", "--before", "2100-01-01"],
                [
                    "query": "자기주식 소각", "k": 4, "mode": "keyword",
                    "filters": ["types": ["html", "MD"], "modified_after": "2000-01-01", "modified_before": "2100-01-01"],
                ]
            ),
            (
                ["조기상환 손실", "-k", "2", "--mode", "vector", "--path", "*.pdf", "--context", "2"],
                ["query": "조기상환 손실", "k": 2, "mode": "vector", "context": 2, "filters": ["path": "*.pdf"]]
            ),
        ]
        let server = try ServerProcess.start(index: index, for: self)
        let (_, mcpResults) = try mcp(index: index, requests.map { ("search", $0.body) })
        for (number, request) in requests.enumerated() {
            let cli = try runKorsearch(["search"] + request.cli + ["--index", index, "--model", model, "--json"])
            XCTAssertEqual(cli.status, 0, cli.stderr)
            let http = try post(server, "/v1/search", request.body)
            XCTAssertEqual(http.status, 200, String(decoding: http.data, as: UTF8.self))
            let fromCLI = try json(cli.stdout)
            let fromHTTP = try json(String(decoding: http.data, as: UTF8.self))
            let fromMCP = try XCTUnwrap(mcpResults[number]["structuredContent"] as? [String: Any])
            let results = try XCTUnwrap(fromCLI["results"] as? [[String: Any]])
            XCTAssertFalse(results.isEmpty, "request \(number) finds something")
            // Field for field: the whole answers compared as JSON values.
            XCTAssertEqual(fromHTTP as NSDictionary, fromCLI as NSDictionary, "HTTP = CLI for request \(number)")
            XCTAssertEqual(fromMCP as NSDictionary, fromCLI as NSDictionary, "MCP = CLI for request \(number)")
            // Every hit has every field of the contract (absent values as null), highlights included.
            let expected = Set(
                SearchAnswer.schema.field(at: "results").flatMap { field -> [String]? in
                    if case .list(.object(let hit)) = field.kind { return hit.fields.filter(\.isRequired).map(\.name) }
                    return nil
                } ?? [])
            XCTAssertTrue(expected.contains("highlights") && expected.contains("tokens"), "\(expected)")
            for hit in results { XCTAssertTrue(expected.isSubset(of: Set(hit.keys)), "\(expected.subtracting(hit.keys)) missing") }
            if request.body["context"] != nil { XCTAssertNotNil(results.first?["context"], "context passages attached") }
            if request.body["facets"] != nil {
                let companies = try XCTUnwrap((fromCLI["facets"] as? [String: Any])?["company"] as? [[String: Any]], "the query's facets")
                XCTAssertEqual(companies.first?["value"] as? String, "푸른건설", "the filtered query's documents are 푸른건설's")
            } else {
                XCTAssertTrue(fromCLI["facets"] is NSNull, "null unless asked for")
            }
        }
        // The default aliases widened 자기주식 by 자사주: the answers say so, and the MCP text too.
        let widened = try json(try runKorsearch(["search", "자기주식 소각", "--index", index, "--mode", "keyword", "--json"]).stdout)
        XCTAssertEqual(widened["aliases"] as? NSArray, [["form": "자기주식", "aliases": ["자사주"]]] as NSArray)
        let mcpText = ((mcpResults[1]["content"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
        XCTAssertTrue(mcpText.hasPrefix("also searched: 자기주식 → 자사주"), mcpText)

        // A context and a document request answer the same through HTTP and MCP.
        let hit = try XCTUnwrap(
            (try json(try runKorsearch(["search", "자기주식 소각", "--index", index, "--mode", "keyword", "--json", "-k", "1"]).stdout)["results"]
                as? [[String: Any]])?.first)
        let chunk = try XCTUnwrap(hit["chunk_id"] as? Int), document = try XCTUnwrap(hit["document_id"] as? Int)
        let (_, answers) = try mcp(
            index: index,
            [
                ("get_context", ["chunk_id": chunk, "neighbours": 2]),
                ("get_document", ["document_id": document, "start": 5, "end": 60]),
            ])
        let context = try get(server, "/v1/chunks/\(chunk)?neighbours=2")
        XCTAssertEqual(
            try json(String(decoding: context.data, as: UTF8.self)) as NSDictionary, try XCTUnwrap(answers[0]["structuredContent"] as? NSDictionary))
        let range = try get(server, "/v1/documents/\(document)?start=5&end=60")
        XCTAssertEqual(
            try json(String(decoding: range.data, as: UTF8.self)) as NSDictionary, try XCTUnwrap(answers[1]["structuredContent"] as? NSDictionary))
        // The MCP text names the ids an agent passes on.
        let text = ((answers[0]["content"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
        XCTAssertTrue(text.contains("chunk_id \(chunk)") && text.contains("document_id \(document)"), text)
        // The same bad request is refused alike, naming the field.
        let bad = try post(server, "/v1/search", ["query": "금리", "context": 21])
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(String(decoding: bad.data, as: UTF8.self).contains("context must be between 0 and 20, not 21"))
        XCTAssertTrue(String(decoding: bad.data, as: UTF8.self).contains("\"param\":\"context\""))
        let cliBad = try runKorsearch(["search", "금리", "--index", index, "--context", "21"])
        XCTAssertEqual(cliBad.status, 64)
        XCTAssertTrue(cliBad.stderr.contains("--context must be between 0 and 20, not 21"), cliBad.stderr)
    }

    /// Reranking through every front end: the CLI's `--rerank MODEL`, a server and an MCP server started with
    /// it; the same answer field for field (the reranker named, the first-stage ranks kept); `rerank: false`
    /// gives the first stage alone; asking for it where none is loaded is refused naming the field.
    func testRerankingIsTheSameThroughTheCLIHTTPAndMCP() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-contract-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let index = try buildCorpusIndex(in: folder, model: model)
        let reranker = repository.appendingPathComponent("Tests/Fixtures/models/xlmr-tiny-reranker").path
        let body: [String: Any] = ["query": "자기주식 취득 금액", "k": 3, "rerank_top": 12, "filters": ["types": ["txt", "html", "md"]]]
        let cliArguments = ["자기주식 취득 금액", "-k", "3", "--rerank-top", "12", "--type", "txt", "--type", "html", "--type", "md"]
        let cli = try runKorsearch(["search"] + cliArguments + ["--rerank", reranker, "--index", index, "--model", model, "--json"])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        let fromCLI = try json(cli.stdout)
        XCTAssertEqual(fromCLI["reranker"] as? String, reranker)
        let results = try XCTUnwrap(fromCLI["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 3)
        XCTAssertTrue(results.allSatisfy { $0["first_stage_rank"] is Int && $0["first_stage_score"] is Double }, "\(results)")
        let scores = results.compactMap { $0["score"] as? Double }
        XCTAssertEqual(scores, scores.sorted(by: >), "ordered by the reranker's score")

        let server = try ServerProcess.start(index: index, ["--rerank", reranker], for: self)
        let http = try post(server, "/v1/search", body)
        XCTAssertEqual(http.status, 200, String(decoding: http.data, as: UTF8.self))
        XCTAssertEqual(try json(String(decoding: http.data, as: UTF8.self)) as NSDictionary, fromCLI as NSDictionary, "HTTP = CLI")
        let (tools, answers) = try mcp(index: index, [("search", body)], extra: ["--rerank", reranker])
        XCTAssertEqual(try XCTUnwrap(answers[0]["structuredContent"] as? NSDictionary), fromCLI as NSDictionary, "MCP = CLI")
        let searchTool = try XCTUnwrap(tools.first { $0["name"] as? String == "search" })
        let arguments = ((searchTool["inputSchema"] as? [String: Any])?["properties"] as? [String: Any]) ?? [:]
        XCTAssertNotNil(arguments["rerank"])
        XCTAssertNotNil(arguments["rerank_top"])

        // rerank: false is the first stage, as the CLI without --rerank gives it.
        var off = body
        off["rerank"] = false
        let firstStage = try post(server, "/v1/search", off)
        let plain = try runKorsearch(["search"] + cliArguments + ["--index", index, "--model", model, "--json"])
        XCTAssertEqual(try json(String(decoding: firstStage.data, as: UTF8.self)) as NSDictionary, try json(plain.stdout) as NSDictionary)
        XCTAssertTrue(try json(plain.stdout)["reranker"] is NSNull)
        // Asked for where no reranker is loaded: a 400 naming the field.
        let bare = try ServerProcess.start(index: index, for: self)
        let refused = try post(bare, "/v1/search", ["query": "금리", "rerank": true])
        XCTAssertEqual(refused.status, 400)
        XCTAssertTrue(String(decoding: refused.data, as: UTF8.self).contains("\"param\":\"rerank\""), String(decoding: refused.data, as: UTF8.self))
        let notCross = try runKorsearch(["search", "금리", "--index", index, "--rerank", model])
        XCTAssertNotEqual(notCross.status, 0)
        XCTAssertTrue(notCross.stderr.contains("is not a cross-encoder"), notCross.stderr)
    }

    /// The OpenAPI document, the MCP tools' schemas and the CLI's options list the same request fields and
    /// filters, because all three come from one table.
    func testSchemasAndTheCLIListTheSameFields() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-contract-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let index = folder.appendingPathComponent("index").path
        let indexed = try runKorsearch([
            "index", repository.appendingPathComponent("Examples/corpus/market").path, "--index", index, "--model", model, "--quiet",
        ])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let server = try ServerProcess.start(index: index, for: self)
        let openAPI = try json(String(decoding: try get(server, "/openapi.json").data, as: UTF8.self))
        let schemas = try XCTUnwrap((openAPI["components"] as? [String: Any])?["schemas"] as? [String: Any])
        func properties(_ schema: Any?) -> Set<String> { Set(((schema as? [String: Any])?["properties"] as? [String: Any])?.keys ?? [:].keys) }

        let filters = Set(SearchFilters.schema.fields.map(\.name))
        XCTAssertEqual(
            filters,
            ["path", "types", "modified_after", "modified_before", "company", "report_type", "period", "filed_after", "filed_before", "section"])
        XCTAssertEqual(properties(schemas["SearchFilters"]), filters, "OpenAPI's filters")
        XCTAssertEqual(properties(schemas["SearchRequest"]), Set(SearchRequest.schema.fields.map(\.name)), "OpenAPI's request")
        XCTAssertEqual(properties(schemas["SearchHit"]), Set((Passage.fields + SearchHit.fields).map(\.name) + ["context"]))

        let (tools, _) = try mcp(index: index, [])
        let search = try XCTUnwrap(tools.first { $0["name"] as? String == "search" })
        let input = try XCTUnwrap(search["inputSchema"] as? [String: Any])
        XCTAssertEqual(properties(input), Set(SearchRequest.schema.fields.map(\.name)), "MCP's request")
        XCTAssertEqual(properties((input["properties"] as? [String: Any])?["filters"]), filters, "MCP's filters")
        XCTAssertEqual(input["additionalProperties"] as? Bool, false)
        XCTAssertNotNil(search["outputSchema"], "MCP's answer schema")
        XCTAssertEqual(properties(search["outputSchema"]), ["query", "mode", "vector_weight", "reranker", "aliases", "results", "facets", "facts"])
        XCTAssertEqual(properties(schemas["FactRequest"]), Set(FactRequest.schema.fields.map(\.name)), "OpenAPI's facts request")
        XCTAssertEqual(properties(schemas["FinancialFact"]), Set(FinancialFact.schema.fields.map(\.name)), "OpenAPI's fact")
        let financials = try XCTUnwrap(tools.first { $0["name"] as? String == "get_financials" })
        XCTAssertEqual(properties(financials["inputSchema"]), ["company", "account", "period", "statement", "consolidated", "limit"])
        for tool in ["get_context", "get_document", "get_toc", "read_section", "get_financials", "compare_financials"] {
            XCTAssertNotNil(tools.first { $0["name"] as? String == tool }?["outputSchema"], tool)
        }

        // The CLI: each field's option exists in `search --help`, and every filter option there is a field's.
        let help = try runKorsearch(["search", "--help"]).stdout
        let options = Set(help.matches(of: /(?m)^  (?:-[a-z], )?(--[a-z-]+|-k)\b/).map { String($0.output.1) })
        for field in SearchFilters.schema.fields {
            XCTAssertTrue(options.contains(field.option ?? "-"), "the CLI has \(field.option ?? field.name) for filters.\(field.name)")
        }
        for field in SearchRequest.schema.fields where field.option?.hasPrefix("-") == true {
            XCTAssertTrue(options.contains(field.option!), "the CLI has \(field.option!) for \(field.name)")
        }
        let notFields: Set<String> = ["--index", "--store", "--model", "--precision", "--queries", "--json", "--help", "--version"]
        // A boolean field's option has its negative spelling too (`rerank`: --rerank MODEL, --no-rerank).
        let fields = SearchFilters.schema.fields + SearchRequest.schema.fields
        let fieldOptions = Set(
            fields.compactMap(\.option)
                + fields.filter { if case .boolean = $0.kind { true } else { false } }.compactMap { $0.option.map { "--no-" + $0.dropFirst(2) } })
        XCTAssertEqual(options.subtracting(notFields).subtracting(fieldOptions), [], "an option of search that no field of the contract has")
    }
}
