#!/usr/bin/env python3
"""Dev only: korsearch's keyword search side by side with bm25s (a Python/numpy BM25) over the same passages
and the same terms, and korsearch's top 10 checked against an exhaustive BM25 with FTS5's formula.

    python3 -m venv /tmp/fx && /tmp/fx/bin/pip install bm25s numpy
    swift build -c release --product korsearch && swift build -c release --product search-benchmark
    .build/release/search-benchmark --chunks 100000            # builds /tmp/korsearch-bench-index-100000 once
    /tmp/fx/bin/python Scripts/bench/bm25s_benchmark.py --index /tmp/korsearch-bench-index-100000

The passages' and the queries' terms are the ones korsearch derives (`korsearch terms` over the passages'
stored text and over the queries), so both engines see exactly the same tokens. korsearch is timed in
one process (`korsearch search --queries`): the run with all queries minus the run with one, per query, so
process start and index loading are not counted. bm25s is timed over the same queries after indexing. Neither
CI nor the product runs this.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import tempfile
import threading
import time

import bm25s
import numpy as np

from keyword_reference import fts5_top, korsearch_terms

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", required=True)
    parser.add_argument("--korsearch", default=os.path.join(ROOT, ".build", "release", "korsearch"))
    parser.add_argument("--qrels", default=os.path.join(ROOT, "Examples", "eval", "qrels.jsonl"))
    parser.add_argument("--queries", type=int, default=100)
    arguments = parser.parse_args()

    questions = [json.loads(line)["query"] for line in open(arguments.qrels, encoding="utf-8")
                 if line.strip() and not line.lstrip().startswith("#")]
    queries = (questions * (arguments.queries // len(questions) + 1))[: arguments.queries]
    query_terms = korsearch_terms(arguments.korsearch, queries)

    # One pass over the passages' terms: each passage as vocabulary ids (for bm25s; the ids are shared int
    # objects, so a million passages fit), its length, and the postings of the query terms only (for the
    # exhaustive check).
    wanted = {term for terms in query_terms for term in terms}
    catalog = sqlite3.connect(os.path.join(arguments.index, "catalog.sqlite"))
    rowids = [rowid for (rowid,) in catalog.execute("SELECT id FROM chunks ORDER BY id")]
    # The passages' text through `korsearch terms`, a line each: line breaks inside a passage sent as U+001F,
    # which separates terms exactly as a line break does (neither is a space an amount's groups may span).
    terms_process = subprocess.Popen([arguments.korsearch, "terms"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def feed():
        for (text,) in catalog_for_feed.execute("SELECT text FROM chunks ORDER BY id"):
            terms_process.stdin.write(text.replace("\r", "\x1f").replace("\n", "\x1f") + "\n")
        terms_process.stdin.close()

    catalog_for_feed = sqlite3.connect(os.path.join(arguments.index, "catalog.sqlite"), check_same_thread=False)
    feeder = threading.Thread(target=feed)
    feeder.start()
    vocabulary, ids, postings, lengths = {}, [], {}, {}
    for rowid, line in zip(rowids, terms_process.stdout):
        terms = json.loads(line)["terms"]
        ids.append([vocabulary.setdefault(term, len(vocabulary)) for term in terms])
        lengths[rowid] = len(terms)
        for term in terms:
            if term in wanted:
                hits = postings.setdefault(term, {})
                hits[rowid] = hits.get(rowid, 0) + 1
    feeder.join()
    terms_process.wait()
    print(f"{len(ids)} passages, {sum(lengths.values())} terms")

    # korsearch: all queries in one process, minus one query in one process.
    with tempfile.TemporaryDirectory() as folder:
        def timed(lines):
            path = os.path.join(folder, "queries.txt")
            with open(path, "w", encoding="utf-8") as file:
                file.write("\n".join(lines) + "\n")
            start = time.perf_counter()
            run = subprocess.run([arguments.korsearch, "search", "--queries", path, "--index", arguments.index, "--mode", "keyword",
                                  "-k", "10"], capture_output=True, text=True, check=True)
            return time.perf_counter() - start, [json.loads(line) for line in run.stdout.splitlines()]
        timed(queries[:1])  # warm the page cache
        one, _ = min(timed(queries[:1]) for _ in range(3))
        everything, answers = min((timed(queries) for _ in range(3)), key=lambda result: result[0])
    korsearch_ms = (everything - one) / (len(queries) - 1) * 1000

    # bm25s over the same terms (its default scoring, Lucene's BM25: a different idf, so scores differ).
    start = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocabulary), show_progress=False)
    indexing = time.perf_counter() - start
    query_ids = [[vocabulary[term] for term in terms if term in vocabulary] or [0] for terms in query_terms]
    start = time.perf_counter()
    for one_query in query_ids:
        retriever.retrieve(bm25s.tokenization.Tokenized(ids=[one_query], vocab=vocabulary), k=10, show_progress=False, n_threads=1)
    bm25s_ms = (time.perf_counter() - start) / len(query_ids) * 1000

    # korsearch's top 10 against exhaustive BM25 (FTS5's formula) over the terms it queries.
    average = sum(lengths.values()) / len(lengths)
    same = 0
    for answer, terms in zip(answers, query_terms):
        # korsearch leaves out terms found in more than a fifth of all passages (unless nothing rarer is left).
        present = sorted({t for t in terms if t in postings}, key=lambda t: (len(postings[t]), t))
        selective = [t for t in present if len(postings[t]) <= 0.2 * len(ids)] or present[:3]
        expected = fts5_top(selective, postings, lengths, average, len(ids))
        same += [hit["chunk_id"] for hit in answer["results"]] == expected
    print(f"korsearch keyword: {korsearch_ms:.2f} ms per query (in one process, {len(queries)} queries)")
    print(f"bm25s:             {bm25s_ms:.2f} ms per query (indexing {indexing:.1f} s)")
    print(f"ratio: korsearch is {bm25s_ms / korsearch_ms:.2f}x bm25s's speed (above 1: faster)")
    print(f"top 10 equal to exhaustive BM25 (FTS5's formula): {same} of {len(answers)} queries")


if __name__ == "__main__":
    main()
