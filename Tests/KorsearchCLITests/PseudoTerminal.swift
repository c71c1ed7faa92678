import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `korsearch` run with its standard error on a pseudo-terminal of a given width, as a user's terminal is, and
/// what that terminal would show: stdout goes to a pipe, the terminal's bytes are kept and replayed on
/// `TerminalScreen`.
final class TerminalRun: @unchecked Sendable {
    let process = Process()
    private let master: Int32
    private let received = Received()
    private var reader: Thread!
    private let stdoutPipe = Pipe()
    private var stdoutData = Data()

    /// Starts `korsearch ARGUMENTS` with stderr on a terminal of `columns` columns.
    init(_ arguments: [String], columns: Int) throws {
        // Linux's pseudo-terminal multiplexer: unlock the new terminal's other end and ask its number.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0, ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0
        else {
            throw NSError(domain: "pty", code: Int(errno))
        }
        let name = "/dev/pts/\(number)"
        var size = winsize(ws_row: 40, ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        let slave = open(name, O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw NSError(domain: "pty", code: Int(errno)) }
        process.executableURL = Bundle.main.bundleURL.appendingPathComponent("korsearch")
        process.arguments = arguments
        process.standardError = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardOutput = stdoutPipe
        process.standardInput = FileHandle.nullDevice
        let master = self.master
        let received = self.received
        reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(master, &buffer, buffer.count)
                if count <= 0 { break }  // EIO once the last holder of the terminal's other end is gone
                received.append(buffer[0 ..< count])
            }
        }
        reader.start()
        try process.run()
        close(slave)
    }

    /// What reached the terminal so far, as text.
    var output: String { received.text }

    /// The terminal's bytes as they arrive, behind a lock.
    private final class Received: @unchecked Sendable {
        private let lock = NSLock()
        private var bytes: [UInt8] = []
        func append(_ more: ArraySlice<UInt8>) { lock.withLock { bytes += more } }
        var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }
    }

    /// Waits for the process to end; its status, stdout and everything the terminal received.
    func wait() -> (status: Int32, stdout: String, terminal: String) {
        let out = stdoutPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let deadline = Date().addingTimeInterval(5)
        while !reader.isFinished, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        close(master)
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), output)
    }
}

/// A small terminal that replays what a program wrote: printable text in display columns (Hangul two wide,
/// as terminals draw it), automatic wrap at the right margin, `\r`, `\n`, erase to end of line (`ESC [ K`)
/// and cursor up (`ESC [ n A`). It counts the wraps, so a test sees whether a line was wider than the terminal.
struct TerminalScreen {
    let columns: Int
    private(set) var rows: [[Character]] = [[]]
    private(set) var row = 0
    private(set) var column = 0
    private(set) var wraps = 0

    init(columns: Int) { self.columns = columns }

    /// The screen's rows as text, trailing spaces dropped.
    var lines: [String] {
        rows.map { String($0.filter { $0 != "\u{0}" }).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
    }

    /// Columns a character takes on the terminal: Hangul syllables and jamo, CJK and full-width forms two.
    static func width(_ character: Character) -> Int {
        guard let value = character.unicodeScalars.first?.value else { return 0 }
        let wide: [ClosedRange<UInt32>] = [
            0x1100 ... 0x115F, 0x2E80 ... 0x303E, 0x3041 ... 0x33FF, 0x3400 ... 0x9FFF, 0xAC00 ... 0xD7A3, 0xF900 ... 0xFAFF, 0xFF00 ... 0xFF60,
        ]
        return wide.contains { $0.contains(value) } ? 2 : 1
    }

    /// Columns `text` takes.
    static func displayWidth(_ text: String) -> Int { text.reduce(0) { $0 + width($1) } }

    /// Replays `text`.
    mutating func write(_ text: String) {
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            switch character {
            case "\r": column = 0
            case "\n", "\r\n":
                if character == "\r\n" { column = 0 }
                row += 1
                while rows.count <= row { rows.append([]) }
            case "\u{1B}":
                guard characters.first == "[" else { continue }
                characters.removeFirst()
                var parameter = ""
                while let next = characters.first, next.isNumber || next == ";" { parameter.append(characters.removeFirst()) }
                guard let command = characters.popFirst() else { return }
                if command == "K", rows[row].count > column {
                    rows[row].removeSubrange(column...)
                } else if command == "A" {
                    row = max(0, row - (Int(parameter) ?? 1))
                }
            default:
                let width = TerminalScreen.width(character)
                if column + width > columns {
                    wraps += 1
                    row += 1
                    column = 0
                    while rows.count <= row { rows.append([]) }
                }
                while rows[row].count < column + width { rows[row].append(" ") }
                rows[row][column] = character
                if width == 2 { rows[row][column + 1] = "\u{0}" }
                column += width
            }
        }
    }
}
