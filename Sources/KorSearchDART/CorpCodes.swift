import Foundation
import KorDocuments
import KorSearchCore

/// A company in OpenDART's corp-code list.
public struct DARTCompany: Sendable, Equatable {
    /// DART's 8-digit company code (`corp_code`).
    public var corpCode: String
    /// The company's registered name (`corp_name`).
    public var name: String
    /// The 6-character listing code of a listed company, else nil.
    public var stockCode: String?

    /// A company.
    public init(corpCode: String, name: String, stockCode: String? = nil) {
        self.corpCode = corpCode
        self.name = name
        self.stockCode = stockCode
    }

    /// How messages name it: `한빛전자 (corp code 00991234, stock code 123450)`.
    public var described: String {
        "\(name) (corp code \(corpCode)\(stockCode.map { ", stock code \($0)" } ?? ""))"
    }
}

/// OpenDART's list of every company that files on DART (`corpCode.xml`, a zip of `CORPCODE.xml`), and the
/// company a user means by a name, a corp code or a stock code.
public struct CorpCodeList: Sendable {
    /// The companies, in the list's order.
    public let companies: [DARTCompany]

    /// The name of the cached list in a synced folder's `dart/` (hidden, so it is never indexed).
    public static let cacheName = ".corpCode.zip"
    /// How old a cached list may be before it is fetched again: a day, as OpenDART updates it daily.
    public static let maxAge: TimeInterval = 24 * 3600

    /// A list of these companies.
    public init(companies: [DARTCompany]) { self.companies = companies }

    /// The companies of the `CORPCODE.xml` in OpenDART's zip.
    public init(zip data: Data) throws {
        let archive: ZipArchive
        do { archive = try ZipArchive(data, maxEntries: 16) } catch {
            throw KorSearchError(.network, "OpenDART's corp-code list is not a readable zip (\(error))")
        }
        guard let entry = archive.entries.first(where: { $0.path.lowercased().hasSuffix(".xml") }) else {
            throw KorSearchError(.network, "OpenDART's corp-code zip holds no XML file")
        }
        guard entry.uncompressedSize <= 512 << 20 else {
            throw KorSearchError(.network, "OpenDART's corp-code list is larger than 512 MiB; not read")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(entry.uncompressedSize))
        do {
            try archive.read(entry) { chunk in
                bytes.append(contentsOf: chunk)
                return bytes.count <= 512 << 20
            }
        } catch {
            throw KorSearchError(.network, "OpenDART's corp-code zip is damaged (\(error))")
        }
        try self.init(xml: String(decoding: bytes, as: UTF8.self))
    }

    /// The companies of a `CORPCODE.xml`: `<list><corp_code>…</corp_code><corp_name>…</corp_name>
    /// <stock_code>…</stock_code>…</list>` repeated (a blank stock code for an unlisted company).
    public init(xml: String) throws {
        var companies: [DARTCompany] = []
        var fields: [String: String] = [:]
        var field: String?
        var value = ""
        MarkupScanner.scan(
            xml,
            text: { scalar in if field != nil { value.unicodeScalars.append(scalar) } },
            tag: { tag in
                switch (tag.name, tag.isEnd) {
                case ("list", false): fields = [:]
                case ("list", true):
                    let code = fields["corp_code"] ?? ""
                    if code.count == 8, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber), let name = fields["corp_name"], !name.isEmpty {
                        let stock = fields["stock_code"] ?? ""
                        companies.append(DARTCompany(corpCode: code, name: name, stockCode: stock.isEmpty ? nil : stock))
                    }
                case ("corp_code", false), ("corp_name", false), ("stock_code", false):
                    field = tag.name
                    value = ""
                case (let name, true) where name == field:
                    fields[name] = HTMLText.decodeEntities(value).trimmingCharacters(in: .whitespacesAndNewlines)
                    field = nil
                default: break
                }
            })
        guard !companies.isEmpty else { throw KorSearchError(.network, "OpenDART's corp-code list names no company") }
        self.companies = companies
    }

    /// The company `text` names: an 8-digit corp code, a 6-character stock code, or a name (`한빛전자`,
    /// `한빛전자㈜` and `(주)한빛전자` alike). A name several companies share is refused unless exactly one of
    /// them is listed; a name no company has is refused with the names that contain it.
    public func company(_ text: String) throws -> DARTCompany {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.count == 8, text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            if let company = companies.first(where: { $0.corpCode == text }) { return company }
            throw KorSearchError(.notFound, "no company has corp code \(text) in OpenDART's list", parameter: "corp")
        }
        if text.count == 6, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase) }),
            let company = companies.first(where: { $0.stockCode == text })
        {
            return company
        }
        let key = FilingMetadata.companyKey(text)
        guard !key.isEmpty else { throw KorSearchError(.invalidArgument, "an empty company name", parameter: "corp") }
        let same = companies.filter { FilingMetadata.companyKey($0.name) == key }
        if same.count == 1 { return same[0] }
        if same.count > 1 {
            let listed = same.filter { $0.stockCode != nil }
            if listed.count == 1 { return listed[0] }
            throw KorSearchError(
                .invalidArgument,
                "\(same.count) companies are named \(text): \(same.prefix(5).map(\.described).joined(separator: ", ")); give the corp code",
                parameter: "corp")
        }
        let near = companies.filter { FilingMetadata.companyKey($0.name).contains(key) }.sorted {
            ($0.stockCode != nil ? 0 : 1, $0.name.count) < ($1.stockCode != nil ? 0 : 1, $1.name.count)
        }
        let hint = near.isEmpty ? "" : "; names that contain it: \(near.prefix(5).map(\.described).joined(separator: ", "))"
        throw KorSearchError(.notFound, "no company named \(text) in OpenDART's list\(hint)", parameter: "corp")
    }

    /// The list cached in `folder` when it is less than `maxAge` old, else fetched anew through `client` and
    /// cached; a list that cannot be fetched falls back to an older cached one (with `warn`).
    public static func cached(in folder: URL, client: OpenDART, now: Date = Date(), warn: (String) -> Void) throws -> CorpCodeList {
        let file = folder.appendingPathComponent(cacheName)
        let fileManager = FileManager.default
        let modified = (try? fileManager.attributesOfItem(atPath: file.path)[.modificationDate]) as? Date
        if let modified, now.timeIntervalSince(modified) < maxAge, let list = try? CorpCodeList(zip: Data(contentsOf: file)) {
            return list
        }
        try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
        do {
            let fresh = folder.appendingPathComponent(".corpCode.new.zip")
            try client.zip("corpCode.xml", [], to: fresh)
            let list = try CorpCodeList(zip: Data(contentsOf: fresh))
            try AtomicFile.syncAndRename(fresh, to: file, role: "the cached corp-code list", kind: .network)
            return list
        } catch let error as KorSearchError where error.kind == .network || error.kind == .rateLimited {
            guard let modified, let list = try? CorpCodeList(zip: Data(contentsOf: file)) else { throw error }
            let days = Int(now.timeIntervalSince(modified) / 86400)
            warn("the corp-code list could not be fetched (\(error)); using the one cached \(days) day\(days == 1 ? "" : "s") ago")
            return list
        }
    }
}
