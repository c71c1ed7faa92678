"""A LangChain retriever over `korsearch serve`: passages as `Document`s with their citation metadata.

    pip install langchain-core
    korsearch serve --index Indexes/example --port 8080 &

    from langchain_retriever import KorSearchRetriever
    retriever = KorSearchRetriever(base_url="http://127.0.0.1:8080", k=5, filters={"company": "한빛전자"})
    for document in retriever.invoke("2024년 3분기 영업이익"):
        print(document.metadata["citation"], document.page_content[:80])
"""
from typing import Any, Optional

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from korsearch_client import metadata, search


class KorSearchRetriever(BaseRetriever):
    """Hybrid (or keyword, vector) search of a KorSearch index through its HTTP API."""

    base_url: str = "http://127.0.0.1:8080"
    k: int = 5
    mode: str = "hybrid"
    filters: Optional[dict[str, Any]] = None
    vector_weight: Optional[float] = None
    api_key: Optional[str] = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = search(self.base_url, query, k=self.k, mode=self.mode, filters=self.filters, api_key=self.api_key,
                      vector_weight=self.vector_weight)
        return [Document(page_content=hit["text"], metadata=metadata(hit), id=str(hit["chunk_id"])) for hit in hits]
