import ArgumentParser
import Foundation
import KorSearch

#if canImport(Glibc)
import Glibc
#endif

/// `korsearch model`: fetch and inspect hub models.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Fetch a model from the Hugging Face hub, or show where it is.",
        subcommands: [Fetch.self, Info.self])

    /// A download progress line on stderr (redrawn on a terminal).
    static func progressReporter() -> @Sendable (String, Int64, Int64) -> Void {
        let progress = DownloadProgress()
        return { name, done, total in progress.update(name, done, total) }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a model into the Hugging Face cache (only the files KorSearch needs).")

        @Argument(help: "ORG/NAME[@REVISION]")
        var id: String = ModelLocator.defaultModel

        func run() throws {
            guard let hubId = ModelLocator.hubId(id) else { throw ValidationError("\(id) is not a hub id such as \(ModelLocator.defaultModel)") }
            let hub = ModelHub(progress: ModelCommand.progressReporter())
            if hub.settings.offline { throw CommandFailure("HF_HUB_OFFLINE is set: unset it to download") }
            let folder = try hub.download(hubId.repository, revision: hubId.revision)
            writeOutput(folder.path + "\n")
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show where a model is cached, its revision and its files.")

        @Argument(help: "ORG/NAME[@REVISION] or a folder")
        var id: String = ModelLocator.defaultModel

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() throws {
            let hub = ModelHub()
            var folder: URL?
            if FileManager.default.fileExists(atPath: id) {
                folder = URL(fileURLWithPath: id)
            } else if let hubId = ModelLocator.hubId(id) {
                folder = hub.cachedSnapshot(hubId.repository, revision: hubId.revision)
            }
            guard let folder else {
                throw CommandFailure(
                    "\(id) is not in the Hugging Face cache (\(hub.settings.cache.path)); fetch it with `korsearch model fetch \(id)`")
            }
            let files = try hub.files(in: folder)
            if json {
                struct File: Encodable { var name: String; var size: Int64; var etag: String }
                struct Report: Encodable { var model: String; var path: String; var revision: String; var files: [File] }
                writeOutput(
                    try jsonLine(
                        Report(
                            model: id, path: folder.path, revision: folder.lastPathComponent,
                            files: files.map { File(name: $0.name, size: $0.size, etag: $0.etag) })))
            } else {
                var text = "model     \(id)\npath      \(folder.path)\nrevision  \(folder.lastPathComponent)\n"
                for file in files { text += String(format: "  %-26@ %12lld bytes\n", file.name as NSString, file.size) }
                writeOutput(text)
            }
        }
    }
}

/// A download's progress on stderr, as pip shows it: the file, its percentage, megabytes done of all, the speed
/// over the last 5 s and the time left; one line redrawn in place on a terminal (fitted to its width), a plain
/// line every 5 s elsewhere, and a line when each file is done.
final class DownloadProgress: @unchecked Sendable {
    private let terminal = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var last = Date.distantPast
    /// Bytes of the current file over the last 5 s.
    private var recent = RecentRate(window: 5)
    private var file = ""
    private var started = Date()

    func update(_ name: String, _ done: Int64, _ total: Int64) {
        lock.withLock {
            let now = Date()
            if name != file {
                file = name
                recent.reset()
                started = now
            }
            recent.add(done, at: now.timeIntervalSince(started))
            let finished = total > 0 && done >= total
            guard finished || now.timeIntervalSince(last) >= (terminal ? 0.2 : 5) else { return }
            last = now
            let line = DownloadProgress.line(
                name: name, done: done, total: total, speed: recent.rate(over: 0.05), elapsed: now.timeIntervalSince(started),
                finished: finished)
            if terminal {
                let fitted = DisplayWidth.prefix(line, columns: ProgressReporter.columns() - 1)
                FileHandle.standardError.write(Data(("\r" + fitted + "\u{1B}[K" + (finished ? "\n" : "")).utf8))
            } else {
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        }
    }

    /// `model.safetensors  42%  118.5 of 280.1 MB  12.3 MB/s  ETA 0:13`, or `… done in 22.8 s` at the end.
    static func line(name: String, done: Int64, total: Int64, speed: Double?, elapsed: Double, finished: Bool) -> String {
        let megabytes = { (bytes: Int64) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        if finished { return "\(name)  100%  \(megabytes(total)) MB  done in \(String(format: "%.1f", elapsed)) s" }
        var text = name
        if total > 0 {
            text += String(format: "  %3d%%  ", Int(Double(done) * 100 / Double(total))) + "\(megabytes(done)) of \(megabytes(total)) MB"
        } else {
            text += "  \(megabytes(done)) MB"
        }
        if let speed, speed > 0 {
            text += String(format: "  %.1f MB/s", speed / 1_048_576)
            if total > done { text += "  ETA " + ProgressReporter.clock(Double(total - done) / speed) }
        }
        return text
    }
}
