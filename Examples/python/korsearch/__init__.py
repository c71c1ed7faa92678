"""A client for the HTTP API of `korsearch serve` (sync and async, standard library only) and retrievers for
LangChain (`korsearch.langchain`) and LlamaIndex (`korsearch.llamaindex`)."""
from .client import FILTER_FIELDS, MODES, AsyncKorSearchClient, KorSearchClient, KorSearchError, citation, hit_metadata

__all__ = ["KorSearchClient", "AsyncKorSearchClient", "KorSearchError", "citation", "hit_metadata", "FILTER_FIELDS", "MODES"]
