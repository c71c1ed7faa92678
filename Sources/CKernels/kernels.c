#include "ks_kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

// The loops below are written to vectorize. Each hot function is compiled for AVX-512, AVX2 and baseline
// x86-64, and the loader picks the best the processor has (GNU ifunc); elsewhere the attribute is empty.
#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define KS_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KS_VECTOR_CLONES
#endif

// Sums in 16 independent lanes, so the loop vectorizes (a single running sum is a chain the compiler may not
// reorder); the lanes are added at the end.
#define KS_LANES 16

static inline float ks_sum(const float *values, size_t n) {
    float lanes[KS_LANES] = {0};
    size_t i = 0;
    for (; i + KS_LANES <= n; i += KS_LANES)
        for (size_t l = 0; l < KS_LANES; ++l) lanes[l] += values[i + l];
    float sum = 0.0f;
    for (; i < n; ++i) sum += values[i];
    for (size_t l = 0; l < KS_LANES; ++l) sum += lanes[l];
    return sum;
}

static inline float ks_sum_squared_deviations(const float *values, size_t n, float mean) {
    float lanes[KS_LANES] = {0};
    size_t i = 0;
    for (; i + KS_LANES <= n; i += KS_LANES)
        for (size_t l = 0; l < KS_LANES; ++l) {
            const float d = values[i + l] - mean;
            lanes[l] += d * d;
        }
    float sum = 0.0f;
    for (; i < n; ++i) sum += (values[i] - mean) * (values[i] - mean);
    for (size_t l = 0; l < KS_LANES; ++l) sum += lanes[l];
    return sum;
}

static inline float ks_max(const float *values, size_t n) {
    float lanes[KS_LANES];
    for (size_t l = 0; l < KS_LANES; ++l) lanes[l] = values[0];
    size_t i = 0;
    for (; i + KS_LANES <= n; i += KS_LANES)
        for (size_t l = 0; l < KS_LANES; ++l) lanes[l] = values[i + l] > lanes[l] ? values[i + l] : lanes[l];
    float max = values[0];
    for (; i < n; ++i) max = values[i] > max ? values[i] : max;
    for (size_t l = 0; l < KS_LANES; ++l) max = lanes[l] > max ? lanes[l] : max;
    return max;
}

KS_VECTOR_CLONES
void ks_layernorm(float *x, size_t rows, size_t n, const float *gamma, const float *beta, float eps) {
    for (size_t r = 0; r < rows; ++r) {
        float *row = x + r * n;
        const float mean = ks_sum(row, n) / (float)n;
        const float inv = 1.0f / sqrtf(ks_sum_squared_deviations(row, n, mean) / (float)n + eps);
        for (size_t i = 0; i < n; ++i) row[i] = (row[i] - mean) * inv * gamma[i] + beta[i];
    }
}

// exp(x) for x in [-88, 88]: x = k ln2 + r, exp(r) by a degree-6 polynomial, 2^k through the exponent bits.
// Branch-free so that loops calling it vectorize.
static inline float ks_expf(float x) {
    x = fminf(fmaxf(x, -87.0f), 88.0f);
    // Round to nearest by adding and subtracting 1.5 * 2^23 (nearbyintf would be a call that stops vectorization).
    const float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    const float r = (x - k * 0.693145751953125f) - k * 1.428606765330187e-06f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    union { uint32_t bits; float value; } scale;
    scale.bits = (uint32_t)((int32_t)k + 127) << 23;
    return p * scale.value;
}

// Abramowitz and Stegun 7.1.26 has an absolute error of 1.5e-7; this form evaluates it branch-free.
float ks_erf(float x) {
    const float a = fabsf(x);
    const float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    const float y = 1.0f - p * t * ks_expf(-a * a);
    return copysignf(y, x);
}

KS_VECTOR_CLONES
void ks_gelu(float *x, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + ks_erf(v * 0.70710678118654752f));
    }
}

KS_VECTOR_CLONES
void ks_softmax_rows(float *x, size_t rows, size_t n, size_t ld) {
    for (size_t r = 0; r < rows; ++r) {
        float *row = x + r * ld;
        const float max = ks_max(row, n);
        for (size_t i = 0; i < n; ++i) row[i] = ks_expf(row[i] - max);
        const float inv = 1.0f / ks_sum(row, n);
        for (size_t i = 0; i < n; ++i) row[i] *= inv;
    }
}

void ks_fill_rows(float *dst, size_t rows, size_t n, size_t ld, const float *vector, const float *residual,
                  size_t ld_residual) {
    for (size_t r = 0; r < rows; ++r) {
        float *row = dst + r * ld;
        if (residual != NULL) {
            const float *res = residual + r * ld_residual;
            for (size_t i = 0; i < n; ++i) row[i] = vector[i] + res[i];
        } else {
            memcpy(row, vector, n * sizeof(float));
        }
    }
}

KS_VECTOR_CLONES
void ks_add_relative_bias(float *scores, size_t ld_scores, size_t length, const float *c2p, const float *p2c,
                          size_t ld_table, const int32_t *index, float scale) {
    for (size_t i = 0; i < length; ++i) {
        float *row = scores + i * ld_scores;
        // index of (i - j) is index[i - j + length - 1]; j runs up, so the offset runs down.
        const int32_t *idx = index + i + length - 1;
        if (c2p != NULL) {
            const float *c = c2p + i * ld_table;
            for (size_t j = 0; j < length; ++j) row[j] += scale * c[idx[-(ptrdiff_t)j]];
        }
        if (p2c != NULL) {
            for (size_t j = 0; j < length; ++j) row[j] += scale * p2c[j * ld_table + idx[-(ptrdiff_t)j]];
        }
    }
}

KS_VECTOR_CLONES
void ks_sum_rows(float *sum, const float *x, size_t rows, size_t n, size_t ld) {
    for (size_t r = 0; r < rows; ++r) {
        const float *row = x + r * ld;
        for (size_t i = 0; i < n; ++i) sum[i] += row[i];
    }
}
