#!/usr/bin/env python3
"""Dev-only: what in korsearch's keyword ranking wins or loses answers, one change at a time.

Ranks judged questions over an index's own passages with an exhaustive BM25 written here, over the terms
`korsearch terms` derives (so the terms are korsearch's own, not a re-implementation), followed by korsearch's
proximity stage, and varies one thing at a time: which terms count (bigrams; whole words and stems, as rules
version 2 added them — the closed list of endings is read from KeywordTerms.swift), the idf (SQLite FTS5's, which
korsearch matches, or Lucene's, which bm25s and tantivy use), k1 and b, the pruning of common query terms, the
proximity stage, the title and section as a second field, and the text a passage is scored by (its own, or with a
margin of its neighbours' text). The first row must reproduce `korsearch search --mode keyword` question by
question (the script checks and says so); every other row is one change from it.

    korsearch index FOLDER --index DIR
    /tmp/venv/bin/python Scripts/bench/keyword_ablations.py --index DIR --qrels FILE [--binary .build/release/korsearch]
"""
import argparse
import collections
import json
import math
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keyword_baselines import ROOT, korsearch_rankings, load_qrels, reciprocal_rank  # noqa: E402

HANGUL = "\uac00-\ud7a3\u3131-\u318e"
HANGUL_RUN = re.compile(f"[{HANGUL}]+")
HAS_HANGUL = re.compile(f"[{HANGUL}]")
# korsearch's tokens (KeywordTerms.tokens): Hangul runs, numbers (`,` dropped, `.` kept between digits), and runs
# of other letters.
TOKEN = re.compile(f"[{HANGUL}]+|[0-9](?:[0-9]|[,.](?=[0-9]))*|[^\\W\\d_{HANGUL}]+")
PROXIMITY_CANDIDATES, PROXIMITY_WEIGHT, PROXIMITY_GAP = 20, 0.25, 3


def korsearch_lines(binary, texts):
    """`korsearch terms`'s answer for each text (line breaks inside a text become a separator korsearch also
    splits on): its terms, and as a query, the terms searched with their weights (the default aliases included)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        handle.write("".join(text.replace("\r", "\x1f").replace("\n", "\x1f") + "\n" for text in texts))
    run = subprocess.run([binary, "terms", "--input", handle.name], capture_output=True, check=True)
    os.remove(handle.name)
    return [json.loads(line) for line in run.stdout.decode().splitlines()]


def korsearch_terms(binary, texts):
    return [line["terms"] for line in korsearch_lines(binary, texts)]


def endings():
    """The closed list of particles and endings, as KeywordTerms.swift writes it, longest first."""
    source = open(os.path.join(ROOT, "Sources", "KorSearchCore", "Keywords", "KeywordTerms.swift"), encoding="utf-8").read()
    block = source[source.index("let particles = ["):source.index("return (particles + endings)")]
    return sorted(set(re.findall(f'"([{HANGUL}]+)"', block)), key=lambda e: (-len(e), e))


def stem(word, list_):
    for ending in list_:
        if len(word) - len(ending) >= 2 and word.endswith(ending):
            return word[:-len(ending)]
    return None


def placed_words(text):
    """korsearch's terms word by word with where they stand (KeywordTerms.placedWords, no dictionary)."""
    words = []
    for match in TOKEN.finditer(text):
        token, start = match.group(), match.start()
        if HAS_HANGUL.match(token):
            words.append([(token, start, start + 1)] if len(token) == 1 else
                         [(token[i:i + 2], start + i, start + i + 2) for i in range(len(token) - 1)])
        elif token[0].isdigit():
            words.append([(token.replace(",", ""), start, match.end())])
        else:
            words.append([(token.lower(), start, match.end())])
    return words


