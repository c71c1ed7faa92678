#!/usr/bin/env python3
"""Hostile files against the readers' budgets: each case of the robustness issue (#31) written beside one good
file, indexed by a real `korsearch index` process under `/usr/bin/time -v` with a timeout, then the good file
searched for. Prints one line a case: exit status, seconds, peak resident memory, whether the good file is
searchable, and what the run said of the hostile file.

Dev only (Python's zipfile and zlib write the files; olefile reads the HWP fixture's streams). Usage:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install olefile
    swift build -c release --product korsearch
    /tmp/venv/bin/python Scripts/bench/hostile_files.py [--korsearch .build/release/korsearch] [--timeout 180] [CASE ...]

The files are large (up to 250 MB) and written under /tmp/korsearch-hostile, removed case by case.
"""
import argparse
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "documents")
MODEL = os.path.join(ROOT, "Tests", "Fixtures", "models", "mdeberta-tiny-safetensors")
WORK = "/tmp/korsearch-hostile"
GOOD = "배당성향은 삼십이 퍼센트로 정했다. 고유검색어 청람도원 을 찾는 시험 문장이다."


def html_spans(folder, dart=False):
    """A table whose first row is 8 cells of colspan=65535 rowspan=65535, over 10,000 rows."""
    cell = "TD" if dart else "td"
    head = "".join(f'<{cell} colspan="65535" rowspan="65535">병합{i}</{cell}>' for i in range(8))
    rows = "".join(f"<tr><{cell}>행{r}</{cell}><{cell}>{r * 7}</{cell}></tr>" for r in range(10_000))
    table = f"<table><tr>{head}</tr>{rows}</table>"
    if dart:
        write(folder, "spans.xml", dart_document(table))
    else:
        write(folder, "spans.html", f"<html><body><p>표</p>{table}</body></html>")


def dart_document(body):
    return ('<?xml version="1.0" encoding="utf-8"?><DOCUMENT><DOCUMENT-NAME ACODE="11011">사업보고서</DOCUMENT-NAME>'
            f'<COMPANY-NAME AREGCIK="00000001">시험전자</COMPANY-NAME><BODY>{body}</BODY></DOCUMENT>')


def pptx_spans(folder):
    """The deck fixture with its table replaced by 8 cells of gridSpan=rowSpan=65535 over 2,000 rows."""
    head = "".join(f'<a:tc gridSpan="65535" rowSpan="65535"><a:txBody><a:p><a:r><a:t>병합{i}</a:t></a:r></a:p></a:txBody></a:tc>'
                   for i in range(8))
    rows = "".join(f'<a:tr h="1"><a:tc><a:txBody><a:p><a:r><a:t>행{r}</a:t></a:r></a:p></a:txBody></a:tc></a:tr>'
                   for r in range(2_000))
    table = f'<a:tbl><a:tr h="1">{head}</a:tr>{rows}</a:tbl>'
    replace_entries(os.path.join(FIXTURES, "ir-deck.pptx"), os.path.join(folder, "spans.pptx"),
                    {"ppt/slides/slide3.xml": lambda xml: re.sub(rb"<a:tbl>.*</a:tbl>", table.encode(), xml, flags=re.S)})


def xlsx_merge(folder):
    """The workbook fixture with `mergeCell ref="A1:ALL1048576"` added to its first sheet."""
    replace_entries(os.path.join(FIXTURES, "financials.xlsx"), os.path.join(folder, "merge.xlsx"),
                    {"xl/worksheets/sheet1.xml": lambda xml: xml.replace(
                        b'<mergeCells count="3">', b'<mergeCells count="4"><mergeCell ref="A1:ALL1048576"/>')})


def xlsx_wide(folder):
    """A sheet of 30 rows of 100,000 numeric cells (no cell references)."""
    row = "".join(f"<c><v>{c}</v></c>" for c in range(100_000))
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + "".join(f'<row r="{r + 1}">{row}</row>' for r in range(30)) + "</sheetData></worksheet>")
    replace_entries(os.path.join(FIXTURES, "financials.xlsx"), os.path.join(folder, "wide.xlsx"),
                    {"xl/worksheets/sheet1.xml": lambda _: sheet.encode()})


def csv_padding(folder):
    """One 200,000-column row, then 2,000 short rows."""
    lines = [",".join(f"c{i}" for i in range(200_000))] + [f"행{r},{r}" for r in range(2_000)]
    write(folder, "padding.csv", "\n".join(lines) + "\n")


def csv_long_line(folder):
    """One 250 MB line."""
    with open(os.path.join(folder, "line.csv"), "wb") as out:
        chunk = b"x" * (1 << 20)
        for _ in range(250):
            out.write(chunk)
        out.write(b"\n")


def csv_million_columns(folder):
    """One row of 1,000,000 columns, and a second of the same."""
    row = ",".join(str(i) for i in range(1_000_000))
    write(folder, "columns.csv", row + "\n" + row + "\n")


