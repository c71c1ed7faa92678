import KorSearchCore
import KorSearchTestSupport
import XCTest

/// Excerpts as a reader sees them: cut between words, never inside a number or a Hangul word; a table's rows
/// kept as rows when asked.
final class SnippetTests: XCTestCase {
    /// The words of `excerpt` (marks and ellipses taken off) are a run of whole words of `text`.
    private func assertWholeWords(_ excerpt: String, of text: String, file: StaticString = #filePath, line: UInt = #line) {
        let plain = excerpt.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "…", with: "")
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        let shown = plain.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let first = shown.first else { return }
        let found = words.indices.contains { start in
            start + shown.count <= words.count && Array(words[start ..< start + shown.count]) == shown
        }
        XCTAssertTrue(found, "not whole words: \(excerpt) (first word \(first))", file: file, line: line)
    }

    func testCutsFallBetweenWords() {
        let text = "당사의 2024년 반기 매출액은 1조 2,345억원으로 전년 동기 대비 16.2% 증가하였으며, 영업이익은 3,150억원을 기록하였습니다. 이는 반도체 부문의 회복에 따른 것입니다."
        // Where the width alone would cut inside 2024년 and inside 16.2%.
        let highlight = Array(text.unicodeScalars).indices.first { text.unicodeScalars.dropFirst($0).starts(with: "영업이익".unicodeScalars) }!
        for width in 20 ... 90 {
            let excerpt = Snippet.excerpt(text, highlights: [highlight ..< highlight + 4], width: width)
            assertWholeWords(excerpt, of: text)
            XCTAssertTrue(excerpt.contains("**영업이익**"), excerpt)
            XCTAssertFalse(excerpt.hasPrefix("…24년") || excerpt.contains("16.2…") || excerpt.contains("…6.2%"), excerpt)
        }
    }

    /// Random texts of words and numbers, every width and highlight: whole words always, the highlight shown.
    func testWholeWordsOnRandomText() {
        var generator = SplitMix(state: 7)
        let words = ["2024년", "16.2%", "1,234억원", "한빛전자㈜는", "자기주식을", "취득한다", "제48기", "반기", "매출액", "KRW", "3.50%로"]
        for _ in 0 ..< 200 {
            let text = (0 ..< Int.random(in: 5 ... 60, using: &generator)).map { _ in words.randomElement(using: &generator)! }
                .joined(separator: " ")
            let count = text.unicodeScalars.count
            let at = Int.random(in: 0 ..< count, using: &generator)
            let scalars = Array(text.unicodeScalars)
            guard !scalars[at].properties.isWhitespace else { continue }
            var lower = at
            while lower > 0, !scalars[lower - 1].properties.isWhitespace { lower -= 1 }
            var upper = at
            while upper < count, !scalars[upper].properties.isWhitespace { upper += 1 }
            let width = Int.random(in: max(12, upper - lower + 2) ... 120, using: &generator)
            let excerpt = Snippet.excerpt(text, highlights: [lower ..< upper], width: width)
            assertWholeWords(excerpt, of: text)
            XCTAssertTrue(excerpt.contains("**"), excerpt)
        }
    }

    func testTableRowsStayRowsWhenAsked() {
        let table = "구분 | 제48기 반기 | 제47기 반기\n매출액 | 1,234,567 | 1,100,000\n\n\n반기순이익 | 315 | 290"
        XCTAssertEqual(
            Snippet.excerpt(table, highlights: [], width: 200, lines: true),
            "구분 | 제48기 반기 | 제47기 반기\n매출액 | 1,234,567 | 1,100,000\n반기순이익 | 315 | 290")
        XCTAssertFalse(Snippet.excerpt(table, highlights: [], width: 200).contains("\n"), "one line unless asked")
        XCTAssertEqual(
            Snippet.excerpt("a\u{1B}b\nc", highlights: [], lines: true, escape: { $0.replacingOccurrences(of: "\u{1B}", with: "\\u{1B}") }),
            "a\\u{1B}b\nc", "the escape applies within lines, the break stays")
    }
}