class Terms:
    """Each text's terms split by kind: korsearch's own (`korsearch terms`: Hangul bigrams, numbers, Latin
    words, amounts), and what rules version 2 added — whole Hangul words and their stems."""

    def __init__(self, binary, texts, list_):
        lines = korsearch_lines(binary, texts)
        self.full = [line["terms"] for line in lines]
        self.weights = [line["weights"] for line in lines]
        self.parts = []
        for text, full in zip(texts, self.full):
            runs = [run for run in HANGUL_RUN.findall(text) if len(run) > 1]
            self.parts.append({
                "korsearch": full,
                "words": runs,
                "stems": [s for s in (stem(run, list_) for run in runs) if s],
                # One form of each word: its stem when it has an ending, else the word as written.
                "lemmas": [stem(run, list_) or run for run in runs],
            })

    def of(self, index, kinds=(), minimum_word=2):
        part = self.parts[index]
        terms = list(part["korsearch"])
        for kind in kinds:
            terms += [t for t in part[kind] if len(t) >= minimum_word]
        return terms


def fts5_idf(count, n):
    return max(math.log((count - n + 0.5) / (n + 0.5)), 1e-6)


def proximity_bonus(query_words, passage_words, idf):
    words = [w for w in query_words if w]
    placed = collections.defaultdict(list)
    for word in passage_words:
        for term, start, end in word:
            placed[term].append((start, end))
    total = 0.0
    for first, second in zip(words, words[1:]):
        best = 0.0
        for a in first:
            for b in second:
                for _, end in placed.get(a, []):
                    for start, _ in placed.get(b, []):
                        if 0 <= start - end <= PROXIMITY_GAP:
                            best = max(best, min(idf[a], idf[b]) / (1 + start - end))
        total += best
    return total


