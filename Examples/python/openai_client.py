#!/usr/bin/env python3
"""A RAG retrieval step in Python against `korsearch serve`: Korean embeddings through the official `openai`
package (KorSearch speaks OpenAI's /v1/embeddings), and passages from /v1/search assembled into a prompt
context with citations.

    korsearch serve --index Indexes/example --port 8080 &
    pip install openai
    python Examples/python/openai_client.py "한빛전자 자기주식 소각 계획은?" [--base-url http://127.0.0.1:8080/v1]
"""
import argparse
import json
import os
import urllib.request

from openai import OpenAI


def search(base_url, api_key, query, k=5, mode="hybrid", context=1):
    """POST /v1/search: the passages that answer a query, with neighbouring passages."""
    body = json.dumps({"query": query, "k": k, "mode": mode, "context": context}).encode("utf-8")
    request = urllib.request.Request(base_url.rstrip("/") + "/search", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)["results"]


def prompt_context(hits):
    """Numbered sources, each with its path (and page), ready to paste into a prompt."""
    blocks = []
    for number, hit in enumerate(hits, start=1):
        source = hit["path"] + (f" (p. {hit['page']})" if hit.get("page") else "")
        # Neighbouring passages overlap; start/end are str indices into the document, so each new stretch of
        # text is taken once.
        pieces = sorted(hit.get("context", []) + [hit], key=lambda c: c["start"])
        text, end = "", -1
        for piece in pieces:
            if piece["start"] >= end:
                text += ("\n" if text else "") + piece["text"]
            elif piece["end"] > end:
                text += piece["text"][end - piece["start"]:]
            end = max(end, piece["end"])
        blocks.append(f"[{number}] {source}\n{text}")
    return "\n\n".join(blocks)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("question")
    parser.add_argument("--base-url", default=os.environ.get("KORSEARCH_URL", "http://127.0.0.1:8080/v1"))
    parser.add_argument("--api-key", default=os.environ.get("KORSEARCH_API_KEY", "unused"))
    args = parser.parse_args()

    # Embeddings, exactly as with OpenAI's service: any OpenAI-compatible tool (LangChain, LlamaIndex) works too.
    client = OpenAI(base_url=args.base_url, api_key=args.api_key)
    response = client.embeddings.create(model="lighthouse/mdeberta-v3-base-kor-further",
                                        input=[args.question, "기준금리 동결"])
    vectors = [item.embedding for item in response.data]
    similarity = sum(a * b for a, b in zip(vectors[0], vectors[1]))  # unit vectors: the dot product is the cosine
    print(f"# embeddings: {len(vectors)} x {len(vectors[0])}, {response.usage.prompt_tokens} tokens, "
          f"cosine to '기준금리 동결' {similarity:.3f}")

    # Retrieval for the prompt.
    hits = search(args.base_url, args.api_key, args.question)
    print("다음 자료만 근거로 질문에 답하세요. 근거 자료의 번호를 [1]처럼 표시하세요.\n")
    print(prompt_context(hits))
    print(f"\n질문: {args.question}\n답변:")


if __name__ == "__main__":
    main()
