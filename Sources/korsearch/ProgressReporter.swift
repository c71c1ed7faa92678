import Foundation
import KorSearch

#if canImport(Glibc)
import Glibc
#endif

/// Progress of an indexing run on stderr: a line redrawn in place on a terminal (every 0.2 s), a plain line
/// every 5 s otherwise; each shows files examined, passages embedded and waiting, the rate, and the file the
/// run is on; a summary line at the end. Nothing when quiet.
final class ProgressReporter {
    private let quiet: Bool
    private let terminal = isatty(STDERR_FILENO) != 0
    private var lastPrinted = Date.distantPast
    private var drewLine = false

    init(quiet: Bool) { self.quiet = quiet }

    func update(_ progress: IndexProgress) {
        if quiet { return }
        if progress.stage == .done {
            finish(progress)
            return
        }
        let now = Date()
        guard now.timeIntervalSince(lastPrinted) >= (terminal ? 0.2 : 5) else { return }
        lastPrinted = now
        let fraction = progress.filesTotal > 0 ? Double(progress.filesDone) / Double(progress.filesTotal) : 1
        let rate = progress.seconds > 0 ? Double(progress.tokensEmbedded) / progress.seconds : 0
        let remaining = fraction > 0 ? progress.seconds * (1 - fraction) / fraction : 0
        let eta = fraction > 0.02 ? String(format: ", ETA %d:%02d", Int(remaining) / 60, Int(remaining) % 60) : ""
        var facts = "\(progress.filesDone)/\(progress.filesTotal) files, \(progress.chunksEmbedded) passages embedded"
        if progress.chunksReused > 0 { facts += ", \(progress.chunksReused) reused" }
        if progress.chunksPending > 0 { facts += " (\(progress.chunksPending) waiting)" }
        facts += ", \(Int(rate)) tokens/s\(eta)"
        if let file = progress.currentFile {
            facts += " — \(progress.stage == .embedding ? "embedding" : "reading") \(shown(file))"
        }
        if terminal {
            let width = 20
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(facts)\u{1B}[K".utf8))
            drewLine = true
        } else {
            FileHandle.standardError.write(Data("indexing: \(facts)\n".utf8))
        }
    }

    private func finish(_ progress: IndexProgress) {
        if drewLine { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drewLine = false
        let rate = progress.seconds > 0 ? Double(progress.tokensEmbedded) / progress.seconds : 0
        FileHandle.standardError.write(
            Data(
                String(
                    format: "indexing: done, %d files examined, %d passages embedded (%d tokens, %.0f tokens/s), %d reused, in %.1f s\n",
                    progress.filesTotal, progress.chunksEmbedded, progress.tokensEmbedded, rate, progress.chunksReused, progress.seconds
                ).utf8))
    }
}
