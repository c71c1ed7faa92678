import Foundation
import KorSearch
import KorSearchIndexTestSupport
import KorSearchTestSupport
import XCTest

/// A hybrid weight chosen without judgments (`Searcher.heldOutQuestions`, `Indexer.chooseVectorWeight`), in both
/// stores: the questions are sentences of the index held out as they should be, the same every time; the choice
/// is stored with how it was made, made again after a change, and never replaces a weight chosen from judgments;
/// and on the team's judged questions it retrieves as well as the sweep's best.
final class WeightChoiceTests: XCTestCase {
    private func indexedCorpus(
        _ chosen: (embedder: Embedder, identity: ModelIdentity)? = nil,
        chunking: ChunkingOptions = ChunkingOptions(chunkTokens: 96, overlapTokens: 24)
    ) throws -> [(location: IndexLocation, indexer: Indexer)] {
        let model = try chosen ?? tinyModel
        var stores: [IndexLocation] = [.directory(EmbeddedLocation(try temporaryFolder().appendingPathComponent("index")))]
        if let postgres = try TestPostgres.freshLocation("weight") { stores.append(postgres) }
        var options = IndexOptions()
        options.chunking = chunking
        return try stores.map { location in
            let indexer = try Indexer(location: location, embedder: model.embedder, model: model.identity, options: options)
            try indexer.index(folder: TestPaths.corpus)
            return (location, indexer)
        }
    }

    func testHeldOutQuestionsAreSentencesTheirAnswersDoNotContain() throws {
        let model = try tinyModel
        for (location, _) in try indexedCorpus() {
            let searcher = try Searcher(location: location, embedder: model.embedder, model: model.identity)
            let questions = try searcher.heldOutQuestions(count: 40)
            XCTAssertEqual(questions.count, 40, "\(location)")
            XCTAssertEqual(try searcher.heldOutQuestions(count: 40), questions, "the same questions every time")
            XCTAssertEqual(Set(questions.map(\.query)).count, questions.count, "no question twice")
            for question in questions {
                XCTAssertEqual(question.excludedChunks.count, 1)
                let id = try XCTUnwrap(question.excludedChunks.first)
                let passage = try XCTUnwrap(try searcher.index.chunks(ids: [id]).first)
                XCTAssertTrue(passage.text.contains(question.query), "the question is a sentence of the passage left out")
                XCTAssertEqual(question.relevant, [passage.path], "its answer is the passage's document")
                for neighbour in try searcher.index.neighbours(of: id, before: 1, after: 1) where neighbour.id != id {
                    XCTAssertFalse(neighbour.text.contains(question.query), "no neighbouring passage repeats it")
                }
                XCTAssertTrue((20 ... 300).contains(question.query.count))
            }
            let sampled = try searcher.index.sampledPassageIds(500)
            XCTAssertEqual(Set(sampled).count, sampled.count)
            XCTAssertEqual(try searcher.index.chunks(ids: sampled).count, sampled.count, "every sampled id is a passage")
        }
    }

    func testTheChoiceIsStoredRemadeAfterChangesAndNeverReplacesAJudgedOne() throws {
        for (location, indexer) in try indexedCorpus() {
            let choice = try XCTUnwrap(try indexer.chooseVectorWeight(questions: 40))
            XCTAssertEqual(choice.questions, 40)
            var meta = try IndexStores.meta(of: location)
            XCTAssertEqual(meta.vectorWeight, choice.weight)
            XCTAssertEqual(meta.vectorWeightSource, choice.source)
            XCTAssertTrue(meta.vectorWeightIsAutomatic)
            XCTAssertTrue(choice.source.hasPrefix("held-out sentences: 40 questions from the index; MRR@10 "), choice.source)
            XCTAssertEqual(try IndexStores.open(location).info().vectorWeightSource, choice.source)
            // An automatic weight is chosen again; one stored from judgments is kept.
            XCTAssertNotNil(try indexer.chooseVectorWeight(questions: 40))
            try IndexStores.setDefaultVectorWeight(location, 0.7)
            XCTAssertNil(try indexer.chooseVectorWeight(questions: 40))
            meta = try IndexStores.meta(of: location)
            XCTAssertEqual(meta.vectorWeight, 0.7)
            XCTAssertEqual(meta.vectorWeightSource, "korsearch eval --sweep --save-best")
            XCTAssertFalse(meta.vectorWeightIsAutomatic)
        }
    }

