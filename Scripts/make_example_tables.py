#!/usr/bin/env python3
"""Dev only: writes the sample documents of Examples/corpus whose facts sit in tables — a DART filing zip, an
HWP 5.0 disclosure, an Excel workbook, a PowerPoint IR deck and a CP949 CSV — from team-written Korean text
below (the companies are invented). Outputs are committed; nothing at run time needs these packages.

    python3 -m venv /tmp/fx && /tmp/fx/bin/pip install openpyxl python-pptx hwp-converter-ai olefile
    /tmp/fx/bin/python Scripts/make_example_tables.py
"""
import os
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from pptx import Presentation
from pptx.util import Inches

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_document_fixtures import outline_headings, summary_title  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Examples", "corpus")


def dart_table(rows, header_rows=1):
    head = "".join("<TR>" + "".join(f"<TH>{cell}</TH>" for cell in row) + "</TR>" for row in rows[:header_rows])
    body = "".join("<TR>" + "".join(f"<TE>{cell}</TE>" for cell in row) + "</TR>\n" for row in rows[header_rows:])
    return f'<TABLE ACLASS="NORMAL" BORDER="1"><THEAD>{head}</THEAD><TBODY>{body}</TBODY></TABLE>'


def write_dart(path):
    """푸른건설㈜'s half-year report: order backlog, summary financials and PF guarantees as tables."""
    rcept_no = "20240816000456"
    unit = '<TABLE BORDER="0"><TBODY><TR><TD ALIGN="RIGHT">(단위 : 억원)</TD></TR></TBODY></TABLE>'
    orders = [["부문", "신규 수주", "수주 잔고"], ["주택", "8,420", "52,310"], ["토목", "3,150", "18,940"],
              ["플랜트", "1,980", "9,870"], ["합계", "13,550", "81,120"]]
    summary = [["구분", "제48기 반기", "제47기"], ["매출액", "21,540", "45,310"], ["영업이익", "842", "2,105"],
               ["반기순이익", "315", "1,240"], ["부채비율", "187.4%", "172.9%"]]
    guarantees = [["사업장", "보증 한도", "보증 잔액", "만기"], ["인천 송도 주상복합", "4,200", "3,850", "2025년 3월"],
                  ["대구 수성 오피스텔", "2,800", "2,640", "2024년 12월"], ["부산 해운대 레지던스", "1,900", "1,720", "2025년 9월"],
                  ["합계", "8,900", "8,210", "-"]]
    main = f"""<?xml version="1.0" encoding="euc-kr"?>
<DOCUMENT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="dart4.xsd">
<DOCUMENT-NAME ACODE="11012">반기보고서</DOCUMENT-NAME>
<FORMULA-VERSION ADATE="20240301">5.5</FORMULA-VERSION>
<COMPANY-NAME AREGCIK="00887766">푸른건설㈜</COMPANY-NAME>
<BODY>
<COVER><COVER-TITLE>반 기 보 고 서</COVER-TITLE>
<TABLE BORDER="0"><TBODY>
<TR><TD>사업연도</TD><TU AUNIT="PERIODFROM" AUNITVALUE="20240101">2024년 01월 01일</TU><TD>부터</TD></TR>
<TR><TD>사업연도</TD><TU AUNIT="PERIODTO" AUNITVALUE="20240630">2024년 06월 30일</TU><TD>까지</TD></TR>
</TBODY></TABLE></COVER>
<SECTION-1><TITLE ATOC="Y">I. 회사의 개요</TITLE>
<SECTION-2><TITLE ATOC="Y">1. 회사의 개요</TITLE>
<P>푸른건설㈜는 1978년에 설립된 종합건설회사로 주택, 토목, 플랜트 사업을 한다. 본사는 서울특별시 강남구에 있다.</P>
</SECTION-2></SECTION-1>
<SECTION-1><TITLE ATOC="Y">II. 사업의 내용</TITLE>
<SECTION-2><TITLE ATOC="Y">1. 사업의 개요</TITLE>
<P>상반기에는 주택 분양 경기가 둔화되어 신규 분양을 줄이고 공공 토목 수주를 늘렸다. 미분양 주택은 1,240세대로 전년 말보다 310세대 늘었다.</P>
</SECTION-2>
<SECTION-2><TITLE ATOC="Y">2. 수주 현황</TITLE>
{unit}
{dart_table(orders)}
</SECTION-2></SECTION-1>
<SECTION-1><TITLE ATOC="Y">III. 재무에 관한 사항</TITLE>
<SECTION-2><TITLE ATOC="Y">1. 요약재무정보</TITLE>
{unit}
{dart_table(summary)}
<P>부채비율은 PF 우발채무 관련 차입이 늘어 전기 말보다 14.5%포인트 높아졌다.</P>
</SECTION-2></SECTION-1>
<SECTION-1><TITLE ATOC="Y">IV. 우발부채 등에 관한 사항</TITLE>
<SECTION-2><TITLE ATOC="Y">1. PF 대출 지급보증</TITLE>
<P>회사는 시행사의 프로젝트 파이낸싱(PF) 대출에 대하여 다음과 같이 지급보증을 제공하고 있다.</P>
{unit}
{dart_table(guarantees)}
<P>보증 잔액 가운데 만기가 1년 이내에 돌아오는 금액은 6,490억 원이다. 회사는 분양률이 50%에 못 미치는 사업장에 대해 대주단과 만기 연장을 협의하고 있다.</P>
</SECTION-2></SECTION-1>
</BODY></DOCUMENT>
"""
    review = """<?xml version="1.0" encoding="euc-kr"?>
<DOCUMENT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="dart4.xsd">
<DOCUMENT-NAME ACODE="00760">검토보고서</DOCUMENT-NAME>
<COMPANY-NAME AREGCIK="00887766">푸른건설㈜</COMPANY-NAME>
<BODY><SECTION-1><TITLE ATOC="Y">독립된 감사인의 반기 재무제표 검토보고서</TITLE>
<P>우리는 푸른건설㈜의 2024년 6월 30일 현재 반기 재무상태표를 검토하였습니다.</P>
<P>강조사항: PF 대출 지급보증과 관련된 우발부채의 불확실성에 대하여 이용자의 주의를 기울이게 합니다.</P>
</SECTION-1></BODY></DOCUMENT>
"""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{rcept_no}.xml", main.encode("euc-kr"))
        archive.writestr(f"{rcept_no}_00760.xml", review.encode("euc-kr"))


