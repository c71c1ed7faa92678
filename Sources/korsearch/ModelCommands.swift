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
        let terminal = isatty(STDERR_FILENO) != 0
        nonisolated(unsafe) var last = Date.distantPast
        return { name, done, total in
            let now = Date()
            guard now.timeIntervalSince(last) > (terminal ? 0.2 : 5) || done == total else { return }
            last = now
            let text = String(format: "%@ %.1f / %.1f MB", name as NSString, Double(done) / 1e6, Double(total) / 1e6)
            FileHandle.standardError.write(Data((terminal ? "\r\(text)\u{1B}[K" + (done == total ? "\n" : "") : "\(text)\n").utf8))
        }
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
