#ifndef KS_FAISS_H
#define KS_FAISS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An opaque FAISS index (faiss::Index*, an IndexIDMap2 so that ids are the caller's).
typedef struct ks_faiss ks_faiss;

/// Every function that can fail returns NULL or a negative value and sets *error to a malloc'ed message
/// (free it with ks_faiss_free_string).

/// Builds an empty index from a factory string ("Flat", "HNSW32", "IVF64,Flat", ...), wrapped in IDMap2
/// unless the string already starts with IDMap. Metric: inner product when `inner_product`, else L2.
ks_faiss *ks_faiss_create(int32_t dimension, const char *factory, int32_t inner_product, char **error);

/// Reads an index written by ks_faiss_write.
ks_faiss *ks_faiss_read(const char *path, char **error);

/// Writes the index to a file (the caller makes the write atomic).
int32_t ks_faiss_write(const ks_faiss *index, const char *path, char **error);

void ks_faiss_free(ks_faiss *index);
void ks_faiss_free_string(char *string);

int32_t ks_faiss_dimension(const ks_faiss *index);
/// The vectors the index answers from (HNSW: those stored, less those marked removed).
int64_t ks_faiss_count(const ks_faiss *index);
/// The vectors stored, removed ones included.
int64_t ks_faiss_stored_count(const ks_faiss *index);
int32_t ks_faiss_is_trained(const ks_faiss *index);

/// Trains the index on n vectors (needed by IVF and PQ types before adding).
int32_t ks_faiss_train(ks_faiss *index, int64_t n, const float *vectors, char **error);

/// Adds n vectors with their ids.
int32_t ks_faiss_add(ks_faiss *index, int64_t n, const float *vectors, const int64_t *ids, char **error);

/// Removes the vectors of n ids; returns how many were removed, or -1. An HNSW index marks them removed: they
/// stay in its graph as waypoints and are never returned (ks_faiss_removed_count).
int64_t ks_faiss_remove(ks_faiss *index, int64_t n, const int64_t *ids, char **error);

/// k nearest neighbours of each of n queries: scores and ids, row-major [n, k]; missing results have id -1.
int32_t ks_faiss_search(const ks_faiss *index, int64_t n, const float *queries, int64_t k, float *scores,
                        int64_t *ids, char **error);

/// Whether the index is an HNSW graph over float16 or float32 vectors with inner product (HNSW32,SQfp16,
/// HNSW32,Flat, ...): searched by ks_faiss_search_hnsw, its scores the vectors' own.
int32_t ks_faiss_is_hnsw(const ks_faiss *index);

/// HNSW: how many stored vectors are marked removed.
int64_t ks_faiss_removed_count(const ks_faiss *index);

/// The ids of the vectors the index answers from (removed ones left out): writes up to `capacity`, returns
/// how many there are (-1 without an id map).
int64_t ks_faiss_ids(const ks_faiss *index, int64_t *ids, int64_t capacity);

/// HNSW: the k most similar vectors to one query, best first (ties by insertion order), with a search list of
/// `ef_search` (0: the index's, see ks_faiss_set_ef_search); with `allowed` (n ids, not NULL), only those ids
/// are returned. *found gets how many were written (fewer than k when the list ran out of allowed vectors).
/// Safe to call from several threads at once.
int32_t ks_faiss_search_hnsw(const ks_faiss *index, const float *query, int64_t k, int32_t ef_search, const int64_t *allowed,
                             int64_t allowed_count, float *scores, int64_t *ids, int64_t *found, char **error);

/// The inner product of a query with the stored vector of each of n ids (NaN for ids not in the index or
/// removed), for an HNSW index over float16/float32 vectors and for Flat.
int32_t ks_faiss_score_ids(const ks_faiss *index, const float *query, int64_t n, const int64_t *ids, float *scores, char **error);

/// HNSW: the default search list (0: FAISS's efSearch, 16), and the one in use.
void ks_faiss_set_ef_search(ks_faiss *index, int32_t ef_search);
int32_t ks_faiss_ef_search(const ks_faiss *index);

/// HNSW: the shortest search list from 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512 whose recall@10 reaches
/// `target`, measured on `samples` stored vectors as queries (each one's truth: its 10 nearest other stored
/// vectors, found exhaustively); sets it as the index's default and returns it with the recall measured.
int32_t ks_faiss_hnsw_calibrate(ks_faiss *index, double target, int32_t samples, int32_t *ef_search, double *recall, char **error);

/// Sets a search-time parameter by name (nprobe, efSearch, ...) through faiss::ParameterSpace.
int32_t ks_faiss_set_parameter(ks_faiss *index, const char *name, double value, char **error);

/// Sets the number of queries from which FAISS's exhaustive search computes distances with a BLAS GEMM
/// instead of its per-vector loop (process-wide; FAISS's default is 20).
void ks_faiss_set_blas_threshold(int32_t queries);

#ifdef __cplusplus
}
#endif

#endif
