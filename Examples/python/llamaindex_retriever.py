"""A LlamaIndex retriever over `korsearch serve`: passages as scored `TextNode`s with their citation metadata.

    pip install llama-index-core
    korsearch serve --index Indexes/example --port 8080 &

    from llamaindex_retriever import KorSearchLlamaRetriever
    retriever = KorSearchLlamaRetriever(base_url="http://127.0.0.1:8080", k=5, filters={"period": "2024"})
    for scored in retriever.retrieve("푸른건설 PF 보증"):
        print(scored.score, scored.node.metadata["citation"])
"""
from typing import Any, Optional

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from korsearch_client import metadata, search


class KorSearchLlamaRetriever(BaseRetriever):
    """Hybrid (or keyword, vector) search of a KorSearch index through its HTTP API."""

    def __init__(self, base_url: str = "http://127.0.0.1:8080", k: int = 5, mode: str = "hybrid",
                 filters: Optional[dict[str, Any]] = None, api_key: Optional[str] = None,
                 vector_weight: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url, self.k, self.mode, self.filters, self.api_key = base_url, k, mode, filters, api_key
        self.vector_weight = vector_weight

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = search(self.base_url, query_bundle.query_str, k=self.k, mode=self.mode, filters=self.filters, api_key=self.api_key,
                      vector_weight=self.vector_weight)
        return [NodeWithScore(node=TextNode(text=hit["text"], id_=str(hit["chunk_id"]), metadata=metadata(hit)), score=hit["score"])
                for hit in hits]
