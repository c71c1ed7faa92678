#!/usr/bin/env python3
"""Dev only: writes the office, Hancom and CSV fixtures of the document reader tests, and what an independent
reader (openpyxl, python-docx, python-pptx, hwp-hwpx-parser, pdfplumber, Python's csv module) finds in them,
to Tests/Fixtures/documents/.

    python3 -m venv /tmp/fx && /tmp/fx/bin/pip install openpyxl python-docx python-pptx hwp-converter-ai hwp-hwpx-parser olefile reportlab pdfplumber
    /tmp/fx/bin/python Scripts/make_document_fixtures.py

Neither CI nor the product runs this; the outputs are committed. The expected JSON holds each sheet's rows as
the cells display (number formats applied here, from openpyxl's values and format codes), so the Swift reader
is checked against another reader of the same bytes.
"""
import csv
import io
import json
import os
import re
import struct
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path

import hwp_hwpx_parser
import olefile
import pdfplumber

from docx import Document
from pptx import Presentation
from pptx.util import Inches
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (BaseDocTemplate, Frame, FrameBreak, NextPageTemplate, PageBreak, PageTemplate, Paragraph,
                                Table, TableStyle)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "Fixtures", "documents")


def build_workbook(path):
    book = Workbook()
    income = book.active
    income.title = "손익계산서"
    income.append(["한빛전자㈜ 연결 손익계산서 (단위: 백만원)"])
    income.merge_cells("A1:C1")
    income.append(["과목", "실적", None])
    income.merge_cells("B2:C2")
    income.append([None, "2023년", "2024년"])
    income.merge_cells("A2:A3")
    rows = [("매출액", 456780, 512300), ("매출원가", 196030, 112337), ("영업이익", 260750, 399963),
            ("당기순이익", -12500, 301220), ("영업이익률", 0.5708, 0.7807)]
    for label, a, b in rows:
        income.append([label, a, b])
    for row in income.iter_rows(min_row=4, max_row=7, min_col=2, max_col=3):
        for cell in row:
            cell.number_format = "#,##0;(#,##0)"
    for cell in income[8][1:3]:
        cell.number_format = "0.0%"
    income["A1"].alignment = Alignment(horizontal="center")

    quarters = book.create_sheet("분기별 매출")
    quarters.append(["분기", "매출액(억원)", "전년 동기 대비"])
    for index in range(60):
        year, quarter = 2010 + index // 4, index % 4 + 1
        quarters.append([f"{year}년 {quarter}분기", 1000 + index * 37.5, (index % 7 - 3) / 100])
    for row in quarters.iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].number_format = "#,##0.0"
    for row in quarters.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].number_format = "0.00%"
    book.save(path)


