import Foundation
import ZIPFoundation

/// A folder of team-written filings: DART zips of two companies and three report kinds, plain files named by
/// their receipt numbers beside OpenDART's `list.json`, a `metadata.jsonl`, and a document whose title says
/// what it is.
public enum FilingFolder {
    public static let hanbitHalf = "hanbit/20240814000123.zip"
    public static let hanbitAnnual = "hanbit/20240318000456.zip"
    public static let purunQuarter = "purun/20241114000789.zip"
    public static let hanbitQ3Listed = "listed/20241113000321_분기보고서.txt"
    public static let purunBuybackListed = "listed/20241120000654_주요사항보고서.txt"
    public static let memo = "notes/pf-memo.txt"
    public static let inferred = "notes/hanbit-q3-results.txt"

    public static func dartXML(company: String, corpCode: String, acode: String, report: String, from: String, to: String, body: String) -> String {
        """
        <?xml version="1.0" encoding="utf-8"?>
        <DOCUMENT><DOCUMENT-NAME ACODE="\(acode)">\(report)</DOCUMENT-NAME><COMPANY-NAME AREGCIK="\(corpCode)">\(company)</COMPANY-NAME>
        <BODY><COVER><TABLE><TR><TD>사업연도</TD><TU AUNIT="PERIODFROM" AUNITVALUE="\(from)">기간</TU><TU AUNIT="PERIODTO" AUNITVALUE="\(to)">기간</TU></TR></TABLE></COVER>
        <SECTION-1><TITLE>I. 회사의 개요</TITLE><P>\(body)</P></SECTION-1></BODY></DOCUMENT>
        """
    }

    public static func zip(_ url: URL, _ entries: [String: String]) throws {
        let archive = try Archive(url: url, accessMode: .create)
        for (name, text) in entries.sorted(by: { $0.key < $1.key }) {
            let data = Data(text.utf8)
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position) ..< Int(position) + size)
            }
        }
    }

    public static let list = """
        {"status": "000", "message": "정상", "list": [
          {"corp_code": "00991234", "corp_name": "한빛전자", "stock_code": "123450", "report_nm": "분기보고서 (2024.09)", "rcept_no": "20241113000321", "rcept_dt": "20241113"},
          {"corp_code": "00887766", "corp_name": "푸른건설", "stock_code": "045670", "report_nm": "주요사항보고서(자기주식취득결정)", "rcept_no": "20241120000654", "rcept_dt": "20241120"},
          {"corp_code": "00991234", "corp_name": "한빛전자", "stock_code": "123450", "report_nm": "[기재정정]반기보고서 (2024.06)", "rcept_no": "20240814000123", "rcept_dt": "20240814"}
        ]}
        """

    /// Writes the folder; `passages` repeats a sentence in every document so a filter has many to choose from.
    public static func write(_ folder: URL) throws {
        let fm = FileManager.default
        for sub in ["hanbit", "purun", "listed", "notes"] {
            try fm.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try zip(
            folder.appendingPathComponent(hanbitHalf),
            [
                "20240814000123.xml": dartXML(
                    company: "한빛전자㈜", corpCode: "00991234", acode: "11012", report: "반기보고서", from: "20240101", to: "20240630",
                    body: "반기 영업이익은 5,376억 원이다. 유동성 위험을 점검하였다.")
            ])
        try zip(
            folder.appendingPathComponent(hanbitAnnual),
            [
                "20240318000456.xml": dartXML(
                    company: "한빛전자㈜", corpCode: "00991234", acode: "11011", report: "사업보고서", from: "20230101", to: "20231231",
                    body: "연간 영업이익은 8,112억 원이다. 유동성 위험을 점검하였다.")
            ])
        try zip(
            folder.appendingPathComponent(purunQuarter),
            [
                "20241114000789.xml": dartXML(
                    company: "푸른건설 주식회사", corpCode: "00887766", acode: "11013", report: "분기보고서", from: "20240101", to: "20240930",
                    body: "PF 보증 잔액은 8,210억 원이다. 유동성 위험을 점검하였다.")
            ])
        try Data("분기 실적 요약. 영업이익은 3,812억 원이다. 유동성 위험을 점검하였다.".utf8).write(to: folder.appendingPathComponent(hanbitQ3Listed))
        try Data("자기주식 취득 결정. 유동성 위험을 점검하였다.".utf8).write(to: folder.appendingPathComponent(purunBuybackListed))
        try Data(list.utf8).write(to: folder.appendingPathComponent("list.json"))
        try Data("사내 메모: PF 보증 현황과 유동성 위험을 점검하였다.".utf8).write(to: folder.appendingPathComponent(memo))
        try Data(
            """
            # metadata for files that are not filings
            {"path": "\(memo)", "company": "(주)푸른건설", "report_type": "내부메모", "period": "2024-q4", "filed": "2024-12-02"}
            """.utf8
        ).write(to: folder.appendingPathComponent("metadata.jsonl"))
        try Data("한빛전자㈜ 2024년 3분기 실적\n\n유동성 위험을 점검하였다. 영업이익은 늘었다.".utf8).write(to: folder.appendingPathComponent(inferred))
    }
}
