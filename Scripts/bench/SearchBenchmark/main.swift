// Search latency on a large index: builds (once) an index of N synthetic chunks — Korean text cut from the
// example corpus, so the keyword index has real Hangul bigrams, and seeded unit vectors of the model's
// dimension in 2,000 clusters (embeddings of real text cluster; uniform random vectors have no near
// neighbours to find) — then times the evaluation set's queries in each mode, once the index and model are
// loaded. Vector and hybrid searches are given an in-distribution query vector (a new point of a cluster), so
// they time the store; the query embedding is timed on its own line.
// With --store, the same chunks also go into a PostgreSQL + pgvector store (timing the inserts, one
// transaction per 10-chunk document as `korsearch index` writes them) and both stores answer the same
// queries, side by side.
//
//   swift build -c release --product search-benchmark
//   .build/release/search-benchmark --model /tmp/korsearch-bench-mdeberta [--chunks 100000] [--precision fp32|bf16|int8]
//       [--store "$(Scripts/postgres start)?schema=bench"]
//   .build/release/search-benchmark ... [--modes keyword,vector] [--export FILE]
//       the queries, their vectors, each mode's hits and times as JSON (for Scripts/bench/engines_benchmark.py)
//   .build/release/search-benchmark --model /tmp/korsearch-base-random --chunks 20000 --busy [--rounds 3]
//       query embedding and hybrid search idle and beside a CPU-bound process (Scripts/bench/make_base_size_model.py
//       makes the model)
import Foundation
import KorSearch

BLASRuntime.relaunchWithNativeKernelsIfNeeded()  // as korsearch does: OpenBLAS's native kernels, not generic ones

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
let directory = EmbeddedLocation(URL(fileURLWithPath: option("--index", "/tmp/korsearch-bench-index-\(chunkCount)")!))

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

/// Normal deviates (Box–Muller) from the seeded generator.
func gaussian(_ count: Int, _ generator: inout SeededGenerator) -> [Float] {
    (0 ..< count).map { _ in
        let u = Float.random(in: Float.ulpOfOne ..< 1, using: &generator), v = Float.random(in: 0 ..< 1, using: &generator)
        return sqrt(-2 * log(u)) * cos(2 * .pi * v)
    }
}

/// A point of cluster `center`: the center plus noise of norm about 0.6, normalized (cosine to the center ~0.86).
func clustered(_ center: [Float], _ generator: inout SeededGenerator) -> [Float] {
    let scale = 0.6 / sqrt(Float(center.count))
    let vector = zip(center, gaussian(center.count, &generator)).map { $0 + scale * $1 }
    let norm = sqrt(vector.reduce(0) { $0 + $1 * $1 })
    return vector.map { $0 / norm }
}

func centers(_ dimension: Int) -> [[Float]] {
    var generator = SeededGenerator(state: 7)
    return (0 ..< 2000).map { _ in
        let vector = gaussian(dimension, &generator)
        let norm = sqrt(vector.reduce(0) { $0 + $1 * $1 })
        return vector.map { $0 / norm }
    }
}

