import Foundation

/// Runs a program as a child process, feeding its standard input and reading its standard output and error
/// to the end at the same time (so a large output never blocks it). The one way KorSearch and its tests run
/// other programs (pdftotext, the built binary, a headless browser).
package enum ProcessRunner {
    /// How a run ended and what it printed.
    package struct Result: Sendable {
        /// The exit status (or the terminating signal's number).
        package var status: Int32
        package var standardOutput: Data
        package var standardError: Data
    }

    /// Runs `executable` with `arguments`; `environment` entries are added to this process's environment.
    package static func run(_ executable: URL, _ arguments: [String], input: Data = Data(),
                            environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = input.isEmpty ? FileHandle.nullDevice : stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        if !input.isEmpty {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        nonisolated(unsafe) var errorData = Data()
        let errorReader = Thread { errorData = stderr.fileHandleForReading.readDataToEndOfFile() }
        errorReader.start()
        let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorReader.isFinished { Thread.sleep(forTimeInterval: 0.005) }
        return Result(status: process.terminationStatus, standardOutput: outputData, standardError: errorData)
    }
}
