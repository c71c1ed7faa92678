import ArgumentParser
import Foundation
import KorSearch

/// Options shared by the commands that load a model and read texts.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "The model folder (config.json, model.safetensors or pytorch_model.bin, spm.model).")
    var model: String

    @Option(name: .long, help: "Read texts from this file, one per line (default: standard input).")
    var input: String?

    @Option(name: .long, help: "Cut each text to this many token ids, [CLS] and [SEP] included.")
    var maxLength: Int = 512

    var modelURL: URL { URL(fileURLWithPath: model) }

    func validate() throws {
        if maxLength < 2 {
            throw ValidationError("--max-length must be at least 2 (room for [CLS] and [SEP]), not \(maxLength)")
        }
    }
}

/// The lines of the input, each exactly as written minus its newline; every line must be UTF-8.
func readInputLines(_ path: String?) throws -> [String] {
    let data: Data
    if let path {
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("cannot read input file \(path)")
        }
        data = contents
    } else {
        data = FileHandle.standardInput.readDataToEndOfFile()
    }
    var lines: [String] = []
    var lineStart = data.startIndex
    var number = 1
    func add(_ end: Data.Index) throws {
        guard let line = String(validating: data[lineStart ..< end], as: UTF8.self) else {
            throw CommandFailure("input line \(number) is not valid UTF-8")
        }
        lines.append(line)
        number += 1
    }
    while let newline = data[lineStart...].firstIndex(of: 0x0A) {
        try add(newline)
        lineStart = newline + 1
    }
    if lineStart < data.endIndex { try add(data.endIndex) }
    return lines
}

/// A failure the user can fix, reported as one line on stderr and a non-zero exit.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes text to standard output without Foundation's line buffering surprises.
func writeOutput(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
