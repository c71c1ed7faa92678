import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

@testable import KorSearchCore
@testable import KorSearchEmbedded

/// The indexer's stages one by one, each against a real index directory: what `Indexer.index(folder:)` composes.
final class IndexStageTests: XCTestCase {
    private func writer(_ folder: URL? = nil) throws -> (indexer: Indexer, writer: any IndexWriting) {
        let model = try tinyModel
        let location = IndexLocation.directory(EmbeddedLocation(try folder ?? temporaryFolder().appendingPathComponent("index")))
        let indexer = try Indexer(location: location, embedder: model.embedder, model: model.identity)
        return (indexer, try indexer.openForWriting())
    }

    private func stored(_ path: String, size: Int64 = 1, modified: Double = 1, sha256: String = "x") -> StoredDocument {
        StoredDocument(id: 1, path: path, sha256: sha256, size: size, modified: modified, type: "txt", title: nil, chunkCount: 1)
    }

    func testTheFolderDiffFindsWhatIsGoneAndKeepsToItsShard() throws {
        let folder = try temporaryFolder()
        for path in ["a.txt", "b/c.md", "d.txt", "metadata.jsonl"] { try write("본문 \(path)", to: folder, path) }
        let walk = try FolderWalker.walk(folder, excluding: nil, followLinks: false)
        let problem = SkippedFile(path: "x.txt", reason: "manifest: unknown field")
        let all = FolderDiff(walk: walk, manifestProblems: [problem], stored: ["a.txt": stored("a.txt"), "gone.txt": stored("gone.txt")], shard: nil)
        XCTAssertEqual(all.files.map(\.path).sorted(), ["a.txt", "b/c.md", "d.txt"], "the manifest is not a document")
        XCTAssertEqual(all.removed, ["gone.txt"])
        XCTAssertEqual(all.skipped, [problem])
        XCTAssertEqual(all.otherShards, 0)
        // Two shards split the files and each sees only its own stored documents.
        var seen: [String] = []
        for index in 0 ..< 2 {
            let shard = try Shard(index: index, count: 2)
            let part = FolderDiff(walk: walk, manifestProblems: [], stored: ["gone.txt": stored("gone.txt")], shard: shard)
            XCTAssertEqual(part.files.count + part.otherShards, 3)
            XCTAssertEqual(part.removed, shard.owns("gone.txt") ? ["gone.txt"] : [])
            seen += part.files.map(\.path)
        }
        XCTAssertEqual(seen.sorted(), ["a.txt", "b/c.md", "d.txt"])
    }

    func testTheClaimReadsNoMoreThanItMust() throws {
        let folder = try temporaryFolder()
        try write("기준금리를 동결했다.", to: folder, "rate.txt")
        try Data([0x00, 0x01]).write(to: folder.appendingPathComponent("image.png"))
        let files = Dictionary(uniqueKeysWithValues: try FolderWalker.walk(folder, excluding: nil, followLinks: false).files.map { ($0.path, $0) })
        let (_, writer) = try writer()
        let claim = FileClaim(writer: writer, limits: DocumentLimits())
        let rate = try XCTUnwrap(files["rate.txt"])
        let hash = try FileDigest.sha256(of: rate.url)
        XCTAssertEqual(try claim.examine(rate, stored: nil), .changed(sha256: hash, previous: nil))
        // Same size and time: unchanged without reading.
        let same = stored("rate.txt", size: rate.size, modified: rate.modified, sha256: "not read")
        XCTAssertEqual(try claim.examine(rate, stored: same), .unchanged(same))
        // Another time, the same content: unchanged by its hash.
        let touched = stored("rate.txt", size: rate.size, modified: 0, sha256: hash)
        XCTAssertEqual(try claim.examine(rate, stored: touched), .unchanged(touched))
        // Another content: changed, with what was stored.
        let edited = stored("rate.txt", size: rate.size, modified: 0, sha256: "other")
        XCTAssertEqual(try claim.examine(rate, stored: edited), .changed(sha256: hash, previous: edited))
        // A type no reader takes is skipped before it is read; a stored one must go.
        guard case .skipped(let skipped, let wasStored) = try claim.examine(try XCTUnwrap(files["image.png"]), stored: stored("image.png")) else {
            return XCTFail("a PNG is skipped")
        }
        XCTAssertEqual(skipped.path, "image.png")
        XCTAssertTrue(wasStored)
        var tight = DocumentLimits()
        tight.maxFileBytes = 4
        guard case .skipped(let large, false) = try FileClaim(writer: writer, limits: tight).examine(rate, stored: nil) else {
            return XCTFail("a file over the size limit is skipped")
        }
        XCTAssertTrue(large.reason.contains("4"), large.reason)
    }

