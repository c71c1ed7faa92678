import ArgumentParser
import Foundation
import KorSearch

extension Precision: ExpressibleByArgument {}
extension SearchMode: ExpressibleByArgument {}

/// The help of `--model`, the same wherever the option appears.
let modelHelp = ArgumentHelp(
    "The model: a folder (config.json, model.safetensors or pytorch_model.bin, spm.model) or a hub id ORG/NAME[@REVISION] in the Hugging Face cache (default: the index's own model; \(ModelLocator.defaultModel) for a new index and for embed/tokenize).",
    valueName: "model")

/// `--model` and `--precision`, shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: modelHelp)
    var model: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "fp32 (exact), bf16 or int8 (faster; oneDNN). Default: the index's own (recorded when it was built); for a new index and for embed, bf16 on processors with native bf16, else fp32.",
            valueName: "precision"))
    var precision: Precision?
}

/// `--index DIR` or `--store URL`, shared by the commands that use an index.
struct IndexOptions: ParsableArguments {
    @Option(name: .long, help: "The index directory (default: $KORSEARCH_INDEX, else Indexes/default).")
    var index: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A PostgreSQL + pgvector store instead of a directory (default: $KORSEARCH_STORE).",
            valueName: "postgres://USER@HOST:PORT/DB[?schema=NAME]"))
    var store: String?

    func validate() throws {
        if index != nil, store != nil { throw ValidationError("give --index DIR or --store URL, not both") }
    }

    /// A variable of the environment, nil when unset or empty.
    private static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether neither --index, --store, $KORSEARCH_INDEX nor $KORSEARCH_STORE named the index (it is
    /// `Indexes/default` under the current folder).
    var usesDefault: Bool {
        index == nil && store == nil && IndexOptions.environment("KORSEARCH_INDEX") == nil && IndexOptions.environment("KORSEARCH_STORE") == nil
    }

    /// The index to read: when it is the default and there is none, an error that says which index was
    /// looked for and how to name another.
    var existingLocation: IndexLocation {
        get throws {
            let location = try self.location
            if usesDefault, let directory = location.store as? EmbeddedLocation, !directory.exists {
                throw CommandFailure(
                    "no index at \(directory.url.path), the default (Indexes/default under the current folder); build one with `korsearch index FOLDER`, or name one with --index DIR or --store URL",
                    code: ExitCodes.noInput)
            }
            return location
        }
    }

    /// The index named by the options (`--index DIR`, `--store URL`), else by the environment
    /// (`$KORSEARCH_INDEX`, a directory, or `$KORSEARCH_STORE`, a PostgreSQL store; not both), else the default
    /// directory.
    var location: IndexLocation {
        get throws {
            if let index { return try IndexLocation(index: index, store: nil) }
            if let store { return try IndexLocation(index: "Indexes/default", store: store) }
            let directory = IndexOptions.environment("KORSEARCH_INDEX"), url = IndexOptions.environment("KORSEARCH_STORE")
            if directory != nil, url != nil {
                throw CommandFailure(
                    "KORSEARCH_INDEX and KORSEARCH_STORE are both set; unset one, or name the index with --index DIR or --store URL",
                    code: ExitCodes.usage)
            }
            if let directory { return try IndexLocation(index: directory, store: nil) }
            return try IndexLocation(index: "Indexes/default", store: url)
        }
    }
}

/// `--rerank MODEL`: the cross-encoder that reorders first-stage hits (search, serve, mcp).
struct RerankerOption: ParsableArguments {
    @Option(
        name: .long,
        help:
            "Reorder the first-stage hits with this cross-encoder (a folder or hub id, e.g. BAAI/bge-reranker-v2-m3); default: the index's (korsearch index --rerank MODEL), if any."
    )
    var rerank: String?

    @Flag(name: .customLong("no-rerank"), help: "Do not rerank, even with the index's default reranker.")
    var noRerank = false

    func validate() throws {
        if rerank != nil, noRerank { throw ValidationError("give --rerank MODEL or --no-rerank, not both") }
    }

    /// What a request says of reranking: yes with --rerank, no with --no-rerank, else the loaded default's.
    var requested: Bool? { rerank != nil ? true : noRerank ? false : nil }
}

/// `--input` and `--max-length`, shared by the commands that read texts line by line.
struct TextInputOptions: ParsableArguments {
    @Option(name: .long, help: "Read texts from this file, one per line (default: standard input).")
    var input: String?

