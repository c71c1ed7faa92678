import Foundation

/// Texts the tests generate.
public enum TestTexts {
    /// A long report of distinct sentences in paragraphs of five (about 10,000 tokens).
    public static func longReport(inserting extra: String? = nil, at position: Int = 200) -> String {
        var sentences = (0 ..< 400).map { index in
            "제\(index + 1)차 점검에서 \(["반도체", "디스플레이", "전장", "통신", "소재", "설비", "기판"][index % 7]) 부문의 매출은 \(1000 + index * 13)억 원으로 집계되었고 영업이익률은 \(index % 17 + 3).\(index % 10)%였다."
        }
        if let extra { sentences.insert(extra, at: position) }
        return stride(from: 0, to: sentences.count, by: 5).map { sentences[$0 ..< min($0 + 5, sentences.count)].joined(separator: " ") }
            .joined(separator: "\n\n")
    }
}