    func testReadingGivesPassagesWithTermsAndTheManifestsMetadata() throws {
        let folder = try temporaryFolder()
        try write("# 공시\n\n한빛전자는 자기주식 취득을 결정했다. 취득 예정 금액은 500억원이다.", to: folder, "buyback.md")
        try write(#"{"path": "buyback.md", "company": "한빛전자", "report_type": "주요사항보고서"}"#, to: folder, "metadata.jsonl")
        let file = try XCTUnwrap(try FolderWalker.walk(folder, excluding: nil, followLinks: false).files.first { $0.path == "buyback.md" })
        let model = try tinyModel
        let manifest = Manifest(folder: folder)
        XCTAssertEqual(manifest.problems, [])
        let reading = DocumentReading(
            limits: DocumentLimits(), chunker: try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions()),
            manifest: manifest)
        let update = try reading.read(file, sha256: "h")
        XCTAssertEqual(update.metadata.company, "한빛전자")
        XCTAssertFalse(update.chunks.isEmpty)
        for chunk in update.chunks { XCTAssertEqual(chunk.terms, KeywordTerms.terms(chunk.text), "terms derived once, by the chunk") }
        XCTAssertTrue(update.chunks[0].terms.contains("원50000000000"), "the amount as one term")
        // An unchanged document stored without its reader's part gets it, and the manifest over it.
        let previous = stored("buyback.md")
        let change = try XCTUnwrap(reading.metadataChange(previous, file))
        XCTAssertEqual(change.metadata.company, "한빛전자")
        var current = previous
        current.metadata = change.metadata
        current.readMetadata = change.readMetadata
        XCTAssertNil(reading.metadataChange(current, file), "nothing to change once current")
    }

    func testReuseEmbedsEachDistinctInputOnceAndTakesStoredOnes() throws {
        let model = try tinyModel
        let (_, writer) = try writer()
        let chunker = try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions())
        func update(_ path: String, _ text: String) throws -> DocumentUpdate {
            let document = LoadedDocument(type: "txt", title: nil, text: text, pageStarts: [0], paged: false, encoding: nil)
            return DocumentUpdate(
                path: path, sha256: path, size: 1, modified: 1, document: document, chunks: try chunker.chunks(of: document), vectors: [])
        }
        let same = "외환보유액은 4150억 달러로 집계되었다."
        var updates = [try update("a.txt", same), try update("b.txt", same), try update("c.txt", "원유 가격이 하락했다.")]
        let reuse = VectorReuse(enabled: true)
        let plan = try reuse.plan(updates, writer: writer)
        XCTAssertEqual(plan.missing.count, 2, "a repeated input is embedded once")
        XCTAssertEqual(plan.reused, 1)
        let embedding = PassageEmbedding(embedder: model.embedder, batchSize: 2)
        var reports: [Int] = []
        let vectors = try embedding.embed(plan.missing) { inputs, _ in reports.append(inputs) }
        XCTAssertEqual(reports.reduce(0, +), 2)
        XCTAssertEqual(vectors, try model.embedder.embed(ids: plan.missing).map(\.vector), "the same vectors as the embedder's")
        reuse.assign(vectors, by: plan, to: &updates)
        XCTAssertEqual(updates[0].vectors, updates[1].vectors)
        XCTAssertEqual(updates[0].vectors[0], StoredVector.rounded(vectors[0]), "vectors as stores keep them")
        try writer.write(updates: updates, removing: [])
        // Once stored, the same inputs are not embedded again; with reuse off, every passage is.
        let again = [try update("d.txt", same)]
        XCTAssertEqual(try reuse.plan(again, writer: writer).missing.count, 0)
        XCTAssertEqual(try VectorReuse(enabled: false).plan(updates + again, writer: writer).missing.count, 4)
    }
}
