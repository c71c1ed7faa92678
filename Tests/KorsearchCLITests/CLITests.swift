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
