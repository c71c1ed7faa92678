#!/usr/bin/env python3
"""Dev only: korsearch's keyword and vector search side by side with the engines a user would pick instead —
tantivy (block-max WAND, Rust) for keywords, hnswlib (HNSW, C++) for vectors — on the same passages, the same
terms and the same vectors, in alternating rounds of one run, with recall against exact search for every
vector engine. (korsearch's BM25 top k is the exhaustive one by its randomized tests, KeywordIndexTests; the
proximity stage then reorders the first 20.)

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install tantivy hnswlib numpy
    swift build -c release --product korsearch && swift build -c release --product search-benchmark
    python3 Scripts/bench/make_base_size_model.py /tmp/korsearch-base-random
    .build/release/search-benchmark --model /tmp/korsearch-base-random --chunks 100000   # builds the index once
    /tmp/venv/bin/python Scripts/bench/engines_benchmark.py --chunks 100000 [--rounds 3]

What each engine's time holds, per query, one thread:
- korsearch (`search-benchmark --export`, in one process after loading): `Searcher.search` in keyword or
  vector mode with the query's vector given — the ranking, the 10 hits' passages and documents read from the
  catalog, highlights. Its keyword terms are its own (`korsearch terms`). Also the vector ranking alone
  (`IndexStore.nearest` at the depth 20 a 10-hit search asks for: ids and scores, as hnswlib gives).
- tantivy 0.27 (tantivy-py): the same terms (joined by spaces, whitespace tokenizer), a boolean OR of term
  queries, top 10, and each hit's stored passage text read (`searcher.doc`).
- hnswlib 0.8 (M 16, ef_construction 200; the search list the smallest of 10, 16, 20, 24, 32, 48, 64, 96, 128,
  192, 256 reaching recall@10 0.98): `knn_query` of one vector. It returns ids only; reading 10 passages'
  text would add to its time, not korsearch's.
The vectors are the index's stored ones (float16, as korsearch keeps them) given to hnswlib as float32;
recall for both is against the exact top 10 over those vectors (numpy). Neither CI nor the product runs this.
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import tempfile
import time

import hnswlib
import numpy as np
import tantivy

from keyword_reference import korsearch_terms

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100000)
    parser.add_argument("--index", help="default /tmp/korsearch-bench-index-CHUNKS")
    parser.add_argument("--model", default="/tmp/korsearch-base-random")
    parser.add_argument("--korsearch", default=os.path.join(ROOT, ".build", "release", "korsearch"))
    parser.add_argument("--search-benchmark", default=os.path.join(ROOT, ".build", "release", "search-benchmark"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--recall", type=float, default=0.98)
    parser.add_argument("--work", default="/tmp/korsearch-engines", help="tantivy and hnswlib indexes, kept between runs")
    arguments = parser.parse_args()
    index = arguments.index or f"/tmp/korsearch-bench-index-{arguments.chunks}"
    work = os.path.join(arguments.work, str(arguments.chunks))
    os.makedirs(work, exist_ok=True)

    def korsearch_round():
        with tempfile.NamedTemporaryFile(suffix=".json") as file:
            subprocess.run(
                [arguments.search_benchmark, "--model", arguments.model, "--chunks", str(arguments.chunks), "--index", index,
                 "--export", file.name], check=True, stdout=subprocess.DEVNULL)
            return json.load(open(file.name))

    first = korsearch_round()
    queries = first["queries"]
    query_terms = korsearch_terms(arguments.korsearch, [query["text"] for query in queries])

    # The passages: text and stored vectors from the catalog, terms through `korsearch terms`.
    catalog = sqlite3.connect(os.path.join(index, "catalog.sqlite"))
    dimension = len(queries[0]["vector"])
    rowids, texts, vectors = [], [], []
    for rowid, text, blob in catalog.execute("SELECT id, text, vector FROM chunks ORDER BY id"):
        rowids.append(rowid)
        texts.append(text)
        dtype = np.float16 if len(blob) == 2 * dimension else np.float32
        vectors.append(np.frombuffer(blob, dtype=dtype).astype(np.float32))
    data = np.stack(vectors)
    del vectors
    print(f"{len(rowids)} passages, dimension {dimension}, {len(queries)} queries")

    # The exact vector truth over the stored vectors.
    query_vectors = np.array([query["vector"] for query in queries], dtype=np.float32)
    ids = np.array(rowids, dtype=np.int64)
    truth = [list(ids[np.lexsort((ids, -row))[:10]]) for row in (query_vectors @ data.T)]
    passage_terms = korsearch_terms(arguments.korsearch, texts)

    # tantivy over the same terms, the passage text stored for the hits.
    tantivy_folder = os.path.join(work, "tantivy")
    schema_builder = tantivy.SchemaBuilder()
    schema_builder.add_integer_field("id", stored=True, indexed=False)
    schema_builder.add_text_field("terms", stored=False, tokenizer_name="whitespace", index_option="freq")
    schema_builder.add_text_field("text", stored=True, index_option="basic", tokenizer_name="raw")
    schema = schema_builder.build()
    if not os.path.exists(os.path.join(tantivy_folder, "meta.json")):
        os.makedirs(tantivy_folder, exist_ok=True)
        started = time.time()
        writer = tantivy.Index(schema, path=tantivy_folder).writer(heap_size=1_000_000_000, num_threads=2)
        for rowid, terms, text in zip(rowids, passage_terms, texts):
            writer.add_document(tantivy.Document(id=rowid, terms=" ".join(terms), text=text[:10000]))
        writer.commit()
        writer.wait_merging_threads()
        print(f"tantivy: indexed in {time.time() - started:.1f} s")
    del passage_terms
    searcher_index = tantivy.Index(schema, path=tantivy_folder)
    searcher_index.reload()
    searcher = searcher_index.searcher()
    tantivy_queries = [
        tantivy.Query.boolean_query([(tantivy.Occur.Should, tantivy.Query.term_query(schema, "terms", term)) for term in dict.fromkeys(terms)])
        for terms in query_terms]

    def tantivy_round():
        times, answers = [], []
        for query in tantivy_queries:
            started = time.perf_counter()
            result = searcher.search(query, 10)
            documents = [searcher.doc(address) for _, address in result.hits]
            _ = [document["text"][0] for document in documents]
            times.append((time.perf_counter() - started) * 1000)
            answers.append([document["id"][0] for document in documents])
        return times, answers

    # hnswlib over the same vectors.
    hnsw_path = os.path.join(work, "hnswlib.bin")
    graph = hnswlib.Index(space="ip", dim=dimension)
    if os.path.exists(hnsw_path):
        graph.load_index(hnsw_path, max_elements=len(rowids))
    else:
        started = time.time()
        graph.init_index(max_elements=len(rowids), M=16, ef_construction=200)
        graph.add_items(data, ids, num_threads=2)
        graph.save_index(hnsw_path)
        print(f"hnswlib: built in {time.time() - started:.1f} s")
    graph.set_num_threads(1)

    def recall(answers):
        return sum(len(set(answer) & set(expected)) for answer, expected in zip(answers, truth)) / (10 * len(truth))

    def hnswlib_round(ef):
        graph.set_ef(ef)
        times, answers = [], []
        for vector in query_vectors:
            started = time.perf_counter()
            labels, _ = graph.knn_query(vector.reshape(1, -1), k=10)
            times.append((time.perf_counter() - started) * 1000)
            answers.append([int(label) for label in labels[0]])
        return times, answers

    chosen = None
    for ef in (10, 16, 20, 24, 32, 48, 64, 96, 128, 192, 256):
        if recall(hnswlib_round(ef)[1]) >= arguments.recall:
            chosen = ef
            break
    chosen = chosen or 256
    print(f"hnswlib: ef {chosen} is the smallest reaching recall@10 {arguments.recall}")

    rounds = {"korsearch keyword": [], "tantivy": [], "korsearch vector": [], "korsearch vector ranking": [], "hnswlib": []}
    recalls = {"korsearch vector": [], "hnswlib": []}
    resident = first["residentMiB"]
    for number in range(arguments.rounds):
        run = first if number == 0 else korsearch_round()
        rounds["korsearch keyword"].append(statistics.median(run["milliseconds"]["keyword"]))
        rounds["korsearch vector"].append(statistics.median(run["milliseconds"]["vector"]))
        rounds["korsearch vector ranking"].append(statistics.median(run["milliseconds"]["vector ranking"]))
        recalls["korsearch vector"].append(recall([query["hits"]["vector"] for query in run["queries"]]))
        times, _ = tantivy_round()
        rounds["tantivy"].append(statistics.median(times))
        times, answers = hnswlib_round(chosen)
        rounds["hnswlib"].append(statistics.median(times))
        recalls["hnswlib"].append(recall(answers))

    print(f"\n{len(rowids)} passages, {len(queries)} queries, {arguments.rounds} alternating rounds, p50 ms per round:")
    for name, values in rounds.items():
        extra = ""
        if name in recalls:
            extra = f"  recall@10 {', '.join(f'{value:.3f}' for value in recalls[name])}"
        print(f"  {name:18} {', '.join(f'{value:.3f}' for value in values)}{extra}")
    keyword_ratio = statistics.median(rounds["tantivy"]) / statistics.median(rounds["korsearch keyword"])
    vector_ratio = statistics.median(rounds["korsearch vector"]) / statistics.median(rounds["hnswlib"])
    print(f"keyword: korsearch at {keyword_ratio:.2f}x tantivy's speed (above 1: faster)")
    ranking_ratio = statistics.median(rounds["korsearch vector ranking"]) / statistics.median(rounds["hnswlib"])
    print(f"vector: korsearch's search takes {vector_ratio:.2f}x hnswlib's time (hnswlib ef {chosen}, ids only); "
          f"its ranking alone (ids, depth 20) {ranking_ratio:.2f}x")
    graph_bytes = len(rowids) * (dimension * 4 + 16 * 2 * 4 + 8 + 8)
    print(f"memory: korsearch's open store {resident:.0f} MiB resident; hnswlib's graph and vectors about {graph_bytes / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
