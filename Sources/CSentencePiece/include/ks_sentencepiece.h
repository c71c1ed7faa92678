#ifndef KS_SENTENCEPIECE_H
#define KS_SENTENCEPIECE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An opaque loaded SentencePiece model (sentencepiece::SentencePieceProcessor).
typedef struct ks_spm ks_spm;

/// Loads a serialized SentencePiece model. Returns NULL on failure and sets *error to a malloc'ed message
/// that the caller frees with ks_spm_free_string.
ks_spm *ks_spm_load(const char *path, char **error);

/// Loads a model from its serialized ModelProto (bytes, length); like ks_spm_load otherwise.
ks_spm *ks_spm_load_proto(const char *bytes, size_t length, char **error);

/// Frees a model returned by ks_spm_load or ks_spm_load_proto.
void ks_spm_free(ks_spm *model);

/// Frees a string returned through an error out-parameter.
void ks_spm_free_string(char *string);

/// Encodes `length` bytes of UTF-8 into piece ids. On success returns 0 and sets *ids (malloc'ed; free with
/// ks_spm_free_ids) and *count. On failure returns -1 and sets *error.
int ks_spm_encode(const ks_spm *model, const char *text, size_t length, int32_t **ids, size_t *count,
                  char **error);

/// Frees an id array returned by ks_spm_encode.
void ks_spm_free_ids(int32_t *ids);

/// Encodes like ks_spm_encode and also gives each piece's span in the input, in Unicode code points:
/// [begins[i], ends[i]). Pieces that the normalizer made from one input character share its span. Free the
/// arrays with ks_spm_free_ids and ks_spm_free_spans.
int ks_spm_encode_spans(const ks_spm *model, const char *text, size_t length, int32_t **ids, uint32_t **begins,
                        uint32_t **ends, size_t *count, char **error);

/// Frees a span array returned by ks_spm_encode_spans.
void ks_spm_free_spans(uint32_t *spans);

/// Number of pieces in the model's vocabulary.
int32_t ks_spm_vocab_size(const ks_spm *model);

/// The id of a piece, or -1 when the model has no such piece.
int32_t ks_spm_piece_id(const ks_spm *model, const char *piece);

/// The id the model uses for unknown pieces.
int32_t ks_spm_unk_id(const ks_spm *model);

#ifdef __cplusplus
}
#endif

#endif
