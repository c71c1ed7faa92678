"""The one call the retrievers share: POST /v1/search of a running `korsearch serve`, with the standard
library only. Each hit comes back as the server returns it (rank, score, path, title, page, section, metadata,
chunk_id, document_id, text, ...)."""
import json
import urllib.error
import urllib.request


class KorSearchError(RuntimeError):
    """The server refused the request (its message), or could not be reached."""


def search(base_url, query, k=5, mode="hybrid", filters=None, context=0, api_key=None, timeout=60, vector_weight=None):
    """The hits for `query`; `filters` as the API takes them (path, types, company, report_type, period, ...);
    `vector_weight` (0 keyword ranking only ... 1 vector only) for hybrid, else the index's default."""
    body = {"query": query, "k": k, "mode": mode, "context": context}
    if filters:
        body["filters"] = filters
    if vector_weight is not None:
        body["vector_weight"] = vector_weight
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(base_url.rstrip("/") + "/v1/search", data=json.dumps(body).encode("utf-8"),
                                     method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)["results"]
    except urllib.error.HTTPError as error:
        try:
            message = json.load(error)["error"]["message"]
        except Exception:  # noqa: BLE001 - any unreadable error body
            message = error.reason
        raise KorSearchError(f"korsearch {error.code}: {message}") from None
    except urllib.error.URLError as error:
        raise KorSearchError(f"korsearch at {base_url} is not reachable: {error.reason}") from None


def citation(hit):
    """`path (p. N) · section`: where a passage is, as a person cites it."""
    where = hit["path"] + (f" (p. {hit['page']})" if hit.get("page") else "")
    if hit.get("section"):
        where += f" · {hit['section']}"
    return where


def metadata(hit):
    """The hit's facts for a framework's document metadata: source, citation, scores and the filing fields."""
    fields = {"source": hit["path"], "citation": citation(hit), "title": hit.get("title"), "page": hit.get("page"),
              "section": hit.get("section"), "chunk_id": hit["chunk_id"], "document_id": hit["document_id"],
              "score": hit["score"], "rank": hit["rank"], "start": hit["start"], "end": hit["end"]}
    fields.update(hit.get("metadata") or {})
    return {key: value for key, value in fields.items() if value is not None}