def ranking(units_terms, query_weights, query_text, k1=1.2, b=0.75, idf_kind="fts5", prune=True, proximity=None):
    """Units best first: BM25 over the selected query terms, each share times the term's weight, then
    korsearch's proximity stage when `proximity` gives each unit's placed words."""
    count = len(units_terms)
    lengths = [len(terms) for terms in units_terms]
    average = sum(lengths) / count
    frequencies = [collections.Counter(terms) for terms in units_terms]
    df = collections.Counter(term for counts in frequencies for term in counts)
    query = sorted({t for t in query_weights if df[t] > 0}, key=lambda t: (df[t], t))
    if prune:
        selective = [t for t in query if df[t] <= 0.2 * count]
        query = selective or query[:3]
    idf = {t: fts5_idf(count, df[t]) if idf_kind == "fts5" else math.log(1 + (count - df[t] + 0.5) / (df[t] + 0.5)) for t in query}
    scored = []
    for unit, counts in enumerate(frequencies):
        score = sum(query_weights[t] * idf[t] * counts[t] * (k1 + 1) / (counts[t] + k1 * (1 - b + b * lengths[unit] / average))
                    for t in query if counts.get(t))
        if score > 0:
            scored.append([score, unit])
    order = lambda s: (-round(s[0] * 1e9), s[1])  # noqa: E731
    scored.sort(key=order)
    if proximity is not None:
        words = [[t for t, _, _ in word if t in idf] for word in placed_words(query_text)]
        if sum(1 for w in words if w) > 1:
            for entry in scored[:PROXIMITY_CANDIDATES]:
                entry[0] += PROXIMITY_WEIGHT * proximity_bonus(words, proximity[entry[1]], idf)
            scored.sort(key=order)
    return [unit for _, unit in scored]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", required=True)
    parser.add_argument("--qrels", required=True)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "korsearch"))
    args = parser.parse_args()

    questions = load_qrels(args.qrels)
    database = sqlite3.connect(os.path.join(args.index, "catalog.sqlite"))
    documents = dict(database.execute("SELECT id, text FROM documents"))
    passages = list(database.execute(
        "SELECT c.id, d.path, c.document_id, c.start, c.end, c.text, coalesce(d.title, ''), coalesce(c.section, '') "
        "FROM chunks c JOIN documents d ON d.id = c.document_id ORDER BY c.id"))
    list_ = endings()
    asked = Terms(args.binary, [q["query"] for q in questions], list_)
    placed = [placed_words(p[5]) for p in passages]

    def evaluate(units_terms, kinds=(), minimum_word=2, aliases=True, **options):
        """`kinds`: what the queries' terms add to korsearch's (weight 1), as the passages' do; without
        `aliases`, the query's own terms alone (weight 1: no dictionary here)."""
        results = []
        for number, question in enumerate(questions):
            weights = dict(asked.weights[number]) if aliases else {t: 1.0 for t in asked.full[number]}
            for term in asked.of(number, kinds, minimum_word):
                weights.setdefault(term, 1.0)
            ranked = ranking(units_terms, weights, question["query"], **options)
            # Like korsearch: a passage overlapping one already kept from its document is left out.
            kept, hits = collections.defaultdict(list), []
            for unit in ranked:
                _, path, doc, start, end, text = passages[unit][:6]
                if any(start < e and s < end for s, e in kept[doc]):
                    continue
                kept[doc].append((start, end))
                hits.append((path, text))
                if len(hits) == 30:
                    break
            results.append(reciprocal_rank(question, hits))
        return results

    reference = [reciprocal_rank(q, r) for q, r in zip(questions, korsearch_rankings(questions, args.index, args.binary))]
    own = Terms(args.binary, [p[5] for p in passages], list_)
    every = range(len(passages))
    rows = []
    base = evaluate([own.of(i) for i in every], proximity=placed)
    same = sum(abs(x - y) < 1e-9 for x, y in zip(base, reference))
    rows.append(("korsearch's rules (this script)", base))
    rows.append(("korsearch search --mode keyword", reference))
    rows.append(("without the proximity stage", evaluate([own.of(i) for i in every])))
    rows.append(("without the default aliases", evaluate([own.of(i) for i in every], aliases=False, proximity=placed)))
    rows.append(("without the proximity stage and the default aliases", evaluate([own.of(i) for i in every], aliases=False)))
    rows.append(("common query terms kept (no pruning)", evaluate([own.of(i) for i in every], prune=False, proximity=placed)))
    rows.append(("Lucene idf ln(1 + (N-n+.5)/(n+.5))", evaluate([own.of(i) for i in every], idf_kind="lucene", proximity=placed)))
    for name, kinds, minimum in [
        ("+ whole words and stems (rules version 2)", ("words", "stems"), 2), ("+ whole words", ("words",), 2), ("+ stems", ("stems",), 2),
        ("+ lemmas (a word's stem, or the word when it has no ending)", ("lemmas",), 2), ("+ lemmas of 3+ syllables", ("lemmas",), 3),
    ]:
        rows.append((name, evaluate([own.of(i, kinds, minimum) for i in every], kinds, minimum, proximity=placed)))
    for k1 in (0.9, 1.5, 2.0):
        rows.append((f"k1 {k1}", evaluate([own.of(i) for i in every], k1=k1, proximity=placed)))
    for b in (0.3, 0.5, 0.9):
        rows.append((f"b {b}", evaluate([own.of(i) for i in every], b=b, proximity=placed)))
    heads = korsearch_terms(args.binary, [(p[6] + " " + p[7]).strip() for p in passages])
    rows.append(("+ title and section terms (BM25F, both fields weight 1)", evaluate([own.of(i) + heads[i] for i in every], proximity=placed)))
    for margin in (50, 100):
        texts = [documents[doc][max(0, start - margin):end + margin] for _, _, doc, start, end, *_ in passages]
        wide = korsearch_terms(args.binary, texts)
        rows.append((f"scored with {margin} characters of the neighbours' text each side", evaluate(wide, proximity=[placed_words(t) for t in texts])))
    print(f"{len(questions)} questions, {len(passages)} passages; this script reproduces korsearch on {same}/{len(questions)} questions")
    print("| change | MRR@10 | hit@1 | hit@10 |\n|---|---|---|---|")
    for name, scores in rows:
        n = len(scores)
        print(f"| {name} | {sum(scores) / n:.3f} | {sum(s == 1 for s in scores) / n:.3f} | {sum(s > 0 for s in scores) / n:.3f} |")


if __name__ == "__main__":
    sys.exit(main())
