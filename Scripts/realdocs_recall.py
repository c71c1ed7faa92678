#!/usr/bin/env python3
"""Dev-only: how much of each real file korsearch keeps, against an independent reader of the same file.

For every file of ../shared/realdocs (or --realdocs) the reference text comes from a reader korsearch does not
use: pyhwp (`hwp5proc xml`: every Text of the body, tables, captions and boxes included), the HWPX section XML
through lxml, pdfplumber, python-docx, python-pptx, openpyxl (values), lxml over DART's XML. korsearch's text is
the stored text of an index of that folder (documents.text), made beforehand with the CLI:

    .build/debug/korsearch index ../shared/realdocs --index /tmp/realdocs-index \\
        --model Tests/Fixtures/models/mdeberta-tiny-safetensors
    /tmp/venv/bin/python Scripts/realdocs_recall.py --index /tmp/realdocs-index [--markdown]

Per file, with whitespace removed from both texts:
- Hangul recall: of the reference's Hangul syllables (as a multiset), the share korsearch's text holds;
  Hangul precision the converse (a cell repeated over a merged span lowers it);
- size: korsearch's non-space characters over the reference's (the ` | ` between a row's cells, korsearch's
  own markup, not counted);
- cells: of the reference's distinct table cells (leaf cells: a cell holding a table is its rows), the share
  found in korsearch's text; '-' where the reference finds no table or the format has none to compare
  (PDF, whose tables no independent reader recovers as cells);
- sections: passages with a section path over all of the file's passages;
- spaced (PDF): spaces set inside punctuation — before `ㆍ ” ) , .`, after `( “` — per 1,000 characters,
  korsearch's and the reference's.
Totals weigh files by their reference size. Needs pyhwp, six, lxml, pdfplumber, python-docx, python-pptx,
openpyxl (pip).
"""
import argparse
import collections
import os
import re
import sqlite3
import subprocess
import sys
import unicodedata
import zipfile


def squeeze(text):
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text or ""))


SPACED = re.compile(r"(?<=\S) (?=[ㆍ”’)\]」』,.])|(?<=[(“‘\[「『]) (?=\S)")


def spaced(text):
    """Spaces set inside punctuation per 1,000 non-space characters."""
    return 1000 * len(SPACED.findall(text)) / max(1, len(squeeze(text)))


def hangul(text):
    return collections.Counter(c for c in text if "\uac00" <= c <= "\ud7a3")


# --- independent readers: (text, cells) of a file -------------------------------------------------------------

def read_hwp(path):
    from lxml import etree
    xml = subprocess.run([os.path.join(os.path.dirname(sys.executable), "hwp5proc"), "xml", path],
                         capture_output=True, check=True).stdout
    root = etree.fromstring(xml)
    body = root.find("BodyText")
    texts, cells = [], []
    for element in body.iter():
        if element.tag == "Text" and element.text:
            # Page headers and footers are left out by korsearch's rule (stated in Documents.md); so here.
            if not any(a.tag in ("Header", "Footer") for a in element.iterancestors()):
                texts.append(element.text)
        if element.tag == "TableCell" and element.find(".//TableControl") is None:
            cells.append("".join(t.text or "" for t in element.iter("Text")))
    return "\n".join(texts), cells


def read_hwpx(path):
    from lxml import etree
    texts, cells = [], []
    with zipfile.ZipFile(path) as archive:
        names = sorted((n for n in archive.namelist() if re.match(r"Contents/section\d+\.xml$", n)),
                       key=lambda n: int(re.findall(r"\d+", n)[-1]))
        for name in names:
            root = etree.fromstring(archive.read(name))
            for element in root.iter():
                tag = etree.QName(element).localname
                if tag == "t":
                    if not any(etree.QName(a).localname in ("header", "footer") for a in element.iterancestors()):
                        texts.append("".join(element.itertext()))
                elif tag == "tc" and not any(etree.QName(d).localname == "tbl" for d in element.iterdescendants()):
                    cells.append("".join("".join(t.itertext()) for t in element.iter()
                                         if etree.QName(t).localname == "t"))
    return "\n".join(texts), cells


def read_docx(path):
    import docx
    document = docx.Document(path)
    texts, cells = [], []

    def table_cells(table):
        for row in table.rows:
            for cell in row.cells:
                if cell.tables:
                    texts.extend(p.text for p in cell.paragraphs)
                    for inner in cell.tables:
                        table_cells(inner)
                else:
                    cells.append(cell.text)
                    texts.append(cell.text)

    for paragraph in document.paragraphs:
        texts.append(paragraph.text)
    for table in document.tables:
        table_cells(table)
    return "\n".join(texts), cells


def read_pptx(path):
    import pptx
    texts, cells = [], []

    def shapes(group):
        for shape in group:
            if shape.shape_type == 6:  # group
                shapes(shape.shapes)
            if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                for row in shape.table.rows:
                    for cell in row.cells:
                        cells.append(cell.text)
                        texts.append(cell.text)

    for slide in pptx.Presentation(path).slides:
        shapes(slide.shapes)
    return "\n".join(texts), cells


