"""A LlamaIndex retriever over `korsearch serve`: passages as scored `TextNode`s with their citation metadata,
sync and async. Ids, offsets and scores stay out of what the LLM and the embedder read.

    pip install "./Examples/python[llamaindex]"

    from korsearch.llamaindex import KorSearchLlamaRetriever
    retriever = KorSearchLlamaRetriever(base_url="http://127.0.0.1:8080", k=5, filters={"period": "2024"})
    nodes = retriever.retrieve("푸른건설 PF 보증")                  # await retriever.aretrieve(...) in async code
"""
import asyncio
from typing import Any, Optional

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from .client import BOOKKEEPING, KorSearchClient, hit_metadata, search_body


class KorSearchLlamaRetriever(BaseRetriever):
    """Hybrid (or keyword, vector) search of a KorSearch index through its HTTP API."""

    def __init__(self, base_url: str = "http://127.0.0.1:8080", *, k: int = 5, mode: str = "hybrid",
                 filters: Optional[dict[str, Any]] = None, context: int = 0, vector_weight: Optional[float] = None,
                 rerank: Optional[bool] = None, rerank_top: Optional[int] = None, api_key: Optional[str] = None,
                 timeout: float = 60.0, callback_manager: Any = None, verbose: bool = False) -> None:
        super().__init__(callback_manager=callback_manager, verbose=verbose)
        self._options = (k, mode, filters, context, vector_weight, rerank, rerank_top)
        search_body("check", *self._options)  # every option checked now, not at the first query
        self._client = KorSearchClient(base_url, api_key=api_key, timeout=timeout)

    @staticmethod
    def _nodes(answer) -> list[NodeWithScore]:
        nodes = []
        for hit in answer["results"]:
            metadata = hit_metadata(hit)
            hidden = [key for key in metadata if key in BOOKKEEPING]
            node = TextNode(text=hit["text"], id_=str(hit["chunk_id"]), metadata=metadata,
                            excluded_llm_metadata_keys=hidden, excluded_embed_metadata_keys=hidden)
            nodes.append(NodeWithScore(node=node, score=hit["score"]))
        return nodes

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        body = search_body(query_bundle.query_str, *self._options)
        return self._nodes(self._client._call("POST", "/v1/search", body))

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # The same call on a worker thread: the event loop is never blocked.
        return await asyncio.to_thread(self._retrieve, query_bundle)
