import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

/// A model with sentence-transformers prompts (e5's `query: ` / `passage: `) through the library: the index
/// records them, every passage's vector is the model's embedding of the passage prompt and its text, and a query
/// is embedded after the query prompt the index recorded.
final class PromptTests: XCTestCase {
    func testPassagesAndQueriesAreEmbeddedAfterTheirPrompts() throws {
        let model = try ModelLocator.load(TestPaths.fixtures.appendingPathComponent("models/bert-tiny-st-prompts").path)
        XCTAssertEqual([model.identity.queryPrompt, model.identity.passagePrompt], ["query: ", "passage: "])
        let corpus = try temporaryFolder()
        _ = try write("한빛전자는 자기주식 취득을 결정했다. 취득 예정 금액은 500억원이다.", to: corpus, "buyback.txt")
        _ = try write("기준금리는 연 3.50%로 동결되었다. 물가 상승률은 2%대로 내려왔다.", to: corpus, "rate.txt")
        let location = EmbeddedLocation(try temporaryFolder().appendingPathComponent("index"))
        var options = KorSearchCore.IndexOptions()
        options.chunking = ChunkingOptions(chunkTokens: 64, overlapTokens: 0)
        try Indexer(directory: location, embedder: model.embedder, model: model.identity, options: options).index(folder: corpus)

        let searcher = try Searcher(location: .directory(location), embedder: model.embedder, model: model.identity)
        XCTAssertEqual(searcher.index.meta.passagePrompt, "passage: ")
        XCTAssertEqual(searcher.queryPrompt, "query: ")
        let query = "자기주식 취득"
        XCTAssertEqual(try searcher.embedQuery(query), try model.embedder.embed([query], prompt: "query: ")[0].vector)
        XCTAssertNotEqual(try searcher.embedQuery(query), try model.embedder.embed([query])[0].vector)

        // Every passage was embedded from the ids of the passage prompt and its text (the store keeps vectors by
        // the hash of their model input), none from its text alone.
        let writer = try Indexer(directory: location, embedder: model.embedder, model: model.identity, options: options).openForWriting()
        let hits = try searcher.search("기준금리 자기주식", limit: 10, mode: SearchMode.keyword)
        XCTAssertEqual(hits.count, 2)
        for hit in hits {
            let prompted = try model.embedder.tokenize([hit.passage.text], prompt: "passage: ")[0]
            let bare = try model.embedder.tokenize([hit.passage.text])[0]
            XCTAssertEqual(try writer.vectors(forInputs: [Chunk.inputHash(prompted)]).count, 1, hit.passage.path)
            XCTAssertEqual(try writer.vectors(forInputs: [Chunk.inputHash(bare)]).count, 0, hit.passage.path)
        }
    }

    func testAPromptThatLeavesNoRoomIsAClearError() throws {
        let model = try ModelLocator.load(TestPaths.fixtures.appendingPathComponent("models/bert-tiny-st-prompts").path)
        XCTAssertThrowsError(
            try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 12, overlapTokens: 0), passagePrompt: "passage: ")
        ) { error in
            XCTAssertTrue("\(error)".contains("leaves no room for passages after the model's passage prompt"), "\(error)")
        }
        // Without a prompt the smallest chunking ChunkingOptions allows still works.
        XCTAssertNoThrow(try Chunker(tokenizer: model.embedder.tokenizer, options: ChunkingOptions(chunkTokens: 8, overlapTokens: 0)))
    }
}