def shared_strings(path):
    """Moves the first sheet's strings into xl/sharedStrings.xml (this openpyxl writes inline strings only),
    one of them as rich text in two runs, so the fixture has both kinds as Excel writes them."""
    with zipfile.ZipFile(path) as source:
        items = {name: source.read(name) for name in source.namelist()}
    sheet = items["xl/worksheets/sheet1.xml"].decode()
    strings = []

    def shared(match):
        text = match.group(2)
        if text not in strings:
            strings.append(text)
        return f'<c r="{match.group(1)}"{match.group(3)} t="s"><v>{strings.index(text)}</v></c>'

    sheet = re.sub(r'<c r="([A-Z]+[0-9]+)"([^>]*?) t="inlineStr"><is><t>([^<]*)</t></is></c>',
                   lambda m: shared(type("M", (), {"group": lambda self, i: {1: m.group(1), 2: m.group(3), 3: m.group(2)}[i]})()),
                   sheet)
    assert strings, "no inline strings in the first sheet"
    entries = []
    for text in strings:
        if text == "영업이익":
            entries.append('<si><r><t>영업</t></r><r><rPr><b/></rPr><t>이익</t></r><rPh sb="0" eb="2"><t>ヨウギョウ</t></rPh></si>')
        else:
            entries.append(f"<si><t>{text}</t></si>")
    items["xl/worksheets/sheet1.xml"] = sheet.encode()
    items["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(entries) + "</sst>").encode()
    types = items["[Content_Types].xml"].decode()
    items["[Content_Types].xml"] = types.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>').encode()
    rels = items["xl/_rels/workbook.xml.rels"].decode()
    items["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", '<Relationship Id="rIdShared" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in items.items():
            target.writestr(name, data)


def shown(value, number_format):
    """The cell as Excel displays it, for the formats the fixtures use."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if number_format == "#,##0;(#,##0)":
        return f"({abs(value):,.0f})" if value < 0 else f"{value:,.0f}"
    if number_format == "#,##0.0":
        return f"{value:,.1f}"
    if number_format.endswith("%"):
        decimals = len(number_format.split(".")[1]) - 1 if "." in number_format else 0
        return f"{value * 100:.{decimals}f}%"
    return str(int(value)) if float(value).is_integer() else repr(value)


def expected_workbook(path):
    book = load_workbook(path)
    sheets = []
    for sheet in book.worksheets:
        merged = {}
        for area in sheet.merged_cells.ranges:
            origin = sheet.cell(area.min_row, area.min_col)
            for row in range(area.min_row, area.max_row + 1):
                for column in range(area.min_col, area.max_col + 1):
                    merged[(row, column)] = shown(origin.value, origin.number_format)
        rows = []
        for row in sheet.iter_rows():
            cells = [merged.get((cell.row, cell.column), shown(cell.value, cell.number_format)) for cell in row]
            rows.append(cells)
        sheets.append({"name": sheet.title, "rows": rows})
    return sheets


def write_csvs():
    rows = [["회사", "결산기", "1주당 배당금(원)", "배당성향"],
            ["한빛전자㈜", "2024-12", "1,444", "25.3%"],
            ["푸른건설", "2024-12", "500", "12.0%"],
            ["새봄은행, 지주", "2024-12", "3,100", "31.5%"],
            ["\"따옴표\" 상사", "2024-06", "0", "0.0%"]]
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    with open(os.path.join(OUT, "dividends-cp949.csv"), "wb") as file:
        file.write(text.getvalue().encode("cp949"))
    tabbed = io.StringIO()
    csv.writer(tabbed, delimiter="\t", lineterminator="\n").writerows(rows)
    with open(os.path.join(OUT, "dividends-bom.tsv"), "wb") as file:
        file.write(b"\xef\xbb\xbf" + tabbed.getvalue().encode("utf-8"))
    with open(os.path.join(OUT, "dividends-cp949.csv"), "rb") as file:
        parsed = list(csv.reader(io.StringIO(file.read().decode("cp949"))))
    return parsed


def build_docx(path):
    """A Word report with a paragraph, a unit line and a table whose header is merged across two columns and
    down two rows; python-docx reads it back as the reference."""
    document = Document()
    document.add_paragraph("한빛전자㈜ 2024년 3분기 실적 요약입니다.")
    document.add_paragraph("(단위: 억원)")
    table = document.add_table(rows=4, cols=3)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "과목"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "실적"
    table.cell(1, 1).text, table.cell(1, 2).text = "2023년 3분기", "2024년 3분기"
    for row, (label, a, b) in enumerate([("매출액", "1,120", "1,384"), ("영업이익", "231", "402")], start=2):
        table.cell(row, 0).text, table.cell(row, 1).text, table.cell(row, 2).text = label, a, b
    document.add_paragraph("영업이익은 전년 동기 대비 74% 늘었다.")
    document.save(path)
    # python-docx gives a merged cell's text at every grid position it covers.
    read = Document(path)
    return [[cell.text for cell in row.cells] for row in read.tables[0].rows]


def build_hwpx(path):
    """A Hancom OWPML file written by hand (no HWPX writer on PyPI runs without Hancom's software): a
    paragraph, then a table inside a paragraph's run as Hancom places it, with a cell spanning two columns."""
    def cell(text, col, row, colspan=1, header=False):
        return (f'<hp:tc name="" header="{1 if header else 0}" hasMargin="0" protect="0" editable="0" dirty="0" borderFillIDRef="1">'
                f'<hp:subList id="" textDirection="HORIZONTAL" lineWrap="BREAK" vertAlign="CENTER">'
                f'<hp:p id="0" paraPrIDRef="0" styleIDRef="0"><hp:run charPrIDRef="0"><hp:t>{text}</hp:t></hp:run></hp:p>'
                f'</hp:subList><hp:cellAddr colAddr="{col}" rowAddr="{row}"/><hp:cellSpan colSpan="{colspan}" rowSpan="1"/>'
                f'<hp:cellSz width="1000" height="1000"/></hp:tc>')
    rows = [[cell("구분", 0, 0, header=True), cell("배당 내역", 1, 0, 2, header=True)],
            [cell("구분", 0, 1, header=True), cell("보통주", 1, 1, header=True), cell("우선주", 2, 1, header=True)],
            [cell("1주당 배당금(원)", 0, 2), cell("1,444", 1, 2), cell("1,445", 2, 2)]]
    table = ('<hp:tbl id="1" rowCnt="3" colCnt="3">' + "".join("<hp:tr>" + "".join(r) + "</hp:tr>" for r in rows) + "</hp:tbl>")
    section = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<hs:sec xmlns:hs="http://www.hancom.co.kr/hwpml/2011/section" xmlns:hp="http://www.hancom.co.kr/hwpml/2011/paragraph">'
               '<hp:p id="1" paraPrIDRef="0" styleIDRef="0"><hp:run charPrIDRef="0"><hp:t>현금배당 결정 내용은 다음과 같다.</hp:t></hp:run></hp:p>'
               f'<hp:p id="2" paraPrIDRef="0" styleIDRef="0"><hp:run charPrIDRef="0">{table}<hp:t></hp:t></hp:run></hp:p>'
               '<hp:p id="3" paraPrIDRef="0" styleIDRef="0"><hp:run charPrIDRef="0"><hp:t>배당기준일은 2024년 12월 31일이다.</hp:t></hp:run></hp:p>'
               '</hs:sec>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/hwp+zip")
        archive.writestr("Contents/section0.xml", section)
    return [["구분", "배당 내역", "배당 내역"], ["구분", "보통주", "우선주"], ["1주당 배당금(원)", "1,444", "1,445"]]


def build_hwp(path):
    """An HWP 5.0 report written by hwp-converter-ai (from its IR): headings, paragraphs (one with a bare
    `<`), a unit line, and a table whose header has a cell spanning two rows and one spanning two columns.
    Two things the writer leaves from its template are set right afterwards: heading paragraphs point to the
    template's outline styles (`개요 N`), and the document summary holds the report's title. Returns the grid the table was written as and what hwp-hwpx-parser, an
    independent reader, reads back: the body text and each row's cells (it lists a spanned cell once)."""
    from hwp_converter_ai import HwpWriter
    from hwp_converter_ai.ir_schema import BlockNode, BlockType, DocumentIR, InlineNode, InlineType

    def text(value):
        return [InlineNode(type=InlineType.TEXT, text=value)]

    grid = [["과목", "실적", "실적"], ["과목", "2023년", "2024년"], ["매출액", "456,780", "512,340"],
            ["영업이익", "26,075", "39,996"], ["당기순이익", "18,200", "30,110"]]
    cells = [{"r": 0, "c": 0, "rowspan": 2, "text": "과목"}, {"r": 0, "c": 1, "colspan": 2, "text": "실적"},
             {"r": 1, "c": 1, "text": "2023년"}, {"r": 1, "c": 2, "text": "2024년"}]
    cells += [{"r": r, "c": c, "text": grid[r][c]} for r in range(2, 5) for c in range(3)]
    title = "한빛전자 2024년 사업 실적"
    blocks = [BlockNode(type=BlockType.HEADING, level=1, children=text(title)),
              BlockNode(type=BlockType.HEADING, level=2, children=text("1. 개요")),
              BlockNode(type=BlockType.PARAGRAPH, children=text("한빛전자는 반도체 부문의 회복으로 2024년 매출액이 전년보다 12.2% 늘었다.")),
              BlockNode(type=BlockType.PARAGRAPH, children=text("부채비율 < 100% 인 기업만 비교 대상에 넣었다.")),
              BlockNode(type=BlockType.HEADING, level=2, children=text("2. 요약 재무")),
              BlockNode(type=BlockType.PARAGRAPH, children=text("(단위: 억원)")),
              BlockNode(type=BlockType.TABLE, metadata={"cells": cells, "n_rows": 5, "n_cols": 3}),
              BlockNode(type=BlockType.PARAGRAPH, children=text("배당은 2025년 3월 주주총회에서 정한다."))]
    HwpWriter().from_ir(DocumentIR(title=title, blocks=blocks), Path(path))
    outline_headings(path)
    summary_title(path, title)
    read = hwp_hwpx_parser.read(path)
    return {"grid": grid, "text": read.text, "rows": read.get_tables()[0].rows, "title": title}


def hwp_records(data):
    """(tag, level, payload start, payload end) of each record of an HWP stream."""
    records, at = [], 0
    while at < len(data):
        header = struct.unpack_from("<I", data, at)[0]
        size, at = header >> 20, at + 4
        if size == 0xFFF:
            size, at = struct.unpack_from("<I", data, at)[0], at + 4
        records.append((header & 0x3FF, (header >> 10) & 0x3FF, at, at + size))
        at += size
    return records


def outline_headings(path):
    """The writer gives a level-N heading style id N, meant for its own style list, but keeps its template's:
    there 1 is 본문 and 2 is 개요 1. Points each heading paragraph (style 1-3 at the top level) to 개요 N and
    that style's paragraph shape, as Hancom writes outline headings; the stream is recompressed in place."""
    ole = olefile.OleFileIO(path, write_mode=True)
    doc_info = zlib.decompress(ole.openstream("DocInfo").read(), -15)
    style_shapes = []
    for tag, _, start, end in hwp_records(doc_info):
        if tag == 26:  # STYLE: name, English name, property, next style, language, paragraph shape id
            at = start + 2 + 2 * struct.unpack_from("<H", doc_info, start)[0]
            at += 2 + 2 * struct.unpack_from("<H", doc_info, at)[0]
            style_shapes.append(struct.unpack_from("<H", doc_info, at + 4)[0])
    compressed = ole.openstream("BodyText/Section0").read()
    section = bytearray(zlib.decompress(compressed, -15))
    for tag, level, start, _ in hwp_records(bytes(section)):
        if tag == 66 and level == 0 and section[start + 10] in (1, 2, 3):
            style = section[start + 10] + 1
            section[start + 10] = style
            struct.pack_into("<H", section, start + 8, style_shapes[style])
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    recompressed = packer.compress(bytes(section)) + packer.flush()
    assert len(recompressed) <= len(compressed), "the section grew; olefile rewrites streams only in place"
    ole.write_stream("BodyText/Section0", recompressed + b"\0" * (len(compressed) - len(recompressed)))
    ole.close()


def summary_title(path, title):
    """Rewrites the document summary as an OLE property set holding only the title (VT_LPWSTR, as Hancom
    writes it), padded to the stream's size (olefile rewrites streams in place)."""
    ole = olefile.OleFileIO(path, write_mode=True)
    name = "\x05HwpSummaryInformation"
    size = ole.get_size(name)
    value = (title + "\0").encode("utf-16-le")
    prop = struct.pack("<II", 0x1F, len(value) // 2) + value
    prop += b"\0" * (-len(prop) % 4)
    section = struct.pack("<II", 8 + 8 + len(prop), 1) + struct.pack("<II", 2, 16) + prop
    fmtid = bytes.fromhex("e0859ff2f94f6810ab9108002b27b3d9")
    stream = struct.pack("<HHI16sI", 0xFFFE, 0, 0x00020006, b"\0" * 16, 1) + fmtid + struct.pack("<I", 48) + section
    ole.write_stream(name, stream + b"\0" * (size - len(stream)))
    ole.close()


def build_dart(path):
    """A DART half-year report as OpenDART's document download delivers it: a zip of the main body
    `{rcept_no}.xml` and an attachment `{rcept_no}_00760.xml` (the auditors' review), in EUC-KR, written as
    DART writes its markup — not well-formed XML (a bare `<`, a bare `&`, `&cr;`), a cover with `TU` period
    cells, a summary and a table of contents that are not body text, sections nested three deep, a unit line
    in a one-cell table, a table with a two-row header, and a 14-row table. Returns what was written: the
    headings with their depth, each table's grid, the metadata."""
    rcept_no = "20240814000123"
    header = [["구분", "제56기 반기", "제55기", "제54기"]]
    years = [("매출액", "2,040,100", "3,512,000", "3,104,500"), ("매출원가", "1,201,300", "2,110,700", "1,998,000"),
             ("매출총이익", "838,800", "1,401,300", "1,106,500"), ("판매비와관리비", "301,200", "590,100", "540,300"),
             ("영업이익", "537,600", "811,200", "566,200"), ("금융수익", "21,300", "35,100", "30,200"),
             ("금융비용", "12,100", "25,800", "27,600"), ("법인세차감전순이익", "546,800", "820,500", "568,800"),
             ("법인세비용", "120,300", "180,500", "125,100"), ("반기순이익", "426,500", "640,000", "443,700"),
             ("자산총계", "9,120,400", "8,804,300", "8,120,900"), ("부채총계", "3,010,200", "2,980,100", "2,870,400"),
             ("자본총계", "6,110,200", "5,824,200", "5,250,500"), ("부채비율", "49.3%", "51.2%", "54.7%")]
    summary_rows = header + [list(row) for row in years]
    product_rows = [["부문", "매출액", "매출액"], ["부문", "2023년 상반기", "2024년 상반기"],
                    ["메모리", "1,234,500", "1,587,200"], ["전력 반도체", "310,400", "402,900"], ["합계", "1,544,900", "1,990,100"]]

    def cells(row, tag="TE"):
        return "<TR>" + "".join(f"<{tag}>{value}</{tag}>" for value in row) + "</TR>\n"

    main = f"""<?xml version="1.0" encoding="euc-kr"?>
<DOCUMENT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="dart4.xsd">
<DOCUMENT-NAME ACODE="11013">반기보고서</DOCUMENT-NAME>
<FORMULA-VERSION ADATE="20240301">5.5</FORMULA-VERSION>
<COMPANY-NAME AREGCIK="00991234">한빛전자㈜</COMPANY-NAME>
<SUMMARY><EXTRACTION ACODE="FSP_IS_A">요약 추출값 537600</EXTRACTION></SUMMARY>
<BODY>
<COVER>
<COVER-TITLE AASSOCNOTE="D-0-0-0-0">반 기 보 고 서</COVER-TITLE>
<TABLE ACLASS="NORMAL" BORDER="0"><TBODY>
<TR><TD>사업연도</TD><TU AUNIT="PERIODFROM" AUNITVALUE="20240101">2024년 01월 01일</TU><TD>부터</TD></TR>
<TR><TD>사업연도</TD><TU AUNIT="PERIODTO" AUNITVALUE="20240630">2024년 06월 30일</TU><TD>까지</TD></TR>
</TBODY></TABLE>
<P>금융위원회 한국거래소 귀중</P>
</COVER>
<TOC><TOC-TITLE>목 차</TOC-TITLE><P>I. 회사의 개요</P></TOC>
<SECTION-1 ACLASS="MANDATORY" APARTSOURCE="SOURCE"><TITLE ATOC="Y" AASSOCNOTE="D-0-1-0-0">I. 회사의 개요</TITLE>
<SECTION-2 ACLASS="MANDATORY"><TITLE ATOC="Y" AASSOCNOTE="D-0-1-1-0">1. 회사의 개요</TITLE>
<P USERMARK="F-14">한빛전자㈜는 1987년에 설립되어 메모리 반도체와 전력 반도체를 만든다.&cr;본사는 경기도 수원시에 있다.</P>
<P>회사는 부채비율 < 100% 를 재무 방침으로 삼는다.</P>
</SECTION-2>
</SECTION-1>
<SECTION-1 ACLASS="MANDATORY"><TITLE ATOC="Y" AASSOCNOTE="D-0-2-0-0">II. 사업의 내용</TITLE>
<SECTION-2><TITLE ATOC="Y" AASSOCNOTE="D-0-2-1-0">1. 사업의 개요</TITLE>
<P>반기 중 R&D 투자는 1,820억원으로 매출액의 8.9% 수준이다.</P>
</SECTION-2>
<SECTION-2><TITLE ATOC="Y" AASSOCNOTE="D-0-2-2-0">2. 주요 제품 및 서비스</TITLE>
<SECTION-3><TITLE ATOC="N">가. 주요 제품 매출</TITLE>
<TABLE BORDER="0"><TBODY><TR><TD ALIGN="RIGHT">(단위 : 백만원)</TD></TR></TBODY></TABLE>
<TABLE-GROUP><TABLE ACLASS="NORMAL" BORDER="1"><THEAD>
<TR><TH ROWSPAN="2">부문</TH><TH COLSPAN="2">매출액</TH></TR>
<TR><TH>2023년 상반기</TH><TH>2024년 상반기</TH></TR></THEAD>
<TBODY>{"".join(cells(row) for row in product_rows[2:])}</TBODY></TABLE></TABLE-GROUP>
<PGBRK/>
</SECTION-3>
</SECTION-2>
</SECTION-1>
<SECTION-1 ACLASS="MANDATORY"><TITLE ATOC="Y" AASSOCNOTE="D-0-3-0-0">III. 재무에 관한 사항</TITLE>
<SECTION-2><TITLE ATOC="Y">1. 요약재무정보</TITLE>
<P>(단위 : 백만원)</P>
<TABLE ACLASS="NORMAL" BORDER="1"><THEAD>{cells(header[0], "TH")}</THEAD>
<TBODY>{"".join(cells(row) for row in years)}</TBODY></TABLE>
</SECTION-2>
</SECTION-1>
</BODY>
</DOCUMENT>
"""
    review = """<?xml version="1.0" encoding="euc-kr"?>
<DOCUMENT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="dart4.xsd">
<DOCUMENT-NAME ACODE="00760">검토보고서</DOCUMENT-NAME>
<COMPANY-NAME AREGCIK="00991234">한빛전자㈜</COMPANY-NAME>
<BODY>
<SECTION-1><TITLE ATOC="Y">독립된 감사인의 반기 재무제표 검토보고서</TITLE>
<P>우리는 한빛전자㈜의 2024년 6월 30일 현재 반기 재무상태표를 검토하였습니다.</P>
<P>검토 결과 중요성의 관점에서 공정하게 표시하지 않았다고 믿게 하는 사항은 발견되지 않았습니다.</P>
</SECTION-1>
</BODY>
</DOCUMENT>
"""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{rcept_no}.xml", main.encode("euc-kr"))
        archive.writestr(f"{rcept_no}_00760.xml", review.encode("euc-kr"))
    headings = [[1, "I. 회사의 개요"], [2, "1. 회사의 개요"], [1, "II. 사업의 내용"], [2, "1. 사업의 개요"],
                [2, "2. 주요 제품 및 서비스"], [3, "가. 주요 제품 매출"], [1, "III. 재무에 관한 사항"], [2, "1. 요약재무정보"],
                [1, "검토보고서"], [2, "독립된 감사인의 반기 재무제표 검토보고서"]]
    cover = [["사업연도", "2024년 01월 01일", "부터"], ["사업연도", "2024년 06월 30일", "까지"]]
    metadata = {"company": "한빛전자㈜", "corpCode": "00991234", "reportType": "반기보고서", "reportCode": "11013",
                "rceptNo": rcept_no, "filed": "2024-08-14", "periodFrom": "2024-01-01", "periodTo": "2024-06-30",
                "title": "한빛전자㈜ 반기보고서"}
    return {"headings": headings, "tables": [cover, product_rows, summary_rows], "metadata": metadata}


def build_pptx(path):
    """An IR deck: a title slide, a slide of bullets, a slide with a table whose header spans two columns;
    python-pptx reads back each slide's title, texts and table."""
    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "한빛전자 2024년 3분기 IR"
    first.placeholders[1].text = "투자자 설명회 자료"
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "실적 요약"
    body = second.placeholders[1].text_frame
    body.text = "매출액 1,384억 원으로 전년 동기 대비 23.6% 증가"
    body.add_paragraph().text = "영업이익률 29.0%로 개선"
    third = deck.slides.add_slide(deck.slide_layouts[5])
    third.shapes.title.text = "분기 실적"
    table = third.shapes.add_table(3, 3, Inches(1), Inches(2), Inches(6), Inches(2)).table
    table.cell(0, 1).merge(table.cell(0, 2))
    table.cell(0, 0).text, table.cell(0, 1).text = "구분", "실적(억원)"
    for row, values in enumerate([("매출액", "1,120", "1,384"), ("영업이익", "231", "402")], start=1):
        for column, value in enumerate(values):
            table.cell(row, column).text = value
    deck.save(path)
    slides = []
    for slide in Presentation(path).slides:
        shapes = {"title": slide.shapes.title.text if slide.shapes.title else None, "texts": [], "tables": []}
        for shape in slide.shapes:
            if shape.has_text_frame and shape != slide.shapes.title:
                shapes["texts"] += [p.text for p in shape.text_frame.paragraphs if p.text]
            if shape.has_table:
                grid = [[cell.text for cell in row.cells] for row in shape.table.rows]
                # python-pptx gives a spanned cell's text only at its origin; repeat it as the reader does.
                for r, row in enumerate(shape.table.rows):
                    for c, cell in enumerate(row.cells):
                        if cell.is_spanned:
                            grid[r][c] = grid[r][c - 1]
                shapes["tables"].append(grid)
        slides.append(shapes)
    return slides


PDF_ROWS = [
    ("이자수익", 41230, 44980), ("이자비용", 23110, 25870), ("이자이익", 18120, 19110),
    ("수수료수익", 3120, 3480), ("수수료비용", 910, 980), ("순수수료이익", 2210, 2500),
    ("유가증권 관련 이익", 1450, 1620), ("외환 및 파생 이익", 830, 760), ("기타 영업이익", -640, -710),
    ("총영업이익", 21970, 23280), ("일반관리비", 9870, 10240), ("인건비", 5980, 6130),
    ("물건비", 2610, 2750), ("감가상각비", 1280, 1360), ("충당금 적립 전 이익", 12100, 13040),
    ("대손충당금 전입액", 2840, 3320), ("기업 대출 충당금", 1760, 2050), ("가계 대출 충당금", 1080, 1270),
    ("영업이익", 9260, 9720), ("영업외손익", 120, -90), ("법인세비용차감전순이익", 9380, 9630),
    ("법인세비용", 2390, 2460), ("당기순이익", 6990, 7170), ("지배기업 소유주지분", 6950, 7120),
    ("비지배지분", 40, 50), ("기본주당이익(원)", 2890, 2960), ("희석주당이익(원)", 2880, 2950),
    ("총자산", 452300, 471800), ("총부채", 419900, 437100), ("자기자본", 32400, 34700),
    ("대출채권", 318600, 331200), ("원화예수금", 301400, 309900),
]
PDF_RATIOS = [("순이자마진(NIM)", "1.85%", "1.92%"), ("연체율", "0.31%", "0.38%"), ("고정이하여신비율", "0.27%", "0.33%"),
              ("보통주자본비율", "13.1%", "13.4%")]
PDF_COLUMNS_TEXT = [
    "새봄은행은 2025년 영업 계획에서 중소기업 대출의 위험 관리를 가장 앞에 두었다. 업종별 한도를 다시 정하고, "
    "부동산 임대업과 건설업의 신규 취급은 담보 인정 비율을 낮추어 심사한다.",
    "가계 대출은 총부채원리금상환비율 규제 안에서 실수요자 중심으로 공급하며, 변동금리 대출의 고정금리 전환을 "
    "금리 우대로 돕는다. 예금은 만기 구조를 늘려 조달 비용의 변동을 줄인다.",
    "디지털 채널의 비대면 대출 심사는 대안 신용평가 모형을 함께 써서 금융 이력이 짧은 고객의 한도를 넓힌다. "
    "모형의 성과는 분기마다 점검하여 공시한다.",
    "배당은 보통주자본비율 13% 이상을 지키는 범위에서 당기순이익의 30% 안팎을 목표로 하며, 자사주 매입은 "
    "시장 상황을 보아 이사회가 정한다.",
]


def build_pdf(path):
    """A quarterly report as PDF: a ruled table of 32 rows that runs onto the next page (its header repeated, as
    printed reports do), a borderless table of ratios, and a page of two-column prose (not a table). The expected
    tables are what pdfplumber (pdfminer's layout, an independent reader) extracts from the written file."""
    pdfmetrics.registerFont(TTFont("NanumGothic", "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"))
    body = ParagraphStyle("body", fontName="NanumGothic", fontSize=10, leading=15)
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=22)
    unit = ParagraphStyle("unit", parent=body, alignment=2)
    document = BaseDocTemplate(path, pagesize=A4, title="새봄은행 2024년 3분기 경영실적", leftMargin=60, rightMargin=60)
    width = A4[0] - 120
    document.addPageTemplates([
        PageTemplate("one", [Frame(60, 60, width, A4[1] - 120, id="one")]),
        PageTemplate("two", [Frame(60, 60, width / 2 - 12, A4[1] - 120, id="left"),
                             Frame(60 + width / 2 + 12, 60, width / 2 - 12, A4[1] - 120, id="right")]),
    ])
    header = ["구분", "2023년 3분기", "2024년 3분기", "증감률"]
    rows = [header] + [[name, f"{a:,}", f"{b:,}", f"{(b - a) / abs(a) * 100:.1f}%"] for name, a, b in PDF_ROWS]
    ruled = Table(rows, repeatRows=1, colWidths=[170, 100, 100, 70])
    ruled.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "NanumGothic", 10), ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                               ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                               ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    ratios = Table([["지표", "2023년 3분기", "2024년 3분기"]] + [list(row) for row in PDF_RATIOS], colWidths=[170, 100, 100])
    ratios.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "NanumGothic", 10), ("ALIGN", (1, 0), (-1, -1), "RIGHT")]))
    story = [Paragraph("새봄은행 2024년 3분기 경영실적", title),
             Paragraph("3분기 누적 당기순이익은 대출 성장과 순이자마진 개선으로 전년 같은 기간보다 늘었다. "
                       "아래 표는 연결 기준 요약 손익과 재무상태이다.", body),
             Paragraph("(단위: 억원)", unit), ruled,
             Paragraph("충당금 전입액은 부동산 PF 관련 기업 대출의 추가 적립으로 늘었다. 주요 비율은 다음과 같다.", body),
             ratios, NextPageTemplate("two"), PageBreak()]
    story += [Paragraph(text, body) for text in PDF_COLUMNS_TEXT[:2]] + [FrameBreak()]
    story += [Paragraph(text, body) for text in PDF_COLUMNS_TEXT[2:]]
    document.build(story)
    with pdfplumber.open(path) as pdf:
        ruled = [page.extract_tables() for page in pdf.pages]  # tables found by their ruling lines
    return {"ruled_tables_by_page": ruled, "written_rows": rows, "written_ratios": [["지표", "2023년 3분기", "2024년 3분기"]] + [list(r) for r in PDF_RATIOS],
            "columns": PDF_COLUMNS_TEXT}


