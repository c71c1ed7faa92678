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

    @OptionGroup var filterOptions: FilterOptions

    @Option(name: .long, help: "Show N neighbouring passages before and after each hit.")
    var context: Int = 0

    @Option(name: .long, help: "Answer one query per line of this file, as JSON lines.")
    var queries: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        if (query == nil) == (queries == nil) { throw ValidationError("give a QUERY or --queries FILE (one of them)") }
        if k < 1 || k > Searcher.maxResults { throw ValidationError("-k must be between 1 and \(Searcher.maxResults), not \(k)") }
        if query?.unicodeScalars.contains("\u{FFFD}") == true { throw ValidationError("the query is not valid UTF-8") }
        if context < 0 { throw ValidationError("--context must not be negative") }
    }

    func run() throws {
        let filters = try filterOptions.filters()
        let searcher = try Searcher(location: try target.existingLocation, model: modelOptions.model, precision: modelOptions.precision,
                                    loadModel: mode != .keyword, warn: { warn($0) })
        if let queries {
            for line in try readInputLines(queries) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                writeOutput(try jsonLine(try answer(line, searcher, filters)))
            }
            return
        }
        let result = try answer(query!, searcher, filters)
        if json {
            writeOutput(try jsonLine(result))
        } else {
            writeOutput(render(result))
        }
    }

    private func answer(_ query: String, _ searcher: Searcher, _ filters: SearchFilters) throws -> SearchAnswer {
        try searcher.answer(query, limit: k, mode: mode, filters: filters, neighbours: context)
    }

    private func render(_ result: SearchAnswer) -> String {
        if result.results.isEmpty { return "no results for \(shown(result.query))\n" }
        let terminal = isatty(STDOUT_FILENO) != 0
        var text = ""
        for item in result.results {
            let hit = item.hit
            var source = shown(hit.path) + (hit.page.map { " (p. \($0))" } ?? "")
            if let title = hit.title { source += " — \(shown(title))" }
            if let section = hit.section, section != hit.title { source += " · " + shown(section) }
            var why: [String] = []
            if let rank = hit.vectorRank { why.append("vector #\(rank)") }
            if let rank = hit.keywordRank { why.append("keyword #\(rank)") }
            text += String(format: "%2d. %.4f  ", hit.rank, hit.score) + source + (why.isEmpty ? "" : "  [\(why.joined(separator: ", "))]") + "\n"
            for before in item.context?.filter({ $0.ordinal < hit.ordinal }) ?? [] { text += "    … " + Snippet.excerpt(shown(before.text.replacingOccurrences(of: "\n", with: " ")), query: "", width: 160) + "\n" }
            text += "    " + Snippet.excerpt(shown(hit.text.replacingOccurrences(of: "\n", with: " ")), query: result.query, width: 240, bold: terminal) + "\n"
            for after in item.context?.filter({ $0.ordinal > hit.ordinal }) ?? [] { text += "    … " + Snippet.excerpt(shown(after.text.replacingOccurrences(of: "\n", with: " ")), query: "", width: 160) + "\n" }
        }
        return text
    }
}

/// `korsearch eval`: retrieval quality over judged queries.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Measure Recall@k, MRR@10 and nDCG@10 of each search mode over judged queries.")

    @OptionGroup var target: IndexOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Judged queries: JSON lines {\"query\": ..., \"relevant\": [paths]}, optionally with \"filters\": {\"company\", \"report_type\", \"period\", \"filed_after\", \"filed_before\"}.")
    var qrels: String

    @Option(name: .short, help: "The k of Recall@k.")
    var k: Int = 10

    @Option(name: .long, help: "Evaluate only this mode (default: all three).")
    var mode: SearchMode?

    @OptionGroup var filterOptions: FilterOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let queries = try JudgedQuery.load(URL(fileURLWithPath: qrels))
        let modes = mode.map { [$0] } ?? SearchMode.allCases
        let searcher = try Searcher(location: try target.existingLocation, model: modelOptions.model, precision: modelOptions.precision,
                                    loadModel: modes != [.keyword], warn: { warn($0) })
        let missing = try searcher.checkJudgments(queries)
        if !missing.isEmpty {
            warn("\(missing.count) judged documents are not in the index (they count as not found): \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")")
        }
        var results: [String: RetrievalMetrics] = [:]
        let filters = try filterOptions.filters()
        for mode in modes { results[mode.rawValue] = try searcher.evaluate(queries, mode: mode, k: k, filters: filters) }
        if json {
            struct Report: Encodable { var k: Int; var queries: Int; var model: String; var modes: [String: RetrievalMetrics] }
            writeOutput(try jsonLine(Report(k: k, queries: queries.count, model: searcher.index.meta.modelId, modes: results)))
        } else {
            var text = "model \(searcher.index.meta.modelId), \(queries.count) queries\n"
            func column(_ value: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - value.count)) + value }
            text += "mode    " + column("Recall@\(k)", 10) + column("MRR@10", 9) + column("nDCG@10", 9) + "\n"
            for mode in modes {
                let metrics = results[mode.rawValue]!
                text += mode.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                    + column(String(format: "%.3f", metrics.recall), 10) + column(String(format: "%.3f", metrics.mrr), 9)
                    + column(String(format: "%.3f", metrics.ndcg), 9) + "\n"
            }
            writeOutput(text)
        }
    }
}
