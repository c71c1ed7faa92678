/// KorSearch: semantic search over Korean documents. This module is what applications import: it re-exports
/// the encoder (`Embedder`), the document readers (`DocumentFormats`), the core (`Indexer`, `Searcher`,
/// `IndexMeta`), both stores (`EmbeddedLocation`, `PostgresLocation`), the model hub (`ModelLocator`) and
/// OpenDART (`OpenDART`, `DARTSync`), and it holds the two places that tie them together: choosing a store for a
/// location (`IndexLocation`'s command-line initializer) and opening an index with the model that built it
/// (`OpenedIndex`).
@_exported import KorDocuments
@_exported import KorEncoder
@_exported import KorSearchCore
@_exported import KorSearchDART
@_exported import KorSearchEmbedded
@_exported import KorSearchHub
@_exported import KorSearchPostgres
