import ArgumentParser
import Foundation
import KorSearch

/// `korsearch dart`: filings from OpenDART.
struct DARTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dart", abstract: "Fetch filings from OpenDART (the FSS's API over DART) into a folder to index.",
        subcommands: [Sync.self])

    struct Sync: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download companies' filings into FOLDER/dart/{corp_code}/{rcept_no}.zip and merge their rows into FOLDER/list.json.",
            discussion: """
                Filings already in the folder are not fetched again, and every file is renamed into place whole, so a run \
                stopped at any point is resumed by running it again. Amended filings (정정) are kept beside their originals \
                and marked in the metadata (amendment). The corp-code list is cached in FOLDER/dart/.corpCode.zip for a day.
                """)

        @Argument(help: "The folder to sync into (made when missing).")
        var folder: String

        @Option(
            name: .long,
            help: ArgumentHelp("A company: its name, 8-digit corp code or 6-character stock code (repeat for several).", valueName: "COMPANY"))
        var corp: [String] = []

        @Option(name: .long, help: ArgumentHelp("The first filing day (default: three years before --until).", valueName: "YYYY-MM-DD"))
        var since: String?

        @Option(name: .long, help: ArgumentHelp("The last filing day (default: today).", valueName: "YYYY-MM-DD"))
        var until: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "A report kind by name or OpenDART detail type (repeat for several; default: 사업보고서, 반기보고서, 분기보고서, 주요사항보고서).",
                valueName: "KIND"))
        var kind: [String] = []

        @Option(name: .long, help: "The OpenDART API key (default: $DART_API_KEY).")
        var apiKey: String?

        @Option(name: .long, help: "The API root (default: $OPENDART_ENDPOINT, else OpenDART's).")
        var endpoint: String?

        @Option(
            name: .long,
            help:
                "Index the folder into this index directory after syncing (as `korsearch index FOLDER --index DIR`; --model and --precision as there)."
        )
        var index: String?

        @Option(name: .long, help: ArgumentHelp("Index the folder into this PostgreSQL store after syncing.", valueName: "URL"))
        var store: String?

        @OptionGroup var modelOptions: ModelOptions

        @Flag(
            name: .customLong("no-financials"),
            help: "Do not fetch the periodic reports' financial statements into FOLDER/financials.jsonl (fetched by default).")
        var noFinancials = false

        @Flag(name: .long, help: "Print the summary as one JSON object.")
        var json = false

        @Flag(name: .long, help: "No progress on stderr.")
        var quiet = false

        func validate() throws {
            if index != nil, store != nil { throw ValidationError("give --index DIR or --store URL, not both") }
        }

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            let client = try OpenDART(
                key: apiKey ?? environment["DART_API_KEY"] ?? "",
                endpoint: endpoint ?? environment["OPENDART_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 })
            var request = try DARTSyncRequest(companies: corp, kinds: try kind.map(DARTReportKind.init), since: since, until: until)
            request.financials = !noFinancials
            let quiet = quiet
            @Sendable func note(_ text: String) { if !quiet { FileHandle.standardError.write(Data("\(text)\n".utf8)) } }
            let signals = StopSignals { note($0) }
            let sync = DARTSync(folder: URL(fileURLWithPath: folder), client: client)
            let summary = try sync.run(request, stop: signals.stop, warn: warn) { event in
                switch event {
                case .listed(let company, 0, _):
                    note(
                        "\(shown(company.described)): OpenDART lists no filings of \(request.kinds.map(\.name).joined(separator: ", ")) filed \(request.since) to \(request.until)"
                    )
                case .listed(let company, let filings, let new):
                    note("\(shown(company.described)): \(filings) filing\(filings == 1 ? "" : "s") listed, \(new) to fetch")
                case .fetched(let receipt, let report, let done, let total):
                    note("fetched \(receipt) \(shown(report)) (\(done)/\(total))")
                case .unavailable(let receipt, let reason):
                    note("unavailable \(receipt): \(shown(reason))")
                case .statements(let company, let period, let facts):
                    note("statements of \(shown(company.name)) for \(period): \(facts) lines")
                }
            }
            if json {
                writeOutput(try jsonLine(summary))
            } else {
                var text =
                    "listed \(summary.listed) filings (\(summary.amended) amended) of \(summary.companies.count) compan\(summary.companies.count == 1 ? "y" : "ies")"
                text += "; fetched \(summary.fetched), already here \(summary.present), unavailable \(summary.unavailable.count)"
                text += "; list.json: \(summary.manifestAdded) added"
                text += "; statements: \(summary.statements) periods, \(summary.facts) lines; \(summary.requests) requests\n"
                for file in summary.unavailable { text += "unavailable \(file.rceptNo): \(shown(file.reason))\n" }
                writeOutput(text)
            }
            if summary.stopped {
                FileHandle.standardError.write(Data("korsearch: stopped: \(summary.fetched) filings kept; run again to finish\n".utf8))
                throw ExitCode(128 + (signals.signalNumber ?? SIGINT))
            }
            guard index != nil || store != nil else { return }
            var arguments = [folder] + (index.map { ["--index", $0] } ?? []) + (store.map { ["--store", $0] } ?? [])
            if let model = modelOptions.model { arguments += ["--model", model] }
            if let precision = modelOptions.precision { arguments += ["--precision", precision.rawValue] }
            if quiet { arguments.append("--quiet") }
            if json { arguments.append("--json") }
            let indexing = try IndexCommand.parse(arguments)
            try indexing.run()
        }
    }
}

/// `korsearch facts`: financial statement lines from an index's facts (`korsearch dart sync` fetches them).
struct FactsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facts",
        abstract: "Financial statement lines of companies (from the folder's financials.jsonl, which `korsearch dart sync` fetches).",
        discussion: """
            Amounts are shown in 억 원 (KRW); --json gives them in won with every field. Without --consolidated or \
            --separate, a company's consolidated statements are shown where it reports them for the period.
            """)

    @OptionGroup var target: IndexOptions

    @Option(name: .long, help: ArgumentHelp("A company: its name, corp code or stock code (repeat for several).", valueName: "COMPANY"))
    var company: [String] = []

    @Option(name: .long, help: ArgumentHelp("An account by name or XBRL id (repeat for several; 영업이익 also finds 영업손익).", valueName: "NAME"))
    var account: [String] = []

    @Option(name: .long, help: ArgumentHelp("A period: 2023 (the annual report), 2024-H1, 2024-Q1, 2024-Q3 (repeat for several).", valueName: "P"))
    var period: [String] = []

    @Option(name: .long, help: ArgumentHelp("BS, IS, CIS, CF or SCE.", valueName: "S"))
    var statement: String?

    @Flag(name: .long, help: "Consolidated statements only.")
    var consolidated = false

    @Flag(name: .long, help: "Separate statements only.")
    var separate = false

    @Option(name: .long, help: "The most lines shown (1-\(FactRequest.maxLimit)).")
    var limit = 500

    @Flag(name: .long, help: "Print one JSON object: {\"facts\": [...]}.")
    var json = false

    func validate() throws {
        if consolidated, separate { throw ValidationError("give --consolidated or --separate, not both") }
    }

    func run() throws {
        let location = try target.existingLocation
        let store = try IndexStores.open(location, warn: warn)
        let request = FactRequest(
            companies: company, accounts: account, periods: period, statement: statement,
            consolidated: consolidated ? true : separate ? false : nil, limit: limit)
        let answer = FactsAnswer(facts: try FactFinder.facts(request, in: store, aliases: store.meta.keywordAliases))
        writeOutput(json ? try jsonLine(answer) : answer.table(cell: shown))
    }
}