    @Option(name: .long, help: "Cut each text to this many token ids, [CLS] and [SEP] included (default: 512, or less when the model takes less).")
    var maxLength: Int?

    func validate() throws {
        if let maxLength, maxLength < 2 {
            throw ValidationError("--max-length must be at least 2 (room for [CLS] and [SEP]), not \(maxLength)")
        }
    }
}

/// The lines of the input, each exactly as written minus its newline; every line must be UTF-8.
func readInputLines(_ path: String?) throws -> [String] {
    let data: Data
    if let path {
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("cannot read input file \(path)", code: ExitCodes.noInput)
        }
        data = contents
    } else {
        data = FileHandle.standardInput.readDataToEndOfFile()
    }
    var lines: [String] = []
    var lineStart = data.startIndex
    var number = 1
    func add(_ end: Data.Index) throws {
        guard let line = String(validating: data[lineStart ..< end], as: UTF8.self) else {
            throw CommandFailure("input line \(number) is not valid UTF-8")
        }
        lines.append(line)
        number += 1
    }
    while let newline = data[lineStart...].firstIndex(of: 0x0A) {
        try add(newline)
        lineStart = newline + 1
    }
    if lineStart < data.endIndex { try add(data.endIndex) }
    return lines
}

/// A failure the user can fix, reported as one line on stderr and a non-zero exit (`ExitCodes`).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    /// The exit code: 65 (bad input) unless said otherwise.
    let code: Int32
    init(_ description: String, code: Int32 = ExitCodes.data) {
        self.description = description
        self.code = code
    }
}

/// Writes text to standard output without Foundation's line buffering surprises.
func writeOutput(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Prints a warning on stderr.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(shown(message))\n".utf8))
}

/// Text from files (names, titles, passages, reasons) made safe for a terminal: control characters — escape
/// sequences, carriage returns, line breaks that would fake another result line — written as `\n`, `\r`,
/// `\t` or `\u{1B}`. JSON output stays exact; this is for the lines people read.
func shown(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where isControl(scalar): result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}

private func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F ... 0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
        || (0x202A ... 0x202E).contains(scalar.value) || (0x2066 ... 0x2069).contains(scalar.value)
}

/// Encodes a value as one line of JSON with sorted keys.
func jsonLine<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
}

/// The filters of `search` and `eval`: where documents are, what type, when modified, and what they are
/// (company, report, period, filing date). Each option is a field of `SearchFilters.schema` (its `option`),
/// which a test holds to this list.
struct FilterOptions: ParsableArguments {
    @Option(name: .long, help: FilterOptions.filterHelp("path"))
    var path: String?

    @Option(name: .long, help: FilterOptions.filterHelp("types", repeatable: true))
    var type: [String] = []

    @Option(name: .long, help: FilterOptions.filterHelp("modified_after"))
    var after: String?

    @Option(name: .long, help: FilterOptions.filterHelp("modified_before"))
    var before: String?

    @Option(name: .long, help: FilterOptions.filterHelp("company"))
    var company: String?

    @Option(name: .customLong("report-type"), help: FilterOptions.filterHelp("report_type"))
    var reportType: String?

    @Option(name: .long, help: FilterOptions.filterHelp("period"))
    var period: String?

    @Option(name: .customLong("filed-after"), help: FilterOptions.filterHelp("filed_after"))
    var filedAfter: String?

    @Option(name: .customLong("filed-before"), help: FilterOptions.filterHelp("filed_before"))
    var filedBefore: String?

    @Option(name: .long, help: FilterOptions.filterHelp("section"))
    var section: String?

    func validate() throws {
        try commandLine { _ = try filters() }
    }

    /// An option's help: the meaning of its field in `SearchFilters.schema`, the one place it is written.
    private static func filterHelp(_ field: String, repeatable: Bool = false) -> ArgumentHelp {
        let summary = SearchFilters.schema.field(at: field)?.summary ?? field
        return ArgumentHelp("Keep " + summary + (repeatable ? "; repeatable." : summary.hasSuffix(".") ? "" : "."))
    }

    /// The filters given, checked as every front end checks them, in the CLI's words.
    func filters() throws -> SearchFilters {
        try SearchFilters(
            path: path, typeNames: type.isEmpty ? nil : type, modifiedAfter: after, modifiedBefore: before, company: company,
            reportType: reportType, period: period, filedAfter: filedAfter, filedBefore: filedBefore, section: section,
            naming: .options(of: SearchRequest.schema))
    }
}
