import ArgumentParser
import Foundation
import KorSearch

#if canImport(Glibc)
import Glibc
#endif

/// `korsearch search`: passages for a question.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "Find the passages that answer a query.")

    @Argument(help: "The query (or use --queries).")
    var query: String?

    @OptionGroup var target: IndexOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "hybrid, vector or keyword.")
    var mode: SearchMode = .hybrid

    @Option(name: .short, help: "Number of results.")
    var k: Int = 10

    @Option(
        name: .long,
        help:
            "Hybrid: the vector ranking's weight against the keyword ranking, 0 (keyword only) to 1 (vector only); default: the index's (korsearch eval --sweep --save-best), else 0.5."
    )
    var vectorWeight: Double?

    @OptionGroup var filterOptions: FilterOptions

    @Option(name: .long, help: "Show N neighbouring passages before and after each hit.")
    var context: Int = 0

    @OptionGroup var reranker: RerankerOption

    @Option(name: .long, help: "How many first-stage hits the reranker reads (at least k; default 50).")
    var rerankTop: Int = SearchRequest.defaultRerankTop

    @Option(name: .long, help: "Answer one query per line of this file, as JSON lines.")
    var queries: String?

    @Option(
        name: .long,
        help:
            "Vector and hybrid: the HNSW search list (longer finds more of the exact nearest, slower); default: the index's, chosen for recall@10 0.98."
    )
    var efSearch: Int?

    @Flag(
        name: .long,
        help: "Also count the matching documents by company, report type and period (over the first \(SearchRequest.facetDepth) hits' documents).")
    var facets = false

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        if (query == nil) == (queries == nil) { throw ValidationError("give a QUERY or --queries FILE (one of them)") }
        if query?.unicodeScalars.contains("\u{FFFD}") == true { throw ValidationError("the query is not valid UTF-8") }
        // The one check every front end runs, in the CLI's words (`-k must be between 1 and 100, not 0`).
        try commandLine { try request(query ?? "-").validate(naming: .options(of: SearchRequest.schema)) }
    }

    /// The search these options ask for.
    private func request(_ query: String) throws -> SearchRequest {
        var request = SearchRequest(
            query: query, k: k, mode: mode, vectorWeight: vectorWeight, filters: try filterOptions.filters(), context: context,
            rerank: reranker.requested, rerankTop: rerankTop)
        request.facets = facets
        request.efSearch = efSearch
        return request
    }

    func run() throws {
        let searcher = try Searcher(
            location: try target.existingLocation, model: modelOptions.model, precision: modelOptions.precision,
            loadModel: mode != .keyword, reranker: reranker.rerank, defaultReranker: !reranker.noRerank, warn: { warn($0) })
        if let queries {
            for line in try readInputLines(queries) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                writeOutput(try jsonLine(try searcher.answer(try request(line))))
            }
            return
        }
        let result = try searcher.answer(try request(query!))
        if json {
            writeOutput(try jsonLine(result))
        } else {
            writeOutput(render(result))
        }
    }

    private func render(_ result: SearchAnswer) -> String {
        // The statement lines the question names come first: the number asked for, with its filing.
        let facts = result.facts.isEmpty ? "" : FactsAnswer(facts: result.facts).table(cell: shown) + "\n"
        if result.results.isEmpty { return facts + "no results for \(shown(result.query))\n" }
        let terminal = isatty(STDOUT_FILENO) != 0
        var text = facts + (result.reranker.map { "reranked by \(shown($0))\n" } ?? "")
        if let aliases = result.aliasSummary { text += shown(aliases) + "\n" }
        for item in result.results {
            let hit = item.hit
            var source = shown(hit.path) + (hit.pageLabel.map { " (\($0))" } ?? "")
            if let title = hit.title { source += " — \(shown(title))" }
            if let section = hit.section, section != hit.title { source += " · " + shown(section) }
            var why: [String] = []
            if let rank = hit.vectorRank { why.append("vector #\(rank)") }
            if let rank = hit.keywordRank { why.append("keyword #\(rank)") }
            if let rank = hit.firstStageRank { why.append("first stage #\(rank)") }
            text += String(format: "%2d. %.4f  ", hit.rank, hit.score) + source + (why.isEmpty ? "" : "  [\(why.joined(separator: ", "))]") + "\n"
            // Excerpts keep their line breaks (a table's rows stay rows), each line indented under the hit.
            func indented(_ excerpt: String, _ first: String) -> String {
                first + excerpt.replacingOccurrences(of: "\n", with: "\n      ") + "\n"
            }
            for before in item.context?.filter({ $0.ordinal < hit.ordinal }) ?? [] {
                text += indented(Snippet.excerpt(before.text, highlights: [], width: 160, lines: true, escape: shown), "    … ")
            }
            text += indented(Snippet.excerpt(hit.text, highlights: hit.highlights, width: 240, bold: terminal, lines: true, escape: shown), "    ")
            for after in item.context?.filter({ $0.ordinal > hit.ordinal }) ?? [] {
                text += indented(Snippet.excerpt(after.text, highlights: [], width: 160, lines: true, escape: shown), "    … ")
            }
        }
        if let facets = result.facets {
            for (name, values) in [("companies", facets.company), ("reports", facets.reportType), ("periods", facets.period)] where !values.isEmpty {
                text += "\(name): " + values.prefix(10).map { "\(shown($0.value)) (\($0.documents))" }.joined(separator: ", ") + "\n"
            }
        }
        return text
    }
}

