/// Levenshtein distance: the fewest insertions, deletions and substitutions that turn one sequence into the
/// other. Used to suggest the nearest known value (a company the index has) and to measure OCR against the
/// text a page shows.
package enum EditDistance {
    /// The distance between `a` and `b`, in O(|a|·|b|) time and O(|b|) memory.
    package static func between<Element: Equatable>(_ a: [Element], _ b: [Element]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0 ... b.count)
        var current = previous
        for i in 1 ... a.count {
            current[0] = i
            for j in 1 ... b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
