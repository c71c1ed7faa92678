// Search latency on a large Flat index: builds (once) an index of N synthetic chunks — Korean text cut from
// the example corpus, so the keyword index has real Hangul bigrams, and random unit vectors of the model's
// dimension — then times queries from the evaluation set in each mode, once the index and model are loaded.
//
//   swift build -c release --product search-benchmark
//   .build/release/search-benchmark --model /tmp/korsearch-bench-mdeberta [--chunks 100000] [--precision fp32|bf16|int8]
import Foundation
import KorSearch

func option(_ name: String, _ fallback: String) -> String {
    let arguments = CommandLine.arguments
    if let index = arguments.firstIndex(of: name), index + 1 < arguments.count { return arguments[index + 1] }
    return fallback
}

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let modelPath = option("--model", "/tmp/korsearch-bench-mdeberta")
let chunkCount = Int(option("--chunks", "100000"))!
let precision = Precision(rawValue: option("--precision", "fp32")) ?? .fp32
let directory = IndexDirectory(URL(fileURLWithPath: option("--index", "/tmp/korsearch-bench-index-\(chunkCount)")))

func log(_ message: String) { FileHandle.standardError.write(Data((message + "\n").utf8)) }

do {
    let loaded = try ModelLocator.load(modelPath, precision: precision)
    let dimension = loaded.identity.dimension
    if !directory.exists {
        log("building \(chunkCount) synthetic chunks of dimension \(dimension) in \(directory.url.path)")
        let indexer = try Indexer(directory: directory, embedder: loaded.embedder, model: loaded.identity)
        let index = try indexer.openForWriting()
        // Sentences of the example corpus, recombined.
        var sentences: [String] = []
        for file in FileManager.default.enumerator(atPath: repository.appendingPathComponent("Examples/corpus").path)! {
            let url = repository.appendingPathComponent("Examples/corpus").appendingPathComponent(file as! String)
            if let document = try? DocumentLoader.load(url) {
                sentences += document.text.split(whereSeparator: { $0 == "." || $0 == "\n" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.count > 10 }
            }
        }
        var generator = SystemRandomNumberGenerator()
        let chunksPerDocument = 10
        var updates: [DocumentUpdate] = []
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
                _ = try index.catalog.apply(updates: updates, removing: [])
                updates = []
            }
        }
        _ = try index.catalog.apply(updates: updates, removing: [])
        try index.rebuildVectors(persist: true)
    }

    let started = Date()
    let searcher = try Searcher(directory: directory, embedder: loaded.embedder, model: loaded.identity)
    log(String(format: "opened index with %d vectors in %.2f s", searcher.index.vectors.count, Date().timeIntervalSince(started)))
    let queries = try JudgedQuery.load(repository.appendingPathComponent("Examples/eval/qrels.jsonl")).map(\.query)
    func percentiles(_ label: String, _ body: (String) throws -> Void) rethrows {
        var times: [Double] = []
        for query in queries {
            let begin = Date()
            try body(query)
            times.append(Date().timeIntervalSince(begin) * 1000)
        }
        times.sort()
        print(String(format: "%@: p50 %.1f ms, p95 %.1f ms", label as NSString, times[times.count / 2], times[Int(Double(times.count) * 0.95)]))
    }
    try percentiles("  of which query embedding") { _ = try searcher.embedQuery($0) }
    let probe = try searcher.embedQuery(queries[0])
    try percentiles("  of which FAISS Flat scan") { _ in _ = try searcher.index.vectors.search(probe, k: 50) }
    for mode in SearchMode.allCases {
        _ = try searcher.search(queries[0], limit: 10, mode: mode)  // warm-up
        var times: [Double] = []
        for query in queries {
            let begin = Date()
            _ = try searcher.search(query, limit: 10, mode: mode)
            times.append(Date().timeIntervalSince(begin) * 1000)
        }
        times.sort()
        let p50 = times[times.count / 2], p95 = times[Int(Double(times.count) * 0.95)], worst = times.last!
        print(String(format: "%-8@ %d queries on %d chunks: p50 %.1f ms, p95 %.1f ms, max %.1f ms",
                     mode.rawValue as NSString, times.count, searcher.index.vectors.count, p50, p95, worst))
    }
} catch {
    log("search-benchmark: \(error)")
    exit(1)
}
