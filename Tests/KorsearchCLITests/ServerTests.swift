import Foundation
import KorSearchTestSupport
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `korsearch serve` as a real process on a loopback port, exercised over real HTTP.
final class ServerTests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var model: String { repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path }

    private func buildIndex(_ folder: URL) throws -> String {
        try buildCorpusIndex(in: folder, model: model)
    }

    private func start(index: String, _ extra: [String] = []) throws -> ServerProcess {
        try ServerProcess.start(index: index, extra, for: self)
    }

    private func call(
        _ server: ServerProcess, _ method: String, _ path: String, json: Any? = nil, body: Data? = nil,
        headers: [String: String] = [:]
    ) throws -> (status: Int, object: [String: Any]?) {
        let (status, data) = try server.fetch(method, path, json: json, body: body, headers: headers)
        return (status, try? JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func errorMessage(_ object: [String: Any]?) -> String {
        ((object?["error"] as? [String: Any])?["message"] as? String) ?? "no error object"
    }

    func testServingAPostgresStore() throws {
        let store = try testStoreURL("serve")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-serve-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let corpus = folder.appendingPathComponent("corpus")
        try FileManager.default.copyItem(at: repository.appendingPathComponent("Examples/corpus"), to: corpus)
        let indexed = try runKorsearch(["index", corpus.path, "--store", store, "--model", model, "--quiet"])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let server = try ServerProcess.start(index: "", store: store, for: self)
        let info = try call(server, "GET", "/v1/info")
        XCTAssertEqual(info.object?["documents"] as? Int, TestCorpus.documents)
        let search = try call(server, "POST", "/v1/search", json: ["query": "스트레스 DSR", "k": 3, "mode": "keyword"])
        XCTAssertEqual(search.status, 200)
        let hits = try XCTUnwrap(search.object?["results"] as? [[String: Any]])
        XCTAssertEqual(hits.first?["path"] as? String, "market/household-debt.txt")
        XCTAssertTrue(hits.first?["section"] is NSNull, "a document without headings")
        let filing = try call(
            server, "POST", "/v1/search", json: ["query": "누리바이오 예정 발행가액", "k": 1, "mode": "keyword", "filters": ["types": ["hwp"]]])
        let filingHit = try XCTUnwrap((filing.object?["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(filingHit["section"] as? String, "누리바이오㈜ 유상증자 결정", "the HWP's outline headings")
        XCTAssertEqual((filingHit["metadata"] as? [String: Any])?["company"] as? String, "누리바이오㈜")
        XCTAssertEqual((filingHit["metadata"] as? [String: Any])?["inferred"] as? [String], ["company"], "from its title")
        let filtered = try call(
            server, "POST", "/v1/search", json: ["query": "영업이익", "k": 5, "mode": "keyword", "filters": ["company": "한빛전자", "period": "2024-Q3"]])
        XCTAssertEqual(filtered.status, 200)
        XCTAssertEqual(
            Set(((filtered.object?["results"] as? [[String: Any]]) ?? []).compactMap { $0["path"] as? String }),
            ["disclosures/hanbit-q3-2024-earnings.txt"])
        let badPeriod = try call(server, "POST", "/v1/search", json: ["query": "영업이익", "filters": ["period": "2024-Q9"]])
        XCTAssertEqual(badPeriod.status, 400)
        let facets = info.object?["facets"] as? [String: Any]
        XCTAssertEqual(((facets?["company"] as? [[String: Any]])?.first)?["value"] as? String, "한빛전자")
        let chunk = try call(server, "GET", "/v1/chunks/\(filingHit["chunk_id"] as! Int)")
        XCTAssertEqual(chunk.object?["section"] as? String, "누리바이오㈜ 유상증자 결정")
        let document = try call(server, "GET", "/v1/documents/\(hits[0]["document_id"] as! Int)")
        XCTAssertEqual(document.status, 200)
        XCTAssertTrue((document.object?["text"] as? String ?? "").contains("DSR"))
        // A document indexed by another process is found at once: the store is always current.
        try Data("태양광 발전소 프로젝트 금융의 신용 보강 구조를 설명한다.".utf8).write(to: corpus.appendingPathComponent("new-solar.txt"))
        XCTAssertEqual(try runKorsearch(["index", corpus.path, "--store", store, "--model", model, "--quiet"]).status, 0)
        let fresh = try call(server, "POST", "/v1/search", json: ["query": "태양광 신용 보강", "k": 1, "mode": "keyword"])
        XCTAssertEqual(((fresh.object?["results"] as? [[String: Any]])?.first)?["path"] as? String, "new-solar.txt")
    }

    func testEndpointsAgainstTheCLIAndErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-serve-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let index = try buildIndex(folder)
        let server = try start(index: index, ["--max-inputs", "4", "--max-body", "4096"])

        XCTAssertEqual(try call(server, "GET", "/health").object?["status"] as? String, "ok")
        let openapi = try call(server, "GET", "/openapi.json")
        XCTAssertEqual(openapi.status, 200)
        XCTAssertNotNil((openapi.object?["paths"] as? [String: Any])?["/v1/embeddings"])

        // Embeddings equal `korsearch embed`, in input order, as floats and as base64.
        let texts = ["한국은행은 기준금리를 동결했다.", "원/달러 환율", ""]
        let cli = try runKorsearch(["embed", "--model", model], stdin: Data((texts.joined(separator: "\n") + "\n").utf8))
        let expected = try cli.lines.map {
            try XCTUnwrap((JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["embedding"] as? [Double])
        }
        let embedded = try call(server, "POST", "/v1/embeddings", json: ["input": texts, "model": "text-embedding-korsearch"])
        XCTAssertEqual(embedded.status, 200)
        let data = try XCTUnwrap(embedded.object?["data"] as? [[String: Any]])
        XCTAssertEqual(data.map { $0["index"] as? Int }, [0, 1, 2])
        for (item, reference) in zip(data, expected) {
            let vector = try XCTUnwrap(item["embedding"] as? [Double])
            XCTAssertLessThan(zip(vector, reference).map { abs($0 - $1) }.max()!, 1e-5)
        }
        // The model is named as this server's (the folder's name, never its path), whatever the client sent, as
        // OpenAI's /v1/models lists it.
        XCTAssertEqual(embedded.object?["model"] as? String, "mdeberta-tiny-safetensors")
        let models = try call(server, "GET", "/v1/models")
        XCTAssertEqual(models.status, 200)
        XCTAssertEqual(models.object?["object"] as? String, "list")
        let listed = try XCTUnwrap((models.object?["data"] as? [[String: Any]])?.first)
        XCTAssertEqual(listed["id"] as? String, "mdeberta-tiny-safetensors")
        XCTAssertEqual(listed["object"] as? String, "model")
        XCTAssertEqual(try call(server, "GET", "/v1/models/mdeberta-tiny-safetensors").object?["id"] as? String, "mdeberta-tiny-safetensors")
        XCTAssertEqual(try call(server, "GET", "/v1/models/text-embedding-3-small").status, 404)
        XCTAssertFalse(String(describing: try call(server, "GET", "/v1/info").object?["model"] ?? "").contains("/"), "no server path")
        let usage = try XCTUnwrap(embedded.object?["usage"] as? [String: Int])
        XCTAssertEqual(usage["prompt_tokens"], usage["total_tokens"])
        XCTAssertGreaterThan(usage["prompt_tokens"] ?? 0, 4)
        let base64 = try call(server, "POST", "/v1/embeddings", json: ["input": texts[0], "encoding_format": "base64"])
        let encoded = try XCTUnwrap(((base64.object?["data"] as? [[String: Any]])?.first)?["embedding"] as? String)
        let floats = Data(base64Encoded: encoded)!.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertLessThan(zip(floats, expected[0]).map { abs(Double($0) - $1) }.max()!, 1e-5)

        // Search returns what the CLI returns.
        let search = try call(server, "POST", "/v1/search", json: ["query": "자기주식 소각", "k": 3, "mode": "keyword", "context": 1])
        XCTAssertEqual(search.status, 200)
        let hits = try XCTUnwrap(search.object?["results"] as? [[String: Any]])
        let cliSearch = try runKorsearch(["search", "자기주식 소각", "--index", index, "-k", "3", "--mode", "keyword", "--json"])
        let cliHits = try XCTUnwrap(
            (JSONSerialization.jsonObject(with: Data(cliSearch.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])
        XCTAssertEqual(hits.map { $0["chunk_id"] as? Int }, cliHits.map { $0["chunk_id"] as? Int })
        XCTAssertNotNil(hits.first?["context"])
        let hybrid = try call(server, "POST", "/v1/search", json: ["query": "국고채 금리", "filters": ["types": ["md"]]])
        XCTAssertEqual(hybrid.status, 200)
        XCTAssertTrue((hybrid.object?["results"] as? [[String: Any]] ?? []).allSatisfy { ($0["path"] as? String)?.hasSuffix(".md") == true })
        // The index's weight, chosen by `korsearch index` from held-out sentences.
        let stored =
            try JSONSerialization.jsonObject(with: Data(try runKorsearch(["info", "--index", index, "--json"]).stdout.utf8)) as? [String: Any]
        XCTAssertEqual(hybrid.object?["vector_weight"] as? Double, stored?["vector_weight"] as? Double, "the weight the fusion used")
        XCTAssertTrue((stored?["vector_weight_source"] as? String)?.hasPrefix("held-out sentences") == true)
        // vector_weight 0: hybrid ranks as keyword search does.
        let keywordOnly = try call(server, "POST", "/v1/search", json: ["query": "자기주식 소각", "k": 3, "vector_weight": 0])
        XCTAssertEqual(keywordOnly.object?["vector_weight"] as? Double, 0)
        XCTAssertEqual((keywordOnly.object?["results"] as? [[String: Any]])?.map { $0["chunk_id"] as? Int }, cliHits.map { $0["chunk_id"] as? Int })

        // Documents and chunks.
        let chunkId = try XCTUnwrap(hits.first?["chunk_id"] as? Int)
        let chunk = try call(server, "GET", "/v1/chunks/\(chunkId)?neighbours=1")
        XCTAssertEqual(chunk.status, 200)
        XCTAssertNotNil(chunk.object?["neighbours"] as? [Any])
        let documentId = try XCTUnwrap(hits.first?["document_id"] as? Int)
        let document = try call(server, "GET", "/v1/documents/\(documentId)")
        XCTAssertTrue((document.object?["text"] as? String)?.contains("자기주식") == true)
        XCTAssertEqual(try call(server, "GET", "/v1/documents/999999").status, 404)
        XCTAssertEqual(try call(server, "GET", "/v1/chunks/abc").status, 400)
        let info = try call(server, "GET", "/v1/info")
        XCTAssertEqual(info.object?["documents"] as? Int, TestCorpus.documents)

        // Bad requests: an OpenAI-style error object, never a crash.
        let bad: [(String, String, Any?, Data?, Int, String)] = [
            ("POST", "/v1/embeddings", nil, Data("{\"input\":".utf8), 400, "not valid JSON"),
            ("POST", "/v1/embeddings", ["model": "m"], nil, 400, "missing field input"),
            ("POST", "/v1/embeddings", ["input": [1, 2, 3]], nil, 400, "token arrays"),
            ("POST", "/v1/embeddings", ["input": []], nil, 400, "must not be empty"),
            ("POST", "/v1/embeddings", ["input": ["a", "b", "c", "d", "e"]], nil, 400, "at most 4 inputs"),
            ("POST", "/v1/embeddings", ["input": "a", "dimensions": 7], nil, 400, "dimensions"),
            ("POST", "/v1/embeddings", ["input": "a", "encoding_format": "hex"], nil, 400, "encoding_format"),
            ("POST", "/v1/embeddings", ["input": String(repeating: "가", count: 5000)], nil, 413, "too large"),
            ("POST", "/v1/search", ["query": ""], nil, 400, "the query is empty"),
            ("POST", "/v1/search", ["query": "금리", "k": 0], nil, 400, "k must be between"),
            ("POST", "/v1/search", ["query": "금리", "mode": "fuzzy"], nil, 400, "mode must be"),
            ("POST", "/v1/search", ["query": "금리", "vector_weight": 1.5], nil, 400, "vector_weight must be between 0 and 1"),
            ("POST", "/v1/search", ["query": "금리", "vector_weight": "high"], nil, 400, "vector_weight"),
            ("POST", "/v1/search", ["query": "금리", "filters": ["modified_after": "soon"]], nil, 400, "must be a date"),
            ("GET", "/v1/nothing", nil, nil, 404, "no such endpoint"),
            ("POST", "/v1/search", ["query": "금리", "top_k": 3], nil, 400, "unknown field top_k"),
            ("POST", "/v1/search", ["query": "금리", "filters": ["type": ["pdf"]]], nil, 400, "unknown field filters.type"),
            ("POST", "/v1/search", ["query": "금리", "filters": ["types": ["xls"]]], nil, 400, "xls is not a type korsearch reads"),
            (
                "POST", "/v1/search", ["query": "금리", "filters": ["path": String(repeating: "*", count: 1_500)]], nil, 400,
                "the path pattern is too complex"
            ),
            ("POST", "/v1/embeddings", ["input": "a", "temperature": 1], nil, 400, "unknown field temperature"),
        ]
        for (method, path, json, body, status, message) in bad {
            let result = try call(server, method, path, json: json, body: body)
            XCTAssertEqual(result.status, status, "\(path) \(String(describing: json))")
            XCTAssertTrue(errorMessage(result.object).contains(message), "\(path): \(errorMessage(result.object))")
        }
        XCTAssertEqual(try call(server, "GET", "/health").status, 200, "still serving")
        XCTAssertEqual(try call(server, "HEAD", "/").status, 200)
        XCTAssertEqual(try call(server, "POST", "/v1/search", json: ["query": "금리", "filters": ["types": ["PDF"]]]).status, 200, "types in any case")

        // Graceful shutdown on SIGTERM.
        server.process.terminate()
        server.process.waitUntilExit()
        XCTAssertEqual(server.process.terminationStatus, 0)
        let rest = server.standardError()
        XCTAssertTrue(rest.contains("stopped"), rest)
        XCTAssertTrue(rest.contains("korsearch: POST /v1/search 400"), "a request log on stderr: \(rest)")
        XCTAssertFalse(rest.contains("top_k"), "bodies are never logged")
        // OpenBLAS runs the processor's own kernels, not the generic ones it falls back to on a newer processor.
        let kernels = try XCTUnwrap(rest.split(separator: "\n").first { $0.hasPrefix("korsearch: OpenBLAS kernels ") }, rest)
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        if flags.contains(" avx2") || flags.contains(" avx512f") {
            XCTAssertFalse(kernels.hasSuffix("Prescott"), String(kernels))
        }
    }

    func testConcurrentRequestsAreBatchedAndEqualSequentialOnes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-serve-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        // A wider batching window than the default 4 ms, so that a loaded test machine still batches.
        let server = try start(index: try buildIndex(folder), ["--batch-window-ms", "25"])
        let texts = (0 ..< 24).map { "질문 \($0): 기준금리와 환율 전망은 어떤가?" }
        let sequential = try texts.map { text in
            try XCTUnwrap(
                ((try call(server, "POST", "/v1/embeddings", json: ["input": text]).object?["data"] as? [[String: Any]])?.first)?["embedding"]
                    as? [Double])
        }
        let before = try call(server, "GET", "/v1/info").object?["batches"] as? Int ?? 0
        let results = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: texts.count)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        nonisolated(unsafe) let shared = results
        nonisolated(unsafe) let test = self
        DispatchQueue.concurrentPerform(iterations: texts.count) { index in
            let object = try? test.call(server, "POST", "/v1/embeddings", json: ["input": texts[index]]).object
            shared[index] = ((object?["data"] as? [[String: Any]])?.first?["embedding"] as? [Double]) ?? []
        }
        for index in texts.indices {
            XCTAssertEqual(results[index].count, sequential[index].count)
            XCTAssertLessThan(zip(results[index], sequential[index]).map { abs($0 - $1) }.max() ?? 1, 1e-5)
        }
        let after = try call(server, "GET", "/v1/info").object?["batches"] as? Int ?? 0
        XCTAssertLessThan(after - before, texts.count, "concurrent requests shared forward passes")
    }

    func testAPIKeyAndIndexUpdatedByAnotherProcess() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-serve-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let index = try buildIndex(folder)
        let server = try start(index: index, ["--api-key", "s3cret"])
        XCTAssertEqual(try call(server, "GET", "/health").status, 200, "health needs no key")
        let denied = try call(server, "POST", "/v1/search", json: ["query": "금리"])
        XCTAssertEqual(denied.status, 401)
        XCTAssertTrue(errorMessage(denied.object).contains("API key"))
        let auth = ["Authorization": "Bearer s3cret"]
        XCTAssertEqual(try call(server, "POST", "/v1/search", json: ["query": "금리"], headers: auth).status, 200)

        // Another process adds a document; the server picks it up.
        let update = try addStablecoinFilingInAnotherProcess(corpus: folder.appendingPathComponent("corpus"), index: index, model: model)
        XCTAssertEqual(update.status, 0, update.stderr)
        let found = try eventually {
            let result = try call(server, "POST", "/v1/search", json: ["query": "스테이블코인", "mode": "keyword"], headers: auth)
            return (result.object?["results"] as? [[String: Any]])?.first?["path"] as? String == "market/stablecoin.txt"
        }
        XCTAssertTrue(found, "the updated index is served")
    }

    /// The keyword file of a served index overwritten in place (copied over from another index): the server
    /// never faults — a search in between gets a clear error, not a dropped connection — and it is soon serving
    /// the right answers again (it reopens the index, rebuilding the file from the catalog).
    func testAKeywordFileOverwrittenInPlaceUnderARunningServer() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-serve-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let index = try buildIndex(folder)
        let server = try start(index: index)
        let query: [String: Any] = ["query": "푸른건설 PF 대출 보증", "mode": "keyword", "k": 3]
        let before = try call(server, "POST", "/v1/search", json: query)
        let expected = (before.object?["results"] as? [[String: Any]])?.compactMap { $0["chunk_id"] as? Int }
        XCTAssertEqual(expected?.count, 3)
        let other = folder.appendingPathComponent("other")
        try write("환율이 올랐다.", to: other, "a.txt")
        let small = folder.appendingPathComponent("small-index").path
        XCTAssertEqual(try runKorsearch(["index", other.path, "--index", small, "--model", model, "--quiet"]).status, 0)
        let keywords = URL(fileURLWithPath: index).appendingPathComponent("keywords.postings")
        let handle = try FileHandle(forWritingTo: keywords)
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: try Data(contentsOf: URL(fileURLWithPath: small).appendingPathComponent("keywords.postings")))
        try handle.close()
        let served = try eventually {
            let answer = try call(server, "POST", "/v1/search", json: query)
            XCTAssertTrue([200, 500].contains(answer.status), "an answer or a clear error: \(answer.status)")
            return (answer.object?["results"] as? [[String: Any]])?.compactMap { $0["chunk_id"] as? Int } == expected
        }
        XCTAssertTrue(served, "the right answers again")
        XCTAssertEqual(try call(server, "GET", "/health").status, 200, "the server is alive")
    }

    /// `serve` says what it serves; a port in use and a host that is not this machine's are one clear line and
    /// exit 69 (not SwiftNIO's error text); listening beyond loopback without a key is warned about.
    func testServeSaysWhatItServesAndRefusesABusyPortClearly() throws {
        let folder = try temporaryFolder()
        let index = try buildIndex(folder)
        let server = try start(index: index)
        XCTAssertTrue(server.banner.contains("korsearch: serving \(index) — 22 documents"), server.banner)
        XCTAssertTrue(server.banner.contains("model mdeberta-tiny-safetensors"), server.banner)
        XCTAssertFalse(server.banner.contains("warning"), "loopback needs no key: \(server.banner)")
        let port = try XCTUnwrap(server.base.port)
        let busy = try runKorsearch(["serve", "--index", index, "--port", "\(port)", "--model", model])
        XCTAssertEqual(busy.status, 69, busy.stderr)
        XCTAssertEqual(
            busy.stderr.split(separator: "\n").last, "Error: port \(port) on 127.0.0.1 is in use by another program; choose another with --port")
        let foreign = try runKorsearch(["serve", "--index", index, "--port", "0", "--host", "192.0.2.1", "--model", model])
        XCTAssertEqual(foreign.status, 69, foreign.stderr)
        XCTAssertTrue(foreign.stderr.contains("192.0.2.1 is not an address of this machine"), foreign.stderr)
        let open = try ServerProcess.start(index: index, ["--host", "0.0.0.0", "--model", model], for: self)
        XCTAssertTrue(open.banner.contains("warning: listening beyond this machine (0.0.0.0) without an API key"), open.banner)
        let keyed = try ServerProcess.start(index: index, ["--host", "0.0.0.0", "--api-key", "k", "--model", model], for: self)
        XCTAssertFalse(keyed.banner.contains("warning"), keyed.banner)
    }
}
