#!/usr/bin/env python3
"""Dev-only: writes the sample documents of Examples/corpus that are not plain UTF-8 text — a CP949 text file,
two .docx and two .pdf files — from team-written Korean text below. Needs python-docx and reportlab (PyPI)
and a Korean TrueType font (Debian: fonts-nanum). Outputs are committed; nothing at run time needs them.

    /tmp/ref/bin/pip install python-docx reportlab && apt-get install fonts-nanum
    /tmp/ref/bin/python Scripts/make_examples.py
"""
import os

from docx import Document
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Examples", "corpus")
FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"

DIVIDEND = """현금ㆍ현물배당 결정 (한빛전자㈜)

1. 배당 구분: 결산배당
2. 배당 종류: 현금배당
3. 1주당 배당금: 보통주 1,444원
4. 시가배당률: 보통주 1.6%
5. 배당금 총액: 2,310억 원
6. 배당 기준일: 2024. 12. 31.
7. 이사회 결의일: 2025. 2. 6.

기타 투자 판단에 참고할 사항
회사는 중기 주주환원 정책에 따라 연결 기준 잉여현금흐름의 50%를 배당과 자기주식 매입으로 환원한다. 이번 결산배당으로 연간 배당성향은 25.3%가 된다. 배당금은 주주총회 승인 후 1개월 이내에 지급할 예정이다.
"""

DEPOSIT = [
    ("새봄은행 정기예금 상품설명서", "title"),
    ("상품 개요", "heading"),
    ("새봄 정기예금은 목돈을 일정 기간 맡기고 만기에 원금과 이자를 받는 거치식 예금입니다. 가입 기간은 1개월 이상 36개월 이하이며, 가입 금액은 100만 원 이상입니다.", "p"),
    ("금리", "heading"),
    ("12개월 만기 기본금리는 연 3.30%입니다. 급여이체 실적이 있거나 새봄카드 이용 실적이 월 30만 원 이상이면 연 0.20%포인트의 우대금리를 더합니다. 우대금리를 포함한 최고 금리는 연 3.50%입니다.", "p"),
    ("중도해지 시 적용 금리는 예치 기간에 따라 기본금리의 10~50%이며, 만기 후 이율은 만기 후 1개월 이내 기본금리의 50%, 1개월 초과 시 연 0.10%입니다.", "p"),
    ("예금자보호", "heading"),
    ("이 예금은 예금자보호법에 따라 원금과 소정의 이자를 합하여 1인당 최고 5천만 원까지 보호됩니다. 보호 한도를 넘는 금액은 보호되지 않습니다.", "p"),
    ("세금", "heading"),
    ("이자소득에는 15.4%의 이자소득세(지방소득세 포함)가 원천징수됩니다. 비과세종합저축으로 가입하면 자격 요건에 따라 비과세 혜택을 받을 수 있습니다.", "p"),
]

INSURANCE = [
    ("무배당 새봄 종신보험 약관 발췌", "title"),
    ("제30조 (해지환급금)", "heading"),
    ("① 회사는 계약자가 계약을 해지하는 경우 이 약관에서 정한 해지환급금을 계약자에게 지급합니다.", "p"),
    ("② 해지환급금은 보험료 납입기간 중에는 적립금에서 해지공제액을 뺀 금액으로 하며, 납입기간이 지난 후에는 적립금 전액으로 합니다.", "p"),
    ("③ 보험료 납입기간 중 해지하는 경우 해지환급금은 이미 낸 보험료보다 적거나 없을 수 있습니다.", "p"),
    ("제31조 (보험계약대출)", "heading"),
    ("① 계약자는 해지환급금의 범위 내에서 회사가 정한 방법에 따라 대출을 받을 수 있습니다. 대출 이율은 적립금 부리이율에 1.5%포인트를 더한 이율로 합니다.", "p"),
    ("② 계약자는 대출금과 이자를 언제든지 갚을 수 있으며, 갚지 않은 대출원리금은 보험금이나 해지환급금에서 차감합니다.", "p"),
    ("제32조 (청약의 철회)", "heading"),
    ("계약자는 보험증권을 받은 날부터 15일 이내에 청약을 철회할 수 있습니다. 다만 청약한 날부터 30일이 지나면 철회할 수 없습니다.", "p"),
]

