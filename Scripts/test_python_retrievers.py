#!/usr/bin/env python3
"""Dev only: checks the LangChain and LlamaIndex retrievers of Examples/python against a real `korsearch serve`
over the sample corpus — the same passages, in the same order, as `korsearch search --json`, with their
citation metadata; filters passed through; a server error raised with its message.

    python3 -m venv /tmp/fx && /tmp/fx/bin/pip install langchain-core llama-index-core
    swift build && /tmp/fx/bin/python Scripts/test_python_retrievers.py [--korsearch .build/debug/korsearch]

Builds an index of Examples/corpus with the tiny test model in a temporary folder, serves it on a free
loopback port, and stops it at the end. Exits non-zero on the first mismatch.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Examples", "python"))

from korsearch_client import KorSearchError  # noqa: E402
from langchain_retriever import KorSearchRetriever  # noqa: E402
from llamaindex_retriever import KorSearchLlamaRetriever  # noqa: E402

MODEL = os.path.join(ROOT, "Tests", "Fixtures", "models", "mdeberta-tiny-safetensors")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--korsearch", default=os.path.join(ROOT, ".build", "debug", "korsearch"))
    binary = parser.parse_args().korsearch
    with tempfile.TemporaryDirectory() as folder:
        index = os.path.join(folder, "index")
        subprocess.run([binary, "index", os.path.join(ROOT, "Examples", "corpus"), "--index", index, "--model", MODEL, "--quiet"], check=True)
        port = free_port()
        server = subprocess.Popen([binary, "serve", "--index", index, "--port", str(port), "--no-request-log"], stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            checks = [("푸른건설 PF 대출 보증", "hybrid", None, None), ("영업이익", "keyword", {"company": "한빛전자", "period": "2024-Q3"}, None),
                      ("새봄은행 보통주자본비율", "vector", {"types": ["xlsx"]}, None), ("새봄은행 순이자마진", "hybrid", None, 0.2)]
            for query, mode, filters, weight in checks:
                arguments = [binary, "search", query, "--index", index, "--json", "-k", "4", "--mode", mode]
                if weight is not None:
                    arguments += ["--vector-weight", str(weight)]
                for key, value in (filters or {}).items():
                    for item in (value if isinstance(value, list) else [value]):
                        arguments += ["--" + {"types": "type"}.get(key, key.replace("_", "-")), item]
                expected = json.loads(subprocess.run(arguments, check=True, capture_output=True, text=True).stdout)["results"]
                documents = KorSearchRetriever(base_url=base, k=4, mode=mode, filters=filters, vector_weight=weight).invoke(query)
                nodes = KorSearchLlamaRetriever(base_url=base, k=4, mode=mode, filters=filters, vector_weight=weight).retrieve(query)
                assert [d.metadata["chunk_id"] for d in documents] == [hit["chunk_id"] for hit in expected], (query, "langchain")
                assert [n.node.id_ for n in nodes] == [str(hit["chunk_id"]) for hit in expected], (query, "llamaindex")
                assert [d.page_content for d in documents] == [hit["text"] for hit in expected]
                assert all(abs(n.score - hit["score"]) < 1e-9 for n, hit in zip(nodes, expected))
                first = documents[0].metadata
                assert first["source"] == expected[0]["path"] and first["citation"].startswith(expected[0]["path"]), first
                for key, value in (expected[0].get("metadata") or {}).items():
                    assert first[key] == value, (key, first)
                print(f"ok  {mode:7} {query}{'' if weight is None else f' (vector weight {weight})'}: {len(documents)} passages, first {first['citation']}")
            try:
                KorSearchRetriever(base_url=base, filters={"period": "2024-Q9"}).invoke("배당")
                raise AssertionError("a bad filter was accepted")
            except KorSearchError as error:
                assert "is not YYYY" in str(error), error
                print(f"ok  error: {error}")
        finally:
            server.terminate()
            server.wait()
    print("all retriever checks passed")


if __name__ == "__main__":
    main()
