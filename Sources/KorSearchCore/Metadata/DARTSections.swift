import Foundation

/// The standard table of contents of DART's periodic reports (사업보고서, 반기보고서, 분기보고서 share it since
/// the 2019 form): a code per standard section (`II` 사업의 내용, `II-1` 사업의 개요, `XI-2` 우발부채 등에 관한
/// 사항), and a passage's section path (`II. 사업의 내용 > 1. 사업의 개요`, as the reader wrote the headings)
/// mapped to the code of its deepest heading that is a standard section — by its title, not its number, since
/// filings number sections differently (older forms, a section a company leaves out, `Ⅱ` for `II`).
public enum DARTSections {
    /// A standard section: its code and title.
    public struct Entry: Sendable, Equatable {
        public let code: String
        public let title: String
    }

    /// The standard sections, in report order.
    public static let standard: [Entry] = {
        let outline: [(String, String, [String])] = [
            ("I", "회사의 개요", ["회사의 개요", "회사의 연혁", "자본금 변동사항", "주식의 총수 등", "정관에 관한 사항"]),
            (
                "II", "사업의 내용",
                ["사업의 개요", "주요 제품 및 서비스", "원재료 및 생산설비", "매출 및 수주상황", "위험관리 및 파생거래", "주요계약 및 연구개발활동", "기타 참고사항"]
            ),
            (
                "III", "재무에 관한 사항",
                [
                    "요약재무정보", "연결재무제표", "연결재무제표 주석", "재무제표", "재무제표 주석", "배당에 관한 사항", "증권의 발행을 통한 자금조달에 관한 사항",
                    "기타 재무에 관한 사항",
                ]
            ),
            ("IV", "이사의 경영진단 및 분석의견", []),
            ("V", "회계감사인의 감사의견 등", ["외부감사에 관한 사항", "내부통제에 관한 사항"]),
            ("VI", "이사회 등 회사의 기관에 관한 사항", ["이사회에 관한 사항", "감사제도에 관한 사항", "주주총회 등에 관한 사항"]),
            ("VII", "주주에 관한 사항", []),
            ("VIII", "임원 및 직원 등에 관한 사항", ["임원 및 직원 등의 현황", "임원의 보수 등"]),
            ("IX", "계열회사 등에 관한 사항", []),
            ("X", "대주주 등과의 거래내용", []),
            (
                "XI", "그 밖에 투자자 보호를 위하여 필요한 사항",
                ["공시내용 진행 및 변경사항", "우발부채 등에 관한 사항", "제재 등과 관련된 사항", "작성기준일 이후 발생한 주요사항 등 기타사항"]
            ),
            ("XII", "상세표", []),
        ]
        return outline.flatMap { code, title, parts in
            [Entry(code: code, title: title)] + parts.enumerated().map { Entry(code: "\(code)-\($0.offset + 1)", title: $0.element) }
        }
    }()

    private static let byKey: [String: String] = {
        var codes: [String: String] = [:]
        // A sub-section's title shared with its part (I-1 회사의 개요) is the sub-section only under that part.
        for entry in standard where codes[key(entry.title)] == nil || entry.code.contains("-") == false { codes[key(entry.title)] = entry.code }
        return codes
    }()

    /// Sub-sections by their part and title key (`II|사업의개요` → `II-1`), made once.
    private static let byPartAndKey: [String: String] = {
        var codes: [String: String] = [:]
        for entry in standard {
            guard let part = entry.code.split(separator: "-").first, entry.code.contains("-") else { continue }
            codes["\(part)|\(key(entry.title))"] = entry.code
        }
        return codes
    }()

    /// A heading's title for matching: its number (`II.`, `Ⅱ.`, `1.`, `(1)`, `가.`) and spaces removed, lowercased.
    public static func key(_ heading: String) -> String {
        var text = heading.precomposedStringWithCompatibilityMapping.trimmingCharacters(in: .whitespaces)
        text = text.replacingOccurrences(
            of: #"^(\(?([IVX]+|\d+|[가-하])[.)]|\(([IVX]+|\d+|[가-하])\))\s*"#, with: "", options: [.regularExpression, .caseInsensitive])
        return text.filter { !$0.isWhitespace && $0 != "【" && $0 != "】" }.lowercased()
    }

    /// The headings of a section path (`II. 사업의 내용 > 1. 사업의 개요`).
    public static func headings(_ section: String) -> [String] {
        section.components(separatedBy: " > ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The standard code of a section path: its deepest heading that is a standard section (a sub-section's
    /// title read under its own part); nil when none is.
    public static func code(of section: String?) -> String? {
        guard let section else { return nil }
        var found: String?
        for heading in headings(section) {
            let title = key(heading)
            guard let code = byKey[title] else { continue }
            if let part = found?.split(separator: "-").first, let sub = byPartAndKey["\(part)|\(title)"] {
                found = sub
            } else {
                found = code
            }
        }
        return found
    }

    /// What a `section` filter names: a standard code (`II`, `ii-1`) in its canonical form, else a title (its
    /// key, matched as a prefix of any heading's).
    public enum Selector: Sendable, Equatable {
        case code(String)
        case title(String)

        public init?(_ text: String) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return nil }
            let upper = trimmed.uppercased()
            if DARTSections.standard.contains(where: { $0.code == upper }) {
                self = .code(upper)
            } else if let code = DARTSections.byKey[DARTSections.key(trimmed)] {
                self = .code(code)
            } else {
                self = .title(DARTSections.key(trimmed))
            }
        }

        /// `matches`, remembering each distinct section path's answer: for a store that tests every passage
        /// (passages share a few sections each).
        public func matcher() -> (String?) -> Bool {
            var known: [String: Bool] = [:]
            return { section in
                guard let section else { return false }
                if let answer = known[section] { return answer }
                let answer = matches(section)
                known[section] = answer
                return answer
            }
        }

        /// Whether a passage with this section path is in the section: its code is the code or under it, or one
        /// of its headings begins with the title.
        public func matches(_ section: String?) -> Bool {
            guard let section else { return false }
            switch self {
            case .code(let code):
                guard let own = DARTSections.code(of: section) else { return false }
                return own == code || own.hasPrefix(code + "-")
            case .title(let title):
                return DARTSections.headings(section).contains { DARTSections.key($0).hasPrefix(title) }
            }
        }
    }
}