def read_xlsx(path):
    import openpyxl
    texts, cells = [], []
    for sheet in openpyxl.load_workbook(path, data_only=True, read_only=True).worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if value is None:
                    continue
                text = str(value)
                if isinstance(value, float) and value.is_integer():
                    text = str(int(value))
                texts.append(text)
                cells.append(text)
    return "\n".join(texts), cells


def read_pdf(path):
    import pdfplumber
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages), []


def read_dart(path):
    from lxml import etree
    root = etree.parse(path, etree.XMLParser(recover=True, huge_tree=True)).getroot()
    cells = ["".join(td.itertext()) for td in root.iter() if isinstance(td.tag, str) and td.tag.upper() in ("TD", "TU", "TE", "TH")]
    return "\n".join(root.itertext()), cells


READERS = {".hwp": read_hwp, ".hwpx": read_hwpx, ".docx": read_docx, ".pptx": read_pptx, ".xlsx": read_xlsx,
           ".pdf": read_pdf, ".xml": read_dart}


def number_key(cell):
    """A cell as digits when it is a number (korsearch writes numbers as the sheet shows them: 1,234.5)."""
    plain = cell.replace(",", "")
    return re.sub(r"\.0+$", "", plain) if re.fullmatch(r"-?\d+(\.\d+)?", plain) else None


def cell_recall(cells, ours):
    distinct = {squeeze(c) for c in cells if squeeze(c)}
    if not distinct:
        return None
    # Numbers as digits: thousands separators out, accounting negatives `(81)` as -81.
    bare = re.sub(r"\((\d[\d.]*)\)", r"-\1", ours.replace(",", ""))
    found = sum(1 for c in distinct if c in ours or (number_key(c) is not None and number_key(c) in bare))
    return found / len(distinct)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", required=True, help="an index of the real files' folder (catalog.sqlite)")
    parser.add_argument("--realdocs", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "realdocs"))
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    database = sqlite3.connect(os.path.join(args.index, "catalog.sqlite"))
    stored = {path: (identifier, text) for identifier, path, text in database.execute("SELECT id, path, text FROM documents")}
    skipped = dict(database.execute("SELECT path, reason FROM skipped"))
    rows, totals = [], collections.Counter()
    for folder in sorted(os.listdir(args.realdocs)):
        directory = os.path.join(args.realdocs, folder)
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            reader = READERS.get(os.path.splitext(name)[1].lower())
            if reader is None:
                continue
            relative = f"{folder}/{name}"
            reference, cells = reader(os.path.join(directory, name))
            identifier, text = stored.get(relative, (None, ""))
            ours, theirs = squeeze(text.replace(" | ", " ")), squeeze(reference)
            mine, refs = hangul(ours), hangul(theirs)
            common = sum((mine & refs).values())
            passages = sections = 0
            if identifier is not None:
                passages, sections = database.execute(
                    "SELECT count(*), count(section) FROM chunks WHERE document_id = ?", (identifier,)).fetchone()
            row = {
                "file": relative,
                "hangul": sum(refs.values()),
                "recall": common / sum(refs.values()) if refs else None,
                "precision": common / sum(mine.values()) if mine else None,
                "size": len(ours) / len(theirs) if theirs else None,
                "cells": cell_recall(cells, ours) if folder != "pdf" else None,
                "passages": passages, "sections": sections,
                "spaced": f"{spaced(text):.1f}/{spaced(reference):.1f}" if folder == "pdf" else "",
                "note": skipped.get(relative, ""),
            }
            rows.append(row)
            totals["refs"] += sum(refs.values()); totals["mine"] += sum(mine.values()); totals["common"] += common
            totals["ours"] += len(ours); totals["theirs"] += len(theirs)
            totals["passages"] += passages; totals["sections"] += sections

    def figure(value):
        return "-" if value is None else f"{value:.3f}"

    header = ["file", "Hangul", "recall", "precision", "size", "cells", "spaced", "sections"]
    lines = []
    for row in rows:
        section_share = f"{row['sections']}/{row['passages']}"
        values = [row["file"], str(row["hangul"]), figure(row["recall"]), figure(row["precision"]), figure(row["size"]),
                  figure(row["cells"]), row["spaced"], section_share + (f" ({row['note']})" if row["note"] else "")]
        lines.append(values)
    total = ["all", str(totals["refs"]), figure(totals["common"] / totals["refs"]),
             figure(totals["common"] / totals["mine"]), figure(totals["ours"] / totals["theirs"]), "", "",
             f"{totals['sections']}/{totals['passages']} = {totals['sections'] / max(1, totals['passages']):.3f}"]
    lines.append(total)
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for values in lines:
            print("| " + " | ".join(values) + " |")
    else:
        for values in [header] + lines:
            print("  ".join(values))


if __name__ == "__main__":
    sys.exit(main())
