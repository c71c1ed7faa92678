import Foundation
import KorSearchTestSupport
import XCTest
import ZIPFoundation

@testable import KorDocuments

/// A seeded mutation run over every reader's fixtures: bytes flipped, files cut short, and — inside the XML of
/// zip-based files, in markup and CSV, in HWP section records — spans and counts multiplied and elements
/// repeated into deep nesting. Every read ends in a document or a `DocumentFailure` (never a crash or another
/// error), and what a read that succeeds cost stays within its limits, counted by the reader's own budget. The
/// limits are set low so that any amplification meets one at once (a run stays short whatever it finds). What
/// it found is kept as tests of its own (`HostileInputTests.testInputsTheMutationRunFound`).
final class MutationTests: XCTestCase {
    private let fixtures = TestPaths.fixtures.appendingPathComponent("documents")
    /// Rounds per source and the seed: fixed for the suite; `KORSEARCH_MUTATION_ROUNDS` and
    /// `KORSEARCH_MUTATION_SEED` run more or other mutations by hand.
    private let rounds = Int(ProcessInfo.processInfo.environment["KORSEARCH_MUTATION_ROUNDS"] ?? "") ?? 16
    private let seed = UInt64(ProcessInfo.processInfo.environment["KORSEARCH_MUTATION_SEED"] ?? "") ?? 7919

    private var limits: DocumentLimits {
        var limits = DocumentLimits()
        limits.maxTableCells = 200_000
        limits.maxGatheredCharacters = 2_000_000
        limits.maxTextCharacters = 1_000_000
        limits.maxInflatedBytes = 32 << 20
        limits.converterSeconds = 30
        return limits
    }

    /// Appends a line to `KORSEARCH_MUTATION_LOG` when it is set: the input being read, for finding the one a
    /// long run stalls or crashes on.
    private func log(_ line: String) {
        guard let path = ProcessInfo.processInfo.environment["KORSEARCH_MUTATION_LOG"] else { return }
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        handle.seekToEndOfFile()
        handle.write(Data((line + "\n").utf8))
        handle.closeFile()
    }

    /// Reads `data` as `name`; fails the test on anything but a document or a `DocumentFailure`, and on a
    /// document whose reading passed its limits.
    private func assertBounded(_ name: String, _ data: Data, _ what: String, in folder: URL) throws {
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        let file = DocumentFile(url: url, data: data, limits: limits)
        do {
            let document = try DocumentLoader.load(file, reader: DocumentLoader.reader(for: url))
            XCTAssertLessThanOrEqual(document.text.unicodeScalars.count, limits.maxTextCharacters, what)
            XCTAssertLessThanOrEqual(file.budget.cells, limits.maxTableCells, what)
            XCTAssertLessThanOrEqual(file.budget.characters, limits.maxGatheredCharacters, what)
            XCTAssertLessThanOrEqual(file.budget.deepest, limits.maxNesting + 1, what)
        } catch is DocumentFailure {
        } catch {
            XCTFail("\(what): \(type(of: error)) \(error)")
        }
    }

    /// Markup or CSV text mutated: every span or count attribute set to a huge, zero or negative value, a
    /// number multiplied, or a stretch from one tag to a later one repeated into deep nesting.
    private func mutated(_ text: String, _ random: inout SplitMix) -> String {
        switch Int.random(in: 0 ..< 3, using: &random) {
        case 0:
            let value = ["65535", "1048576", "0", "-1", "99999999999"].randomElement(using: &random)!
            return text.replacingOccurrences(
                of: #"(?i)((?:col|row|grid)span|colSpan|rowSpan|gridSpan|count|ref)(\s*=\s*)"[^"]*""#, with: "$1$2\"\(value)\"",
                options: .regularExpression)
        case 1:
            guard let digits = text.ranges(of: /[0-9]+/).randomElement(using: &random) else { return text }
            return text.replacingCharacters(in: digits, with: "4294967296")
        default:
            let opens = text.indices.filter { text[$0] == "<" }
            guard opens.count > 2 else { return text + String(repeating: text, count: 50) }
            let start = Int.random(in: 0 ..< opens.count - 1, using: &random)
            let end = Int.random(in: start + 1 ..< min(opens.count, start + 6), using: &random)
            let piece = text[opens[start] ..< opens[end]]
            return text.replacingCharacters(in: opens[start] ..< opens[end], with: String(repeating: String(piece), count: 3_000))
        }
    }

