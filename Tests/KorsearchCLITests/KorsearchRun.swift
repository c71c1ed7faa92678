import Foundation

/// What one run of the built `korsearch` binary printed and how it exited.
struct KorsearchRun {
    let status: Int32
    let stdout: String
    let stderr: String
    /// Standard output split into lines (without the final empty one).
    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
}

/// Runs the built binary as a child process with the given arguments, standard input and extra environment.
func runKorsearch(_ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:]) throws -> KorsearchRun {
    let process = Process()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("korsearch")
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let input = Pipe(), output = Pipe(), error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    input.fileHandleForWriting.write(stdin)
    try input.fileHandleForWriting.close()
    // Read both pipes to the end before waiting, so a large output never blocks the child.
    nonisolated(unsafe) var errorData = Data()
    let errorReader = Thread { errorData = error.fileHandleForReading.readDataToEndOfFile() }
    errorReader.start()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errorReader.isFinished { Thread.sleep(forTimeInterval: 0.005) }
    return KorsearchRun(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                        stderr: String(decoding: errorData, as: UTF8.self))
}
