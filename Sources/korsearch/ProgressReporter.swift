import Foundation
import KorSearch

#if canImport(Glibc)
import Glibc
#endif

/// Progress of an indexing run on stderr, as pip, cargo and tqdm show it. On a terminal: one line redrawn in
/// place every 0.2 s, fitted to the terminal's width in display columns (Hangul counts two) so it never wraps,
/// the path shortened in the middle; the bar, the percentage and the ETA are over the run's work (bytes of the
/// files to read, counted as their passages embed), the ETA from the rate of the last 20 s. Elsewhere (a pipe,
/// a log): a plain line every 5 s. At the end one summary line, with the run's one tokens/s figure (the
/// summary's). Nothing when quiet.
final class ProgressReporter: @unchecked Sendable {
    private let quiet: Bool
    private let terminal = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var lastPrinted = Date.distantPast
    private var drewLine = false
    /// The OCR page shown last: a new one is drawn at once (pages come seconds apart).
    private var shownOCRPage: Int?
    /// Bytes done over the last 20 s, for the rate behind the ETA.
    private var recent = RecentRate(window: 20)

    init(quiet: Bool) { self.quiet = quiet }

    func update(_ progress: IndexProgress) {
        if quiet { return }
        lock.withLock {
            if progress.stage == .done {
                finish(progress)
                return
            }
            recent.add(progress.bytesDone, at: progress.seconds)
            let now = Date()
            let newOCRPage = terminal && progress.ocrPage != nil && progress.ocrPage?.page != shownOCRPage
            guard newOCRPage || now.timeIntervalSince(lastPrinted) >= (terminal ? 0.2 : 5) else { return }
            lastPrinted = now
            shownOCRPage = progress.ocrPage?.page
            if terminal {
                write("\r" + ProgressReporter.line(progress, eta: eta(progress), columns: ProgressReporter.columns() - 1) + "\u{1B}[K")
                drewLine = true
            } else {
                write("indexing: " + ProgressReporter.facts(progress, eta: eta(progress)).joined(separator: ", ") + "\n")
            }
        }
    }

    /// A line of its own above the progress line (a stop being asked for).
    func note(_ text: String) {
        lock.withLock {
            if drewLine { write("\r\u{1B}[K") }
            drewLine = false
            write("korsearch: \(text)\n")
            lastPrinted = .distantPast
        }
    }

    private func finish(_ progress: IndexProgress) {
        if drewLine { write("\r\u{1B}[K") }
        drewLine = false
        let rate = String(format: "%.0f", progress.tokensPerSecond), seconds = String(format: "%.1f", progress.seconds)
        write(
            "indexing: \(progress.stopped ? "stopped" : "done"), \(progress.filesDone) of \(progress.filesTotal) files examined, "
                + "\(progress.chunksEmbedded) passages embedded (\(progress.tokensEmbedded) tokens, \(rate) tokens/s), "
                + "\(progress.chunksReused) reused, in \(seconds) s\n")
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// Seconds left at the rate of the last 20 s, once there is a rate to go by.
    private func eta(_ progress: IndexProgress) -> Double? {
        guard let rate = recent.rate(over: 1), rate > 0 else { return nil }
        return Double(max(0, progress.bytesTotal - progress.bytesDone)) / rate
    }

    // MARK: The line

    /// The terminal's width in columns (of stderr; `COLUMNS` or 80 when it does not say).
    static func columns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? 80
    }

