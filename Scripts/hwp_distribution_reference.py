#!/usr/bin/env python3
"""Dev-only: korsearch's text of HWP distribution documents (배포용 문서) beside pyhwp's, an independent reader.

For each file: pyhwp's text (`hwp5txt`, which writes each table as `<표>`) cut at its tables, and korsearch's
stored text (from an index of the files' folder), both with whitespace removed: each of pyhwp's pieces must be
found in korsearch's text in order (korsearch's holds the tables' text besides). Then the SHA-256 of pyhwp's
whitespace-free text without the placeholders, which the test (`HWPReaderTests`) holds the text of korsearch's
non-table blocks to. Prints one line a file.

    korsearch index FOLDER --index DIR        # a folder holding the distribution documents
    /tmp/venv/bin/python Scripts/hwp_distribution_reference.py --index DIR FILE.hwp...
Needs pyhwp, six and cryptography (pip).
"""
import argparse
import hashlib
import os
import re
import sqlite3
import subprocess
import sys


def squeeze(text):
    return re.sub(r"\s+", "", text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    database = sqlite3.connect(os.path.join(args.index, "catalog.sqlite"))
    hwp5txt = os.path.join(os.path.dirname(sys.executable), "hwp5txt")
    for path in args.files:
        text = subprocess.run([hwp5txt, path], capture_output=True, check=True).stdout.decode("utf-8")
        pieces = [squeeze(piece) for piece in text.split("<표>") if squeeze(piece)]
        row = database.execute("SELECT text FROM documents WHERE path LIKE ?", ("%" + os.path.basename(path),)).fetchone()
        ours = squeeze(row[0] if row else "")
        found, at = 0, 0
        for piece in pieces:
            where = ours.find(piece, at)
            if where < 0:
                break
            found, at = found + 1, where + len(piece)
        reference = "".join(pieces)
        print(f"{os.path.basename(path)}: pyhwp's {len(reference)} characters in {len(pieces)} pieces between tables, "
              f"{found} found in order in korsearch's {len(ours)}; pyhwp sha256 {hashlib.sha256(reference.encode('utf-8')).hexdigest()}")


if __name__ == "__main__":
    sys.exit(main())
