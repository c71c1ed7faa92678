#!/usr/bin/env python3
"""Dev only: drives `korsearch mcp` with the official Python MCP client (the `mcp` package), as a Python host
or agent framework would, and checks what an agent acts on: every tool declares an output schema; a search
hit's text carries its rank, score, chunk_id and document_id (read back from the text with a regular
expression and passed to get_context and get_document, as an agent that reads only text would); the
structured content is the same JSON; `--keyword-only` offers keyword as the only and default mode, so a first
call without a mode succeeds.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install mcp
    swift build && /tmp/venv/bin/python Scripts/test_mcp_python_client.py [--korsearch .build/debug/korsearch]

Builds an index of Examples/corpus with the tiny test model in a temporary folder. Exits non-zero on the first
mismatch.
"""
import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "Tests", "Fixtures", "models", "mdeberta-tiny-safetensors")


def field(value, camel):
    """A field by its protocol name, whichever spelling the client's version uses (outputSchema, output_schema)."""
    snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel)
    return getattr(value, snake) if hasattr(value, snake) else getattr(value, camel)


def check(condition, message):
    if not condition:
        print("FAIL:", message)
        sys.exit(1)


async def session(korsearch, arguments, body):
    params = StdioServerParameters(command=korsearch, args=arguments)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as client:
            await client.initialize()
            await body(client)


async def full(client):
    tools = (await client.list_tools()).tools
    check([tool.name for tool in tools] == ["search", "get_context", "get_document", "index_info"], tools)
    for tool in tools:
        check(field(tool, "outputSchema") is not None, f"{tool.name} declares an output schema")
    result = await client.call_tool("search", {"query": "PF 대출 보증 잔액", "k": 3, "mode": "keyword", "context": 1})
    check(not field(result, "isError"), result)
    text = result.content[0].text
    print(text.split("\n[2] ")[0])
    # What an agent that reads only the text can act on.
    first = re.search(r"^\[1\] score ([0-9.]+) · (.+?) \[chunk_id (\d+), document_id (\d+)\]$", text, re.M)
    check(first, f"rank, score and ids in the text: {text[:300]}")
    score, _, chunk, document = first.group(1), first.group(2), int(first.group(3)), int(first.group(4))
    top = field(result, "structuredContent")["results"][0]
    check(top["chunk_id"] == chunk and top["document_id"] == document, "the text's ids are the hit's")
    check(f"{top['score']:.4f}" == score, "the text's score is the hit's")
    check("rcept_no " + top["metadata"]["rcept_no"] in text, "filing fields in the text")
    for neighbour in top["context"]:
        check(f"[chunk_id {neighbour['chunk_id']}]: " in text, "the neighbours asked for are in the text")
    context = await client.call_tool("get_context", {"chunk_id": chunk, "neighbours": 1})
    check(not field(context, "isError") and field(context, "structuredContent")["chunk_id"] == chunk, context)
    document_text = await client.call_tool("get_document", {"document_id": document, "start": 0, "end": 200})
    check(not field(document_text, "isError") and field(document_text, "structuredContent")["document_id"] == document, document_text)
    info = await client.call_tool("index_info", {})
    check(not field(info, "isError") and field(info, "structuredContent")["documents"] > 0, info)


async def keyword_only(client):
    tools = (await client.list_tools()).tools
    search = next(tool for tool in tools if tool.name == "search")
    mode = field(search, "inputSchema")["properties"]["mode"]
    check(mode["enum"] == ["keyword"] and mode["default"] == "keyword", mode)
    result = await client.call_tool("search", {"query": "PF 대출 보증 잔액", "k": 2})
    check(not field(result, "isError") and field(result, "structuredContent")["mode"] == "keyword", result)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--korsearch", default=os.path.join(ROOT, ".build", "debug", "korsearch"))
    korsearch = os.path.abspath(parser.parse_args().korsearch)
    with tempfile.TemporaryDirectory() as folder:
        index = os.path.join(folder, "index")
        subprocess.run(
            [korsearch, "index", os.path.join(ROOT, "Examples", "corpus"), "--index", index, "--model", MODEL, "--quiet"],
            check=True, stdout=subprocess.DEVNULL)
        asyncio.run(session(korsearch, ["mcp", "--index", index, "--model", MODEL], full))
        asyncio.run(session(korsearch, ["mcp", "--index", index, "--keyword-only"], keyword_only))
    print("ok: the official Python MCP client reads ids, scores and filing fields from the text; keyword-only defaults to keyword")


if __name__ == "__main__":
    main()
