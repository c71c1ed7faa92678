import Foundation

/// A hybrid vector weight korsearch chose from an index's own text, with no judged questions: sentences held out
/// of the index's passages are asked as questions, the document each came from is the answer (its own passage
/// left out of the rankings, so the answer is the rest of the document, which does not contain the sentence), and
/// the weight that retrieves best over them — as `eval --sweep` picks one from judgments — is chosen.
public struct WeightChoice: Sendable, Codable, Equatable {
    /// The chosen weight (0 keyword ranking only, 1 vector only).
    public var weight: Double
    /// How many held-out sentences it was chosen on.
    public var questions: Int
    /// The weight with the highest MRR@10 over them, and that MRR's standard error: the chosen weight is the one
    /// nearest the keyword side whose MRR is within one standard error of the best.
    public var bestWeight: Double
    public var standardError: Double
    /// MRR@10 at each weight of `weights` (0, 0.1, …, 1).
    public var sweep: [Double]

    /// The weights a choice sweeps.
    public static let weights = (0 ... 10).map { Double($0) / 10 }

    /// MRR@10 at a weight of the sweep.
    private func mrr(at weight: Double) -> Double { sweep[Int((weight * 10).rounded())] }
    /// MRR@10 at the chosen weight, at the best, keyword only and vector only.
    public var mrr: Double { mrr(at: weight) }
    public var bestMRR: Double { mrr(at: bestWeight) }
    public var keywordOnlyMRR: Double { sweep[0] }
    public var vectorOnlyMRR: Double { sweep[sweep.count - 1] }

    public init(weight: Double, questions: Int, bestWeight: Double, standardError: Double, sweep: [Double]) {
        self.weight = weight
        self.questions = questions
        self.bestWeight = bestWeight
        self.standardError = standardError
        self.sweep = sweep
    }

    enum CodingKeys: String, CodingKey {
        case weight, questions, mrr, sweep
        case keywordOnlyMRR = "keyword_only_mrr"
        case vectorOnlyMRR = "vector_only_mrr"
        case bestWeight = "best_weight"
        case bestMRR = "best_mrr"
        case standardError = "standard_error"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let sweep = try container.decode([Double].self, forKey: .sweep)
        guard sweep.count == WeightChoice.weights.count else {
            throw DecodingError.dataCorruptedError(forKey: .sweep, in: container, debugDescription: "a sweep has one MRR per weight 0, 0.1, …, 1")
        }
        self.init(
            weight: try container.decode(Double.self, forKey: .weight), questions: try container.decode(Int.self, forKey: .questions),
            bestWeight: try container.decode(Double.self, forKey: .bestWeight),
            standardError: try container.decode(Double.self, forKey: .standardError),
            sweep: sweep)
    }

    /// Everything stored, and the MRRs that follow from the sweep, for a reader of the JSON.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(weight, forKey: .weight)
        try container.encode(questions, forKey: .questions)
        try container.encode(sweep, forKey: .sweep)
        try container.encode(bestWeight, forKey: .bestWeight)
        try container.encode(standardError, forKey: .standardError)
        try container.encode(mrr, forKey: .mrr)
        try container.encode(bestMRR, forKey: .bestMRR)
        try container.encode(keywordOnlyMRR, forKey: .keywordOnlyMRR)
        try container.encode(vectorOnlyMRR, forKey: .vectorOnlyMRR)
    }

    /// How every automatic choice's `source` begins (`IndexMeta.vectorWeightIsAutomatic`).
    public static let sourcePrefix = "held-out sentences"

    /// What the index records as the weight's source, and `info` shows.
    public var source: String {
        func f(_ value: Double, _ places: Int = 3) -> String { String(format: "%.\(places)f", value) }
        return "\(WeightChoice.sourcePrefix): \(questions) questions from the index; MRR@10 \(f(mrr)) at \(f(weight, 1)) (best \(f(bestMRR)) ± "
            + "\(f(standardError)) at \(f(bestWeight, 1)); keyword only \(f(keywordOnlyMRR)), vector only \(f(vectorOnlyMRR)))"
    }

    /// Fewer questions than this choose nothing (the default weight stays).
    public static let minimumQuestions = 10
}

extension Searcher {
    /// Questions made from the index itself: from passages spread over it (`IndexStore.sampledPassageIds`) whose
    /// document has another passage, one sentence each — a sentence of 20 to 300 characters that no neighbouring
    /// passage repeats, not a table line — asked with the document as the answer and the passage left out.
    public func heldOutQuestions(count: Int = 100) throws -> [JudgedQuery] {
        var questions: [JudgedQuery] = []
        var asked = Set<String>()
        for id in try index.sampledPassageIds(count * 4) where questions.count < count {
            let around = try index.neighbours(of: id, before: 1, after: 1)
            guard around.count >= 2, let passage = around.first(where: { $0.id == id }) else { continue }
            let others = around.filter { $0.id != id }.map(\.text)
            let scalars = Array(passage.text.unicodeScalars)
            let candidates = SentenceSplitter.split(scalars).map { String(String.UnicodeScalarView(scalars[$0])) }
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { sentence in
                    (20 ... 300).contains(sentence.count) && !sentence.contains("|") && !sentence.contains("\t")
                        && !others.contains { $0.contains(sentence) } && !asked.contains(sentence)
                }
            guard !candidates.isEmpty else { continue }
            // The same sentence every time for the same passage.
            let sentence = candidates[Int((UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15) % UInt64(candidates.count))]
            asked.insert(sentence)
            var question = JudgedQuery(query: sentence, relevant: [passage.path])
            question.excludedChunks = [id]
            questions.append(question)
        }
        return questions
    }

    /// The vector weight chosen over `heldOutQuestions(count:)`: a sweep at 0, 0.1, …, 1, then — because a
    /// hundred questions tell weights apart only roughly, and the keyword side is the signal that holds for any
    /// model — the weight nearest 0 whose MRR@10 is within one standard error of the best's (the one-standard-
    /// error rule of model selection). Nil when the index gives fewer than `WeightChoice.minimumQuestions` (too
    /// few documents with more than one passage) or has no model loaded.
    public func chooseVectorWeight(questions count: Int = 100) throws -> WeightChoice? {
        guard embedder != nil else { return nil }
        let questions = try heldOutQuestions(count: count)
        guard questions.count >= WeightChoice.minimumQuestions else { return nil }
        let sweep = try sweep(questions, weights: WeightChoice.weights, k: 10)
        guard let best = Searcher.bestWeight(sweep), let top = sweep.first(where: { $0.weight == best }) else { return nil }
        let chosen = sweep.first { $0.metrics.mrr >= top.metrics.mrr - top.metrics.mrrStandardError } ?? top
        return WeightChoice(
            weight: chosen.weight, questions: questions.count, bestWeight: best, standardError: top.metrics.mrrStandardError,
            sweep: sweep.map(\.metrics.mrr))
    }
}
