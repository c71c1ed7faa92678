import Foundation

/// Text for the pages of a PDF that have none (scans: older filings, signed contracts, faxed statements) or whose
/// text is not language (a font without a Unicode map gives private-use or replacement characters): each such
/// page is rendered by poppler's `pdftoppm` (300 dpi, grey) and read by Tesseract with its Korean and English
/// data (Debian's `tesseract-ocr`, `tesseract-ocr-kor`), both as child processes under the converter limits.
/// At most `DocumentLimits.maxOCRPages` pages and `ocrSeconds` in all for one file; pages past either are left
/// out with a note. Without Tesseract installed the pages stay without text (the reason says how to install it).
/// Kept libraries, not our own: OCR is Tesseract's work, rendering poppler's. Tesseract runs with page
/// segmentation mode 4 (a single column of text of varying sizes): its default automatic layout (mode 3) kept
/// one or two lines of each Korean test page and dropped the rest.
enum PDFOCR {
    /// Tesseract's executable, where installed (looked up once a process).
    static let tesseract: URL? =
        ["/usr/bin/tesseract", "/usr/local/bin/tesseract"].first { FileManager.default.isExecutableFile(atPath: $0) }.map(URL.init(fileURLWithPath:))

    /// Whether Tesseract and its Korean data are installed (looked up once a process).
    static let isAvailable: Bool =
        tesseract != nil
        && ["/usr/share/tesseract-ocr/5/tessdata/kor.traineddata", "/usr/share/tesseract-ocr/4.00/tessdata/kor.traineddata"].contains {
            FileManager.default.fileExists(atPath: $0)
        }

    /// Whether a page's text layer is language: some letters or digits, and not mostly private-use or
    /// replacement characters.
    static func isLanguage(_ text: String) -> Bool {
        var letters = 0, junk = 0
        for scalar in text.unicodeScalars where !scalar.properties.isWhitespace {
            if scalar.value == 0xFFFD || (0xE000 ... 0xF8FF).contains(scalar.value) || scalar.value < 0x20 {
                junk += 1
            } else if scalar.properties.isAlphabetic || ("0" ... "9").contains(scalar) {
                letters += 1
            }
        }
        return letters > 0 && junk * 3 < letters + junk
    }

    /// The least mean word confidence (0–100) of a line kept: below it a line is Tesseract reading noise (a
    /// speck, a scanner's edge) as characters.
    static let minimumLineConfidence = 60.0

    /// Tesseract's text without its lines of low confidence: the text's non-empty lines are the TSV's lines
    /// (level 4) in order, each line's confidence the mean of its words' (level 5). When the two do not line up,
    /// the text as it is.
    static func confidentLines(_ text: String, tsv: String) -> String {
        var confidences: [[Double]] = []
        for row in tsv.split(separator: "\n").dropFirst() {
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 12 else { continue }
            if fields[0] == "4" { confidences.append([]) }
            if fields[0] == "5", let confidence = Double(fields[10]), !fields[11].trimmingCharacters(in: .whitespaces).isEmpty,
                !confidences.isEmpty
            {
                confidences[confidences.count - 1].append(confidence)
            }
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let nonEmpty = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard nonEmpty.count == confidences.count else { return text }
        var index = 0
        var kept: [String] = []
        for line in lines {
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                kept.append(line)
                continue
            }
            let words = confidences[index]
            index += 1
            if !words.isEmpty, words.reduce(0, +) / Double(words.count) >= minimumLineConfidence { kept.append(line) }
        }
        return kept.joined(separator: "\n")
    }

    /// The text of `pages` (1-based) of `url`, by page; notes for the pages left out.
    static func read(
        _ url: URL, pages: [Int], limits: DocumentLimits, budget: ReadingBudget, progress: @Sendable (ReadingProgress) -> Void = { _ in }
    ) throws -> [Int: String] {
        guard !pages.isEmpty, limits.maxOCRPages > 0, isAvailable, let tesseract else { return [:] }
        let renderer = ["/usr/bin/pdftoppm", "/usr/local/bin/pdftoppm"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let renderer else { return [:] }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("korsearch-ocr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let started = Date()
        var texts: [Int: String] = [:]
        var leftOut: [Int] = []
        for (position, page) in pages.enumerated() {
            let remaining = limits.ocrSeconds - Date().timeIntervalSince(started)
            guard position < limits.maxOCRPages, remaining > 1 else {
                leftOut.append(page)
                continue
            }
            progress(.recognizing(page: position + 1, of: min(pages.count, limits.maxOCRPages)))
            let image = folder.appendingPathComponent("page")
            let rendered = try ProcessRunner.run(
                URL(fileURLWithPath: renderer),
                ["-r", "300", "-gray", "-png", "-singlefile", "-f", "\(page)", "-l", "\(page)", url.path, image.path],
                timeout: min(limits.converterSeconds, remaining), maxOutput: 1 << 20, memoryLimit: limits.converterMemoryBytes)
            let png = image.appendingPathExtension("png")
            guard rendered.status == 0, !rendered.timedOut, FileManager.default.fileExists(atPath: png.path) else {
                leftOut.append(page)
                continue
            }
            // The text (Tesseract's own word spacing) and, in the same run, each line's words with their
            // confidence.
            let output = folder.appendingPathComponent("text")
            let read = try ProcessRunner.run(
                tesseract, [png.path, output.path, "-l", "kor+eng", "--psm", "4", "txt", "tsv"], environment: ["OMP_THREAD_LIMIT": "1"],
                timeout: min(limits.converterSeconds, max(1, limits.ocrSeconds - Date().timeIntervalSince(started))),
                maxOutput: 1 << 20, memoryLimit: limits.converterMemoryBytes)
            try? FileManager.default.removeItem(at: png)
            let txt = output.appendingPathExtension("txt"), tsv = output.appendingPathExtension("tsv")
            defer { for url in [txt, tsv] { try? FileManager.default.removeItem(at: url) } }
            let size = ((try? FileManager.default.attributesOfItem(atPath: txt.path)[.size]) as? Int) ?? 0
            guard read.status == 0, !read.timedOut, size <= limits.maxTextCharacters * 4,
                let plain = try? String(contentsOf: txt, encoding: .utf8), let table = try? String(contentsOf: tsv, encoding: .utf8)
            else {
                leftOut.append(page)
                continue
            }
            let text = confidentLines(plain, tsv: table)
            try budget.gather(text.unicodeScalars.count)
            texts[page] = text
        }
        if !leftOut.isEmpty {
            budget.note(
                "\(leftOut.count) page\(leftOut.count == 1 ? "" : "s") without a text layer not read by OCR (past DocumentLimits.maxOCRPages \(limits.maxOCRPages) or ocrSeconds \(Int(limits.ocrSeconds)), or the page would not render)"
            )
        }
        return texts
    }
}
