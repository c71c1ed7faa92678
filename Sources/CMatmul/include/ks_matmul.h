#ifndef KS_MATMUL_H
#define KS_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A linear layer's weight W [n, k] in bfloat16, laid out for oneDNN's matmul, with the primitive that
/// multiplies activations by Wᵀ (bf16 inputs, f32 accumulation and output).
typedef struct ks_bf16_linear ks_bf16_linear;

/// Converts a float32 weight W [n, k] (row-major) and builds the matmul for any number of rows. NULL on
/// failure, with *error set to a static message.
ks_bf16_linear *ks_bf16_linear_create(int64_t n, int64_t k, const float *weight, const char **error);

void ks_bf16_linear_free(ks_bf16_linear *linear);

/// c[m, n] (+)= a[m, k] · Wᵀ: `a` (float32, row stride k) is rounded to bfloat16 into `scratch` (m * k
/// uint16 values); with `accumulate`, c's previous values are added. Runs single-threaded in the calling
/// thread; several threads may call it at once on disjoint rows. Returns 0, or -1 with *error set.
int ks_bf16_linear_apply(ks_bf16_linear *linear, int64_t m, const float *a, float *c, int accumulate,
                         uint16_t *scratch, const char **error);

/// Rounds float32 values to bfloat16 (round to nearest even; NaN kept NaN).
void ks_f32_to_bf16(const float *source, uint16_t *target, size_t count);

#ifdef __cplusplus
}
#endif

#endif
