import Foundation
import ZIPFoundation

/// Files written as an adversary would, from the robustness issue's table: spans that would amplify a table,
/// padding, nesting, archives of many entries. Shared by the readers' tests and the indexing tests.
public enum HostileFiles {
    /// DART document markup around `body`.
    public static func dart(_ body: String) -> String {
        #"<?xml version="1.0" encoding="utf-8"?><DOCUMENT><DOCUMENT-NAME ACODE="11011">사업보고서</DOCUMENT-NAME>"#
            + #"<COMPANY-NAME AREGCIK="00000001">시험전자</COMPANY-NAME><BODY>\#(body)</BODY></DOCUMENT>"#
    }

    /// A table whose first row is 8 cells of colspan=rowspan=65535 (`병합0`…`병합7`), over `rows` rows of two
    /// cells (`행N`, `N×7`); `cell` is `td` (HTML) or `TD` (DART).
    public static func spannedTable(cell: String, rows: Int) -> String {
        let head = (0 ..< 8).map { "<\(cell) colspan=\"65535\" rowspan=\"65535\">병합\($0)</\(cell)>" }.joined()
        let body = (0 ..< rows).map { "<tr><\(cell)>행\($0)</\(cell)><\(cell)>\($0 * 7)</\(cell)></tr>" }.joined()
        return "<table><tr>\(head)</tr>\(body)</table>"
    }

    /// `depth` tables, each in the last one's cell (`안쪽` at each level, `중심` innermost).
    public static func nestedTables(depth: Int) -> String {
        String(repeating: "<table><tr><td>안쪽 ", count: depth) + "중심" + String(repeating: "</td></tr></table>", count: depth)
    }

    /// `depth` nested DART sections, each with a title (`제N절`) and a paragraph.
    public static func nestedSections(depth: Int) -> String {
        (0 ..< depth).map { "<SECTION-\(min($0 + 1, 3))><TITLE>제\($0)절</TITLE><P>본문 \($0)</P>" }.joined()
            + (0 ..< depth).reversed().map { "</SECTION-\(min($0 + 1, 3))>" }.joined()
    }

    /// One row of `columns` fields (`c0`, `c1`, ...), then `rows` short rows: padding a reader must not make.
    public static func paddedCSV(columns: Int, rows: Int) -> String {
        ((0 ..< columns).map { "c\($0)" }.joined(separator: ",") + "\n") + (0 ..< rows).map { "행\($0),\($0)\n" }.joined()
    }

    /// A zip of `entries` (path, text), stored in order.
    public static func zip(_ entries: [(String, String)], at url: URL) throws {
        let archive = try Archive(url: url, accessMode: .create)
        for (path, text) in entries {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position) ..< Int(position) + size)
            }
        }
    }

    /// A Word document of `paragraphs` numbered paragraphs (about 70 bytes of XML each): large enough that
    /// reading it takes a while.
    public static func largeDocx(paragraphs: Int, at url: URL) throws {
        var xml =
            #"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#
        for index in 0 ..< paragraphs { xml += "<w:p><w:r><w:t>제\(index)조 한국은행은 기준금리를 동결했다.</w:t></w:r></w:p>" }
        try zip([("word/document.xml", xml + "</w:body></w:document>")], at: url)
    }

    /// A DART zip of one document and `count - 1` attachments of no content.
    public static func manyEntries(_ count: Int, at url: URL) throws {
        let number = url.deletingPathExtension().lastPathComponent
        try zip(
            [("\(number).xml", dart("<P>본문</P>"))] + (1 ..< count).map { (String(format: "\(number)_%05d.xml", $0), "<x/>") }, at: url)
    }

    /// An image-only PDF of `pages` pages (each a small grey image, no text layer), as a scanner makes a long
    /// document: a PDF written object by object with its cross-reference table.
    public static func imageOnlyPDF(pages: Int, at url: URL) throws {
        var objects: [String] = []
        let kids = (0 ..< pages).map { "\(4 + 2 * $0) 0 R" }.joined(separator: " ")
        objects.append("<< /Type /Catalog /Pages 2 0 R >>")
        objects.append("<< /Type /Pages /Kids [\(kids)] /Count \(pages) >>")
        let pixels = String(repeating: "7f", count: 64)
        objects.append(
            "<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /ASCIIHexDecode /Length \(pixels.count + 1) >>\nstream\n\(pixels)>\nendstream"
        )
        let content = "q 200 0 0 200 100 400 cm /Im0 Do Q"
        for page in 0 ..< pages {
            objects.append(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 3 0 R >> >> /Contents \(5 + 2 * page) 0 R >>")
            objects.append("<< /Length \(content.utf8.count) >>\nstream\n\(content)\nendstream")
        }
        var pdf = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(pdf.utf8.count)
            pdf += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = pdf.utf8.count
        pdf += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { pdf += String(format: "%010d 00000 n \n", offset) }
        pdf += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        try Data(pdf.utf8).write(to: url)
    }
}
