#!/usr/bin/env python3
"""Dev only: a scanned Korean PDF for the OCR tests — two pages of Korean text written by the team, rendered
with the Nanum Gothic font to grey images (as a scanner gives them: no text layer) and saved as an image-only
PDF with Pillow. The text each page shows is written beside it (`scanned-filing.txt`, pages separated by a form
feed) as the reference for the OCR's character accuracy.

    /tmp/venv/bin/pip install pillow
    /tmp/venv/bin/python Scripts/make_scanned_pdf.py     # writes Tests/Fixtures/documents/scanned-filing.{pdf,txt}
"""
import os

from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "documents")
FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"

PAGES = [
    [
        "주요사항보고서 (자기주식 취득 결정)",
        "한빛전자 주식회사는 이사회 결의로 자기주식을 취득하기로 하였다.",
        "취득 예정 주식은 보통주 1,200,000주이며 취득 예정 금액은 960억 원이다.",
        "취득 기간은 2024년 9월 2일부터 2024년 12월 1일까지이다.",
        "취득 목적은 주가 안정과 주주가치 제고이다.",
    ],
    [
        "서명 및 확인",
        "위 내용은 사실과 다름이 없음을 확인합니다.",
        "대표이사 김한빛 (인)",
        "담당 임원 재무본부장 이정민",
        "연락처 02-3456-7890",
    ],
]


def page(lines, dpi=200):
    width, height = int(8.27 * dpi), int(11.69 * dpi)  # A4, as a scanner gives it
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, int(0.16 * dpi))
    y = int(0.8 * dpi)
    for line in lines:
        draw.text((int(0.8 * dpi), y), line, font=font, fill=0)
        y += int(0.42 * dpi)
    return image


def main():
    images = [page(lines) for lines in PAGES]
    path = os.path.join(OUT, "scanned-filing.pdf")
    images[0].save(path, "PDF", resolution=200, save_all=True, append_images=images[1:])
    with open(os.path.join(OUT, "scanned-filing.txt"), "w", encoding="utf-8") as file:
        file.write("\f".join("\n".join(lines) for lines in PAGES) + "\n")
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
