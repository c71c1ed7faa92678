import Foundation
import KorSearch
#if canImport(Glibc)
import Glibc
#endif

/// Progress of an indexing run on stderr: a bar redrawn in place on a terminal, a plain line every ten
/// seconds otherwise, nothing when quiet.
final class ProgressReporter {
    private let quiet: Bool
    private let terminal = isatty(STDERR_FILENO) != 0
    private var lastPrinted = Date.distantPast
    private var drewBar = false

    init(quiet: Bool) { self.quiet = quiet }

    func update(_ progress: IndexProgress) {
        if quiet { return }
        let now = Date()
        let interval = terminal ? 0.2 : 10
        guard now.timeIntervalSince(lastPrinted) >= interval || progress.filesDone == progress.filesTotal else { return }
        lastPrinted = now
        let fraction = progress.filesTotal > 0 ? Double(progress.filesDone) / Double(progress.filesTotal) : 1
        let rate = progress.seconds > 0 ? Double(progress.tokensEmbedded) / progress.seconds : 0
        let remaining = fraction > 0 ? progress.seconds * (1 - fraction) / fraction : 0
        let eta = String(format: "%d:%02d", Int(remaining) / 60, Int(remaining) % 60)
        let facts = "\(progress.filesDone)/\(progress.filesTotal) files, \(progress.chunksEmbedded) chunks, \(Int(rate)) tokens/s, ETA \(eta)"
        if terminal {
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(facts)\u{1B}[K".utf8))
            drewBar = true
        } else {
            FileHandle.standardError.write(Data("indexing: \(facts)\n".utf8))
        }
    }

    func finish() {
        if drewBar { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