def write_hwp(path):
    """누리바이오㈜'s rights offering decision as an HWP 5.0 document with its terms in a table."""
    from hwp_converter_ai import HwpWriter
    from hwp_converter_ai.ir_schema import BlockNode, BlockType, DocumentIR, InlineNode, InlineType

    def text(value):
        return [InlineNode(type=InlineType.TEXT, text=value)]

    terms = [["항목", "내용"], ["신주의 종류와 수", "보통주 4,500,000주"], ["1주당 액면가액", "500원"],
             ["예정 발행가액", "18,400원"], ["증자 방식", "주주배정 후 실권주 일반공모"],
             ["자금 조달 목적", "운영자금 620억 원, 시설자금 208억 원"], ["신주 배정 기준일", "2025년 1월 10일"],
             ["신주 상장 예정일", "2025년 3월 14일"]]
    cells = [{"r": r, "c": c, "text": value} for r, row in enumerate(terms) for c, value in enumerate(row)]
    title = "누리바이오㈜ 유상증자 결정"
    blocks = [BlockNode(type=BlockType.HEADING, level=1, children=text(title)),
              BlockNode(type=BlockType.HEADING, level=2, children=text("1. 발행 조건")),
              BlockNode(type=BlockType.TABLE, metadata={"cells": cells, "n_rows": len(terms), "n_cols": 2}),
              BlockNode(type=BlockType.HEADING, level=2, children=text("2. 기타 투자 판단에 참고할 사항")),
              BlockNode(type=BlockType.PARAGRAPH, children=text(
                  "예정 발행가액은 기준주가에 할인율 25%를 적용하여 산정하였으며, 확정 발행가액은 구주주 청약일 전 3거래일에 결정한다.")),
              BlockNode(type=BlockType.PARAGRAPH, children=text(
                  "조달 자금은 NB-101 임상 3상 비용과 오송 생산시설 증설에 쓸 예정이다."))]
    HwpWriter().from_ir(DocumentIR(title=title, blocks=blocks), Path(path))
    outline_headings(path)
    summary_title(path, title)


