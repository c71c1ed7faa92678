"""A LangChain retriever over `korsearch serve`: passages as `Document`s with their citation metadata, sync
and async.

    pip install "./Examples/python[langchain]"

    from korsearch.langchain import KorSearchRetriever
    retriever = KorSearchRetriever(base_url="http://127.0.0.1:8080", k=5, filters={"company": "한빛전자"})
    retriever = KorSearchRetriever(search_kwargs={"k": 5, "filter": {"company": "한빛전자"}})  # LangChain's idiom
    documents = retriever.invoke("2024년 3분기 영업이익")          # await retriever.ainvoke(...) in async code

An option it does not know (`top_k=`, `filter=`, a misspelt filter) is an error when the retriever is made.
"""
import asyncio
from typing import Any, Optional

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, model_validator

from .client import KorSearchClient, check_filters, hit_metadata, search_body

# What `search_kwargs` may hold, as LangChain's vector-store retrievers take it (`filter` is theirs for filters).
SEARCH_KWARGS = ("k", "filter", "filters", "mode", "context", "vector_weight", "rerank", "rerank_top")


class KorSearchRetriever(BaseRetriever):
    """Hybrid (or keyword, vector) search of a KorSearch index through its HTTP API."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = "http://127.0.0.1:8080"
    api_key: Optional[str] = None
    k: int = 5
    mode: str = "hybrid"
    filters: Optional[dict[str, Any]] = None
    context: int = 0
    vector_weight: Optional[float] = None
    rerank: Optional[bool] = None
    rerank_top: Optional[int] = None
    search_kwargs: Optional[dict[str, Any]] = None
    timeout: float = 60.0

    @model_validator(mode="after")
    def _settle(self):
        """Folds `search_kwargs` into the fields and checks every option once, before any query."""
        if self.search_kwargs:
            unknown = sorted(set(self.search_kwargs) - set(SEARCH_KWARGS))
            if unknown:
                raise ValueError(f"unknown search_kwargs {', '.join(unknown)}; they are {', '.join(SEARCH_KWARGS)}")
            kwargs = dict(self.search_kwargs)
            if "filter" in kwargs and "filters" in kwargs:
                raise ValueError("give search_kwargs filter or filters, not both")
            filters = kwargs.pop("filter", kwargs.pop("filters", None))
            if filters is not None:
                object.__setattr__(self, "filters", filters)
            for key, value in kwargs.items():
                object.__setattr__(self, key, value)
            object.__setattr__(self, "search_kwargs", None)
        check_filters(self.filters)
        self._body("check")
        return self

    def _body(self, query):
        return search_body(query, self.k, self.mode, self.filters, self.context, self.vector_weight, self.rerank,
                           self.rerank_top)

    @staticmethod
    def _documents(answer):
        return [Document(page_content=hit["text"], metadata=hit_metadata(hit), id=str(hit["chunk_id"]))
                for hit in answer["results"]]

    def _search(self, query):
        client = KorSearchClient(self.base_url, api_key=self.api_key, timeout=self.timeout)
        return self._documents(client._call("POST", "/v1/search", self._body(query)))

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return self._search(query)

    async def _aget_relevant_documents(self, query: str, *,
                                       run_manager: AsyncCallbackManagerForRetrieverRun) -> list[Document]:
        # The same call on a worker thread: the event loop is never blocked.
        return await asyncio.to_thread(self._search, query)
