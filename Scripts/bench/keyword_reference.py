"""Dev only: what the keyword benchmarks share — korsearch's own terms for texts, and BM25 computed
exhaustively the way SQLite's FTS5 computes bm25() (the reference korsearch's pruned engine must equal)."""
import json
import math
import subprocess


def korsearch_terms(binary, texts):
    """Each text's keyword terms as korsearch derives them (`korsearch terms`, one line a text; line breaks
    inside a text sent as U+001F, which separates terms as a line break does)."""
    lines = [text.replace("\r", "\x1f").replace("\n", "\x1f") for text in texts]
    run = subprocess.run([binary, "terms"], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    return [json.loads(line)["terms"] for line in run.stdout.splitlines()]


def fts5_top(terms, postings, lengths, average, total, k=10):
    """Exhaustive BM25 as FTS5's bm25() computes it (k1 1.2, b 0.75, idf floored at 1e-6), ties by rowid.
    `postings`: term -> {rowid: frequency}; `lengths`: rowid -> terms in the passage."""
    scores = {}
    for term in set(terms):
        hits = postings.get(term)
        if not hits:
            continue
        idf = math.log((total - len(hits) + 0.5) / (len(hits) + 0.5))
        idf = idf if idf > 0 else 1e-6
        for rowid, tf in hits.items():
            # FTS5 counts a term once per query phrase: `a OR a` scores a once.
            scores[rowid] = scores.get(rowid, 0.0) + idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * lengths[rowid] / average))
    return [rowid for rowid, _ in sorted(scores.items(), key=lambda item: (-round(item[1], 9), item[0]))[:k]]
