#!/usr/bin/env python3
"""Dev only: installs the Python package of Examples/python the way a user does — `pip install
"./Examples/python[langchain,llamaindex]"` into a fresh virtual environment — and checks it against a real
`korsearch serve` over the sample corpus:
- the client, sync and async, and the LangChain and LlamaIndex retrievers (`invoke`/`ainvoke`,
  `retrieve`/`aretrieve`) give the same passages, in the same order, as `korsearch search --json`, in all three
  modes, with filters and a vector weight, with their citation metadata;
- options are strict: `top_k=`, `filter=` outside `search_kwargs`, an unknown filter, an unknown
  `search_kwargs` key are errors when the retriever is made; LangChain's `search_kwargs={"k", "filter"}` idiom
  works;
- neighbours asked for with `context` are in the metadata; LlamaIndex nodes keep ids, offsets and scores out of
  what the LLM and the embedder read;
- a server error is raised with its message.

    swift build && python3 Scripts/test_python_package.py [--korsearch .build/debug/korsearch]

Builds an index of Examples/corpus with the tiny test model in a temporary folder and serves it on a free
loopback port. Exits non-zero on the first mismatch.
"""
import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "Tests", "Fixtures", "models", "mdeberta-tiny-safetensors")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def expect_error(kind, text, make):
    try:
        make()
    except kind as error:
        assert text in str(error), (text, str(error))
        print(f"ok  refused: {str(error)[:100]}")
        return
    raise AssertionError(f"accepted: {text}")