    /// On the team's 54 judged questions, the weight chosen from held-out sentences retrieves within 0.06 MRR@10
    /// of the sweep's best, and no worse than the fixed 0.5 it replaces: with the tiny random model (its vectors
    /// carry no signal) and with the small bi-encoder trained here (they do: vector search alone finds the answer
    /// first for most questions) at the chunking the Benchmarks article measures it with (128 tokens, 16
    /// overlapping), in both stores. (Its known limit: at 96 or 64 tokens held-out sentences rate this model's
    /// vectors level with keywords, where the team's questions do not, and the choice lands 0.07–0.09 below the
    /// best — the figures are in the Benchmarks article.)
    func testTheChosenWeightIsCloseToTheSweepsBestOnTheTeamsQuestions() throws {
        let queries = try JudgedQuery.load(TestPaths.repository.appendingPathComponent("Examples/eval/qrels.jsonl"))
        let trained = try ModelLocator.load(TestPaths.fixtures.appendingPathComponent("models/ko-small-biencoder").path)
        try assertChoiceNearBest(queries, model: try tinyModel, vectorOnlyAtLeast: 0)
        try assertChoiceNearBest(queries, model: trained, chunking: ChunkingOptions(chunkTokens: 128, overlapTokens: 16), vectorOnlyAtLeast: 0.6)
    }

    /// The same on the real-text questions (`Examples/eval/realdocs-qrels.jsonl`: 65 questions worded otherwise
    /// than their answers, over real documents nobody here wrote), judged by answering passage; skipped where the
    /// documents are absent.
    func testTheChosenWeightIsCloseToTheSweepsBestOnRealText() throws {
        guard let documents = TestPaths.realDocuments else { throw XCTSkip("no real documents here (../shared/realdocs, KORSEARCH_REALDOCS)") }
        let queries = try JudgedQuery.load(TestPaths.repository.appendingPathComponent("Examples/eval/realdocs-qrels.jsonl"))
        XCTAssertGreaterThanOrEqual(queries.count, 60)
        XCTAssertTrue(queries.allSatisfy { $0.answer != nil })
        let model = try tinyModel
        let location = IndexLocation.directory(EmbeddedLocation(try temporaryFolder().appendingPathComponent("index")))
        let indexer = try Indexer(location: location, embedder: model.embedder, model: model.identity)
        try indexer.index(folder: documents)
        let choice = try XCTUnwrap(try indexer.chooseVectorWeight())
        let searcher = try Searcher(location: location, embedder: model.embedder, model: model.identity)
        XCTAssertTrue(try searcher.checkJudgments(queries).isEmpty, "every judged document is indexed")
        let sweep = try searcher.sweep(queries, weights: (0 ... 10).map { Double($0) / 10 }, k: 10)
        let best = try XCTUnwrap(sweep.map(\.metrics.mrr).max())
        let chosen = try XCTUnwrap(sweep.first { abs($0.weight - choice.weight) < 1e-9 }?.metrics.mrr)
        XCTAssertLessThanOrEqual(best - chosen, 0.06, "chosen \(choice.weight): MRR@10 \(chosen), the sweep's best \(best)")
    }

    private func assertChoiceNearBest(
        _ queries: [JudgedQuery], model: (embedder: Embedder, identity: ModelIdentity),
        chunking: ChunkingOptions = ChunkingOptions(chunkTokens: 96, overlapTokens: 24), vectorOnlyAtLeast: Double
    ) throws {
        for (location, indexer) in try indexedCorpus(model, chunking: chunking) {
            let choice = try XCTUnwrap(try indexer.chooseVectorWeight())
            let searcher = try Searcher(location: location, embedder: model.embedder, model: model.identity)
            let sweep = try searcher.sweep(queries, weights: (0 ... 10).map { Double($0) / 10 }, k: 10)
            let best = try XCTUnwrap(sweep.map(\.metrics.mrr).max())
            let chosen = try XCTUnwrap(sweep.first { abs($0.weight - choice.weight) < 1e-9 }?.metrics.mrr)
            let halfway = try XCTUnwrap(sweep.first { abs($0.weight - 0.5) < 1e-9 }?.metrics.mrr)
            XCTAssertLessThanOrEqual(best - chosen, 0.06, "chosen \(choice.weight): MRR@10 \(chosen), the sweep's best \(best)")
            XCTAssertGreaterThanOrEqual(chosen, halfway - 1e-9, "no worse than the fixed 0.5 it replaces")
            XCTAssertGreaterThanOrEqual(sweep.last!.metrics.mrr, vectorOnlyAtLeast, "vector only")
        }
    }
}
