import Foundation
import KorEncoder
import KorSearchTestSupport
import XCTest

@testable import KorDocuments
@testable import KorSearchCore

/// The request and answer types every front end shares: decoding and its messages, the field tables'
/// schemas, the one passage encoding, highlights in Unicode scalars.
final class ContractTests: XCTestCase {
    private func request(_ json: String, _ naming: FieldNaming = .json) throws -> SearchRequest {
        try SearchRequest(json: XCTUnwrap(JSONValue.parse(Data(json.utf8))), naming: naming)
    }

    private func message(_ json: String, _ naming: FieldNaming = .json) -> String {
        do { _ = try request(json, naming); return "no error" } catch let error as KorSearchError { return error.message } catch { return "\(error)" }
    }

    func testARequestDecodesEveryFieldAndRoundTrips() throws {
        let decoded = try request(
            #"""
            {"query": "한빛전자 배당", "k": 7.0, "mode": "keyword", "vector_weight": 0.25, "context": 2,
             "filters": {"path": "disclosures/*", "types": ["PDF", ".hwp"], "modified_after": "2024-01-01", "company": "한빛전자",
                         "report_type": "사업보고서", "period": "2024-Q3", "filed_after": "2024-01-02", "filed_before": "2025-01-01"}}
            """#)
        XCTAssertEqual(decoded.k, 7, "a whole number written as 7.0 is an integer")
        XCTAssertEqual(decoded.mode, .keyword)
        XCTAssertEqual(decoded.filters.types, ["pdf", "hwp"])
        XCTAssertEqual(decoded.filters.modifiedAfter, SearchFilters.date(from: "2024-01-01"))
        XCTAssertEqual(decoded.filters.period, "2024-Q3")
        let again = try JSONDecoder().decode(SearchRequest.self, from: JSONEncoder().encode(decoded))
        XCTAssertEqual(again, decoded, "encode then decode gives the same request")
        // Defaults, and null as absent.
        let plain = try request(#"{"query": "금리", "k": null, "filters": null}"#)
        XCTAssertEqual(plain, SearchRequest(query: "금리"))
        XCTAssertEqual(plain.k, SearchRequest.defaultResults)
        // Reranking: unset means "when the searcher holds a reranker"; rerank_top within 1...100.
        XCTAssertNil(plain.rerank)
        XCTAssertEqual(plain.rerankTop, SearchRequest.defaultRerankTop)
        let reranked = try request(#"{"query": "금리", "rerank": false, "rerank_top": 20}"#)
        XCTAssertEqual([reranked.rerank == false, reranked.rerankTop == 20], [true, true])
        XCTAssertEqual(try JSONDecoder().decode(SearchRequest.self, from: JSONEncoder().encode(reranked)), reranked)
        XCTAssertThrowsError(try request(#"{"query": "금리", "rerank_top": 101}"#)) { error in
            XCTAssertTrue("\(error)".contains("rerank_top must be between 1 and 100, not 101"), "\(error)")
        }
        XCTAssertThrowsError(try request(#"{"query": "금리", "rerank": "yes"}"#)) { error in
            XCTAssertTrue("\(error)".contains("rerank must be true or false"), "\(error)")
        }
        // The graph search list: unset means the index's; within 1...4096.
        XCTAssertNil(plain.efSearch)
        let longer = try request(#"{"query": "금리", "mode": "vector", "ef_search": 200}"#)
        XCTAssertEqual(longer.efSearch, 200)
        XCTAssertEqual(try JSONDecoder().decode(SearchRequest.self, from: JSONEncoder().encode(longer)), longer)
        XCTAssertThrowsError(try request(#"{"query": "금리", "ef_search": 0}"#)) { error in
            XCTAssertTrue("\(error)".contains("ef_search must be between 1 and 4096, not 0"), "\(error)")
        }
        XCTAssertThrowsError(try SearchRequest(json: .object(["query": "금리", "ef_search": 5000]), naming: .options(of: SearchRequest.schema))) {
            XCTAssertTrue("\($0)".contains("--ef-search must be between 1 and 4096, not 5000"), "\($0)")
        }
    }

    func testEachFrontEndGetsTheSameCheckInItsOwnWords() {
        let cases: [(String, FieldNaming, String)] = [
            (
                #"{"query": "금리", "top_k": 3}"#, .json,
                "unknown field top_k; expected query, k, mode, vector_weight, filters, context, rerank, rerank_top"
            ),
            (#"{"query": "금리", "top_k": 3}"#, .arguments, "unknown argument top_k"),
            (#"{"query": "금리", "filters": {"type": ["pdf"]}}"#, .json, "unknown field filters.type"),
            (#"{"k": 3}"#, .arguments, "query is required"),
            (#"{"query": 42}"#, .json, "query must be a string"),
            (#"{"query": "금리", "k": 0}"#, .json, "k must be between 1 and 100, not 0"),
            (#"{"query": "금리", "k": 0}"#, .options(of: SearchRequest.schema), "-k must be between 1 and 100, not 0"),
            (#"{"query": "금리", "k": 2.5}"#, .json, "k must be an integer"),
            (#"{"query": "금리", "context": 21}"#, .options(of: SearchRequest.schema), "--context must be between 0 and 20, not 21"),
            (#"{"query": "금리", "vector_weight": 1.5}"#, .json, "vector_weight must be between 0 and 1, not 1.5"),
            (#"{"query": "금리", "vector_weight": "high"}"#, .json, "vector_weight must be a number"),
            (#"{"query": "금리", "mode": "fuzzy"}"#, .json, "mode must be hybrid, vector or keyword, not fuzzy"),
            (#"{"query": "금리", "filters": {"types": ["xls"]}}"#, .arguments, "filters.types: xls is not a type korsearch reads"),
            (#"{"query": "금리", "filters": {"types": "pdf"}}"#, .json, "filters.types must be an array of strings"),
            (
                #"{"query": "금리", "filters": {"modified_after": "soon"}}"#, .json,
                "filters.modified_after must be a date (YYYY-MM-DD or ISO 8601; YYYYMMDD and YYYY.MM.DD too), not soon"
            ),
            (#"{"query": "금리", "filters": {"period": "2024-Q9"}}"#, .json, "the period \"2024-Q9\" is not YYYY, YYYY-H1/H2 or YYYY-Q1..Q4"),
            (#"{"query": "금리", "filters": 3}"#, .json, "filters must be an object"),
            (#"{"query": "  "}"#, .json, "the query is empty"),
            (#"[1, 2]"#, .json, "the body must be a JSON object"),
        ]
        for (json, naming, expected) in cases {
            XCTAssertTrue(message(json, naming).hasPrefix(expected), "\(json): \(message(json, naming))")
        }
        XCTAssertEqual(FieldNaming.options(of: SearchRequest.schema).quoting("filters.types", "xls"), "--type xls")
        do {
            _ = try request(#"{"query": "금리", "filters": {"report_type": " "}}"#)
            XCTFail("an empty report type is refused")
        } catch let error as KorSearchError {
            XCTAssertEqual(error.parameter, "filters.report_type", "the field at fault, for the API's param")
        } catch { XCTFail("\(error)") }
    }

    func testSchemasAreGeneratedFromTheFieldTables() throws {
        let json = SearchRequest.schema.schema(.jsonSchema)
        let properties = try XCTUnwrap(json.objectValue?["properties"]?.objectValue)
        XCTAssertEqual(Set(properties.keys), Set(SearchRequest.schema.fields.map(\.name)))
        XCTAssertEqual(properties["k"]?.objectValue?["maximum"], .number(Double(SearchRequest.maxResults)))
        XCTAssertEqual(properties["mode"]?.objectValue?["enum"], .array(["hybrid", "vector", "keyword"]))
        XCTAssertEqual(properties["filters"]?.objectValue?["additionalProperties"], .bool(false), "filters written out in place")
        XCTAssertEqual(json.objectValue?["required"], .array(["query"]))
        // Nullable fields in each dialect.
        let hit = SearchAnswer.schema.components["SearchHit"]?.objectValue?["properties"]?.objectValue
        XCTAssertEqual(hit?["page"]?.objectValue?["nullable"], .bool(true))
        XCTAssertEqual(hit?["metadata"]?.objectValue?["$ref"], .string("#/components/schemas/FilingMetadata"))
        let mcpHit = ContractSchema("Hit", "", closed: false, Passage.fields).schema(.jsonSchema).objectValue?["properties"]?.objectValue
        XCTAssertEqual(mcpHit?["page"]?.objectValue?["type"], .array(["integer", "null"]))
        XCTAssertEqual(SearchRequest.schema.paths.filter { $0.hasPrefix("filters.") }.count, SearchFilters.schema.fields.count)
    }

    func testAPassageIsOneEncodingWithNullsForAbsentValues() throws {
        let passage = Passage(chunkId: 3, documentId: 1, path: "a.txt", title: nil, ordinal: 0, text: "배당", start: 0, end: 2, page: nil, tokens: 4)
        let hit = SearchHit(rank: 1, score: 0.5, passage: passage, keywordRank: 1, highlights: [0 ..< 2])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONEncoder().encode(hit)) as? [String: Any])
        let required = (Passage.fields + SearchHit.fields).filter(\.isRequired).map(\.name)
        XCTAssertEqual(Set(object.keys), Set(required), "every field, no more")
        XCTAssertTrue(object["page"] is NSNull && object["title"] is NSNull && object["vector_rank"] is NSNull)
        XCTAssertEqual(object["highlights"] as? [[Int]], [[0, 2]])
        XCTAssertEqual(hit.path, "a.txt", "the passage's fields read through the hit")
        XCTAssertEqual(try JSONDecoder().decode(SearchHit.self, from: JSONEncoder().encode(hit)), hit)
    }

    func testHighlightsCountUnicodeScalarsAsOffsetsDo() {
        // `é` written as e + a combining accent is one Character and two scalars: offsets must count scalars.
        let text = "Cafe\u{301} 자기주식을 소각한다"
        let highlights = Snippet.highlights(in: text, query: "자기주식 소각")
        let scalars = Array(text.unicodeScalars)
        let marked = highlights.map { String(String.UnicodeScalarView(scalars[$0])) }
        XCTAssertEqual(marked, ["자기주식", "소각"])
        XCTAssertEqual(Snippet.excerpt(text, highlights: highlights), "Cafe\u{301} **자기주식**을 **소각**한다")
        XCTAssertEqual(Snippet.excerpt(text, query: "자기주식 소각"), Snippet.excerpt(text, highlights: highlights), "one marking rule")
        // A Hangul tone mark (U+302E, among CJK punctuation) joins the syllable before it: marked with it.
        let toned = "자기주식 소각\u{302E}한다"
        let tonedScalars = Array(toned.unicodeScalars)
        XCTAssertEqual(
            Snippet.highlights(in: toned, query: "소각").map { String(String.UnicodeScalarView(tonedScalars[$0])) }, ["소각\u{302E}"])
    }

    func testQrelsFiltersAreTheSearchFilters() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qrels-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"query": "배당", "relevant": ["a.txt"], "filters": {"types": ["md"], "period": "2024"}}"#.utf8).write(to: file)
        let judged = try JudgedQuery.load(file)
        XCTAssertEqual(judged.first?.filters?.types, ["md"])
        XCTAssertEqual(
            judged.first?.filters?.applied(to: SearchFilters(company: "한빛전자")),
            SearchFilters(types: ["md"], company: "한빛전자", period: "2024"))
        try Data(
            "{\"query\": \"배당\", \"relevant\": [\"a.txt\"]}\n{\"query\": \"x\", \"relevant\": [\"a\"], \"filters\": {\"period\": \"someday\"}}".utf8
        ).write(to: file)
        XCTAssertThrowsError(try JudgedQuery.load(file)) { error in
            XCTAssertTrue((error as? KorSearchError)?.message.contains("line 2: the period \"someday\"") == true, "\(error)")
        }
    }
}
