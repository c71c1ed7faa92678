import Foundation

/// The files an index leaves out of a folder, written in the folder's `.korsearchignore` in gitignore's syntax:
/// one pattern a line, `#` comments and blank lines skipped; `*` any run within a name, `?` one character,
/// `[...]` a class, `**` any run of folders; a pattern with a `/` before its end is anchored at the folder's
/// root, one without matches at any depth; a trailing `/` matches folders only; `!` takes a file back in (unless
/// a folder above it is left out, as in git). The last pattern that matches decides. Paths are relative to the
/// folder, with `/` between names.
public struct IgnoreRules: Sendable {
    /// The file the rules are read from, at the indexed folder's root.
    public static let fileName = ".korsearchignore"

    private struct Rule: Sendable {
        let expression: NSRegularExpression
        let negated: Bool
        let foldersOnly: Bool
    }
    private let rules: [Rule]

    /// No rules: nothing is left out.
    public init() { rules = [] }

    /// The rules of `text` (a `.korsearchignore`'s lines); `source` names it in errors.
    /// - Throws: `KorSearchError.invalidArgument` for a pattern that cannot be read (an unclosed `[`), naming its line.
    public init(parsing text: String, source: String = IgnoreRules.fileName) throws {
        var rules: [Rule] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(rawLine).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            while line.hasSuffix(" ") && !line.hasSuffix("\\ ") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            var negated = false
            if line.hasPrefix("!") {
                negated = true
                line.removeFirst()
            } else if line.hasPrefix("\\!") || line.hasPrefix("\\#") {
                line.removeFirst()
            }
            let foldersOnly = line.hasSuffix("/")
            if foldersOnly { line.removeLast() }
            if line.isEmpty { continue }
            let anchored = line.dropLast().contains("/") || line.hasPrefix("/")
            if line.hasPrefix("/") { line.removeFirst() }
            guard let body = IgnoreRules.expression(line) else {
                throw KorSearchError(.invalidArgument, "\(source) line \(number + 1): cannot read the pattern \"\(line)\"")
            }
            let pattern = "^" + (anchored ? "" : "(?:.*/)?") + body + "$"
            guard let expression = try? NSRegularExpression(pattern: pattern) else {
                throw KorSearchError(.invalidArgument, "\(source) line \(number + 1): cannot read the pattern \"\(line)\"")
            }
            rules.append(Rule(expression: expression, negated: negated, foldersOnly: foldersOnly))
        }
        self.rules = rules
    }

    /// The rules of `folder`'s `.korsearchignore`; none when it has none.
    public init(folder: URL) throws {
        let url = folder.appendingPathComponent(IgnoreRules.fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            self.init()
            return
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KorSearchError(.invalidArgument, "\(url.path) is not UTF-8 text")
        }
        try self.init(parsing: text, source: url.path)
    }

    /// Whether there are no rules.
    public var isEmpty: Bool { rules.isEmpty }

    /// Whether the file at `path` is left out: a folder above it is, or it is.
    public func ignores(_ path: String) -> Bool {
        if rules.isEmpty { return false }
        let parts = path.split(separator: "/")
        for depth in parts.indices.dropLast() where decision(parts[...depth].joined(separator: "/"), isFolder: true) == true {
            return true
        }
        return decision(path, isFolder: false) ?? false
    }

    /// What the last matching rule says of `path`: left out, taken back, or nil when none matches.
    private func decision(_ path: String, isFolder: Bool) -> Bool? {
        let range = NSRange(path.startIndex..., in: path)
        for rule in rules.reversed() where !rule.foldersOnly || isFolder {
            if rule.expression.firstMatch(in: path, range: range) != nil { return !rule.negated }
        }
        return nil
    }

    /// A gitignore pattern (anchoring and the trailing `/` taken off) as a regular expression; nil when a
    /// class is not closed.
    private static func expression(_ pattern: String) -> String? {
        let characters = Array(pattern)
        var out = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "*":
                if index + 1 < characters.count, characters[index + 1] == "*" {
                    let atStart = index == 0 || characters[index - 1] == "/"
                    let beforeSlash = index + 2 < characters.count && characters[index + 2] == "/"
                    if atStart && beforeSlash {
                        out += "(?:.*/)?"  // **/ : any folders, none included
                        index += 3
                        continue
                    }
                    out += ".*"
                    index += 2
                    continue
                }
                out += "[^/]*"
            case "?": out += "[^/]"
            case "[":
                guard let close = characters[(index + 1)...].firstIndex(of: "]"), close > index + 1 else { return nil }
                var set = String(characters[(index + 1) ..< close])
                if set.hasPrefix("!") { set = "^" + set.dropFirst() }
                out += "[" + set.replacingOccurrences(of: "\\", with: "\\\\") + "]"
                index = close
            case "\\":
                if index + 1 < characters.count {
                    out += NSRegularExpression.escapedPattern(for: String(characters[index + 1]))
                    index += 1
                }
            default:
                out += NSRegularExpression.escapedPattern(for: String(character))
            }
            index += 1
        }
        return out
    }
}