def dart_sections(folder):
    """12,000 nested SECTIONs, each with a title."""
    depth = 12_000
    body = "".join(f"<SECTION-{min(i + 1, 3)}><TITLE>제{i}절</TITLE><P>본문 {i}</P>" for i in range(depth))
    body += "".join(f"</SECTION-{min(i + 1, 3)}>" for i in reversed(range(depth)))
    write(folder, "sections.xml", dart_document(body))


def nested_tables(folder):
    """50,000 tables each inside the last one's cell."""
    depth = 50_000
    body = "<table><tr><td>안쪽 " * depth + "중심" + "</td></tr></table>" * depth
    write(folder, "nested.html", f"<html><body>{body}</body></html>")


def dart_entries(folder):
    """A DART zip of 100,000 entries (one real document among them)."""
    path = os.path.join(folder, "20240814000999.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("20240814000999.xml", dart_document("<P>시험 본문</P>"))
        for i in range(100_000):
            archive.writestr(f"20240814000999_{i:05d}.xml", "<x/>")


def dart_big_text(folder):
    """A DART zip whose document inflates to 250 MB of text (inside the 256 MiB budget)."""
    path = os.path.join(folder, "20240814000998.zip")
    paragraph = "<P>" + "한빛전자의 매출은 증가했다. " * 20 + "</P>"
    head = dart_document("").split("<BODY>")[0] + "<BODY>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("20240814000998.xml", "w", force_zip64=True) as entry:
            entry.write(head.encode())
            block = (paragraph * 1000).encode()
            written = 0
            while written < 250_000_000:
                entry.write(block)
                written += len(block)
            entry.write(b"</BODY></DOCUMENT>")


def hwp_document(folder, name, patch):
    """The HWP fixture (report.hwp) with its Section0 records changed by `patch`, written again as an OLE
    compound file."""
    import olefile
    ole = olefile.OleFileIO(os.path.join(FIXTURES, "report.hwp"))
    streams = {"/".join(entry): ole.openstream(entry).read() for entry in ole.listdir()}
    ole.close()
    section = zlib.decompressobj(-15).decompress(streams["BodyText/Section0"])
    section = patch(section)
    compressed = zlib.compressobj(6, zlib.DEFLATED, -15)
    section0 = compressed.compress(section) + compressed.flush()
    write_bytes(folder, name, compound_file({"FileHeader": streams["FileHeader"], "DocInfo": streams["DocInfo"],
                                            "BodyText": {"Section0": section0}}))


def compound_file(tree):
    """An OLE compound file (CFB version 3, 512-byte sectors) of `tree` (name -> bytes, or name -> subtree for a
    storage). Every stream is padded to the 4,096-byte mini-stream cutoff so that none goes to the mini stream
    (HWP readers read a stream's records and ignore what follows them). Written here because the writers at hand
    (hwp-converter-ai's) cut streams past 16 KiB."""
    end, free, fat_mark = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    sectors, fat, entries = [], [], []

    def add_stream(data):
        data = data.ljust(max(4096, -(-len(data) // 512) * 512), b"\0")
        first = len(sectors)
        for at in range(0, len(data), 512):
            sectors.append(data[at:at + 512])
            fat.append(len(sectors) if at + 512 < len(data) else end)
        return first, len(data)

    def order(name):
        return (len(name), name.upper())

    def add_entries(children):
        """Directory entries of `children`, chained as right siblings in CFB order; the index of the first."""
        indices = []
        for name in sorted(children, key=order):
            index = len(entries)
            entries.append(None)
            value = children[name]
            if isinstance(value, dict):
                entries[index] = [name, 1, free, free, add_entries(value), end, 0]
            else:
                start, size = add_stream(value)
                entries[index] = [name, 2, free, free, free, start, size]
            indices.append(index)
        for left, right in zip(indices, indices[1:]):
            entries[left][3] = right
        return indices[0] if indices else free

    entries.append(["Root Entry", 5, free, free, free, end, 0])
    entries[0][4] = add_entries(tree)
    directory = b""
    for name, kind, left, right, child, start, size in entries:
        encoded = name.encode("utf-16-le") + b"\0\0"
        directory += (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
                      + struct.pack("<III", left, right, child) + b"\0" * 36 + struct.pack("<IQ", start, size))
    directory = directory.ljust(-(-len(directory) // 512) * 512, b"\0")
    first_directory = len(sectors)
    for at in range(0, len(directory), 512):
        sectors.append(directory[at:at + 512])
        fat.append(len(sectors) if at + 512 < len(directory) else end)
    fat_count = 1
    while (len(fat) + fat_count) > fat_count * 128:
        fat_count += 1
    assert fat_count <= 109, "too large for a header-only DIFAT"
    fat_sectors = list(range(len(sectors), len(sectors) + fat_count))
    fat += [fat_mark] * fat_count
    fat += [free] * (fat_count * 128 - len(fat))
    table = struct.pack(f"<{len(fat)}I", *fat)
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, fat_count, first_directory, 0, 4096, end, 0, end, 0)
              + struct.pack("<109I", *(fat_sectors + [free] * (109 - fat_count))))
    return header + b"".join(sectors) + table


def records(data):
    """(tag, level, record start, payload start, payload end) of each record of an HWP stream."""
    at = 0
    while at + 4 <= len(data):
        header = struct.unpack_from("<I", data, at)[0]
        start = at
        size, at = header >> 20, at + 4
        if size == 0xFFF:
            size, at = struct.unpack_from("<I", data, at)[0], at + 4
        yield header & 0x3FF, (header >> 10) & 0x3FF, start, at, at + size
        at += size


def hwp_spans(folder):
    """The fixture's table grown to 2,000 rows (its last row's cells copied), the first row's cells spanning
    65,535 columns and rows."""
    def patch(section):
        found = list(records(section))
        lists = [i for i, record in enumerate(found) if record[0] == 72]  # LIST_HEADER: one a cell
        table_level = found[lists[0]][1] - 1
        end = next((i for i in range(lists[-1] + 1, len(found)) if found[i][1] <= table_level), len(found))
        bounds = [found[i][2] for i in lists] + [found[end][2] if end < len(found) else len(section)]
        cells = [bytearray(section[bounds[i]:bounds[i + 1]]) for i in range(len(lists))]
        offset = found[lists[0]][3] - found[lists[0]][2]  # header bytes before the payload
        last_row = max(struct.unpack_from("<H", cell, offset + 10)[0] for cell in cells)
        for cell in cells:
            if struct.unpack_from("<H", cell, offset + 10)[0] == 0:
                struct.pack_into("<HH", cell, offset + 12, 65535, 65535)
        body = b"".join(cells)
        template = [cell for cell in cells if struct.unpack_from("<H", cell, offset + 10)[0] == last_row]
        for row in range(last_row + 1, 2_000):
            for cell in template:
                copy = bytearray(cell)
                struct.pack_into("<H", copy, offset + 10, row)
                body += copy
        return section[:bounds[0]] + body + section[bounds[-1]:]
    hwp_document(folder, "spans.hwp", patch)


def hwp_big_stream(folder):
    """An HWP whose section inflates to 200 MB: a paragraph of text (one without controls) repeated."""
    def patch(section):
        found = list(records(section))
        starts = [i for i, record in enumerate(found) if record[0] == 66 and record[1] == 0] + [len(found)]
        for first, end in zip(starts, starts[1:]):
            tags = [record[0] for record in found[first:end]]
            if 67 in tags and 71 not in tags:
                break
        paragraph = section[found[first][2]:found[end - 1][4]]
        return section + paragraph * (200_000_000 // len(paragraph))
    hwp_document(folder, "stream.hwp", patch)


CASES = {
    "html-spans": html_spans,
    "dart-spans": lambda folder: html_spans(folder, dart=True),
    "pptx-spans": pptx_spans,
    "hwp-spans": hwp_spans,
    "xlsx-merge": xlsx_merge,
    "xlsx-wide": xlsx_wide,
    "csv-padding": csv_padding,
    "csv-long-line": csv_long_line,
    "dart-sections": dart_sections,
    "nested-tables": nested_tables,
    "dart-entries": dart_entries,
    "dart-big-text": dart_big_text,
    "hwp-big-stream": hwp_big_stream,
    "csv-million-columns": csv_million_columns,
}


def write(folder, name, text):
    write_bytes(folder, name, text.encode("utf-8"))


def write_bytes(folder, name, data):
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def replace_entries(source, target, changes):
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename in changes:
                data = changes[item.filename](data)
            copy.writestr(item.filename, data)


def run(korsearch, name, timeout):
    folder = os.path.join(WORK, name)
    index = folder + ".index"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)
    os.makedirs(folder)
    CASES[name](folder)
    write(folder, "good.txt", GOOD)
    size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    started = time.time()
    command = ["/usr/bin/time", "-v", korsearch, "index", folder, "--index", index, "--model", MODEL]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
        status = str(process.returncode)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)  # korsearch too, not only /usr/bin/time
        out, err = process.communicate()
        status = "timeout"
    seconds = time.time() - started
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err or "")
    found = subprocess.run([korsearch, "search", "청람도원", "--index", index, "--mode", "keyword"],
                           capture_output=True, text=True, timeout=120)
    searchable = "good.txt" in found.stdout
    said = [line for line in (out or "").splitlines() if line.startswith(("skipped", "trimmed"))]
    said += [line for line in (err or "").splitlines() if "error" in line.lower()][:1]
    print(f"| {name} | {size / 1e6:.1f} MB | {status} | {seconds:.1f} s | "
          f"{int(peak.group(1)) / 1024:.0f} MB | {'yes' if searchable else 'NO'} | "
          f"{'; '.join(said)[:160] or '(read)'} |" if peak else
          f"| {name} | {size / 1e6:.1f} MB | {status} | {seconds:.1f} s | ? | {'yes' if searchable else 'NO'} | {'; '.join(said)[:160]} |",
          flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--korsearch", default=os.path.join(ROOT, ".build", "release", "korsearch"))
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    os.makedirs(WORK, exist_ok=True)
    print("| case | files | exit | time | peak RSS | good file found | what the run said |")
    print("|---|---|---|---|---|---|---|")
    for name in args.cases:
        run(args.korsearch, name, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
