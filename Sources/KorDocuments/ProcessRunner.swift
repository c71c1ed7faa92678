import CProcess
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program as a child process, feeding its standard input and reading its standard output and error
/// to the end at the same time (so a large output never blocks it), within a time limit and an output limit.
/// The child starts with no signal blocked and default signal actions (whatever this process blocks), in its
/// own process group, with its memory capped when asked, and is killed with SIGKILL when the thread that
/// started it dies — so killing `korsearch`, even with `kill -9`, never leaves a converter running. The one way
/// KorSearch and its tests run other programs (pdftotext, the built binary, a headless browser).
package enum ProcessRunner {
    /// How a run ended and what it printed.
    package struct Result: Sendable {
        /// The exit status, or 128 + the signal's number when a signal ended it.
        package var status: Int32
        package var standardOutput: Data
        package var standardError: Data
        /// Whether it was killed for running past the time limit.
        package var timedOut = false
        /// Whether it was killed for printing more than the output limit.
        package var outputTooLarge = false
    }

    /// Why a program could not be started.
    package struct StartFailure: Error, CustomStringConvertible {
        package let description: String
    }

    /// Runs `executable` with `arguments`; `environment` entries are added to this process's environment.
    /// Past `timeout` seconds, or `maxOutput` bytes on standard output, the child is killed.
    package static func run(
        _ executable: URL, _ arguments: [String], input: Data = Data(), environment: [String: String] = [:],
        timeout: Double? = nil, maxOutput: Int = Int.max, memoryLimit: Int = 0
    ) throws -> Result {
        let variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1], feed: [Int32] = [-1, -1]
        guard ks_pipe(&output) == 0, ks_pipe(&errors) == 0, ks_pipe(&feed) == 0 else {
            throw StartFailure(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        let pid = ks_spawn(executable.path, argv, envp, feed[0], output[1], errors[1], UInt64(max(0, memoryLimit)))
        let spawnError = errno
        close(feed[0])
        close(output[1])
        close(errors[1])
        guard pid > 0 else {
            [feed[1], output[0], errors[0]].forEach { close($0) }
            throw StartFailure(description: "cannot run \(executable.path): \(String(cString: strerror(spawnError)))")
        }
        // Feed the input from another thread, so that a child that prints before it reads never blocks.
        let writer = feed[1]
        let feeder = Thread {
            ks_block_sigpipe_in_thread()
            input.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(writer, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 { if errno == EINTR { continue }; break }
                    offset += written
                }
            }
            close(writer)
        }
        feeder.start()

        var result = Result(status: 0, standardOutput: Data(), standardError: Data())
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var open = [output[0], errors[0]]
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while open.contains(where: { $0 >= 0 }) {
            var milliseconds: Int32 = -1
            if let deadline {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 { result.timedOut = true; break }
                milliseconds = Int32(min(left * 1000 + 1, 60_000))
            }
            var ready: [Int32] = [0, 0]
            let state = ks_wait_readable(open[0], open[1], milliseconds, &ready)
            if state < 0 { break }
            for (slot, isReady) in ready.enumerated() where isReady != 0 && open[slot] >= 0 {
                let count = read(open[slot], &buffer, buffer.count)
                if count <= 0 {
                    if count < 0, errno == EINTR { continue }
                    close(open[slot])
                    open[slot] = -1
                    continue
                }
                if slot == 0 {
                    result.standardOutput.append(contentsOf: buffer[0 ..< count])
                    if result.standardOutput.count > maxOutput { result.outputTooLarge = true }
                } else if result.standardError.count < 1 << 20 {
                    result.standardError.append(contentsOf: buffer[0 ..< count])
                }
            }
            if result.outputTooLarge { break }
        }
        if result.timedOut || result.outputTooLarge {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
        open.filter { $0 >= 0 }.forEach { close($0) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        while !feeder.isFinished { Thread.sleep(forTimeInterval: 0.001) }
        // WIFEXITED / WEXITSTATUS / WTERMSIG by hand: the macros are not imported into Swift.
        let signalNumber = status & 0x7F
        result.status = signalNumber == 0 ? (status >> 8) & 0xFF : 128 + signalNumber
        return result
    }
}
