import Foundation

/// The text of each page of a PDF, through poppler's `pdftotext` (Debian's poppler-utils).
enum PDFText {
    /// Pages in order; a page without text is an empty string.
    static func pages(_ url: URL) throws -> [String] {
        guard let tool = ["/usr/bin/pdftotext", "/usr/local/bin/pdftotext"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            throw DocumentFailure("pdftotext is not installed (Debian: apt-get install poppler-utils)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-enc", "UTF-8", "-q", url.path, "-"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        nonisolated(unsafe) var errorData = Data()
        let reader = Thread { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.005) }
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errorData, as: UTF8.self).split(separator: "\n").first.map(String.init)
            throw DocumentFailure("unreadable PDF" + (message.map { ": \($0)" } ?? " (pdftotext exit \(process.terminationStatus))"))
        }
        var pages = String(decoding: data, as: UTF8.self).components(separatedBy: "\u{0C}")
        if pages.last?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true, pages.count > 1 {
            pages.removeLast()
        }
        return pages
    }
}