/// `korsearch eval`: retrieval quality over judged queries.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Measure Recall@k, MRR@10 and nDCG@10 of each search mode over judged queries.")

    @OptionGroup var target: IndexOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(
        name: .long,
        help:
            "Judged queries: JSON lines {\"query\": ..., \"relevant\": [paths]}, optionally with \"filters\": {\"company\", \"report_type\", \"period\", \"filed_after\", \"filed_before\"}."
    )
    var qrels: String

    @Option(name: .short, help: "The k of Recall@k.")
    var k: Int = 10

    @Option(name: .long, help: "Evaluate only this mode (default: all three).")
    var mode: SearchMode?

    @Option(name: .long, help: "Hybrid's vector weight, 0 (keyword only) to 1 (vector only); default: the index's, else 0.5.")
    var vectorWeight: Double?

    @Flag(name: .long, help: "Evaluate hybrid at vector weights 0, 0.1, … 1 and name the best.")
    var sweep = false

    @Flag(name: .long, help: "With --sweep: store the best weight as the index's default for hybrid queries.")
    var saveBest = false

    @OptionGroup var filterOptions: FilterOptions

    @OptionGroup var reranker: RerankerOption

    @Option(name: .long, help: "How many first-stage hits the reranker reads (default 50).")
    var rerankTop: Int = SearchRequest.defaultRerankTop

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @Flag(
        name: .long,
        help:
            "One JSON line per query and mode on stdout: {\"query\", \"mode\", \"first_relevant_rank\" (null when none was found), \"hits\": [{\"rank\", \"path\", \"chunk_id\", \"relevant\"}]} (the top k); the summary goes to stderr."
    )
    var perQuery = false

    func validate() throws {
        if perQuery, sweep { throw ValidationError("--per-query lists each query's hits in one mode; leave out --sweep") }
        if reranker.rerank != nil, sweep { throw ValidationError("--sweep measures first-stage hybrid weights; leave out --rerank") }
        try commandLine { try SearchRequest.schema.field(at: "rerank_top")!.check(Double(rerankTop), naming: .options(of: SearchRequest.schema)) }
        if let vectorWeight {
            try commandLine { try SearchRequest.schema.field(at: "vector_weight")!.check(vectorWeight, naming: .options(of: SearchRequest.schema)) }
        }
        if sweep, vectorWeight != nil { throw ValidationError("--sweep tries every vector weight; leave out --vector-weight") }
        if sweep, let mode, mode != .hybrid { throw ValidationError("--sweep evaluates hybrid search; leave out --mode \(mode.rawValue)") }
        if saveBest, !sweep { throw ValidationError("--save-best stores the best weight of --sweep; add --sweep") }
    }

    func run() throws {
        let queries = try JudgedQuery.load(URL(fileURLWithPath: qrels))
        if sweep { return try runSweep(queries) }
        let modes = mode.map { [$0] } ?? SearchMode.allCases
        let searcher = try Searcher(
            location: try target.existingLocation, model: modelOptions.model, precision: modelOptions.precision,
            loadModel: modes != [.keyword] || reranker.rerank != nil, reranker: reranker.rerank, defaultReranker: !reranker.noRerank,
            warn: { warn($0) })
        let missing = try searcher.checkJudgments(queries)
        if !missing.isEmpty {
            warn(
                "\(missing.count) judged documents are not in the index (they count as not found): \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")"
            )
        }
        var results: [String: RetrievalMetrics] = [:]
        let filters = try filterOptions.filters()
        // With a reranker (--rerank, or the index's default), each mode is measured before and after it.
        var rows = modes.map(\.rawValue)
        var outcomes: [QueryOutcome] = []
        for mode in modes {
            let first = try searcher.evaluatePerQuery(queries, mode: mode, k: k, filters: filters, vectorWeight: vectorWeight)
            results[mode.rawValue] = first.metrics
            outcomes += first.outcomes
            if searcher.reranker != nil {
                let reranked = try searcher.evaluatePerQuery(
                    queries, mode: mode, k: k, filters: filters, vectorWeight: vectorWeight, rerankTop: rerankTop)
                results[mode.rawValue + "+rerank"] = reranked.metrics
                outcomes += reranked.outcomes
                rows.insert(mode.rawValue + "+rerank", at: rows.firstIndex(of: mode.rawValue)! + 1)
            }
        }
        if perQuery {
            writeOutput(try outcomes.map { try jsonLine($0) }.joined())
        }
        let toStderr = perQuery
        func print(_ text: String) {
            if toStderr { FileHandle.standardError.write(Data(text.utf8)) } else { writeOutput(text) }
        }
        if json {
            struct Report: Encodable {
                var k: Int
                var queries: Int
                var model: String
                var reranker: String?
                var modes: [String: RetrievalMetrics]
            }
            print(
                try jsonLine(
                    Report(k: k, queries: queries.count, model: searcher.index.meta.modelId, reranker: searcher.reranker?.name, modes: results)))
        } else {
            var text = "model \(searcher.index.meta.modelId), \(queries.count) queries\n"
            if let name = searcher.reranker?.name { text += "reranker \(shown(name)), top \(rerankTop)\n" }
            let width = searcher.reranker == nil ? 8 : 16
            text +=
                "mode".padding(toLength: width, withPad: " ", startingAt: 0) + column("Recall@\(k)", 10) + column("MRR@10", 9) + column("nDCG@10", 9)
                + "\n"
            for row in rows {
                let metrics = results[row]!
                text +=
                    row.padding(toLength: width, withPad: " ", startingAt: 0)
                    + column(String(format: "%.3f", metrics.recall), 10) + column(String(format: "%.3f", metrics.mrr), 9)
                    + column(String(format: "%.3f", metrics.ndcg), 9) + "\n"
            }
            print(text)
        }
    }

    /// `--sweep`: hybrid at eleven weights, the best named and, with `--save-best` (or a yes on a terminal),
    /// stored as the index's default.
    private func runSweep(_ queries: [JudgedQuery]) throws {
        let location = try target.existingLocation
        let searcher = try Searcher(
            location: location, model: modelOptions.model, precision: modelOptions.precision,
            loadModel: true, warn: { warn($0) })
        let missing = try searcher.checkJudgments(queries)
        if !missing.isEmpty { warn("\(missing.count) judged documents are not in the index (they count as not found)") }
        let weights = (0 ... 10).map { Double($0) / 10 }
        let results = try searcher.sweep(queries, weights: weights, k: k, filters: try filterOptions.filters())
        let best = Searcher.bestWeight(results)!
        let current = try searcher.vectorWeight(nil)
        if json {
            if saveBest { try IndexStores.setDefaultVectorWeight(location, best) }
            let save = saveBest
            struct Point: Encodable {
                var vectorWeight: Double
                var metrics: RetrievalMetrics
                enum CodingKeys: String, CodingKey { case vectorWeight = "vector_weight", recall, mrr, ndcg, queries }
                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(vectorWeight, forKey: .vectorWeight)
                    try container.encode(metrics.recall, forKey: .recall)
                    try container.encode(metrics.mrr, forKey: .mrr)
                    try container.encode(metrics.ndcg, forKey: .ndcg)
                    try container.encode(metrics.queries, forKey: .queries)
                }
            }
            struct Report: Encodable {
                var k: Int, queries: Int, model: String, sweep: [Point], best: Double, indexDefault: Double, saved: Bool
                enum CodingKeys: String, CodingKey { case k, queries, model, sweep, best, saved, indexDefault = "index_default" }
            }
            writeOutput(
                try jsonLine(
                    Report(
                        k: k, queries: queries.count, model: searcher.index.meta.modelId,
                        sweep: results.map { Point(vectorWeight: $0.weight, metrics: $0.metrics) },
                        best: best, indexDefault: save ? best : current, saved: save)))
            return
        }
        // The table first; then, on a terminal, the offer to store the best.
        var text = "model \(searcher.index.meta.modelId), \(queries.count) queries; hybrid by vector weight (0 keyword only, 1 vector only)\n"
        text += "weight" + column("Recall@\(k)", 12) + column("MRR@10", 9) + column("nDCG@10", 9) + "\n"
        for (weight, metrics) in results {
            text +=
                String(format: "%.1f", weight).padding(toLength: 6, withPad: " ", startingAt: 0) + column(String(format: "%.3f", metrics.recall), 12)
                + column(String(format: "%.3f", metrics.mrr), 9) + column(String(format: "%.3f", metrics.ndcg), 9)
                + (weight == best ? "  best" : "") + (weight == current ? "  (index default)" : "") + "\n"
        }
        // A weight korsearch chose from held-out sentences is worth replacing by the judged best even when equal:
        // one stored from judgments stays through later indexing runs.
        let automatic = searcher.index.meta.vectorWeightIsAutomatic
        if automatic { text += "the index default was chosen from held-out sentences of the index, not from judgments (korsearch info)\n" }
        writeOutput(text)
        var save = saveBest
        if !save, best != current || automatic, isatty(STDIN_FILENO) != 0, isatty(STDERR_FILENO) != 0 {
            FileHandle.standardError.write(Data("store \(best) as this index's default vector weight (now \(current))? [y/N] ".utf8))
            save = ["y", "yes"].contains(readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? "")
        }
        if save { try IndexStores.setDefaultVectorWeight(location, best) }
        text = ""
        if save {
            text += "stored \(best) as the index's default vector weight\n"
        } else if best != current || automatic {
            text += "to make \(best) the index's default: add --save-best (queries may still set --vector-weight)\n"
        }
        writeOutput(text)
    }

    private func column(_ value: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - value.count)) + value }
}

/// Runs a check of the library's, turning its invalid-argument error into the CLI's usage error (exit 64,
/// with the command's usage).
func commandLine(_ check: () throws -> Void) throws {
    do { try check() } catch let error as KorSearchError where error.kind == .invalidArgument { throw ValidationError(error.message) }
}