def checks(binary, index, base):
    """Runs inside the fresh environment, where `korsearch` is the installed package."""
    import korsearch
    from korsearch import AsyncKorSearchClient, KorSearchClient, KorSearchError
    from korsearch.langchain import KorSearchRetriever
    from korsearch.llamaindex import KorSearchLlamaRetriever
    from llama_index.core.schema import MetadataMode

    assert "site-packages" in korsearch.__file__, f"the installed package, not the source tree: {korsearch.__file__}"
    client, async_client = KorSearchClient(base), AsyncKorSearchClient(base)
    cases = [("푸른건설 PF 대출 보증", "hybrid", None, None), ("영업이익", "keyword", {"company": "한빛전자", "period": "2024-Q3"}, None),
             ("새봄은행 보통주자본비율", "vector", {"types": ["xlsx"]}, None), ("새봄은행 순이자마진", "hybrid", None, 0.2)]
    for query, mode, filters, weight in cases:
        arguments = [binary, "search", query, "--index", index, "--json", "-k", "4", "--mode", mode]
        if weight is not None:
            arguments += ["--vector-weight", str(weight)]
        for key, value in (filters or {}).items():
            for item in (value if isinstance(value, list) else [value]):
                arguments += ["--" + {"types": "type"}.get(key, key.replace("_", "-")), item]
        expected = [hit["chunk_id"] for hit in json.loads(subprocess.run(arguments, check=True, capture_output=True, text=True).stdout)["results"]]
        options = dict(k=4, mode=mode, filters=filters, vector_weight=weight)
        sync = [hit["chunk_id"] for hit in client.search(query, **options)["results"]]
        asynchronous = [hit["chunk_id"] for hit in asyncio.run(async_client.search(query, **options))["results"]]
        retriever = KorSearchRetriever(base_url=base, **options)
        documents = retriever.invoke(query)
        adocuments = asyncio.run(retriever.ainvoke(query))
        llama = KorSearchLlamaRetriever(base, **options)
        nodes = llama.retrieve(query)
        anodes = asyncio.run(llama.aretrieve(query))
        assert sync == asynchronous == expected, (query, sync, asynchronous, expected)
        assert [d.metadata["chunk_id"] for d in documents] == [d.metadata["chunk_id"] for d in adocuments] == expected, (query, "langchain")
        assert [n.node.id_ for n in nodes] == [n.node.id_ for n in anodes] == [str(c) for c in expected], (query, "llamaindex")
        first = documents[0].metadata
        assert first["citation"].startswith(first["source"]), first
        print(f"ok  {mode:7} {query}: {len(documents)} passages (sync, async, LangChain, LlamaIndex), first {first['citation']}")

    faceted = client.search("영업이익", mode="keyword", facets=True)["facets"]
    assert faceted["company"] and asyncio.run(async_client.search("영업이익", mode="keyword", facets=True))["facets"] == faceted
    print(f"ok  facets of a query: {faceted['company']}")

    # LangChain's idiom, and strictness.
    idiom = KorSearchRetriever(base_url=base, search_kwargs={"k": 3, "filter": {"company": "한빛전자"}, "mode": "keyword"})
    direct = KorSearchRetriever(base_url=base, k=3, filters={"company": "한빛전자"}, mode="keyword")
    assert [d.id for d in idiom.invoke("영업이익")] == [d.id for d in direct.invoke("영업이익")]
    print("ok  search_kwargs={'k', 'filter'} is filters=")
    expect_error(Exception, "top_k", lambda: KorSearchRetriever(base_url=base, top_k=3))
    expect_error(Exception, "filter", lambda: KorSearchRetriever(base_url=base, filter={"company": "한빛전자"}))
    expect_error(Exception, "unknown filter colour", lambda: KorSearchRetriever(base_url=base, filters={"colour": "red"}))
    expect_error(Exception, "unknown search_kwargs top_k", lambda: KorSearchRetriever(base_url=base, search_kwargs={"top_k": 3}))
    expect_error(TypeError, "top_k", lambda: KorSearchLlamaRetriever(base, top_k=3))
    expect_error(TypeError, "top_k", lambda: client.search("배당", top_k=3))
    expect_error(TypeError, "top_k", lambda: asyncio.run(async_client.search("배당", top_k=3)))
    expect_error(ValueError, "mode must be one of", lambda: client.search("배당", mode="fuzzy"))

    # Neighbours in the metadata; bookkeeping kept from what the LLM and the embedder read.
    with_context = KorSearchRetriever(base_url=base, k=1, mode="keyword", context=1).invoke("PF 대출 보증 잔액")[0]
    assert with_context.metadata["context"] and all({"chunk_id", "text"} <= set(c) for c in with_context.metadata["context"])
    node = KorSearchLlamaRetriever(base, k=1, mode="keyword", context=1).retrieve("PF 대출 보증 잔액")[0].node
    for mode in (MetadataMode.LLM, MetadataMode.EMBED):
        seen = node.get_content(metadata_mode=mode)
        assert "chunk_id" not in seen and "document_id" not in seen and "score" not in seen, seen[:300]
        assert node.metadata["source"] in seen, "the citation stays readable"
    print("ok  context in the metadata; ids, offsets and scores out of what the LLM and the embedder read")

    expect_error(KorSearchError, "is not YYYY", lambda: KorSearchRetriever(base_url=base, filters={"period": "2024-Q9"}).invoke("배당"))
    print("all Python package checks passed")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--korsearch", default=os.path.join(ROOT, ".build", "debug", "korsearch"))
    parser.add_argument("--inside", nargs=3, metavar=("BINARY", "INDEX", "BASE"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.inside:
        checks(*arguments.inside)
        return
    binary = os.path.abspath(arguments.korsearch)
    with tempfile.TemporaryDirectory() as folder:
        environment = os.path.join(folder, "venv")
        subprocess.run([sys.executable, "-m", "venv", environment], check=True)
        python = os.path.join(environment, "bin", "python")
        subprocess.run([python, "-m", "pip", "install", "-q", os.path.join(ROOT, "Examples", "python") + "[langchain,llamaindex]"],
                       check=True)
        print("ok  pip install ./Examples/python[langchain,llamaindex] in a fresh venv")
        index = os.path.join(folder, "index")
        subprocess.run([binary, "index", os.path.join(ROOT, "Examples", "corpus"), "--index", index, "--model", MODEL, "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
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
            # Run from another folder, so the package is imported from the environment, not from this tree.
            subprocess.run([python, os.path.abspath(__file__), "--inside", binary, index, base], check=True, cwd=folder)
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
