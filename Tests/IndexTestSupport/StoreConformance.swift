import Foundation
import KorSearch
import KorSearchTestSupport
import XCTest

/// What every store must do, as one suite each store's test target runs against its own locations
/// (`KorSearchEmbeddedTests`, `KorSearchPostgresTests`): a third store gets these tests by giving the suite a
/// way to make a fresh, empty location of its kind.
///
/// The reference is the embedded store, built once per process over the example corpus: a store must keep the
/// same documents and passages and answer every query, in every mode and under every filter, with the same
/// passages in the same order and the same scores (to 10⁻⁵; ties may come in either order).
public struct StoreConformance {
    /// Makes a fresh, empty location of the store under test.
    public let makeLocation: () throws -> IndexLocation
    /// The test case the suite reports to (temporary folders, failures).
    public let test: XCTestCase

    /// A suite for the store whose fresh locations `makeLocation` makes.
    public init(_ test: XCTestCase, makeLocation: @escaping () throws -> IndexLocation) {
        self.test = test
        self.makeLocation = makeLocation
    }

    /// How the suite cuts passages: small ones, so that the corpus gives several per document.
    public static let chunking = ChunkingOptions(chunkTokens: 128, overlapTokens: 16)

    /// Questions the suite asks: the judged ones of the example corpus, and a few short ones.
    public static func queries() throws -> [String] {
        let judged = try JudgedQuery.load(TestPaths.repository.appendingPathComponent("Examples/eval/qrels.jsonl")).map(\.query)
        return Array(judged.prefix(12)) + ["금리", "삼성전자 HBM 증설", "2024년 배당", "유상증자"]
    }

    /// Filters every store must apply before it cuts its list (types, a path pattern, a period, together).
    public static let filters: [SearchFilters] = [
        SearchFilters(types: ["pdf"]),
        SearchFilters(pathGlob: "market/*"),
        SearchFilters(pathGlob: "disclosures/*", types: ["txt", "md"]),
        SearchFilters(period: "2024"),
        SearchFilters(section: "II"),
    ]

    /// The modes whose answers do not depend on the order passages were written in (see `assertSameAnswers`).
    public static let orderFreeModes: [SearchMode] = [.keyword, .vector]

    /// An indexer writing to `location` with the tiny model at the suite's chunking.
    public func indexer(_ location: IndexLocation, reuse: Bool = true) throws -> Indexer {
        let model = try SharedModels.tiny()
        var options = IndexOptions()
        options.chunking = StoreConformance.chunking
        options.reuseVectors = reuse
        return try Indexer(location: location, embedder: model.embedder, model: model.identity, options: options)
    }

    /// A searcher over `location` with the tiny model.
    public func searcher(_ location: IndexLocation) throws -> Searcher {
        let model = try SharedModels.tiny()
        return try Searcher(location: location, embedder: model.embedder, model: model.identity)
    }

    // MARK: The checks

    /// The example corpus indexed into the store: the same counts as the reference, and the same answers to
    /// every query in every mode, with and without filters.
    @discardableResult
    public func answersAsTheReference() throws -> IndexLocation {
        let location = try makeLocation()
        let summary = try indexer(location).index(folder: try test.copyOfCorpus())
        XCTAssertEqual(summary.added, TestCorpus.documents)
        XCTAssertEqual(summary.skipped, [])
        try assertAnswersAsTheReference(location, filters: [SearchFilters()] + StoreConformance.filters)
        return location
    }

