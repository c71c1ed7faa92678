import ArgumentParser
import Foundation
import KorSearch

#if canImport(Glibc)
import Glibc
#endif

/// The `korsearch` command: a thin shell over the KorSearch library.
@main
struct Korsearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "korsearch",
        abstract: "Semantic search over Korean documents with mDeBERTa-v3 embeddings.",
        version: KorSearchVersion.current,
        subcommands: [
            IndexCommand.self, SearchCommand.self, EvalCommand.self, ServeCommand.self, MCPCommand.self, InfoCommand.self, RemoveCommand.self,
            RebuildCommand.self, ModelCommand.self, TokenizeCommand.self, TermsCommand.self, EmbedCommand.self, RerankCommand.self,
            DARTCommand.self, FactsCommand.self,
        ]
    )

    /// Parses, runs, and ends every failure with one line on stderr and the exit code of `ExitCodes`; a usage
    /// error shows the usage of the command it belongs to. First, OpenBLAS's kernels are made the processor's
    /// own (`BLASRuntime`).
    static func main() async {
        // OpenBLAS on a processor newer than it knows runs generic kernels: start again with the native ones.
        BLASRuntime.relaunchWithNativeKernelsIfNeeded()
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            if let code = ExitCodes.code(for: error) {
                FileHandle.standardError.write(Data("Error: \(shown("\(error)"))\n".utf8))
                Glibc.exit(code)
            }
            type(of: command).exit(withError: error)
        }
    }
}

/// The exit codes (sysexits.h): what a script can tell apart without reading the message.
enum ExitCodes {
    /// 64: the command line is wrong (a usage error, an invalid option value).
    static let usage: Int32 = 64
    /// 65: the input is wrong (not UTF-8, a corrupt index or model, another model than the index's).
    static let data: Int32 = 65
    /// 66: what was named does not exist (folder, index, model, input file, a company OpenDART does not know).
    static let noInput: Int32 = 66
    /// 69: a service is unavailable (PostgreSQL, the model hub, the network).
    static let unavailable: Int32 = 69
    /// 74: reading or writing a file failed.
    static let ioError: Int32 = 74
    /// 75: try again later (another process writes the index, a service's request limit is reached).
    static let temporary: Int32 = 75

    /// The code of a library or command failure; nil for ArgumentParser's own errors (which keep theirs:
    /// 64 for usage errors, 0 for --help and --version).
    static func code(for error: any Error) -> Int32? {
        if let error = error as? KorSearchError {
            switch error.kind {
            case .invalidArgument: return usage
            case .indexNotFound, .folderNotFound, .modelNotFound, .notFound: return noInput
            case .corruptIndex, .modelMismatch: return data
            case .locked, .rateLimited: return temporary
            case .store, .hub, .network: return unavailable
            case .catalog, .vectorIndex: return ioError
            default: return 1
            }
        }
        if let error = error as? EncoderError {
            switch error.kind {
            case .missingFile: return noInput
            case .invalidInput: return usage
            default: return data
            }
        }
        if let failure = error as? CommandFailure { return failure.code }
        return nil
    }
}