WEB_PDF_HTML = """<html><head><meta charset="utf-8"><style>
body { font-family: 'NanumGothic'; font-size: 10pt } td, th { border: 1px solid #000; padding: 3px 6px } td.n { text-align: right }
.columns { column-count: 2 }
</style></head><body>
<h2>II. 사업의 내용</h2>
<p>당사의 부문별 매출은 다음과 같습니다. 반도체 부문이 전체의 절반을 넘습니다.</p>
<p style="text-align: right">(단위: 백만원, %)</p>
<table style="border-collapse: collapse">
<tr><th rowspan="2">사업부문</th><th colspan="2">2023년</th><th colspan="2">2024년</th></tr>
<tr><th>매출액</th><th>비중</th><th>매출액</th><th>비중</th></tr>
<tr><td style="width: 120px">반도체 및 전자부품 제조 부문</td><td class="n">1,234,567</td><td class="n">52.1%</td><td class="n">1,456,789</td><td class="n">54.3%</td></tr>
<tr><td>디스플레이</td><td class="n">654,321</td><td class="n">27.6%</td><td class="n">701,234</td><td class="n">26.1%</td></tr>
<tr><td>기타</td><td class="n">480,000</td><td class="n">20.3%</td><td class="n">526,000</td><td class="n">19.6%</td></tr>
<tr><td>합계</td><td class="n">2,368,888</td><td class="n">100.0%</td><td class="n">2,684,023</td><td class="n">100.0%</td></tr>
</table>
<p>부문별 영업이익률은 반도체가 가장 높습니다.</p>
<div class="columns"><p>첫째 단의 본문입니다. 두 단으로 짜인 보고서의 본문은 표가 아니어야 합니다. 이 문장은 길게 이어져서 여러 줄로
접힙니다. 2024년 매출은 1조 3,200억 원입니다.</p><p>둘째 단의 본문입니다. 둘째 단도 여러 줄에 걸쳐 이어지며 숫자 12.5%와
3,100원을 담고 있습니다. 그러나 표는 아닙니다.</p></div>
</body></html>
"""


