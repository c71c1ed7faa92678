#!/usr/bin/env python3
"""How long `korsearch mcp` takes to read and answer long requests: a `search` call padded to 1, 2, 4 and 8 MB,
each timed from its first byte written to its answer read, over the server's stdin and stdout (dev only).

    swift build -c release --product korsearch
    .build/release/korsearch index Examples/corpus --index /tmp/mcp-bench --model Tests/Fixtures/models/mdeberta-tiny-safetensors
    python3 Scripts/bench/mcp_messages.py [--korsearch .build/release/korsearch] [--index /tmp/mcp-bench]
"""
import argparse
import json
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--korsearch", default=os.path.join(ROOT, ".build", "release", "korsearch"))
    parser.add_argument("--index", default="/tmp/mcp-bench")
    args = parser.parse_args()
    server = subprocess.Popen([args.korsearch, "mcp", "--index", args.index, "--keyword-only"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def request(message):
        started = time.perf_counter()
        server.stdin.write((json.dumps(message, ensure_ascii=False) + "\n").encode())
        server.stdin.flush()
        while True:
            answer = json.loads(server.stdout.readline())
            if answer.get("id") == message["id"]:
                return answer, time.perf_counter() - started

    request({"jsonrpc": "2.0", "id": 0, "method": "initialize",
             "params": {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
    server.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    print("| request | seconds to its answer |")
    print("|---|---|")
    for megabytes in (1, 2, 4, 8):
        padding = "가" * (megabytes * 1_000_000 // 3)
        _, seconds = request({"jsonrpc": "2.0", "id": megabytes, "method": "tools/call",
                              "params": {"name": "search", "arguments": {"query": "매출액", "k": 1, "padding": padding}}})
        print(f"| {megabytes} MB | {seconds:.3f} |", flush=True)
    server.stdin.close()
    server.wait()


if __name__ == "__main__":
    main()
