import Foundation
import KorSearch
import KorSearchTestSupport
import XCTest

@testable import KorDocuments

#if canImport(Glibc)
import Glibc
#endif

/// `korsearch index`, `info`, `remove`, `rebuild` as real processes on the example corpus.
final class IndexCLITests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var model: String { repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testIndexInfoRemoveRebuild() throws {
        let corpus = try copyOfCorpus()
        let index = try temporaryFolder().appendingPathComponent("index").path
        let first = try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--json"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let summary = try json(first.stdout)
        XCTAssertEqual(summary["added"] as? Int, TestCorpus.documents)
        XCTAssertEqual((summary["skipped"] as? [Any])?.count, 0)
        XCTAssertTrue(first.stderr.contains("indexing:"), "progress lines on stderr when not a terminal")

        let quiet = try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(quiet.stderr, "")
        XCTAssertEqual(try json(quiet.stdout)["unchanged"] as? Int, TestCorpus.documents)

        let info = try json(try runKorsearch(["info", "--index", index, "--json"]).stdout)
        XCTAssertEqual(info["documents"] as? Int, TestCorpus.documents)
        XCTAssertEqual(info["vectors"] as? Int, info["chunks"] as? Int)
        XCTAssertEqual(info["faiss"] as? String, "Flat")
        XCTAssertEqual(info["dimension"] as? Int, 32)

        let removed = try runKorsearch(["remove", "market/household-debt.txt", "--index", index])
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertEqual(try json(try runKorsearch(["info", "--index", index, "--json"]).stdout)["documents"] as? Int, TestCorpus.documents - 1)

        let rebuilt = try runKorsearch(["rebuild", "--index", index, "--faiss", "HNSW32"])
        XCTAssertEqual(rebuilt.status, 0, rebuilt.stderr)
        let after = try json(try runKorsearch(["info", "--index", index, "--json"]).stdout)
        XCTAssertEqual(after["faiss"] as? String, "HNSW32")
        XCTAssertEqual(after["vectors"] as? Int, after["chunks"] as? Int)

        let again = try json(try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--json"]).stdout)
        XCTAssertEqual(again["added"] as? Int, 1, "the removed file is still in the folder")
    }