def build_web_pdf(path):
    """A web page printed by Chromium: a ruled table with a two-row header (a label over both rows, years over two
    columns each) and a label that wraps beside vertically centred amounts, then two columns of prose. Expected:
    pdfplumber's table with its empty span positions filled as the readers lay spans out (a span's text in every
    position it covers)."""
    with tempfile.TemporaryDirectory() as work:
        page = os.path.join(work, "page.html")
        with open(page, "w", encoding="utf-8") as file:
            file.write(WEB_PDF_HTML)
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                        f"--print-to-pdf={path}", page], check=True, capture_output=True)
    with pdfplumber.open(path) as pdf:
        (table,) = pdf.pages[0].extract_tables()
    rows = [[None if cell is None else " ".join(cell.replace("\x01", " ").split()) for cell in row] for row in table]
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell is None:  # this table's spans: the row label over two rows, the years over two columns
                row[c] = rows[r - 1][c] if c == 0 else row[c - 1]
    return {"table": rows, "header_rows": 2}


def main():
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "financials.xlsx")
    build_workbook(path)
    shared_strings(path)
    expected = {"financials.xlsx": expected_workbook(path), "dividends.csv": write_csvs(),
                "quarterly.docx": build_docx(os.path.join(OUT, "quarterly.docx")),
                "dividend.hwpx": build_hwpx(os.path.join(OUT, "dividend.hwpx")),
                "report.hwp": build_hwp(os.path.join(OUT, "report.hwp")),
                "20240814000123.zip": build_dart(os.path.join(OUT, "20240814000123.zip")),
                "ir-deck.pptx": build_pptx(os.path.join(OUT, "ir-deck.pptx")),
                "quarterly-results.pdf": build_pdf(os.path.join(OUT, "quarterly-results.pdf")),
                "segment-sales.pdf": build_web_pdf(os.path.join(OUT, "segment-sales.pdf"))}
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as file:
        json.dump(expected, file, ensure_ascii=False, indent=1)
        file.write("\n")


if __name__ == "__main__":
    main()