ELS_PAGES = [
    ["주가연계증권(ELS) 투자설명서 요약", "새봄증권 제1234회 ELS (원금비보장형)", "",
     "기초자산: 코스피200 지수, S&P500 지수, 유로스톡스50 지수",
     "만기: 3년 (6개월마다 조기상환 평가)",
     "조기상환 조건: 각 평가일에 세 기초자산 모두 최초 기준가격의",
     "90%(6개월), 90%(12개월), 85%(18개월), 85%(24개월), 80%(30개월) 이상이면",
     "연 7.2%의 수익률로 조기상환됩니다.", "", "- 1 -"],
    ["손실 위험", "",
     "만기 평가일에 하나의 기초자산이라도 최초 기준가격의 50% 미만으로 하락한 적이 있고,",
     "만기 평가가격이 최초 기준가격의 80% 미만이면 원금 손실이 발생합니다.",
     "이 경우 손실률은 가장 많이 하락한 기초자산의 하락률과 같으며,",
     "최대 100%의 원금 손실이 발생할 수 있습니다.", "",
     "이 상품은 예금자보호법에 따라 보호되지 않습니다.",
     "투자자는 중도상환 시 기준가격의 95% 수준으로 상환받아 손실을 볼 수 있습니다.", "", "- 2 -"],
]

SEMICONDUCTOR_PAGES = [
    ["리서치 노트: 반도체 업황 전망", "",
     "메모리 반도체 가격은 4분기에도 상승세를 이어갈 전망이다. D램 고정거래가격은",
     "3분기 대비 8~13% 오를 것으로 예상되며, 특히 서버용 고대역폭 메모리(HBM)의",
     "공급 부족이 2025년 상반기까지 이어질 것으로 본다.", "",
     "낸드플래시는 기업용 SSD 수요 증가로 재고가 빠르게 정상화되고 있다.",
     "다만 스마트폰과 PC 수요 회복은 예상보다 더디다.", "", "- 1 -"],
    ["투자 전략", "",
     "HBM 공급망에 속한 장비와 소재 업체를 선호한다. 전공정 장비 투자는",
     "2025년 전년 대비 15% 증가할 것으로 추정한다.", "",
     "위험 요인은 미국의 대중국 수출 통제 강화와 환율 변동이다.",
     "원/달러 환율이 하락하면 수출 비중이 높은 업체의 원화 환산 이익이 줄어든다.", "", "- 2 -"],
]


def write_docx(path, blocks, title):
    document = Document()
    document.core_properties.title = title
    for text, kind in blocks:
        if kind == "title":
            document.add_heading(text, level=0)
        elif kind == "heading":
            document.add_heading(text, level=1)
        else:
            document.add_paragraph(text)
    document.save(path)


def write_pdf(path, pages, title):
    pdfmetrics.registerFont(TTFont("NanumGothic", FONT))
    sheet = canvas.Canvas(path, pagesize=A4)
    sheet.setTitle(title)
    width, height = A4
    for lines in pages:
        sheet.setFont("NanumGothic", 11)
        y = height - 72
        for line in lines:
            if line.startswith("- ") and line.endswith(" -"):
                sheet.drawCentredString(width / 2, 40, line)  # the page number, as printed reports have it
                continue
            sheet.drawString(60, y, line)
            y -= 18
        sheet.showPage()
    sheet.save()


def main():
    with open(os.path.join(CORPUS, "disclosures", "hanbit-dividend-cp949.txt"), "wb") as handle:
        handle.write(DIVIDEND.encode("cp949"))
    os.makedirs(os.path.join(CORPUS, "products"), exist_ok=True)
    write_docx(os.path.join(CORPUS, "products", "saebom-term-deposit.docx"), DEPOSIT, "새봄은행 정기예금 상품설명서")
    write_docx(os.path.join(CORPUS, "products", "saebom-life-insurance-terms.docx"), INSURANCE, "무배당 새봄 종신보험 약관 발췌")
    write_pdf(os.path.join(CORPUS, "products", "els-1234-prospectus.pdf"), ELS_PAGES, "ELS 투자설명서 요약")
    write_pdf(os.path.join(CORPUS, "research", "semiconductor-outlook.pdf"), SEMICONDUCTOR_PAGES, "반도체 업황 전망")


if __name__ == "__main__":
    main()