    /// The terminal line: the bar, the percentage, then as many facts as fit in `columns`, most useful first,
    /// then the file being read or embedded, shortened in the middle to what is left.
    static func line(_ progress: IndexProgress, eta: Double?, columns: Int) -> String {
        let percent = Int((progress.fraction * 100).rounded(.down))
        let barWidth = columns >= 100 ? 24 : columns >= 60 ? 12 : 0
        var line = ""
        if barWidth > 0 {
            let filled = Int(progress.fraction * Double(barWidth))
            line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled) + "] "
        }
        line += String(format: "%3d%%", percent)
        // The ETA and the file count always (when they fit); the file being worked on keeps a third of the line
        // (at least 24 columns for its shortened path) before the other facts take what is left.
        let verb = verb(progress)
        let path = progress.currentFile.map(shown) ?? ""
        let fileRoom = path.isEmpty ? 0 : 2 + verb.count + min(max(24, columns / 3), DisplayWidth.of(path))
        for (position, fact) in facts(progress, eta: eta, file: false).enumerated() {
            let needed = DisplayWidth.of(line) + 2 + DisplayWidth.of(fact) + (position < 2 ? 0 : fileRoom)
            if needed <= columns { line += "  " + fact }
        }
        if !path.isEmpty {
            let room = columns - DisplayWidth.of(line) - 2 - verb.count
            if room >= min(12, DisplayWidth.of(path)) { line += "  " + verb + DisplayWidth.shortened(path, toColumns: room) }
        }
        return DisplayWidth.prefix(line, columns: columns)
    }

    /// The facts of a progress report, most useful first.
    static func facts(_ progress: IndexProgress, eta: Double?, file: Bool = true) -> [String] {
        var facts: [String] = []
        if !file {
            facts.append(eta.map { "ETA " + clock($0) } ?? "ETA -:--")
        } else {
            facts.append("\(Int(progress.fraction * 100))% of \(bytes(progress.bytesTotal))")
        }
        facts.append("\(progress.filesDone)/\(progress.filesTotal) files")
        facts.append("\(progress.chunksEmbedded) passages")
        if progress.chunksPending > 0 { facts.append("\(progress.chunksPending) queued") }
        if progress.chunksReused > 0 { facts.append("\(progress.chunksReused) reused") }
        if progress.embeddingSeconds > 0 { facts.append("\(Int(progress.tokensPerSecond)) tokens/s") }
        if file {
            if let eta { facts.append("ETA " + clock(eta)) }
            if let current = progress.currentFile { facts.append(verb(progress) + shown(current)) }
        } else {
            facts.append("\(bytes(progress.bytesDone))/\(bytes(progress.bytesTotal))")
        }
        return facts
    }

    /// What is being done to the current file: `reading `, `embedding `, or `OCR page 3/12 of ` while OCR reads
    /// a scan.
    static func verb(_ progress: IndexProgress) -> String {
        if progress.stage == .embedding { return "embedding " }
        if let ocr = progress.ocrPage { return "OCR page \(ocr.page)/\(ocr.of) of " }
        return "reading "
    }

    /// Seconds as `m:ss` (`h:mm:ss` from an hour), rounded up.
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        return whole >= 3600
            ? String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60) : String(format: "%d:%02d", whole / 60, whole % 60)
    }

    private static func bytes(_ count: Int64) -> String {
        let value = Double(count)
        if value >= 1_073_741_824 { return String(format: "%.1f GB", value / 1_073_741_824) }
        if value >= 1_048_576 { return String(format: "%.1f MB", value / 1_048_576) }
        return String(format: "%.0f kB", value / 1024)
    }
}

/// A rate (amount per second) over a moving window: what the ETA of a run or a download goes by, so a burst at
/// the start (unchanged files, a cached first megabyte) does not set it for good.
struct RecentRate {
    /// How far back samples count, in seconds.
    let window: Double
    private var samples: [(time: Double, amount: Int64)] = []

    init(window: Double) { self.window = window }

    /// The amount done so far at `time` (seconds on any clock that only goes forward).
    mutating func add(_ amount: Int64, at time: Double) {
        samples.append((time, amount))
        samples.removeAll { $0.time < time - window }
    }

    /// Amount per second over the window, once it spans `over` seconds and the amount moved; nil before.
    func rate(over span: Double) -> Double? {
        guard let first = samples.first, let last = samples.last, last.time - first.time >= span, last.amount > first.amount else { return nil }
        return Double(last.amount - first.amount) / (last.time - first.time)
    }

    /// Forgets every sample (a new file begins).
    mutating func reset() { samples = [] }
}