    /// A scanned PDF is searchable: its pages read by OCR, a phrase from page 2 found first in the passage over
    /// both pages (`page` 1, `page_end` 2), marked `"ocr": true` (the text file's passage `false`) and cited
    /// `pp. 1–2, OCR`; `--no-ocr` skips it saying
    /// why.
    func testAScannedPDFIsSearchable() throws {
        let base = try temporaryFolder()
        let folder = base.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: repository.appendingPathComponent("Tests/Fixtures/documents/scanned-filing.pdf"), to: folder.appendingPathComponent("scan.pdf"))
        try Data("기준금리는 연 3.50%로 동결되었다.".utf8).write(to: folder.appendingPathComponent("rate.txt"))
        let off = try runKorsearch(["index", folder.path, "--index", base.appendingPathComponent("off").path, "--model", model, "--no-ocr", "--json"])
        XCTAssertEqual(off.status, 0, off.stderr)
        XCTAssertTrue(off.stdout.contains("OCR is off (--no-ocr)"), off.stdout)
        let index = base.appendingPathComponent("index").path
        let indexed = try runKorsearch(["index", folder.path, "--index", index, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        XCTAssertEqual(try json(indexed.stdout)["added"] as? Int, 2, indexed.stdout)
        let found = try json(try runKorsearch(["search", "재무본부장 이정민", "--index", index, "--mode", "keyword", "--json"]).stdout)
        let top = try XCTUnwrap((found["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(top["path"] as? String, "scan.pdf")
        XCTAssertTrue((top["text"] as? String ?? "").contains("재무본부장 이정민"), "\(top)")
        XCTAssertEqual(top["ocr"] as? Bool, true)
        XCTAssertEqual(top["page"] as? Int, 1)
        XCTAssertEqual(top["page_end"] as? Int, 2)
        let read = try json(try runKorsearch(["search", "기준금리 동결", "--index", index, "--mode", "keyword", "--json"]).stdout)
        let rate = try XCTUnwrap((read["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(rate["path"] as? String, "rate.txt")
        XCTAssertEqual(rate["ocr"] as? Bool, false)
        XCTAssertTrue(rate["page_end"] is NSNull, "\(rate)")
        let text = try runKorsearch(["search", "재무본부장 이정민", "--index", index, "--mode", "keyword", "-k", "1"]).stdout
        XCTAssertTrue(text.contains("scan.pdf (pp. 1–2, OCR)"), text)
    }

    /// `remove` by folder and by glob; the folder's `.korsearchignore` keeps files out of `index` (and takes
    /// out the stored ones), so what was removed does not come back.
    func testRemoveByFolderAndGlobAndTheIgnoreFile() throws {
        let corpus = try copyOfCorpus()
        let index = try temporaryFolder().appendingPathComponent("index").path
        XCTAssertEqual(try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--quiet"]).status, 0)
        func documents() throws -> Int { try json(try runKorsearch(["info", "--index", index, "--json"]).stdout)["documents"] as? Int ?? -1 }
        let byFolder = try runKorsearch(["remove", "market", "--index", index])
        XCTAssertEqual(byFolder.status, 0, byFolder.stderr)
        XCTAssertEqual(byFolder.stdout, "removed 7 documents\n")
        XCTAssertTrue(byFolder.stderr.contains(".korsearchignore"), "says how to keep them out")
        let byGlob = try runKorsearch(["remove", "*.pdf", "research/*.md", "--index", index])
        XCTAssertEqual(byGlob.stdout, "removed 4 documents\n", byGlob.stderr)
        XCTAssertEqual(try documents(), TestCorpus.documents - 11)
        let partly = try runKorsearch(["remove", "products/**", "nothing/*.txt", "--index", index])
        XCTAssertEqual(partly.status, 1, "part of what was asked")
        XCTAssertTrue(
            partly.stderr.contains("not in the index (paths are relative to the indexed folder, as `korsearch search` prints them): nothing/*.txt"))

        try Data("# kept out\nmarket/\n*.pdf\nresearch/*.md\n!research/fund-operation-report.md\n".utf8)
            .write(to: corpus.appendingPathComponent(".korsearchignore"))
        let next = try json(try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--json", "--quiet"]).stdout)
        XCTAssertEqual(next["ignored"] as? Int, 10, "market's 7, two PDFs, one Markdown")
        XCTAssertEqual(next["added"] as? Int, 3, "products' two documents were removed but not ignored; fund-operation-report.md taken back")
        XCTAssertEqual(try documents(), TestCorpus.documents - 10)
        // A stored file the ignore file now lists is taken out.
        try Data("*.xlsx\n".utf8).write(to: corpus.appendingPathComponent(".korsearchignore"), options: .atomic)
        let narrowed = try json(try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--json", "--quiet"]).stdout)
        XCTAssertEqual(narrowed["ignored"] as? Int, 1)
        XCTAssertEqual(narrowed["removed"] as? Int, 1)
        try Data("[oops\n".utf8).write(to: corpus.appendingPathComponent(".korsearchignore"), options: .atomic)
        let bad = try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--quiet"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertTrue(bad.stderr.contains(".korsearchignore line 1: cannot read the pattern \"[oops\""), bad.stderr)
    }

    func testKilledWriterLeavesAnIndexTheNextRunCompletes() throws {
        let corpus = try copyOfCorpus()
        let index = try temporaryFolder().appendingPathComponent("index").path
        // Dies right after its first catalog commit, before FAISS is written (like kill -9 at that moment).
        let crashed = try runKorsearch(
            ["index", corpus.path, "--index", index, "--model", model, "--quiet"],
            environment: ["KORSEARCH_TEST_CRASH_AFTER_COMMIT": "1"])
        XCTAssertEqual(crashed.status, 137)
        let info = try runKorsearch(["info", "--index", index, "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stderr.contains("rebuilding it"), info.stderr)
        let partial = try json(info.stdout)
        XCTAssertEqual(partial["vectors"] as? Int, partial["chunks"] as? Int)

        let resumed = try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let summary = try json(resumed.stdout)
        XCTAssertEqual(summary["documents"] as? Int, TestCorpus.documents)
        let final = try json(try runKorsearch(["info", "--index", index, "--json"]).stdout)
        XCTAssertEqual(final["documents"] as? Int, TestCorpus.documents)
        XCTAssertEqual(final["vectors"] as? Int, final["chunks"] as? Int)
    }

    /// Without --precision: a new index gets the recommended precision (bf16 where the processor has it natively),
    /// an existing one keeps its own; `embed` uses the recommended one.
    func testPrecisionDefaults() throws {
        let folder = try temporaryFolder()
        try Data("한국은행은 기준금리를 동결했다.".utf8).write(to: folder.appendingPathComponent("a.txt"))
        let fresh = folder.appendingPathComponent("fresh").path
        XCTAssertEqual(try runKorsearch(["index", folder.path, "--index", fresh, "--model", model, "--quiet"]).status, 0)
        XCTAssertEqual(
            try json(try runKorsearch(["info", "--index", fresh, "--json"]).stdout)["precision"] as? String, Precision.recommended.rawValue)

        let int8 = folder.appendingPathComponent("int8").path
        XCTAssertEqual(try runKorsearch(["index", folder.path, "--index", int8, "--model", model, "--precision", "int8", "--quiet"]).status, 0)
        try Data("원/달러 환율은 1,385.6원에 마감했다.".utf8).write(to: folder.appendingPathComponent("b.txt"))
        let again = try runKorsearch(["index", folder.path, "--index", int8, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try json(again.stdout)["added"] as? Int, 1)
        XCTAssertEqual(try json(try runKorsearch(["info", "--index", int8, "--json"]).stdout)["precision"] as? String, "int8")

        let input = Data("기준금리 동결\n".utf8)
        let byDefault = try runKorsearch(["embed", "--model", model], stdin: input)
        let explicit = try runKorsearch(["embed", "--model", model, "--precision", Precision.recommended.rawValue], stdin: input)
        XCTAssertEqual(byDefault.status, 0, byDefault.stderr)
        XCTAssertEqual(byDefault.stdout, explicit.stdout)
    }

    /// `index` into an existing index without --model uses the index's own model (offline, nothing fetched);
    /// `eval` takes --precision; the formats listed by help and `info` are the registry's.
    func testTheIndexsOwnModelAndTheFormatRegistry() throws {
        let folder = try temporaryFolder()
        try Data("한국은행은 기준금리를 동결했다.".utf8).write(to: folder.appendingPathComponent("a.txt"))
        let index = folder.appendingPathComponent("index").path
        XCTAssertEqual(try runKorsearch(["index", folder.path, "--index", index, "--model", model, "--quiet"]).status, 0)
        try Data("원/달러 환율은 1,385.6원에 마감했다.".utf8).write(to: folder.appendingPathComponent("b.txt"))
        let offline = ["HF_HUB_CACHE": "/nonexistent/cache", "HF_HUB_OFFLINE": "1"]
        let again = try runKorsearch(["index", folder.path, "--index", index, "--json", "--quiet"], environment: offline)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try json(again.stdout)["added"] as? Int, 1)

        let qrels = folder.appendingPathComponent("qrels.jsonl")
        try Data(#"{"query": "환율 마감", "relevant": ["b.txt"]}"#.utf8).write(to: qrels)
        let evaluated = try runKorsearch(
            ["eval", "--index", index, "--qrels", qrels.path, "--precision", "fp32", "--mode", "vector", "--json"],
            environment: offline)
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        XCTAssertEqual((try json(evaluated.stdout)["modes"] as? [String: Any])?.keys.sorted(), ["vector"])

        let info = try json(try runKorsearch(["info", "--index", index, "--json"]).stdout)
        XCTAssertEqual((info["formats"] as? [[String: Any]])?.compactMap { $0["type"] as? String }, DocumentFormats.types)
        let help = try runKorsearch(["index", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(help.contains(DocumentFormats.types.joined(separator: ", ")), help)
    }

    /// An index this user may read but not write: search, info and serve work, and a stale FAISS file is
    /// rebuilt in memory with one warning that it cannot be repaired. (As root, which may write anything,
    /// the commands run as `nobody` through runuser.)
    func testAReadOnlyIndexCanBeSearched() throws {
        let corpus = try copyOfCorpus()
        let index = corpus.deletingLastPathComponent().appendingPathComponent("index")
        // The index records its model's path: one `nobody` can read.
        XCTAssertEqual(try runKorsearch(["index", corpus.path, "--index", index.path, "--model", try ReadableCopies.tinyModel, "--quiet"]).status, 0)
        try FileManager.default.removeItem(at: index.appendingPathComponent("vectors.faiss"))
        for name in try FileManager.default.contentsOfDirectory(atPath: index.path) {
            XCTAssertEqual(chmod(index.appendingPathComponent(name).path, 0o444), 0)
        }
        XCTAssertEqual(chmod(index.path, 0o555), 0)
        addTeardownBlock { _ = chmod(index.path, 0o755) }
        func run(_ arguments: [String]) throws -> KorsearchRun { try runKorsearchUnprivileged(arguments) }
        let keyword = try run(["search", "자기주식 소각", "--index", index.path, "--mode", "keyword", "--json"])
        XCTAssertEqual(keyword.status, 0, keyword.stderr)
        XCTAssertTrue(keyword.stdout.contains("buyback-decision.html"), keyword.stdout)
        let hybrid = try run(["search", "자기주식 소각", "--index", index.path, "--json"])
        XCTAssertEqual(hybrid.status, 0, hybrid.stderr)
        XCTAssertEqual(hybrid.stderr.components(separatedBy: "cannot be repaired on disk").count - 1, 1, hybrid.stderr)
        let info = try run(["info", "--index", index.path, "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("\"documents\":\(TestCorpus.documents)"), info.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: index.appendingPathComponent("vectors.faiss").path), "nothing written")
    }

    /// A FAISS type that needs training on a folder too small to train it falls back to Flat and says so;
    /// `rebuild` always repairs; a factory FAISS cannot parse leaves nothing behind and no C++ in the message.
    func testFaissTypesTheIndexCannotTrainFallBackToFlat() throws {
        let corpus = try copyOfCorpus()
        let index = corpus.deletingLastPathComponent().appendingPathComponent("index").path
        let ivf = try runKorsearch(["index", corpus.path, "--index", index, "--model", model, "--faiss", "IVF256,Flat", "--quiet"])
        XCTAssertEqual(ivf.status, 0, ivf.stderr)
        XCTAssertTrue(ivf.stderr.contains("using an exact Flat index instead"), ivf.stderr)
        XCTAssertFalse(ivf.stderr.contains("faiss::"), ivf.stderr)
        let info = try json(try runKorsearch(["info", "--index", index, "--json"]).stdout)
        XCTAssertEqual(info["faiss"] as? String, "Flat")
        XCTAssertEqual(info["vectors"] as? Int, info["chunks"] as? Int)
        let search = try runKorsearch(["search", "기준금리", "--index", index, "--mode", "vector", "--json"])
        XCTAssertEqual(search.status, 0, search.stderr)
        XCTAssertFalse(search.stderr.contains("interrupted write"), search.stderr)
        for factory in ["Flat", "IVF256,Flat", "HNSW16"] {
            let rebuilt = try runKorsearch(["rebuild", "--index", index, "--faiss", factory])
            XCTAssertEqual(rebuilt.status, 0, "\(factory): \(rebuilt.stderr)")
        }
        let bogus = corpus.deletingLastPathComponent().appendingPathComponent("bogus").path
        let failed = try runKorsearch(["index", corpus.path, "--index", bogus, "--model", model, "--faiss", "Bogus99", "--quiet"])
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertTrue(failed.stderr.contains("FAISS cannot build \"Bogus99\": could not parse index string Bogus99"), failed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: bogus), "no half-made index directory")
    }

    func testIndexErrors() throws {
        let index = try temporaryFolder().appendingPathComponent("index").path
        let cases: [([String], String)] = [
            (["index", "/nonexistent/folder", "--index", index, "--model", model], "does not exist"),
            (
                ["index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", model, "--faiss", "Bogus99"],
                "FAISS cannot build"
            ),
            (
                ["index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", model, "--chunk-tokens", "900"],
                "exceeds the model's maximum length"
            ),
            (
                ["index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", "nobody/nothing"],
                "not in the Hugging Face cache"
            ),
            (
                ["index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", "not a model"],
                "neither a folder nor a hub id"
            ),
            (["info", "--index", "/nonexistent/index"], "no index at"),
            (["rebuild", "--index", "/nonexistent/index"], "no index at"),
        ]
        for (arguments, message) in cases {
            let result = try runKorsearch(arguments, environment: ["HF_HUB_CACHE": "/nonexistent/cache", "HF_HUB_OFFLINE": "1"])
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("Fatal error"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/nonexistent/index"))
        // The failed runs above left nothing that stops a correct one.
        let good = try runKorsearch([
            "index", repository.appendingPathComponent("Examples/corpus").path, "--index", index, "--model", model, "--quiet",
        ])
        XCTAssertEqual(good.status, 0, good.stderr)
    }
}