/// The synthetic documents (10 chunks each), generated again identically on every call from the same seed:
/// `body` gets each document's number, chunks and (float32) vectors.
func forEachSyntheticDocument(_ dimension: Int, _ body: (Int, [Chunk], [[Float]], String) throws -> Void) throws {
    var sentences: [String] = []
    let corpus = repository.appendingPathComponent("Examples/corpus")
    for file in (FileManager.default.enumerator(atPath: corpus.path)!.compactMap { $0 as? String }).sorted() {
        if let document = try? DocumentLoader.load(corpus.appendingPathComponent(file)) {
            sentences += document.text.split(whereSeparator: { $0 == "." || $0 == "\n" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                $0.count > 10
            }
        }
    }
    var generator = SeededGenerator(state: 42)
    let clusters = centers(dimension)
    for documentIndex in 0 ..< chunkCount / chunksPerDocument {
        var chunks: [Chunk] = []
        var vectors: [[Float]] = []
        var text = ""
        for ordinal in 0 ..< chunksPerDocument {
            let passage = (0 ..< 4).map { _ in sentences.randomElement(using: &generator)! }.joined(separator: ". ") + "."
            let start = text.unicodeScalars.count
            text += passage + "\n"
            chunks.append(Chunk(ordinal: ordinal, text: passage, start: start, end: start + passage.unicodeScalars.count, page: nil, ids: [1, 2]))
            vectors.append(clustered(clusters.randomElement(using: &generator)!, &generator))
        }
        try body(documentIndex, chunks, vectors, text)
    }
}

let chunksPerDocument = 10

/// Writes the synthetic documents through the indexer's writer; returns chunks per second.
func build(_ location: IndexLocation, _ loaded: (embedder: Embedder, identity: ModelIdentity)) throws -> Double {
    let dimension = loaded.identity.dimension
    log("building \(chunkCount) synthetic chunks of dimension \(dimension) in \(location)")
    let writer = try Indexer(location: location, embedder: loaded.embedder, model: loaded.identity).openForWriting()
    var updates: [DocumentUpdate] = []
    let started = Date()
    try forEachSyntheticDocument(dimension) { documentIndex, chunks, vectors, text in
        let document = LoadedDocument(type: "txt", title: "synthetic \(documentIndex)", text: text, pageStarts: [0], paged: false, encoding: "UTF-8")
        updates.append(
            DocumentUpdate(
                path: "synthetic/\(documentIndex).txt", sha256: "\(documentIndex)", size: 1, modified: 0,
                document: document, chunks: chunks, vectors: vectors))
        if updates.count == 500 {
            try writer.write(updates: updates, removing: [])
            updates = []
            if documentIndex % 2000 == 1999 {
                log(
                    String(
                        format: "  %d chunks, %.0f chunks/s", (documentIndex + 1) * chunksPerDocument,
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

/// The exact top 10 of each query by inner product over the float32 vectors as generated (before the store
/// rounds or codes them), as "path#ordinal" keys: the reference for vector recall.
func exactTopTen(_ queries: [[Float]]) throws -> [[String]] {
    let dimension = queries.first?.count ?? 0
    var best = [[(score: Float, key: String)]](repeating: [], count: queries.count)
    try forEachSyntheticDocument(dimension) { documentIndex, _, vectors, _ in
        for (ordinal, vector) in vectors.enumerated() {
            for (q, query) in queries.enumerated() {
                let score = dot(query, vector)
                if best[q].count == 10, score <= best[q][9].score { continue }
                best[q].append((score, "synthetic/\(documentIndex).txt#\(ordinal)"))
                best[q].sort { $0.score > $1.score }
                if best[q].count > 10 { best[q].removeLast() }
            }
        }
    }
    return best.map { $0.map(\.key) }
}

func dot(_ a: [Float], _ b: [Float]) -> Float {
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            var sum = SIMD16<Float>()
            var index = 0
            while index + 16 <= a.count {
                sum +=
                    UnsafeRawPointer(a.baseAddress! + index).loadUnaligned(as: SIMD16<Float>.self)
                    * UnsafeRawPointer(b.baseAddress! + index).loadUnaligned(as: SIMD16<Float>.self)
                index += 16
            }
            var total = sum.sum()
            while index < a.count { total += a[index] * b[index]; index += 1 }
            return total
        }
    }
}

/// The evaluation queries, each with an in-distribution query vector.
func queries(_ dimension: Int) throws -> [(text: String, vector: [Float])] {
    let texts = try JudgedQuery.load(repository.appendingPathComponent("Examples/eval/qrels.jsonl")).map(\.query)
    let clusters = centers(dimension)
    var generator = SeededGenerator(state: 99)
    return texts.enumerated().map { ($1, clustered(clusters[($0 * 37) % clusters.count], &generator)) }
}

/// What `--export FILE` writes for `Scripts/bench/engines_benchmark.py`: each query's text, vector and top-10
/// chunk ids per mode, and each mode's per-query times in ms.
struct Export: Encodable {
    struct Query: Encodable {
        var text: String
        var vector: [Float]
        var hits: [String: [Int64]] = [:]
    }
    var chunks = 0
    var queries: [Query] = []
    var milliseconds: [String: [Double]] = [:]
    var residentMiB = 0.0
}
nonisolated(unsafe) var export = Export()

/// Times each mode over the evaluation queries; returns the top-10 vector hits per query for comparison.
@discardableResult
func measure(_ label: String, _ searcher: Searcher) throws -> [[Int64]] {
    let queries = try queries(searcher.index.dimension)
    let chunks = try searcher.index.info().chunks
    export.chunks = chunks
    export.queries = queries.map { Export.Query(text: $0.text, vector: $0.vector) }
    var vectorHits: [[Int64]] = []
    var embedding: [Double] = []
    let modes = option("--modes", nil).map { $0.split(separator: ",").compactMap { SearchMode(rawValue: String($0)) } } ?? SearchMode.allCases
    for (text, _) in modes.contains(.hybrid) ? queries : [] {
        let begin = Date()
        _ = try searcher.embedQuery(text)
        embedding.append(Date().timeIntervalSince(begin) * 1000)
    }
    embedding.sort()
    if !embedding.isEmpty {
        print(
            String(
                format: "%-9@ query embedding alone: p50 %.1f ms, p95 %.1f ms", label as NSString,
                embedding[embedding.count / 2], embedding[Int(Double(embedding.count) * 0.95)]))
    }
    for mode in modes {
        _ = try searcher.search(queries[0].text, limit: 10, mode: mode, queryVector: queries[0].vector)  // warm-up
        var times: [Double] = []
        for (number, (text, vector)) in queries.enumerated() {
            let begin = Date()
            let hits = try searcher.search(text, limit: 10, mode: mode, queryVector: vector)
            times.append(Date().timeIntervalSince(begin) * 1000)
            if mode == .vector { vectorHits.append(hits.map(\.chunkId)) }
            export.queries[number].hits[mode.rawValue] = hits.map(\.chunkId)
        }
        export.milliseconds[mode.rawValue] = times
        if mode == .vector {
            // The store's ranking alone (the hits' passages not read), at the depth a 10-hit vector search asks for.
            var ranking: [Double] = []
            for (_, vector) in queries {
                let begin = Date()
                _ = try searcher.index.nearest(vector, depth: 20, filters: SearchFilters())
                ranking.append(Date().timeIntervalSince(begin) * 1000)
            }
            export.milliseconds["vector ranking"] = ranking
            ranking.sort()
            print(
                String(
                    format: "%-9@ vector ranking alone (depth 20, as a 10-hit search asks): p50 %.3f ms", label as NSString,
                    ranking[ranking.count / 2]))
        }
        times.sort()
        let p50 = times[times.count / 2], p95 = times[Int(Double(times.count) * 0.95)], worst = times.last!
        print(
            String(
                format: "%-9@ %-8@ %d queries on %d chunks: p50 %.1f ms, p95 %.1f ms, max %.1f ms",
                label as NSString, mode.rawValue as NSString, times.count, chunks, p50, p95, worst))
    }
    return vectorHits
}

/// This process's resident memory now and at its peak, and the part of it that is mapped files (the catalog
/// and keyword index pages SQLite and the engine have touched: page cache, given back under pressure), in MiB
/// (/proc/self/status).
func residentMemory() -> (now: Double, peak: Double, files: Double) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func field(_ name: String) -> Double {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
    return (field("VmRSS"), field("VmHWM"), field("RssFile"))
}

/// The index directory's files and their sizes.
func reportSizes(_ directory: EmbeddedLocation) {
    var total = 0
    var parts: [String] = []
    for url in [directory.catalogURL, directory.vectorsURL, directory.keywordsURL] {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        total += size
        parts.append(String(format: "%@ %.0f MB", url.lastPathComponent as NSString, Double(size) / 1e6))
    }
    print(String(format: "faiss     index on disk: %.2f GB (%@)", Double(total) / 1e9, parts.joined(separator: ", ") as NSString))
}

/// Chunk ids differ between stores; hits compare by (path, ordinal).
func keys(_ searcher: Searcher, _ ids: [Int64]) throws -> [String] {
    try searcher.index.chunks(ids: ids).map { "\($0.path)#\($0.ordinal)" }
}

/// A CPU-bound process (a shell's busy loop) competing for the cores while `body` runs.
func withCompetitor<T>(_ body: () throws -> T) throws -> T {
    let competitor = Process()
    competitor.executableURL = URL(fileURLWithPath: "/bin/sh")
    competitor.arguments = ["-c", "while :; do :; done"]
    try competitor.run()
    defer {
        competitor.terminate()
        competitor.waitUntilExit()
    }
    Thread.sleep(forTimeInterval: 0.2)
    return try body()
}

/// `--busy`: query embedding and hybrid search, idle and with one competing CPU-bound process, with every pass
/// split across the cores (`singleThreadBelowTokens` 0, as before) and with small passes on one thread (the
/// default) — alternating rounds, p50 of each.
func busyBenchmark(_ searcher: Searcher, rounds: Int) throws {
    let texts = try queries(searcher.index.dimension).map(\.text)
    func p50(_ body: (String) throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for text in texts {
            let begin = Date()
            try body(text)
            times.append(Date().timeIntervalSince(begin) * 1000)
        }
        return times.sorted()[times.count / 2]
    }
    let settings = [("every pass split", 0), ("small passes on one thread", EncoderThreading.singleThreadBelowTokens)]
    var results: [String: [(Double, Double, Double, Double)]] = [:]
    _ = try searcher.search(texts[0], limit: 10, mode: .hybrid)  // warm-up
    for _ in 0 ..< rounds {
        for (name, threshold) in settings {
            EncoderThreading.singleThreadBelowTokens = threshold
            let idleEmbed = try p50 { _ = try searcher.embedQuery($0) }
            let idleHybrid = try p50 { _ = try searcher.search($0, limit: 10, mode: .hybrid) }
            let (busyEmbed, busyHybrid) = try withCompetitor {
                (try p50 { _ = try searcher.embedQuery($0) }, try p50 { _ = try searcher.search($0, limit: 10, mode: .hybrid) })
            }
            results[name, default: []].append((idleEmbed, busyEmbed, idleHybrid, busyHybrid))
        }
    }
    print(
        "\(texts.count) queries, \(rounds) alternating rounds, p50 ms (one competing CPU-bound process on \(ProcessInfo.processInfo.activeProcessorCount) cores)"
    )
    for (name, _) in settings {
        for (round, (idleEmbed, busyEmbed, idleHybrid, busyHybrid)) in results[name]!.enumerated() {
            print(
                String(
                    format: "%-27@ round %d: query embedding idle %.1f, busy %.1f (%.1fx); hybrid idle %.1f, busy %.1f (%.1fx)", name as NSString,
                    round + 1, idleEmbed, busyEmbed, busyEmbed / idleEmbed, idleHybrid, busyHybrid, busyHybrid / idleHybrid))
        }
    }
}

do {
    let loaded = try ModelLocator.load(modelPath, precision: precision)
    if !directory.exists { _ = try build(.directory(directory), (loaded.embedder, loaded.identity)) }
    if CommandLine.arguments.contains("--busy") {
        let searcher = try Searcher(directory: directory, embedder: loaded.embedder, model: loaded.identity)
        try busyBenchmark(searcher, rounds: Int(option("--rounds", "3")!)!)
        exit(0)
    }
    let withoutStore = residentMemory()
    let started = Date()
    let searcher = try Searcher(directory: directory, embedder: loaded.embedder, model: loaded.identity)
    log(String(format: "opened the FAISS store in %.2f s", Date().timeIntervalSince(started)))
    func logFiles(_ when: String) {
        log(String(format: "  mapped catalog pages %@: %.0f MiB", when as NSString, residentMemory().files - withoutStore.files))
    }
    logFiles("after opening")
    _ = try searcher.index.info()
    logFiles("after info")
    let faissHits = try measure("faiss", searcher)
    reportSizes(directory)
    let memory = residentMemory()
    print(
        String(
            format:
                "faiss     resident memory: %.0f MiB, of it the open store %.0f MiB (the rest the model; peak %.0f MiB); mapped file pages %.0f MiB of the store's, anonymous memory %.0f MiB",
            memory.now, memory.now - withoutStore.now, memory.peak, memory.files - withoutStore.files,
            (memory.now - memory.files) - (withoutStore.now - withoutStore.files)))
    if let path = option("--export", nil) {
        export.residentMiB = memory.now - withoutStore.now
        try JSONEncoder().encode(export).write(to: URL(fileURLWithPath: path))
        exit(0)
    }
    let info = try searcher.index.info()
    let exact = try exactTopTen(try queries(searcher.index.dimension).map(\.vector))
    var recall = 0.0
    for (hits, truth) in zip(faissHits, exact) {
        recall += Double(Set(try keys(searcher, hits)).intersection(truth).count) / Double(max(1, truth.count))
    }
    print(
        String(
            format: "faiss     vector index %@: recall@10 %.3f against exact search over the float32 vectors as generated",
            "\(info.faiss) (\(info.faissSetting ?? "?"))" as NSString, recall / Double(exact.count)))

    if let store = option("--store", nil) {
        let location = try IndexLocation(index: "", store: store)
        var rate: Double?
        if (try? IndexStores.meta(of: location)) == nil { rate = try build(location, (loaded.embedder, loaded.identity)) }
        let postgres = try Searcher(location: location, embedder: loaded.embedder, model: loaded.identity)
        let postgresHits = try measure("postgres", postgres)
        var overlap = 0.0
        for (hits, truth) in zip(postgresHits, exact) {
            overlap += Double(Set(try keys(postgres, hits)).intersection(truth).count) / Double(max(1, truth.count))
        }
        print(
            String(
                format: "postgres vector index pgvector HNSW: recall@10 %.3f against exact search over the float32 vectors as generated",
                overlap / Double(exact.count)))
        if let rate { print(String(format: "postgres insert rate: %.0f chunks/s (one transaction per 10-chunk document)", rate)) }
    }
} catch {
    log("search-benchmark: \(error)")
    exit(1)
}
