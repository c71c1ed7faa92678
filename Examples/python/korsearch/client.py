"""The HTTP API of `korsearch serve`, as a client: search, a passage with its neighbours, a document's text,
what the index holds, embeddings. Standard library only; the async client runs the same calls on a worker
thread, so an event loop is never blocked."""
import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request

# The API's names, checked before a request goes out: a misspelt option is an error here, not a silent default.
MODES = ("hybrid", "vector", "keyword")
FILTER_FIELDS = ("path", "types", "modified_after", "modified_before", "company", "report_type", "period",
                 "filed_after", "filed_before")


class KorSearchError(RuntimeError):
    """The server refused the request (its message, and the field at fault as `param`), or could not be
    reached."""

    def __init__(self, message, status=None, param=None):
        super().__init__(message)
        self.status, self.param = status, param


def check_filters(filters):
    """`filters` as the API takes them; an unknown field is a ValueError naming the known ones."""
    if filters is None:
        return None
    if not isinstance(filters, dict):
        raise TypeError(f"filters must be a dict, not {type(filters).__name__}")
    unknown = sorted(set(filters) - set(FILTER_FIELDS))
    if unknown:
        raise ValueError(f"unknown filter {', '.join(unknown)}; the filters are {', '.join(FILTER_FIELDS)}")
    return dict(filters)


def search_body(query, k, mode, filters, context, vector_weight, rerank, rerank_top, facets=False):
    """The JSON body of POST /v1/search, every option checked."""
    if not isinstance(query, str) or not query.strip():
        raise ValueError("query must be a non-empty string")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    body = {"query": query, "k": int(k), "mode": mode, "context": int(context)}
    if filters:
        body["filters"] = check_filters(filters)
    if vector_weight is not None:
        body["vector_weight"] = float(vector_weight)
    if rerank is not None:
        body["rerank"] = bool(rerank)
    if rerank_top is not None:
        body["rerank_top"] = int(rerank_top)
    if facets:
        body["facets"] = True
    return body


class KorSearchClient:
    """Calls a running `korsearch serve` (base_url such as http://127.0.0.1:8080; api_key when it has one)."""

    def __init__(self, base_url="http://127.0.0.1:8080", api_key=None, timeout=60.0):
        self.base_url, self.api_key, self.timeout = base_url.rstrip("/"), api_key, timeout

    def _call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            try:
                detail = json.load(error)["error"]
                message, param = detail.get("message", error.reason), detail.get("param")
            except Exception:  # noqa: BLE001 - any unreadable error body
                message, param = error.reason, None
            raise KorSearchError(f"korsearch {error.code}: {message}", status=error.code, param=param) from None
        except urllib.error.URLError as error:
            raise KorSearchError(f"korsearch at {self.base_url} is not reachable: {error.reason}") from None

    def search(self, query, *, k=10, mode="hybrid", filters=None, context=0, vector_weight=None, rerank=None,
               rerank_top=None, facets=False):
        """POST /v1/search: the answer (`query`, `mode`, `vector_weight`, `reranker`, `aliases`, `results`,
        `facets`), each result a hit with its passage fields and, with `context`, its neighbours; with `facets`,
        the matching documents counted by company, report type and period."""
        return self._call("POST", "/v1/search",
                          search_body(query, k, mode, filters, context, vector_weight, rerank, rerank_top, facets))

    def context(self, chunk_id, *, neighbours=1):
        """GET /v1/chunks/{id}: a passage and the passages around it."""
        return self._call("GET", f"/v1/chunks/{int(chunk_id)}?neighbours={int(neighbours)}")

    def document(self, document_id, *, start=None, end=None):
        """GET /v1/documents/{id}: a document's stored text, or the range [start, end)."""
        query = urllib.parse.urlencode({key: value for key, value in (("start", start), ("end", end)) if value is not None})
        return self._call("GET", f"/v1/documents/{int(document_id)}" + (f"?{query}" if query else ""))

    def info(self):
        """GET /v1/info: what the index holds."""
        return self._call("GET", "/v1/info")

    def embed(self, texts):
        """POST /v1/embeddings: one vector per text (the model's, normalized)."""
        single = isinstance(texts, str)
        answer = self._call("POST", "/v1/embeddings", {"input": texts})
        vectors = [item["embedding"] for item in sorted(answer["data"], key=lambda item: item["index"])]
        return vectors[0] if single else vectors


class AsyncKorSearchClient:
    """`KorSearchClient`'s calls as coroutines (each on a worker thread)."""

    def __init__(self, base_url="http://127.0.0.1:8080", api_key=None, timeout=60.0):
        self.sync = KorSearchClient(base_url, api_key=api_key, timeout=timeout)

    async def search(self, query, **options):
        """`KorSearchClient.search`, with the same options (an unknown one is a TypeError)."""
        return await asyncio.to_thread(self.sync.search, query, **options)

    async def context(self, chunk_id, *, neighbours=1):
        return await asyncio.to_thread(self.sync.context, chunk_id, neighbours=neighbours)

    async def document(self, document_id, *, start=None, end=None):
        return await asyncio.to_thread(self.sync.document, document_id, start=start, end=end)

    async def info(self):
        return await asyncio.to_thread(self.sync.info)

    async def embed(self, texts):
        return await asyncio.to_thread(self.sync.embed, texts)


def page_label(hit):
    """`p. 3`, `pp. 3–4`, with `, OCR` when OCR read some of it: as the CLI, MCP and the page cite it."""
    if not hit.get("page"):
        return None
    end = hit.get("page_end")
    pages = f"pp. {hit['page']}–{end}" if end and end > hit["page"] else f"p. {hit['page']}"
    return pages + (", OCR" if hit.get("ocr") else "")


def citation(hit):
    """`path (p. N) · section`: where a passage is, as a person cites it."""
    where = hit["path"] + (f" ({page_label(hit)})" if page_label(hit) else "")
    if hit.get("section"):
        where += f" · {hit['section']}"
    return where


# Fields that are bookkeeping for programs, not text for a model to read.
BOOKKEEPING = ("chunk_id", "document_id", "score", "rank", "start", "end", "vector_rank", "keyword_rank", "context")


def hit_metadata(hit):
    """A hit's facts for a framework's document metadata: source, citation, title, page, section, the filing
    fields, the ids and scores, and the neighbours asked for (`context`: [{chunk_id, text}])."""
    fields = {"source": hit["path"], "citation": citation(hit), "title": hit.get("title"), "page": hit.get("page"),
              "page_end": hit.get("page_end"), "ocr": hit.get("ocr", False), "section": hit.get("section"), "chunk_id": hit["chunk_id"], "document_id": hit["document_id"],
              "score": hit["score"], "rank": hit["rank"], "start": hit["start"], "end": hit["end"],
              "vector_rank": hit.get("vector_rank"), "keyword_rank": hit.get("keyword_rank")}
    fields.update(hit.get("metadata") or {})
    if hit.get("context"):
        fields["context"] = [{"chunk_id": passage["chunk_id"], "text": passage["text"]} for passage in hit["context"]]
    return {key: value for key, value in fields.items() if value is not None}
