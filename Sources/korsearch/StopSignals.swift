import Dispatch
import Foundation
import KorSearch

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C and SIGTERM during `index`: the first asks the run to stop after the file or the group of passages
/// it is on (what it finished is written; the summary says how much is kept), a second ends the process at
/// once, as a `kill` would (the next open repairs the index). The exit status is 128 + the signal either way.
final class StopSignals: @unchecked Sendable {
    let stop = IndexStop()
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var received: Int32 = 0

    /// Listens for SIGINT and SIGTERM; `note` hears what the user is told at the first.
    init(note: @escaping @Sendable (String) -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                let first = lock.withLock {
                    defer { if received == 0 { received = number } }
                    return received == 0
                }
                if !first { IndexStop.exitNow(status: 128 + number) }
                note("stopping after the current file (what is done is kept); press Ctrl-C again to quit at once")
                stop.request()
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The signal that stopped the run, if one did.
    var signalNumber: Int32? { lock.withLock { received == 0 ? nil : received } }
}