    /// The zip with one of its XML entries mutated as text.
    private func mutatedZip(_ source: URL, _ random: inout SplitMix, in folder: URL) throws -> Data {
        let copy = folder.appendingPathComponent("copy-" + source.lastPathComponent)
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: source, to: copy)
        let archive = try Archive(url: copy, accessMode: .update)
        let entries = archive.filter { $0.path.hasSuffix(".xml") }
        let entry = entries.randomElement(using: &random)!
        var text = ""
        _ = try archive.extract(entry) { text += String(decoding: $0, as: UTF8.self) }
        let path = entry.path
        try archive.remove(entry)
        let data = Data(mutated(text, &random).utf8)
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position) ..< Int(position) + size)
        }
        return try Data(contentsOf: copy)
    }

    func testEveryReaderHoldsUnderMutation() throws {
        let folder = try temporaryFolder()
        // The readers' fixtures, and the example corpus's text, Markdown and HTML.
        let sources =
            try FileManager.default.contentsOfDirectory(atPath: fixtures.path).filter { $0 != "expected.json" }.sorted()
            .map { fixtures.appendingPathComponent($0) }
            + ["disclosures/credit-rating-summary.txt", "research/battery-sector-note.md", "disclosures/buyback-decision.html"]
            .map { TestPaths.corpus.appendingPathComponent($0) }
        XCTAssertEqual(Set(sources.compactMap { try? DocumentLoader.reader(for: $0).type }), Set(DocumentFormats.types), "every reader")
        for (index, source) in sources.enumerated() {
            let name = source.lastPathComponent
            let original = try Data(contentsOf: source)
            var random = SplitMix(state: UInt64(index + 1) &* seed)
            let zipped = original.starts(with: [0x50, 0x4B])
            let text = ["csv", "tsv", "html", "md", "txt", "xml"].contains(source.pathExtension)
            for round in 0 ..< rounds {
                let what = "\(name), round \(round)"
                var data = original
                switch round % 4 {
                case 0:  // bytes flipped
                    for _ in 0 ..< Int.random(in: 1 ... 16, using: &random) {
                        data[Int.random(in: 0 ..< data.count, using: &random)] ^= UInt8.random(in: 1 ... 255, using: &random)
                    }
                case 1:  // cut short
                    data = data.prefix(Int.random(in: 1 ..< data.count, using: &random))
                default:  // the structure inside mutated
                    if zipped {
                        data = try mutatedZip(source, &random, in: folder)
                    } else if text {
                        data = Data(mutated(String(decoding: data, as: UTF8.self), &random).utf8)
                    } else {
                        continue  // HWP records below, PDF through its converter (flips and cuts)
                    }
                }
                log(what)
                try assertBounded(name, data, what, in: folder)
            }
        }
    }

    /// The HWP fixture's section records mutated where `HWPBody` reads them: span and address fields set huge,
    /// bytes flipped, records repeated.
    func testHWPSectionRecordsHoldUnderMutation() throws {
        let url = fixtures.appendingPathComponent("report.hwp")
        let file = DocumentFile(url: url, data: try Data(contentsOf: url))
        let compound = try CompoundFile(file, format: "HWP")
        let section = try compound.inflate(try XCTUnwrap(try compound.stream(["BodyText", "Section0"])), ["BodyText", "Section0"])
        var random = SplitMix(state: seed)
        for round in 0 ..< rounds * 3 {
            var bytes = section
            switch round % 3 {
            case 0:
                for _ in 0 ..< Int.random(in: 1 ... 32, using: &random) {
                    bytes[Int.random(in: 0 ..< bytes.count, using: &random)] = UInt8.random(in: 0 ... 255, using: &random)
                }
            case 1:
                // Every LIST_HEADER's address and spans (payload offsets 8-15) set to large values.
                var records = HWPRecords(bytes)
                while let record = try records.next() {
                    guard record.tag == HWPRecord.listHeader, record.payload.count >= 16 else { continue }
                    for offset in stride(from: 8, to: 16, by: 2) {
                        let value = UInt16.random(in: 0 ... 65535, using: &random)
                        bytes[record.payload.lowerBound + offset] = UInt8(value & 0xFF)
                        bytes[record.payload.lowerBound + offset + 1] = UInt8(value >> 8)
                    }
                }
            default:
                let start = Int.random(in: 0 ..< bytes.count / 2, using: &random)
                bytes += Array(repeating: Array(bytes[start ..< min(bytes.count, start + 400)]), count: 200).joined()
            }
            log("HWP section, round \(round)")
            let budget = ReadingBudget(limits: limits)
            var body = HWPBody(styles: HWPStyles(), budget: budget)
            do {
                try body.read(section: bytes)
                let text = body.finish().map(\.text).joined()
                XCTAssertLessThanOrEqual(text.unicodeScalars.count, limits.maxGatheredCharacters, "round \(round)")
                XCTAssertLessThanOrEqual(budget.cells, limits.maxTableCells, "round \(round)")
            } catch is DocumentFailure {
            } catch {
                XCTFail("round \(round): \(type(of: error)) \(error)")
            }
        }
    }
}
