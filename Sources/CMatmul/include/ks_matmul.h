#ifndef KS_MATMUL_H
#define KS_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// How a linear layer's product is computed.
typedef enum {
    /// float32 weights and inputs (oneDNN's float32 matmul: no packing per call, so fast for a few rows too).
    KS_LINEAR_F32 = 0,
    /// bfloat16 weights and inputs, float32 accumulation.
    KS_LINEAR_BF16 = 1,
    /// int8 weights with one scale per output channel, inputs quantized to int8 per call with one scale,
    /// int32 accumulation, float32 output.
    KS_LINEAR_INT8 = 2,
} ks_linear_kind;

/// A linear layer's weight W [n, k] in reduced precision, laid out for oneDNN's matmul, with the primitives
/// that multiply activations by Wᵀ for any number of rows.
typedef struct ks_linear ks_linear;

/// Converts a float32 weight W [n, k] (row-major). For int8, `input_scales` (k values, or NULL) smooths outlier
/// input channels: inputs are divided by them before quantizing and W's columns multiplied by them, which leaves
/// the product unchanged. NULL on failure, with *error set to a static message.
ks_linear *ks_linear_create(ks_linear_kind kind, int64_t n, int64_t k, const float *weight, const float *input_scales,
                            const char **error);

void ks_linear_free(ks_linear *linear);

/// c[m, n] (+)= a[m, k] · Wᵀ for float32 `a` (row stride k) and `c`; with `accumulate`, c's previous values are
/// added. `scratch` holds the converted input: m * k 16-bit values (unused for float32). Runs single-threaded in the calling thread;
/// several threads may call it at once on disjoint rows. Returns 0, or -1 with *error set.
int ks_linear_apply(ks_linear *linear, int64_t m, const float *a, float *c, int accumulate, uint16_t *scratch,
                    const char **error);

/// A bfloat16 matrix product with float32 accumulation and output, for any shapes and strides (attention's
/// small products): c[m, n] = alpha · a[m, k] · B, where B is b [k, n] or, with `transposed_b`, b stored [n, k].
typedef struct ks_gemm ks_gemm;

/// NULL on failure (no bf16 matmul on this processor), with *error set to a static message.
ks_gemm *ks_gemm_bf16_create(int transposed_b, float alpha, const char **error);

void ks_gemm_free(ks_gemm *gemm);

/// Runs single-threaded in the calling thread; several threads may call it at once. Row strides lda, ldb, ldc
/// in elements. Returns 0, or -1 with *error set.
int ks_gemm_bf16_apply(ks_gemm *gemm, int64_t m, int64_t n, int64_t k, const uint16_t *a, int64_t lda,
                       const uint16_t *b, int64_t ldb, float *c, int64_t ldc, const char **error);

/// Rounds float32 values to bfloat16 (round to nearest even; NaN kept NaN).
void ks_f32_to_bf16(const float *source, uint16_t *target, size_t count);

#ifdef __cplusplus
}
#endif

#endif
