#ifndef KS_KERNELS_H
#define KS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// In place over `rows` rows of `n` floats: x = (x - mean) / sqrt(var + eps) * gamma + beta (biased variance).
void ks_layernorm(float *x, size_t rows, size_t n, const float *gamma, const float *beta, float eps);

/// In place: x = x * 0.5 * (1 + erf(x / sqrt(2))), the exact (erf) GELU.
void ks_gelu(float *x, size_t n);

/// The error function, vectorizable, absolute error below 5e-7 (exposed for tests).
float ks_erf(float x);

/// In place over `rows` rows of `n` floats with row stride `ld`: a numerically stable softmax.
void ks_softmax_rows(float *x, size_t rows, size_t n, size_t ld);

/// Fills each of `rows` rows of `dst` (stride `ld`, width `n`) with `vector`, plus `residual` (stride `ld_residual`)
/// when it is not NULL: the starting value of an accumulating GEMM (bias, or bias plus residual).
void ks_fill_rows(float *dst, size_t rows, size_t n, size_t ld, const float *vector, const float *residual,
                  size_t ld_residual);

/// Disentangled attention bias for one head of one sequence of length `length`:
/// scores[i][j] += scale * (c2p[i][index[i - j + length - 1]] + p2c[j][index[i - j + length - 1]]),
/// where `index` maps each relative distance to a column of the c2p and p2c tables; either table may be NULL.
void ks_add_relative_bias(float *scores, size_t ld_scores, size_t length, const float *c2p, const float *p2c,
                          size_t ld_table, const int32_t *index, float scale);

/// Adds the `rows` rows of `x` (width `n`, stride `ld`) into `sum`; used by mean pooling.
void ks_sum_rows(float *sum, const float *x, size_t rows, size_t n, size_t ld);

#ifdef __cplusplus
}
#endif

#endif
