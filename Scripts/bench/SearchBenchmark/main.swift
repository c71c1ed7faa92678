// Search latency on a large index: builds (once) an index of N synthetic chunks — Korean text cut from the
// example corpus, so the keyword index has real Hangul bigrams, and seeded random unit vectors of the model's
// dimension — then times queries from the evaluation set in each mode, once the index and model are loaded.
// With --store, the same chunks also go into a PostgreSQL + pgvector store (timing the inserts, one
// transaction per 10-chunk document as `korsearch index` writes them) and both stores answer the same
// queries, side by side.
//
//   swift build -c release --product search-benchmark
//   .build/release/search-benchmark --model /tmp/korsearch-bench-mdeberta [--chunks 100000] [--precision fp32|bf16|int8]
//       [--store postgres://korsearch@127.0.0.1:55432/postgres?schema=bench]
import Foundation
import KorSearch

func option(_ name: String, _ fallback: String?) -> String? {
    let arguments = CommandLine.arguments
    if let index = arguments.firstIndex(of: name), index + 1 < arguments.count { return arguments[index + 1] }
    return fallback
}

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let modelPath = option("--model", "/tmp/korsearch-bench-mdeberta")!
let chunkCount = Int(option("--chunks", "100000")!)!
let precision = Precision(rawValue: option("--precision", "fp32")!) ?? .fp32
let directory = IndexDirectory(URL(fileURLWithPath: option("--index", "/tmp/korsearch-bench-index-\(chunkCount)")!))

func log(_ message: String) { FileHandle.standardError.write(Data((message + "\n").utf8)) }

/// A small seeded generator (SplitMix64), so both stores get the same chunks.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Writes the synthetic documents (10 chunks each) through the indexer's writer; returns chunks per second.
func build(_ location: IndexLocation, _ loaded: (embedder: Embedder, identity: ModelIdentity)) throws -> Double {
    let dimension = loaded.identity.dimension
    log("building \(chunkCount) synthetic chunks of dimension \(dimension) in \(location)")
    var sentences: [String] = []
    let corpus = repository.appendingPathComponent("Examples/corpus")
    for file in (FileManager.default.enumerator(atPath: corpus.path)!.compactMap { $0 as? String }).sorted() {
        if let document = try? DocumentLoader.load(corpus.appendingPathComponent(file)) {
            sentences += document.text.split(whereSeparator: { $0 == "." || $0 == "\n" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.count > 10 }
        }
    }
    let writer = try Indexer(location: location, embedder: loaded.embedder, model: loaded.identity).openForWriting()
    var generator = SeededGenerator(state: 42)
    let chunksPerDocument = 10
    var updates: [DocumentUpdate] = []
    let started = Date()
    for documentIndex in 0 ..< chunkCount / chunksPerDocument {
        var chunks: [Chunk] = []
        var vectors: [[Float]] = []
        var text = ""
        for ordinal in 0 ..< chunksPerDocument {
            let passage = (0 ..< 4).map { _ in sentences.randomElement(using: &generator)! }.joined(separator: ". ") + "."
            let start = text.unicodeScalars.count
            text += passage + "\n"
            chunks.append(Chunk(ordinal: ordinal, text: passage, start: start, end: start + passage.unicodeScalars.count, page: nil, ids: [1, 2]))
            var vector = (0 ..< dimension).map { _ in Float.random(in: -1 ... 1, using: &generator) }
            let norm = sqrt(vector.reduce(0) { $0 + $1 * $1 })
            vector = vector.map { $0 / norm }
            vectors.append(vector)
        }
        let document = LoadedDocument(type: "txt", title: "synthetic \(documentIndex)", text: text, pageStarts: [0], paged: false, encoding: "UTF-8")
        updates.append(DocumentUpdate(path: "synthetic/\(documentIndex).txt", sha256: "\(documentIndex)", size: 1, modified: 0,
                                      document: document, chunks: chunks, vectors: vectors))
        if updates.count == 500 {
            try writer.write(updates: updates, removing: [])
            updates = []
            if documentIndex % 2000 == 1999 {
                log(String(format: "  %d chunks, %.0f chunks/s", (documentIndex + 1) * chunksPerDocument,
                           Double((documentIndex + 1) * chunksPerDocument) / Date().timeIntervalSince(started)))
            }
        }
    }
    try writer.write(updates: updates, removing: [])
    try writer.finish(folder: "synthetic", skipped: [], owns: { _ in true })
    let rate = Double(chunkCount) / Date().timeIntervalSince(started)
    log(String(format: "  inserted %d chunks in %.1f s: %.0f chunks/s", chunkCount, Date().timeIntervalSince(started), rate))
    return rate
}

/// Times each mode over the evaluation queries; returns the top-10 vector hits per query for comparison.
@discardableResult
func measure(_ label: String, _ searcher: Searcher) throws -> [[Int64]] {
    let queries = try JudgedQuery.load(repository.appendingPathComponent("Examples/eval/qrels.jsonl")).map(\.query)
    let chunks = try searcher.index.info().chunks
    var vectorHits: [[Int64]] = []
    for mode in SearchMode.allCases {
        _ = try searcher.search(queries[0], limit: 10, mode: mode)  // warm-up
        var times: [Double] = []
        for query in queries {
            let begin = Date()
            let hits = try searcher.search(query, limit: 10, mode: mode)
            times.append(Date().timeIntervalSince(begin) * 1000)
            if mode == .vector { vectorHits.append(hits.map(\.chunkId)) }
        }
        times.sort()
        let p50 = times[times.count / 2], p95 = times[Int(Double(times.count) * 0.95)], worst = times.last!
        print(String(format: "%-9@ %-8@ %d queries on %d chunks: p50 %.1f ms, p95 %.1f ms, max %.1f ms",
                     label as NSString, mode.rawValue as NSString, times.count, chunks, p50, p95, worst))
    }
    return vectorHits
}

do {
    let loaded = try ModelLocator.load(modelPath, precision: precision)
    if !directory.exists { _ = try build(.directory(directory), (loaded.embedder, loaded.identity)) }
    let started = Date()
    let searcher = try Searcher(directory: directory, embedder: loaded.embedder, model: loaded.identity)
    log(String(format: "opened the FAISS store in %.2f s", Date().timeIntervalSince(started)))
    let faissHits = try measure("faiss", searcher)

    if let store = option("--store", nil) {
        let location = try IndexLocation(index: "", store: store)
        var rate: Double?
        if (try? IndexStores.meta(of: location)) == nil { rate = try build(location, (loaded.embedder, loaded.identity)) }
        let postgres = try Searcher(location: location, embedder: loaded.embedder, model: loaded.identity)
        let postgresHits = try measure("postgres", postgres)
        // Chunk ids differ between stores; compare by (path, ordinal).
        func keys(_ searcher: Searcher, _ ids: [Int64]) throws -> [String] {
            try searcher.index.chunks(ids: ids).map { "\($0.documentPath)#\($0.ordinal)" }
        }
        var overlap = 0.0
        for (a, b) in zip(faissHits, postgresHits) {
            overlap += Double(Set(try keys(searcher, a)).intersection(try keys(postgres, b)).count) / Double(max(1, a.count))
        }
        print(String(format: "postgres vector top-10 overlap with FAISS Flat (exact): %.3f", overlap / Double(faissHits.count)))
        if let rate { print(String(format: "postgres insert rate: %.0f chunks/s (one transaction per 10-chunk document)", rate)) }
    }
} catch {
    log("search-benchmark: \(error)")
    exit(1)
}
