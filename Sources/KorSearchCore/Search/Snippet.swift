/// A short excerpt of a passage around the query's terms, with the terms marked: what a person reads in a
/// results list.
public enum Snippet {
    /// Up to `width` characters of `text`, centred on the first match of the query's keyword terms, with
    /// every match marked (`**…**`, or bold on a terminal).
    public static func excerpt(_ text: String, query: String, width: Int = 240, bold: Bool = false) -> String {
        let characters = Array(text.replacingOccurrences(of: "\n", with: " "))
        let marks = markedRanges(characters, query: query)
        let first = marks.first?.lowerBound ?? 0
        var start = max(0, first - width / 3)
        let end = min(characters.count, start + width)
        start = max(0, end - width)
        var out = start > 0 ? "…" : ""
        var index = start
        let (open, close) = bold ? ("\u{1B}[1m", "\u{1B}[0m") : ("**", "**")
        for range in marks where range.upperBound > start && range.lowerBound < end {
            let lower = max(range.lowerBound, start), upper = min(range.upperBound, end)
            if lower > index { out += String(characters[index ..< lower]) }
            out += open + String(characters[lower ..< upper]) + close
            index = upper
        }
        if index < end { out += String(characters[index ..< end]) }
        return out + (end < characters.count ? "…" : "")
    }

    /// Ranges of characters that match a query term: whole Latin words and numbers, and Hangul runs covered
    /// by the query's syllable bigrams (so `금리` marks the 금리 of `기준금리를`).
    static func markedRanges(_ characters: [Character], query: String) -> [Range<Int>] {
        let terms = Set(KeywordTerms.terms(query))
        if terms.isEmpty { return [] }
        var marked = [Bool](repeating: false, count: characters.count)
        let lowered = characters.map { Character($0.lowercased()) }
        for term in terms {
            let pattern = Array(term)
            guard !pattern.isEmpty, pattern.count <= lowered.count else { continue }
            for start in 0 ... lowered.count - pattern.count where Array(lowered[start ..< start + pattern.count]) == pattern {
                for offset in 0 ..< pattern.count { marked[start + offset] = true }
            }
        }
        var ranges: [Range<Int>] = []
        var index = 0
        while index < marked.count {
            if marked[index] {
                var end = index
                while end < marked.count, marked[end] { end += 1 }
                ranges.append(index ..< end)
                index = end
            } else {
                index += 1
            }
        }
        return ranges
    }
}