    /// Filtered answers keep only what the filters allow, and never come back short when enough passages pass.
    /// `indexed`: a location holding the example corpus already (else one is made).
    public func filtersKeepOnlyWhatTheyAllow(indexed: IndexLocation? = nil) throws {
        let location = try indexed ?? makeLocation()
        if indexed == nil { try indexer(location).index(folder: try test.copyOfCorpus()) }
        let searcher = try searcher(location)
        for mode in SearchMode.allCases {
            let pdf = try searcher.search("금리 전망", limit: 20, mode: mode, filters: SearchFilters(types: ["pdf"]))
            XCTAssertFalse(pdf.isEmpty, "\(mode)")
            XCTAssertTrue(pdf.allSatisfy { $0.path.hasSuffix(".pdf") }, "\(mode): only PDFs")
            let market = try searcher.search("금리 전망", limit: 20, mode: mode, filters: SearchFilters(pathGlob: "market/*"))
            XCTAssertTrue(market.allSatisfy { $0.path.hasPrefix("market/") }, "\(mode): only market/")
            let none = try searcher.search("금리 전망", limit: 20, mode: mode, filters: SearchFilters(pathGlob: "nowhere/*"))
            XCTAssertEqual(none.count, 0, "\(mode): nothing matches the filter")
            // The corpus's DART filing numbers 우발부채 등에 관한 사항 IV; its standard code is XI-2.
            let contingent = try searcher.search("보증 잔액", limit: 20, mode: mode, filters: SearchFilters(section: "XI-2"))
            XCTAssertFalse(contingent.isEmpty, "\(mode)")
            XCTAssertTrue(contingent.allSatisfy { DARTSections.code(of: $0.section) == "XI-2" }, "\(mode): \(contingent.map(\.section))")
            let business = try searcher.search("수주", limit: 20, mode: mode, filters: SearchFilters(company: "푸른건설", section: "사업의 내용"))
            XCTAssertFalse(business.isEmpty, "\(mode)")
            XCTAssertTrue(business.allSatisfy { $0.section?.hasPrefix("II. 사업의 내용") == true }, "\(mode): \(business.map(\.section))")
        }
        let filing = try XCTUnwrap(try searcher.search("PF 대출 지급보증", limit: 1, mode: .keyword, filters: SearchFilters(section: "XI-2")).first)
        let toc = try XCTUnwrap(try searcher.toc(documentId: filing.documentId))
        XCTAssertEqual(toc.path, "disclosures/20240816000456.zip")
        XCTAssertTrue(toc.sections.contains { $0.code == "II-1" && $0.section == "II. 사업의 내용 > 1. 사업의 개요" }, "\(toc.sections)")
        XCTAssertTrue(toc.sections.contains { $0.code == "III-1" }, "\(toc.sections)")
        XCTAssertTrue(toc.sections.contains { $0.code == "XI-2" && $0.section.hasPrefix("IV. 우발부채 등에 관한 사항") }, "\(toc.sections)")
        let read = try XCTUnwrap(try searcher.section(SectionRequest(documentId: filing.documentId, section: "xi-2")))
        XCTAssertTrue(read.text.contains("프로젝트 파이낸싱(PF)"), read.text)
        XCTAssertFalse(read.text.contains("요약재무정보"), "only the section: \(read.text)")
        XCTAssertFalse(read.truncated)
        XCTAssertThrowsError(try searcher.section(SectionRequest(documentId: filing.documentId, section: "배당에 관한 사항"))) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .notFound)
            XCTAssertTrue("\(error)".contains("it has: "), "\(error)")
        }
        XCTAssertNil(try searcher.toc(documentId: 987_654_321))
    }

    /// A removed document is gone from every answer and every count; indexing its folder again brings it back.
    public func removalLeavesNoTrace() throws {
        let location = try makeLocation()
        let corpus = try test.copyOfCorpus()
        try indexer(location).index(folder: corpus)
        let path = "market/household-debt.txt"
        let searcher = try searcher(location)
        let before = try searcher.index.info()
        let own = try XCTUnwrap(try searcher.search("가계부채", limit: 50, mode: .keyword).first { $0.path == path })
        XCTAssertEqual(try IndexStores.remove(location, paths: ["./" + path]), 1)
        XCTAssertEqual(try IndexStores.remove(location, paths: [path]), 0, "removed once")
        let after = try self.searcher(location)
        XCTAssertEqual(try after.index.info().documents, before.documents - 1)
        XCTAssertFalse(try after.index.documentPaths().contains(path))
        for mode in SearchMode.allCases {
            XCTAssertFalse(try after.search(own.text, limit: 50, mode: mode).contains { $0.path == path }, "\(mode)")
        }
        XCTAssertEqual(try after.index.chunks(ids: [own.chunkId]), [], "its passages are gone")
        let again = try indexer(location).index(folder: corpus)
        XCTAssertEqual(again.added, 1)
        XCTAssertEqual(again.unchanged, TestCorpus.documents - 1)
        try assertAnswersAsTheReference(location, filters: [SearchFilters()], modes: StoreConformance.orderFreeModes)
    }

    /// A copied document takes the stored vectors of its passages (nothing is embedded), and they are the
    /// vectors embedding would give: the answers equal those of a store built without reuse.
    public func reuseEmbedsNothingTwice() throws {
        let location = try makeLocation()
        let corpus = try test.copyOfCorpus()
        try indexer(location).index(folder: corpus)
        let distinct = try searcher(location).index.info().distinctVectors
        try FileManager.default.copyItem(
            at: corpus.appendingPathComponent("research/fund-operation-report.md"),
            to: corpus.appendingPathComponent("research/fund-operation-report-copy.md"))
        let summary = try indexer(location).index(folder: corpus)
        XCTAssertEqual(summary.added, 1)
        XCTAssertEqual(summary.tokens, 0, "nothing embedded")
        XCTAssertGreaterThan(summary.reused, 0)
        XCTAssertEqual(try searcher(location).index.info().distinctVectors, distinct, "the copy's passages hold the original's vectors")
        let fresh = try makeLocation()
        try indexer(fresh, reuse: false).index(folder: corpus)
        try assertSameAnswers(
            try searcher(location), try searcher(fresh), filters: [SearchFilters()], modes: StoreConformance.orderFreeModes, byText: true)
    }

    /// A run that stops after writing part of its documents (a crash: no end of run, no release) leaves a store
    /// that opens, answers, and is completed by the next run as if nothing had happened.
    public func aCrashedRunIsCompletedByTheNext() throws {
        let location = try makeLocation()
        let corpus = try test.copyOfCorpus()
        let indexer = try indexer(location)
        do {
            let writer = try indexer.openForWriting()
            let model = try SharedModels.tiny()
            let chunker = try Chunker(tokenizer: model.embedder.tokenizer, options: StoreConformance.chunking)
            var updates: [DocumentUpdate] = []
            for path in ["market/oil-commodities.txt", "disclosures/buyback-decision.html"] {
                let url = corpus.appendingPathComponent(path)
                let document = try DocumentLoader.load(url)
                let chunks = try chunker.chunks(of: document)
                let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
                let vectors = try model.embedder.embed(ids: chunks.map(\.ids)).map(\.vector)
                updates.append(
                    DocumentUpdate(
                        path: path, sha256: try FileDigest.sha256(of: url), size: (attributes[.size] as! NSNumber).int64Value,
                        modified: (attributes[.modificationDate] as! Date).timeIntervalSince1970,
                        document: document, chunks: chunks, vectors: vectors))
            }
            try writer.write(updates: updates, removing: [])
            // The writer goes without finishing: what a killed process leaves.
        }
        XCTAssertEqual(try searcher(location).index.info().documents, 2, "the written documents are there")
        let summary = try self.indexer(location).index(folder: corpus)
        XCTAssertEqual(summary.added, TestCorpus.documents - 2)
        XCTAssertEqual(summary.unchanged, 2)
        try assertAnswersAsTheReference(location, filters: [SearchFilters()], modes: StoreConformance.orderFreeModes)
    }

    /// Writers started at once neither duplicate nor lose a document: each either indexes (a store that takes
    /// many writers) or is refused as locked (a store that takes one), and the store ends as the folder is.
    public func concurrentWritersNeitherDuplicateNorLose() throws {
        let location = try makeLocation()
        let corpus = try test.copyOfCorpus()
        _ = try indexer(location).openForWriting()  // the index exists before the race
        let indexers = try (0 ..< 2).map { _ in try indexer(location) }
        nonisolated(unsafe) let workers = indexers
        let outcomes = Outcomes()
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            do {
                outcomes.add(.success(try workers[worker].index(folder: corpus)))
            } catch {
                outcomes.add(.failure(error))
            }
        }
        for outcome in outcomes.all {
            if case .failure(let error) = outcome {
                XCTAssertEqual((error as? KorSearchError)?.kind, .locked, "a writer is refused only as locked: \(error)")
            }
        }
        let done = outcomes.all.compactMap { try? $0.get() }
        XCTAssertFalse(done.isEmpty, "a writer finished")
        XCTAssertEqual(done.map { $0.added + $0.updated }.reduce(0, +), TestCorpus.documents, "each file embedded once")
        let last = try indexer(location).index(folder: corpus)
        XCTAssertEqual(last.unchanged, TestCorpus.documents)
        XCTAssertEqual(last.added + last.updated + last.removed, 0)
        XCTAssertEqual(try searcher(location).index.documentPaths().count, TestCorpus.documents)
        try assertAnswersAsTheReference(location, filters: [SearchFilters()], modes: StoreConformance.orderFreeModes)
    }

    /// Every check, in turn.
    public func all() throws {
        try filtersKeepOnlyWhatTheyAllow(indexed: try answersAsTheReference())
        try removalLeavesNoTrace()
        try reuseEmbedsNothingTwice()
        try aCrashedRunIsCompletedByTheNext()
        try concurrentWritersNeitherDuplicateNorLose()
        try factsFollowTheFolder()
        try whereAPassageIsSurvivesTheStore()
    }

    /// Where each passage is comes back from the store as the chunker made it: the page it starts and ends on,
    /// its section, and whether OCR read it — for a scanned PDF (OCR, a passage over two pages) and a slide deck
    /// (a passage a slide).
    public func whereAPassageIsSurvivesTheStore() throws {
        let folder = try test.temporaryFolder().appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let fixtures = TestPaths.fixtures.appendingPathComponent("documents")
        for name in ["ir-deck.pptx", "scanned-filing.pdf", "quarterly-results.pdf"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let location = try makeLocation()
        try indexer(location).index(folder: folder)
        let store = try searcher(location).index
        let stored = Dictionary(grouping: try store.chunks(ids: try store.sampledPassageIds(100_000)), by: \.path)
        let chunker = try Chunker(tokenizer: try SharedModels.tiny().embedder.tokenizer, options: StoreConformance.chunking)
        for name in ["ir-deck.pptx", "scanned-filing.pdf", "quarterly-results.pdf"] {
            let made = try chunker.chunks(of: try DocumentLoader.load(folder.appendingPathComponent(name)))
            let read = (stored[name] ?? []).sorted { $0.ordinal < $1.ordinal }
            XCTAssertEqual(
                read.map { "\($0.page ?? 0)-\($0.pageEnd ?? 0) \($0.ocr) \($0.section ?? "") \($0.sectionStarts)" },
                made.map { "\($0.page ?? 0)-\($0.pageEnd ?? 0) \($0.ocr) \($0.section ?? "") \($0.sectionStarts)" }, name)
            XCTAssertEqual(read.allSatisfy(\.ocr), name.hasPrefix("scanned"), name)
        }
    }

    /// Statement lines of two companies over three years: 한빛전자 consolidated and separate, 푸른건설 separate
    /// only with its operating line named 영업손익 (an alias of 영업이익).
    public static let sampleFacts: [FinancialFact] = {
        var facts: [FinancialFact] = []
        for (year, sales, operating) in [(2021, 52_000, 6_500), (2022, 58_000, 7_300), (2023, 61_000, 8_112)] as [(Int, Int64, Int64)] {
            for consolidated in [true, false] {
                let share: Int64 = consolidated ? 10 : 8
                for (order, account, amount) in [(1, "매출액", sales), (2, "영업이익(손실)", operating)] {
                    facts.append(
                        FinancialFact(
                            company: "한빛전자", corpCode: "00991234", stockCode: "123450", fiscalYear: year, report: "11011", period: "\(year)",
                            statement: "IS", consolidated: consolidated, accountId: order == 1 ? "ifrs-full_Revenue" : "dart_OperatingIncomeLoss",
                            account: account, current: amount * share * 10_000_000, rceptNo: "\(year + 1)0320000100", order: order))
                }
            }
            facts.append(
                FinancialFact(
                    company: "푸른건설", corpCode: "00887766", stockCode: "045670", fiscalYear: year, report: "11011", period: "\(year)",
                    statement: "IS", consolidated: false, account: "영업손익", current: (year == 2023 ? -320 : 980) * 100_000_000,
                    rceptNo: "\(year + 1)0322000200", order: 2))
        }
        return facts
    }()

    /// The folder's `financials.jsonl` becomes the store's facts when it changes, and answers `FactFinder`
    /// alike in every store: by company name, corp or stock code; accounts through their aliases; consolidated
    /// where reported; a file that cannot be read leaves the stored facts; a removed file removes them.
    public func factsFollowTheFolder() throws {
        let location = try makeLocation()
        let folder = try test.temporaryFolder()
        try test.write("한빛전자 사업보고서 요약. 영업이익이 늘었다.", to: folder, "summary.txt")
        let file = folder.appendingPathComponent(FinancialFacts.fileName)
        try FinancialFacts.lines(StoreConformance.sampleFacts).write(to: file)
        let first = try indexer(location).index(folder: folder)
        XCTAssertEqual(first.facts, StoreConformance.sampleFacts.count)
        XCTAssertEqual(first.added, 1, "the facts file is not a document")
        var store = try IndexStores.open(location)
        XCTAssertEqual(try store.factCompanies().map(\.company), ["푸른건설", "한빛전자"])

        let operating = try FactFinder.facts(FactRequest(companies: ["한빛전자㈜"], accounts: ["영업이익"], periods: ["2021", "2022", "2023"]), in: store)
        XCTAssertEqual(operating.map(\.period), ["2023", "2022", "2021"], "newest first")
        XCTAssertEqual(operating.map(\.current), [811_200_000_000, 730_000_000_000, 650_000_000_000], "consolidated where reported")
        XCTAssertTrue(operating.allSatisfy { $0.consolidated && $0.account == "영업이익(손실)" })
        let separate = try FactFinder.facts(FactRequest(companies: ["123450"], accounts: ["영업이익"], periods: ["2023"], consolidated: false), in: store)
        XCTAssertEqual(separate.map(\.current), [648_960_000_000])
        let both = try FactFinder.facts(FactRequest(companies: ["한빛전자", "00887766"], accounts: ["영업이익"], periods: ["2023년"]), in: store)
        XCTAssertEqual(both.map(\.company), ["푸른건설", "한빛전자"])
        XCTAssertEqual(both.map(\.account), ["영업손익", "영업이익(손실)"], "영업이익 finds 영업손익 through its alias")
        XCTAssertEqual(both.first?.current, -32_000_000_000)
        XCTAssertEqual(try FactFinder.facts(FactRequest(companies: ["한빛전자"], accounts: ["ifrs-full_Revenue"]), in: store).count, 3)
        XCTAssertThrowsError(try FactFinder.facts(FactRequest(companies: ["누리바이오"]), in: store)) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .notFound)
            XCTAssertEqual("\(error)", "the index holds no financial statements of 누리바이오; it has those of: 푸른건설, 한빛전자")
        }
        XCTAssertThrowsError(try FactFinder.facts(FactRequest(companies: ["한빛전자"], accounts: ["자본총계"]), in: store)) { error in
            XCTAssertEqual("\(error)", "no account named 자본총계 in these statements; their accounts include: 매출액, 영업이익(손실)")
        }
        XCTAssertThrowsError(try FactFinder.facts(FactRequest(companies: ["한빛전자"], periods: ["2024-Q2"]), in: store)) { error in
            XCTAssertEqual((error as? KorSearchError)?.parameter, "period")
        }

        XCTAssertNil(try indexer(location).index(folder: folder).facts, "an unchanged file is not read again")
        var lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[1] = lines[1].replacingOccurrences(of: "\"current\":", with: "\"current\":\"many\",\"x\":")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        let broken = try indexer(location).index(folder: folder)
        XCTAssertEqual(broken.skipped, [SkippedFile(path: FinancialFacts.fileName, reason: "line 2: current is not an integer")])
        store = try IndexStores.open(location)
        XCTAssertEqual(try store.facts(corpCodes: ["00991234"]).count, 12, "a file that cannot be read leaves the stored facts")

        try FinancialFacts.lines(StoreConformance.sampleFacts.filter { $0.corpCode == "00991234" }).write(to: file)
        XCTAssertEqual(try indexer(location).index(folder: folder).facts, 12)
        XCTAssertEqual(try IndexStores.open(location).factCompanies().map(\.corpCode), ["00991234"])
        // A facts file in a folder below counts too; a line both files hold is kept once.
        let nuri = FinancialFact(
            company: "누리바이오", corpCode: "00554433", fiscalYear: 2023, report: "11011", period: "2023", statement: "IS", consolidated: false,
            account: "매출액", current: 41_000_000_000, rceptNo: "20240321000300")
        let more = folder.appendingPathComponent("more")
        try FileManager.default.createDirectory(at: more, withIntermediateDirectories: true)
        try FinancialFacts.lines([nuri, StoreConformance.sampleFacts[0]]).write(to: more.appendingPathComponent(FinancialFacts.fileName))
        let nested = try indexer(location).index(folder: folder)
        XCTAssertEqual(nested.facts, 13)
        XCTAssertEqual(nested.added, 0, "no facts file is a document")
        XCTAssertEqual(try IndexStores.open(location).factCompanies().map(\.company), ["누리바이오", "한빛전자"])
        try FileManager.default.removeItem(at: more)
        XCTAssertEqual(try indexer(location).index(folder: folder).facts, 12)
        try FileManager.default.removeItem(at: file)
        XCTAssertEqual(try indexer(location).index(folder: folder).facts, 0)
        XCTAssertEqual(try IndexStores.open(location).factCompanies(), [])
    }

    // MARK: Comparing with the reference

    private final class Outcomes: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [Result<IndexSummary, any Error>] = []
        func add(_ outcome: Result<IndexSummary, any Error>) { lock.lock(); stored.append(outcome); lock.unlock() }
        var all: [Result<IndexSummary, any Error>] { lock.lock(); defer { lock.unlock() }; return stored }
    }

    nonisolated(unsafe) private static var reference: (folder: URL, location: IndexLocation)?
    private static let lock = NSLock()

    /// The embedded store over the example corpus, built once per process.
    public static func referenceLocation() throws -> IndexLocation {
        lock.lock()
        defer { lock.unlock() }
        if let reference { return reference.location }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-reference-\(UUID().uuidString)")
        let corpus = folder.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestPaths.corpus, to: corpus)
        let location = IndexLocation.directory(EmbeddedLocation(folder.appendingPathComponent("index")))
        let model = try SharedModels.tiny()
        var options = IndexOptions()
        options.chunking = chunking
        try Indexer(location: location, embedder: model.embedder, model: model.identity, options: options).index(folder: corpus)
        reference = (folder, location)
        atexit { if let folder = StoreConformance.reference?.folder { try? FileManager.default.removeItem(at: folder) } }
        return location
    }

    /// The store at `location` answers as the reference does.
    public func assertAnswersAsTheReference(
        _ location: IndexLocation, filters: [SearchFilters], modes: [SearchMode] = SearchMode.allCases,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        try assertSameAnswers(
            try searcher(location), try searcher(try StoreConformance.referenceLocation()), filters: filters, modes: modes,
            file: file, line: line)
    }

    /// Two stores hold the same passages and answer every query alike: the same passages (by path and position,
    /// or by text alone when `byText` — a folder with copies of a document), in the same order, with the same
    /// scores; passages whose scores tie may come in either order.
    ///
    /// Hybrid answers are compared only between stores written in the same order: fusion adds the ranks of
    /// the two lists, and where passages tie within a list (copies, repeated boilerplate) their ranks follow the
    /// order they were written in, which moves the fused scores.
    public func assertSameAnswers(
        _ store: Searcher, _ reference: Searcher, filters: [SearchFilters], modes: [SearchMode] = SearchMode.allCases,
        byText: Bool = false, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let (a, b) = (try store.index.info(), try reference.index.info())
        XCTAssertEqual(a.documents, b.documents, "documents", file: file, line: line)
        XCTAssertEqual(a.chunks, b.chunks, "passages", file: file, line: line)
        XCTAssertEqual(try store.index.documentPaths(), try reference.index.documentPaths(), "paths", file: file, line: line)
        for filter in filters {
            for query in try StoreConformance.queries() {
                for mode in modes {
                    // One hit more than compared, so that a tie across the cut at 10 is seen as a tie.
                    let got = try store.search(query, limit: 11, mode: mode, filters: filter)
                    let wanted = try reference.search(query, limit: 11, mode: mode, filters: filter)
                    let what = "\(mode) \(query) \(filter)"
                    XCTAssertEqual(min(got.count, 10), min(wanted.count, 10), what, file: file, line: line)
                    for index in 0 ..< min(got.count, wanted.count, 10) {
                        XCTAssertEqual(got[index].score, wanted[index].score, accuracy: 1e-5, "\(what) #\(index + 1)", file: file, line: line)
                        let tied = [index - 1, index + 1].contains {
                            $0 >= 0 && $0 < wanted.count && abs(wanted[$0].score - wanted[index].score) < 1e-5
                        }
                        if tied { continue }
                        if !byText {
                            XCTAssertEqual(
                                "\(got[index].path)#\(got[index].ordinal)", "\(wanted[index].path)#\(wanted[index].ordinal)",
                                "\(what) #\(index + 1)", file: file, line: line)
                        }
                        XCTAssertEqual(got[index].text, wanted[index].text, file: file, line: line)
                    }
                }
            }
        }
    }
}
