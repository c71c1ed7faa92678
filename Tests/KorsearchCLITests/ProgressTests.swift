import Foundation
import KorSearchTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `korsearch index` as a user watches it in a terminal: the progress line fits the terminal (Hangul counted
/// two columns wide) so a redraw never leaves a stale row, the bar moves while one large file embeds, and
/// Ctrl-C stops the run with what it finished kept and a summary that says so.
final class ProgressTests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var model: String { repository.appendingPathComponent("Tests/Fixtures/models/mdeberta-tiny-safetensors").path }
    /// Where the large file lies: a long Hangul path, wider than an 80-column terminal on its own.
    private let longPath = "공시자료/2024년/반기보고서/한빛전자주식회사_2024년_반기보고서_정정신고서_첨부서류_최종본_검토완료.txt"

    /// A folder of small files and one large file of `characters` characters under `longPath`.
    private func folder(characters: Int, smallFiles: Int = 12) throws -> URL {
        let folder = try temporaryFolder().appendingPathComponent("docs")
        let words = ["한빛전자", "자기주식", "취득", "결정", "기준금리", "동결", "매출액", "영업이익", "증가", "감소", "반기", "이사회", "배당"]
        var generator = SystemRandomNumberGenerator()
        var text = ""
        var count = 0
        while count < characters {
            let sentence = (0 ..< 12).map { _ in words.randomElement(using: &generator)! }.joined(separator: " ") + ". "
            text += sentence
            count += sentence.count
        }
        let large = folder.appendingPathComponent(longPath)
        try FileManager.default.createDirectory(at: large.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.prefix(characters).utf8).write(to: large)
        for index in 0 ..< smallFiles {
            let start = text.index(text.startIndex, offsetBy: index * 1000)
            try Data(text[start...].prefix(2000).utf8).write(to: folder.appendingPathComponent("메모\(index).txt"))
        }
        return folder
    }

    /// The frames of the progress line: what each `\r` redraw wrote.
    private func frames(_ terminal: String) -> [String] {
        terminal.components(separatedBy: "\r").map { $0.replacingOccurrences(of: "\u{1B}[K", with: "") }.filter {
            $0.contains("%") && $0.contains("files")
        }
    }

    /// At 80 and 130 columns, with a path wider than the terminal: every frame fits on one row (no wrap), the
    /// screen at the end holds the summary and no stale progress row, the bar and percentage move while the
    /// 300,000-character file embeds, and the tokens/s of the last line is the summary's.
    func testTheProgressLineFitsTheTerminalAndMovesWhileALargeFileEmbeds() throws {
        for (columns, characters) in [(80, 300_000), (130, 60_000)] {
            let folder = try folder(characters: characters)
            let index = folder.deletingLastPathComponent().appendingPathComponent("index").path
            let run = try TerminalRun(["index", folder.path, "--index", index, "--model", model, "--json"], columns: columns)
            let (status, stdout, terminal) = run.wait()
            XCTAssertEqual(status, 0, terminal)
            var screen = TerminalScreen(columns: columns)
            screen.write(terminal)
            let progressText = terminal.components(separatedBy: "indexing: done").first ?? terminal
            var progressScreen = TerminalScreen(columns: columns)
            progressScreen.write(progressText)
            XCTAssertEqual(progressScreen.wraps, 0, "a progress frame wider than \(columns) columns:\n\(progressText)")
            // The screen holds the summary line (wrapped, at 80 columns) and nothing else: no stale progress row.
            let shown = screen.lines.filter { !$0.isEmpty }
            XCTAssertTrue(shown.joined().hasPrefix("indexing: done, 13 of 13 files examined"), shown.joined(separator: "\n"))
            XCTAssertEqual(shown.joined().components(separatedBy: "indexing:").count, 2, "one block at the end:\n\(shown.joined(separator: "\n"))")
            XCTAssertFalse(shown.contains { $0.contains("ETA") || $0.contains("[#") || $0.contains("[-") }, shown.joined(separator: "\n"))

            let frames = frames(terminal)
            let embeddingLarge = frames.filter { $0.contains("embedding 공시자료") && $0.contains("…") }
            let percents = Set(
                embeddingLarge.compactMap { frame in frame.split(separator: "%").first?.split(separator: " ").last.flatMap { Int($0) } })
            if columns == 80 {
                XCTAssertGreaterThanOrEqual(percents.count, 3, "the bar moves while the large file embeds:\n\(frames.joined(separator: "\n"))")
                XCTAssertTrue(frames.contains { $0.contains("ETA 0:") }, "an ETA once there is a rate:\n\(frames.joined(separator: "\n"))")
            } else {
                XCTAssertFalse(embeddingLarge.isEmpty, "the large file named, shortened in the middle:\n\(frames.joined(separator: "\n"))")
            }
            for frame in frames { XCTAssertLessThan(TerminalScreen.displayWidth(frame), columns, frame) }
            let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
            let rate = try XCTUnwrap(summary["tokens_per_second"] as? Double)
            XCTAssertTrue(screen.lines.joined().contains("\(String(format: "%.0f", rate)) tokens/s"), "one tokens/s figure: \(rate)\n\(shown)")
        }
    }

    /// A scan's pages count in the progress line while OCR reads them (each takes a second or two): `OCR page 1/2
    /// of scan.pdf`, then `2/2`.
    func testOCRPagesShowInTheProgressLine() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tesseract") else {
            throw XCTSkip("Tesseract is not installed (Scripts/bootstrap)")
        }
        let folder = try temporaryFolder().appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: repository.appendingPathComponent("Tests/Fixtures/documents/scanned-filing.pdf"), to: folder.appendingPathComponent("scan.pdf"))
        let index = folder.deletingLastPathComponent().appendingPathComponent("index").path
        let (status, _, terminal) = try TerminalRun(["index", folder.path, "--index", index, "--model", model], columns: 100).wait()
        XCTAssertEqual(status, 0, terminal)
        let frames = frames(terminal)
        for page in 1 ... 2 {
            XCTAssertTrue(frames.contains { $0.contains("OCR page \(page)/2 of scan.pdf") }, frames.joined(separator: "\n"))
        }
    }

    /// Ctrl-C in the middle of embedding: the run stops soon, says so at once and at the end ("stopped: N
    /// documents kept; run again to finish"), exits 130; the index holds exactly those N documents, searchable,
    /// and the next run adds the rest — the file being read is not taken for one that crashed the reader.
    func testCtrlCStopsTheRunKeepingWhatItFinished() throws {
        let folder = try folder(characters: 120_000)
        let index = folder.deletingLastPathComponent().appendingPathComponent("index").path
        let run = try TerminalRun(["index", folder.path, "--index", index, "--model", model], columns: 100)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, !frames(run.output).contains(where: { $0.contains("embedding 공시자료") }) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(run.process.processIdentifier, SIGINT)
        let (status, _, terminal) = run.wait()
        XCTAssertEqual(status, 130, terminal)
        XCTAssertTrue(terminal.contains("stopping after the current file"), terminal)
        let stopped = try XCTUnwrap(
            terminal.range(of: #"stopped: (\d+) documents? kept; run again to finish"#, options: .regularExpression).map { String(terminal[$0]) },
            terminal)
        let kept = Int(stopped.split(separator: " ")[1])!
        XCTAssertLessThan(kept, 13, "the large file was not finished")
        XCTAssertTrue(terminal.contains("indexing: stopped,"), terminal)

        let info = try runKorsearch(["info", "--index", index, "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let documents = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])?["documents"] as? Int)
        XCTAssertEqual(documents, kept, "what the summary said is kept is in the index")
        let next = try runKorsearch(["index", folder.path, "--index", index, "--model", model, "--json", "--quiet"])
        XCTAssertEqual(next.status, 0, next.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(next.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["added"] as? Int, 13 - kept, next.stdout)
        XCTAssertEqual(summary["unchanged"] as? Int, kept, next.stdout)
        XCTAssertEqual((summary["skipped"] as? [Any])?.count, 0, "nothing taken for a crash: \(next.stdout)")
        XCTAssertEqual(summary["stopped"] as? Bool, false)
    }
}
