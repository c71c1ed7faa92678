import CProcess
import Foundation
import KorSearchTestSupport
import XCTest

@testable import KorDocuments

#if canImport(Glibc)
import Glibc
#endif

/// Child processes (pdftotext) start clean, stop at their time limit, and die with the thread that started them.
final class ProcessRunnerTests: XCTestCase {
    func testAChildStartsWithNoSignalBlockedEvenWhenItsParentBlocksThem() throws {
        nonisolated(unsafe) var blocked = ""
        let thread = Thread {
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, nil)
            let run = try? ProcessRunner.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status"])
            blocked = run.map { String(decoding: $0.standardOutput, as: UTF8.self) } ?? "failed"
        }
        thread.start()
        while !thread.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertTrue(blocked.contains("SigBlk:\t0000000000000000"), blocked)
        XCTAssertTrue(blocked.contains("SigIgn:\t0000000000000000"), blocked)
    }

    func testAChildPastItsTimeLimitIsKilled() throws {
        let run = try ProcessRunner.run(URL(fileURLWithPath: "/bin/sleep"), ["30"], timeout: 0.3)
        XCTAssertTrue(run.timedOut)
        XCTAssertEqual(run.status, 128 + SIGKILL)
        let capped = try ProcessRunner.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "yes 금리"], maxOutput: 1 << 16)
        XCTAssertTrue(capped.outputTooLarge)
        XCTAssertLessThan(capped.standardOutput.count, 1 << 20)
    }

    func testInputOutputAndStatus() throws {
        let run = try ProcessRunner.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "cat; echo oops >&2; exit 3"], input: Data("기준금리\n".utf8))
        XCTAssertEqual(String(decoding: run.standardOutput, as: UTF8.self), "기준금리\n")
        XCTAssertEqual(String(decoding: run.standardError, as: UTF8.self), "oops\n")
        XCTAssertEqual(run.status, 3)
        XCTAssertThrowsError(try ProcessRunner.run(URL(fileURLWithPath: "/nonexistent/tool"), []))
    }

    func testAChildDiesWithTheThreadThatStartedIt() throws {
        // A thread starts a child and ends without waiting for it: the kernel kills the child.
        nonisolated(unsafe) var pid: pid_t = -1
        let thread = Thread {
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("60"), nil]
            let envp: [UnsafeMutablePointer<CChar>?] = [nil]
            pid = ks_spawn("/bin/sleep", argv, envp, 0, 1, 2, 0)
            argv.forEach { free($0) }
        }
        thread.start()
        while !thread.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertGreaterThan(pid, 0)
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid)
        XCTAssertEqual(status & 0x7F, SIGKILL, "killed by the parent-death signal, not left running")
    }
}
