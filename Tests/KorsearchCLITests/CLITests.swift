import Foundation
import XCTest

/// End-to-end tests of the `korsearch` binary: real processes, real model folders, output parsed as a user's
/// tool would parse it.
final class CLITests: XCTestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    private let model = CLITests.fixtures.appendingPathComponent("models/mdeberta-tiny-safetensors")

    private func korsearch(_ arguments: [String], stdin: Data = Data()) throws -> KorsearchRun {
        try runKorsearch(arguments, stdin: stdin)
    }

    private struct Expected: Decodable {
        let texts: [String]
        let ids: [[Int]]
        let pooled: [[Double]]
    }

    private func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: model.appendingPathComponent("expected.json")))
    }

    private struct TokenizerCase: Decodable { let text: String; let ids: [Int]; let max_length: Int? }

    private func json(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    func testTokenizePrintsSentencePieceIdsPerLine() throws {
        struct File: Decodable { let cases: [TokenizerCase] }
        let cases = try JSONDecoder().decode(File.self, from: Data(contentsOf: CLITests.fixtures.appendingPathComponent("tokenizer_cases.json")))
            .cases.filter { $0.max_length == nil && !$0.text.contains("\n") }
        let input = cases.map(\.text).joined(separator: "\n") + "\n"
        let result = try korsearch(["tokenize", "--model", model.path], stdin: Data(input.utf8))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.lines.count, cases.count)
        for (line, item) in zip(result.lines, cases) {
            XCTAssertEqual(try json(line)["ids"] as? [Int], item.ids, item.text)
        }
    }

    /// `korsearch terms`: what the keyword index stores and queries, a JSON line per input line (no model).
    func testTermsPrintsTheKeywordTermsPerLine() throws {
        let result = try korsearch(["terms"], stdin: Data("육아휴직을\n1조 3,200억 원\n\nSK 1,350.5\n".utf8))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            try result.lines.map { try json($0)["terms"] as? [String] },
            [
                ["육아", "아휴", "휴직", "직을"],
                ["1", "조", "3200", "억", "원", "원1320000000000"],
                [],
                ["sk", "1350.5"],
            ])
        let bad = try korsearch(["terms"], stdin: Data([0xFF, 0x0A]))
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("UTF-8"), bad.stderr)
    }

    /// `index --dictionary/--aliases`: a bad file refused before anything is indexed, naming its line; good ones
    /// stored with the index, shown by `info` and applied by `terms --index` and `search`; an empty file clears.
    func testDictionaryAndAliasFilesThroughTheCommandLine() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-lexicon-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: work) }
        let folder = work.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("한빛전자의 자기주식 취득 결정.\n".utf8).write(to: folder.appendingPathComponent("a.txt"))
        try Data("운전자본과 전자 부품.\n".utf8).write(to: folder.appendingPathComponent("b.txt"))
        let (dictionary, aliases, bad, empty) = (
            work.appendingPathComponent("dictionary.txt"), work.appendingPathComponent("aliases.txt"), work.appendingPathComponent("bad.txt"),
            work.appendingPathComponent("empty.txt")
        )
        try Data("# 회사\r\n한빛전자\r\n".utf8).write(to: dictionary)
        try Data("한빛전자, 한빛\n".utf8).write(to: aliases)
        try Data("한빛전자\nSK\n".utf8).write(to: bad)
        try Data().write(to: empty)
        let index = work.appendingPathComponent("index").path
        let refused = try korsearch(["index", folder.path, "--index", index, "--model", model.path, "--dictionary", bad.path])
        XCTAssertEqual(refused.status, 64)
        XCTAssertTrue(refused.stderr.contains("dictionary word \"SK\" (\(bad.path) line 2)"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: index), "nothing indexed")
        let indexed = try korsearch(
            ["index", folder.path, "--index", index, "--model", model.path, "--quiet", "--dictionary", dictionary.path, "--aliases", aliases.path])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        XCTAssertTrue(
            try korsearch(["info", "--index", index]).stdout.contains("keywords   dictionary 1 word, aliases 1 group and the default list"))
        let terms = try korsearch(["terms", "--index", index], stdin: Data("한빛 자사주\n".utf8))
        XCTAssertEqual(terms.status, 0, terms.stderr)
        let line = try json(terms.stdout)
        XCTAssertEqual(line["terms"] as? [String], ["한빛", "자사", "사주"])
        XCTAssertEqual((line["aliases"] as? [[String: Any]])?.compactMap { $0["form"] as? String }, ["한빛", "자사주"])
        XCTAssertEqual(line["weights"] as? [String: Double], ["한빛": 1, "자사": 1, "사주": 1, "한빛전자": 1, "자기": 2.0 / 3, "기주": 2.0 / 3, "주식": 2.0 / 3])
        let found = try korsearch(["search", "전자", "--index", index, "--mode", "keyword", "--json"])
        XCTAssertEqual(((try json(found.stdout))["results"] as? [[String: Any]])?.compactMap { $0["path"] as? String }, ["b.txt"], "한빛전자 kept whole")
        let text = try korsearch(["search", "한빛 공시", "--index", index, "--mode", "keyword"])
        XCTAssertTrue(text.stdout.hasPrefix("also searched: 한빛 → 한빛전자\n"), text.stdout)
        // An empty file clears the dictionary: 전자 is found inside 한빛전자 again, after the terms are derived again.
        let cleared = try korsearch(["index", folder.path, "--index", index, "--quiet", "--dictionary", empty.path])
        XCTAssertEqual(cleared.status, 0, cleared.stderr)
        XCTAssertEqual(
            Set(
                ((try json(try korsearch(["search", "전자", "--index", index, "--mode", "keyword", "--json"]).stdout))["results"] as? [[String: Any]])?
                    .compactMap { $0["path"] as? String } ?? []), ["a.txt", "b.txt"])
    }

    func testTokenizeFromFileWithMaxLength() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-cli-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        let long = try expected().texts[0]
        try Data((long + "\n금리").utf8).write(to: file)  // the last line has no newline
        let result = try korsearch(["tokenize", "--model", model.path, "--input", file.path, "--max-length", "8"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let ids = try result.lines.map { try json($0)["ids"] as? [Int] }
        XCTAssertEqual(ids.count, 2)
        XCTAssertEqual(ids[0]?.count, 8)
        XCTAssertEqual(ids[0]?.last, 2)
        XCTAssertEqual(ids[0], Array(try expected().ids[0].prefix(7)) + [2])
    }

    func testEmbedMatchesTransformersInInputOrder() throws {
        let expected = try expected()
        let input = expected.texts.joined(separator: "\n") + "\n"
        for normalize in [true, false] {
            let arguments = ["embed", "--model", model.path, "--batch-size", "2", "--precision", "fp32"] + (normalize ? [] : ["--no-normalize"])
            let result = try korsearch(arguments, stdin: Data(input.utf8))
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.lines.count, expected.texts.count)
            for (index, line) in result.lines.enumerated() {
                let object = try json(line)
                let vector = try XCTUnwrap(object["embedding"] as? [Double])
                XCTAssertEqual(object["tokens"] as? Int, expected.ids[index].count)
                var reference = expected.pooled[index]
                if normalize {
                    let norm = sqrt(reference.reduce(0) { $0 + $1 * $1 })
                    reference = reference.map { $0 / norm }
                }
                let difference = zip(vector, reference).map { abs($0 - $1) }.max() ?? 1
                XCTAssertLessThan(difference, 1e-4, "line \(index + 1), normalize \(normalize)")
            }
        }
    }

    func testEmptyLineEmbedsAsClsSep() throws {
        let input = Data("\n기준금리\n".utf8)
        let result = try korsearch(["embed", "--model", model.path], stdin: input)
        XCTAssertEqual(result.status, 0, result.stderr)
        let ids = try korsearch(["tokenize", "--model", model.path], stdin: input).lines.map { try json($0)["ids"] as? [Int] }
        XCTAssertEqual(ids.first, [1, 2])
        XCTAssertEqual(try result.lines.map { try json($0)["tokens"] as? Int }, ids.map { $0?.count })
    }

    func testInvalidUTF8IsAnErrorNamingTheLine() throws {
        var input = Data("첫 줄\n".utf8)
        input.append(contentsOf: [0xEA, 0xB8, 0x0A])  // a cut-off Hangul syllable, then newline
        input.append(Data("셋째 줄\n".utf8))
        for command in ["tokenize", "embed"] {
            let result = try korsearch([command, "--model", model.path], stdin: input)
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.stderr.contains("line 2 is not valid UTF-8"), result.stderr)
            XCTAssertEqual(result.stdout, "", "nothing is printed for a bad input")
        }
    }

    func testUserErrorsAreOneClearLineAndNonZeroExit() throws {
        let cases: [([String], String)] = [
            (["embed", "--model", "/nonexistent/model"], "does not exist"),
            (["embed", "--model", model.path, "--batch-size", "0"], "--batch-size must be at least 1"),
            (["tokenize", "--model", model.path, "--max-length", "1"], "--max-length must be at least 2"),
            (["embed", "--model", model.path, "--input", "/nonexistent/input.txt"], "cannot read input file"),
            (["tokenize", "--model", CLITests.fixtures.path], "no spm.model"),
        ]
        for (arguments, message) in cases {
            let result = try korsearch(arguments, stdin: Data("금리\n".utf8))
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
            XCTAssertEqual(result.stdout, "")
        }
    }
}
