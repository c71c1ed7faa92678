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
int64_t ks_faiss_count(const ks_faiss *index);
int32_t ks_faiss_is_trained(const ks_faiss *index);

/// Trains the index on n vectors (needed by IVF and PQ types before adding).
int32_t ks_faiss_train(ks_faiss *index, int64_t n, const float *vectors, char **error);

/// Adds n vectors with their ids.
int32_t ks_faiss_add(ks_faiss *index, int64_t n, const float *vectors, const int64_t *ids, char **error);

/// Removes the vectors of n ids; returns how many were removed, or -1 (for example HNSW, which cannot remove).
int64_t ks_faiss_remove(ks_faiss *index, int64_t n, const int64_t *ids, char **error);

/// k nearest neighbours of each of n queries: scores and ids, row-major [n, k]; missing results have id -1.
int32_t ks_faiss_search(const ks_faiss *index, int64_t n, const float *queries, int64_t k, float *scores,
                        int64_t *ids, char **error);

/// Sets a search-time parameter by name (nprobe, efSearch, ...) through faiss::ParameterSpace.
int32_t ks_faiss_set_parameter(ks_faiss *index, const char *name, double value, char **error);

/// Sets the number of queries from which FAISS's exhaustive search computes distances with a BLAS GEMM
/// instead of its per-vector loop (process-wide; FAISS's default is 20).
void ks_faiss_set_blas_threshold(int32_t queries);

#ifdef __cplusplus
}
#endif

#endif
