import Foundation

/// A workbook's number formats (`xl/styles.xml`): each cell style's format code, applied the way Excel
/// displays a number for the plain formats financial sheets use — `General`, `0`, `0.00`, `#,##0`,
/// `#,##0.0`, percentages, a negative section in parentheses or with a minus, and dates. Anything fancier
/// (fractions, scientific, conditions, text sections) shows the number as `General` would.
struct NumberFormats {
    /// Format codes by style index (the `s` of a cell).
    private var codes: [String] = []

    /// The built-in formats of the ECMA-376 list that a workbook may use without declaring them.
    private static let builtIn: [Int: String] = [
        0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
        14: "yyyy-mm-dd", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 22: "yyyy-mm-dd h:mm",
        37: "#,##0;(#,##0)", 38: "#,##0;(#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;(#,##0.00)", 49: "@",
    ]

    init(_ archive: OfficeArchive) throws {
        guard let data = try archive.read("xl/styles.xml") else { return }
        var custom: [Int: String] = [:]
        var styles: [Int] = []
        var inCellStyles = false
        let events = XMLEvents()
        events.start = { name, attributes in
            switch XMLEvents.localName(name) {
            case "numFmt":
                if let id = attributes["numFmtId"].flatMap(Int.init), let code = attributes["formatCode"] { custom[id] = code }
            case "cellXfs": inCellStyles = true
            case "xf" where inCellStyles: styles.append(attributes["numFmtId"].flatMap(Int.init) ?? 0)
            default: break
            }
        }
        events.end = { name in if XMLEvents.localName(name) == "cellXfs" { inCellStyles = false } }
        try OfficeArchive.parse(data, events)
        codes = styles.map { custom[$0] ?? NumberFormats.builtIn[$0] ?? "General" }
    }

    /// A number as the cell of `style` displays it.
    func display(_ value: Double, style: Int) -> String {
        let code = codes.indices.contains(style) ? codes[style] : "General"
        return NumberFormats.format(value, code: code)
    }

    static func format(_ value: Double, code: String) -> String {
        guard value.isFinite else { return "\(value)" }
        let sections = code.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        var section = sections[0]
        var negative = value < 0
        if value < 0, sections.count > 1, !sections[1].isEmpty {
            section = sections[1]
            negative = false  // the section writes its own sign or parentheses
        }
        let plain = section.replacingOccurrences(of: #"\[[^\]]*\]|"[^"]*"|\\."#, with: "", options: .regularExpression)
        let lower = plain.lowercased()
        if lower == "general" || lower.isEmpty || lower == "@" { return general(value) }
        if lower.contains("e+") || lower.contains("?/") { return general(value) }
        if lower.contains("y") || lower.contains("d") || (lower.contains("m") && !lower.contains("0")) {
            return date(value, withTime: lower.contains("h"))
        }
        let percent = plain.contains("%")
        let grouping = plain.contains(",")
        let decimals = plain.split(separator: ".").dropFirst().first.map { $0.prefix { $0 == "0" || $0 == "#" }.count } ?? 0
        let magnitude = abs(value) * (percent ? 100 : 1)
        var digits = fixed(magnitude, decimals: decimals, grouping: grouping)
        if percent { digits += "%" }
        if section.contains("(") && value < 0 { return "(" + digits + ")" }
        if value < 0 && (negative || section.contains("-")) { return "-" + digits }
        return digits
    }

    /// A non-negative number rounded half away from zero to `decimals` places, with `,` every three digits
    /// when `grouping`.
    static func fixed(_ magnitude: Double, decimals: Int, grouping: Bool) -> String {
        let scale = pow(10, Double(decimals))
        let scaled = (magnitude * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9e18 else { return general(magnitude) }
        let units = Int64(scaled)
        let whole = units / Int64(scale)
        let fraction = units % Int64(scale)
        var integer = String(whole)
        if grouping {
            var grouped = ""
            for (index, character) in integer.reversed().enumerated() {
                if index > 0, index % 3 == 0 { grouped.append(",") }
                grouped.append(character)
            }
            integer = String(grouped.reversed())
        }
        guard decimals > 0 else { return integer }
        let digits = String(fraction)
        return integer + "." + String(repeating: "0", count: decimals - digits.count) + digits
    }

    /// `General`: integers whole, other numbers with up to 10 significant digits, no exponent for amounts.
    static func general(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.10g", value)
        if text.contains("e") { return text }
        if text.contains(".") { while text.hasSuffix("0") { text.removeLast() }; if text.hasSuffix(".") { text.removeLast() } }
        return text
    }

    /// An Excel serial date (days since 1899-12-30, the 1900 system) as `YYYY-MM-DD` (with `HH:MM`).
    static func date(_ serial: Double, withTime: Bool) -> String {
        let seconds = (serial - 25569) * 86400
        let date = Date(timeIntervalSince1970: seconds.rounded())
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = withTime ? "yyyy-MM-dd HH:mm" : "yyyy-MM-dd"
        return formatter.string(from: date)
    }
}
