#!/usr/bin/env python3
"""Dev-only side-by-side: korsearch's keyword ranking against plain BM25 baselines on judged questions, per question.

The baselines read the same text korsearch extracted (the `documents.text` of the index's catalog), so only the
ranking differs, not the readers:
  - bm25s over Hangul bigrams (each whitespace word cut into overlapping two-character pieces, one-character words
    kept whole), over fixed windows of --window characters every --stride characters;
  - bm25s over Kiwi morphemes (kiwipiepy; particles, endings and punctuation left out), same windows.
A question judged by documents (`relevant`) scores the rank of the first window or passage of a relevant document
(documents counted once, as `korsearch eval` counts them); one with an `answer` scores the first that holds the
answer phrase (whitespace ignored). Prints each question's reciprocal rank for the three, then MRR@10, hit@1 and
hit@10.

    korsearch index FOLDER --index DIR            # the folder the qrels judge
    /tmp/venv/bin/python Scripts/bench/keyword_baselines.py --index DIR --qrels FILE [--binary .build/release/korsearch]
Needs bm25s and kiwipiepy (pip).
"""
import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

import bm25s

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_qrels(path):
    questions = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#"):
            questions.append(json.loads(line))
    return questions


def squeeze(text):
    return re.sub(r"\s+", "", text)


def relevant(question, path, text):
    if path not in question["relevant"]:
        return False
    return "answer" not in question or squeeze(question["answer"]) in squeeze(text)


def reciprocal_rank(question, ranked):
    """ranked: (path, text) best first; documents counted once unless judged by answer."""
    seen = set()
    rank = 0
    for path, text in ranked:
        key = path if "answer" not in question else (path, text)
        if key in seen:
            continue
        seen.add(key)
        rank += 1
        if rank > 10:
            break
        if relevant(question, path, text):
            return 1.0 / rank
    return 0.0


WORD = re.compile(r"[0-9A-Za-z가-힣一-鿿]+")


def bigrams(text):
    tokens = []
    for word in WORD.findall(text.lower()):
        tokens += [word] if len(word) == 1 else [word[i:i + 2] for i in range(len(word) - 1)]
    return tokens


def kiwi_tokenizer():
    from kiwipiepy import Kiwi
    kiwi = Kiwi()

    def tokens(text):
        return [token.form.lower() for token in kiwi.tokenize(text) if not token.tag.startswith(("J", "E", "S")) or token.tag in ("SL", "SN", "SH")]
    return tokens


def windows(documents, size, stride):
    result = []
    for path, text in documents:
        start = 0
        while True:
            result.append((path, text[start:start + size]))
            if start + size >= len(text):
                break
            start += stride
    return result


def bm25_rankings(questions, units, tokenize):
    retriever = bm25s.BM25()
    retriever.index([tokenize(text) or ["∅"] for _, text in units], show_progress=False)
    rankings = []
    for question in questions:
        tokens = tokenize(question["query"]) or ["∅"]
        ids, _ = retriever.retrieve([tokens], k=min(200, len(units)), show_progress=False)
        rankings.append([units[i] for i in ids[0]])
    return rankings


def korsearch_rankings(questions, index, binary):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        handle.write("".join(q["query"] + "\n" for q in questions))
    run = subprocess.run([binary, "search", "--queries", handle.name, "--index", index, "--mode", "keyword", "-k", "30", "--json"],
                         capture_output=True, check=True)
    os.remove(handle.name)
    answers = [json.loads(line) for line in run.stdout.decode().splitlines() if line.strip()]
    return [[(hit["path"], hit["text"]) for hit in answer["results"]] for answer in answers]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", required=True)
    parser.add_argument("--qrels", required=True)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "korsearch"))
    parser.add_argument("--window", type=int, default=400)
    parser.add_argument("--stride", type=int, default=200)
    parser.add_argument("--units", choices=["windows", "passages"], default="windows",
                        help="what the baselines rank: fixed windows of the documents' text, or korsearch's own passages")
    args = parser.parse_args()

    questions = load_qrels(args.qrels)
    database = sqlite3.connect(os.path.join(args.index, "catalog.sqlite"))
    documents = list(database.execute("SELECT path, text FROM documents ORDER BY path"))
    if args.units == "windows":
        units = windows(documents, args.window, args.stride)
        described = f"{len(units)} windows of {args.window} characters every {args.stride}"
    else:
        units = list(database.execute("SELECT d.path, c.text FROM chunks c JOIN documents d ON d.id = c.document_id ORDER BY c.id"))
        described = f"korsearch's {len(units)} passages"
    systems = {
        "korsearch keyword": korsearch_rankings(questions, args.index, args.binary),
        "bm25s bigrams": bm25_rankings(questions, units, bigrams),
        "bm25s kiwi": bm25_rankings(questions, units, kiwi_tokenizer()),
    }
    scores = {name: [reciprocal_rank(q, ranking) for q, ranking in zip(questions, rankings)] for name, rankings in systems.items()}
    names = list(systems)
    print(f"{len(questions)} questions over {len(documents)} documents; baselines over {described}")
    print("  ".join(f"{name:>18s}" for name in names) + "  question")
    for index, question in enumerate(questions):
        print("  ".join(f"{scores[name][index]:18.3f}" for name in names) + "  " + question["query"])
    for name in names:
        values = scores[name]
        print(f"{name:18s} MRR@10 {sum(values) / len(values):.3f}  hit@1 {sum(v == 1 for v in values) / len(values):.3f}  "
              f"hit@10 {sum(v > 0 for v in values) / len(values):.3f}")


if __name__ == "__main__":
    sys.exit(main())