def write_xlsx(path):
    """새봄은행's quarterly figures: profitability by quarter and capital ratios, one sheet each."""
    book = Workbook()
    profit = book.active
    profit.title = "수익성"
    profit.append(["분기", "순이자이익(억원)", "순이자마진(NIM)", "대손비용(억원)"])
    for row in [("2023년 4분기", 10420, 0.0168, 1830), ("2024년 1분기", 10610, 0.0171, 1510),
                ("2024년 2분기", 10780, 0.0169, 1620), ("2024년 3분기", 10950, 0.0165, 1940)]:
        profit.append(list(row))
    for cells in profit.iter_rows(min_row=2, min_col=2, max_col=4):
        cells[0].number_format = "#,##0"
        cells[1].number_format = "0.00%"
        cells[2].number_format = "#,##0"
    capital = book.create_sheet("자본적정성")
    capital.append(["구분", "2023년 말", "2024년 9월 말"])
    for row in [("BIS 총자본비율", 0.158, 0.162), ("보통주자본비율(CET1)", 0.131, 0.135),
                ("유동성커버리지비율(LCR)", 0.987, 1.034)]:
        capital.append(list(row))
    for cells in capital.iter_rows(min_row=2, min_col=2, max_col=3):
        for cell in cells:
            cell.number_format = "0.0%"
    book.save(path)


def write_pptx(path):
    """누리바이오's IR deck: a title slide, highlights, and the pipeline as a table."""
    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "누리바이오 2024 기업설명회"
    first.placeholders[1].text = "자가면역·대사질환 신약 개발"
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "2024년 주요 성과"
    body = second.placeholders[1].text_frame
    body.text = "NB-204 글로벌 기술이전 계약금 320억 원 수령"
    body.add_paragraph().text = "오송 생산시설 GMP 인증 획득"
    third = deck.slides.add_slide(deck.slide_layouts[5])
    third.shapes.title.text = "개발 파이프라인"
    rows = [["파이프라인", "적응증", "개발 단계", "기술이전"], ["NB-101", "류마티스 관절염", "임상 3상", "미정"],
            ["NB-204", "비알코올성 지방간염", "임상 2상", "글로벌 제약사(2023년)"], ["NB-310", "고형암", "임상 1상", "미정"]]
    table = third.shapes.add_table(len(rows), 4, Inches(0.5), Inches(2), Inches(9), Inches(2)).table
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    deck.save(path)


def write_csv(path):
    """November 2024 returns by sector, in CP949 as Korean spreadsheet exports are."""
    rows = [["업종", "11월 수익률", "연초 대비 수익률", "외국인 순매수(억원)"], ["반도체", "-4.2%", "12.5%", "-18,240"],
            ["조선", "8.9%", "61.3%", "3,420"], ["은행", "5.1%", "28.7%", "2,950"], ["2차전지", "-11.3%", "-35.8%", "-6,120"],
            ["바이오", "2.4%", "9.1%", "1,080"], ["건설", "-3.5%", "-14.2%", "-870"]]
    text = "\r\n".join(",".join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows) + "\r\n"
    with open(path, "wb") as file:
        file.write(text.encode("cp949"))


def main():
    write_dart(os.path.join(CORPUS, "disclosures", "20240816000456.zip"))
    write_hwp(os.path.join(CORPUS, "disclosures", "nuri-bio-rights-offering.hwp"))
    write_xlsx(os.path.join(CORPUS, "research", "saebom-bank-quarterly.xlsx"))
    write_pptx(os.path.join(CORPUS, "research", "nuri-bio-ir-2024.pptx"))
    write_csv(os.path.join(CORPUS, "market", "sector-returns-2024-11.csv"))


if __name__ == "__main__":
    main()
