/// KorSearch: semantic search over Korean documents. This module re-exports the encoder (`Embedder`,
/// `DebertaV2Model`, `DebertaTokenizer`), on which indexing and search build.
@_exported import KorEncoder
