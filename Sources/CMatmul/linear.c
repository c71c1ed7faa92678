#include "ks_matmul.h"

#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ks_onednn.h"

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define KS_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KS_VECTOR_CLONES
#endif

// One CPU engine for the process; one stream per calling thread (streams are not shared between threads).
static dnnl_engine_t ks_engine;
static pthread_once_t ks_engine_once = PTHREAD_ONCE_INIT;
static __thread dnnl_stream_t ks_thread_stream;

static void ks_create_engine(void) {
    if (dnnl_engine_create(&ks_engine, dnnl_cpu, 0) != dnnl_success) ks_engine = NULL;
}

static dnnl_stream_t ks_stream(void) {
    if (!ks_thread_stream && ks_engine) dnnl_stream_create(&ks_thread_stream, ks_engine, dnnl_stream_default_flags);
    return ks_thread_stream;
}

int ks_onednn_ready(void) {
    pthread_once(&ks_engine_once, ks_create_engine);
    return ks_engine != NULL;
}

dnnl_engine_t ks_onednn_engine(void) { return ks_engine; }

dnnl_stream_t ks_onednn_stream(void) { return ks_stream(); }

struct ks_linear {
    ks_linear_kind kind;
    int64_t n, k;
    dnnl_primitive_t plain;       // c = a · Wᵀ
    dnnl_primitive_t accumulate;  // c += a · Wᵀ (sum post-op)
    dnnl_memory_t weights;        // in the layout the primitives prefer
    dnnl_memory_desc_t weights_md;
    float *weight_scales;         // int8: one per output channel
    float *input_inverse_scales;  // int8 with smoothing: 1 / s per input channel (NULL without)
};

KS_VECTOR_CLONES
void ks_f32_to_bf16(const float *source, uint16_t *target, size_t count) {
    for (size_t i = 0; i < count; ++i) {
        uint32_t bits;
        memcpy(&bits, &source[i], 4);
        const uint32_t is_nan = (bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0;
        const uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
        target[i] = (uint16_t)(is_nan ? ((bits >> 16) | 0x40u) : rounded);
    }
}

KS_VECTOR_CLONES
static float ks_max_abs(const float *values, size_t count) {
    float best = 0.0f;
    for (size_t i = 0; i < count; ++i) best = fmaxf(best, fabsf(values[i]));
    return best;
}

KS_VECTOR_CLONES
static void ks_quantize(const float *values, int8_t *target, size_t count, float inverse_scale) {
    for (size_t i = 0; i < count; ++i) {
        const float q = nearbyintf(values[i] * inverse_scale);
        target[i] = (int8_t)fminf(fmaxf(q, -127.0f), 127.0f);
    }
}

// The same over rows [m, k] whose channel j is first divided by its smoothing factor (multiplied by `channel`).
KS_VECTOR_CLONES
static float ks_max_abs_smoothed(const float *values, int64_t m, int64_t k, const float *channel) {
    float best = 0.0f;
    for (int64_t r = 0; r < m; ++r)
        for (int64_t j = 0; j < k; ++j) best = fmaxf(best, fabsf(values[r * k + j] * channel[j]));
    return best;
}

KS_VECTOR_CLONES
static void ks_quantize_smoothed(const float *values, int8_t *target, int64_t m, int64_t k, const float *channel,
                                 float inverse_scale) {
    for (int64_t r = 0; r < m; ++r)
        for (int64_t j = 0; j < k; ++j) {
            const float q = nearbyintf(values[r * k + j] * channel[j] * inverse_scale);
            target[r * k + j] = (int8_t)fminf(fmaxf(q, -127.0f), 127.0f);
        }
}

// The largest magnitude of a quantized weight: 127 where the processor has VNNI (int8 products summed in 32
// bits), else 63 (see the quantization below).
static float ks_weight_levels(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") || __builtin_cpu_supports("avxvnni") ? 127.0f : 63.0f;
}

static dnnl_data_type_t ks_input_type(ks_linear_kind kind) {
    return kind == KS_LINEAR_INT8 ? dnnl_s8 : kind == KS_LINEAR_BF16 ? dnnl_bf16 : dnnl_f32;
}

static dnnl_status_t ks_make_primitive(ks_linear *linear, int sum, dnnl_primitive_t *primitive, dnnl_memory_desc_t *weights_md) {
    const dnnl_dim_t runtime = DNNL_RUNTIME_DIM_VAL;
    const dnnl_data_type_t type = ks_input_type(linear->kind);
    dnnl_dim_t a_dims[2] = {runtime, linear->k}, w_dims[2] = {linear->k, linear->n}, c_dims[2] = {runtime, linear->n};
    dnnl_memory_desc_t a_md, w_md, c_md;
    dnnl_status_t status;
    if ((status = dnnl_memory_desc_init_by_tag(&a_md, 2, a_dims, type, dnnl_ab)) != dnnl_success) return status;
    if ((status = dnnl_memory_desc_init_by_tag(&w_md, 2, w_dims, type, dnnl_format_tag_any)) != dnnl_success) return status;
    if ((status = dnnl_memory_desc_init_by_tag(&c_md, 2, c_dims, dnnl_f32, dnnl_ab)) != dnnl_success) return status;
    dnnl_matmul_desc_t desc;
    if ((status = dnnl_matmul_desc_init(&desc, &a_md, &w_md, NULL, &c_md)) != dnnl_success) return status;
    dnnl_primitive_attr_t attr;
    dnnl_primitive_attr_create(&attr);
    if (linear->kind == KS_LINEAR_INT8) {
        // Dequantization: one scale per output column, known only when the input's scale is.
        const float runtime_scale = DNNL_RUNTIME_F32_VAL;
        dnnl_primitive_attr_set_output_scales(attr, 1, 1 << 1, &runtime_scale);
    }
    if (sum) {
        dnnl_post_ops_t ops;
        dnnl_post_ops_create(&ops);
        dnnl_post_ops_append_sum(ops, 1.0f);
        dnnl_primitive_attr_set_post_ops(attr, ops);
        dnnl_post_ops_destroy(ops);
    }
    dnnl_primitive_desc_t pd;
    status = dnnl_primitive_desc_create(&pd, &desc, attr, ks_engine, NULL);
    dnnl_primitive_attr_destroy(attr);
    if (status != dnnl_success) return status;
    *weights_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    status = dnnl_primitive_create(primitive, pd);
    dnnl_primitive_desc_destroy(pd);
    return status;
}

// Reorders W, given as the (k, n) matrix in "ba" order (that is W [n, k] row-major), into the preferred layout.
static int ks_place_weights(ks_linear *linear, void *plain) {
    dnnl_dim_t dims[2] = {linear->k, linear->n};
    dnnl_memory_desc_t source_md;
    dnnl_memory_desc_init_by_tag(&source_md, 2, dims, ks_input_type(linear->kind), dnnl_ba);
    dnnl_memory_t source;
    dnnl_primitive_desc_t reorder_pd;
    dnnl_primitive_t reorder;
    int ok = dnnl_memory_create(&source, &source_md, ks_engine, plain) == dnnl_success;
    if (!ok) return 0;
    ok = dnnl_memory_create(&linear->weights, &linear->weights_md, ks_engine, DNNL_MEMORY_ALLOCATE) == dnnl_success &&
         dnnl_reorder_primitive_desc_create(&reorder_pd, &source_md, ks_engine, &linear->weights_md, ks_engine, NULL) == dnnl_success;
    if (ok) {
        ok = dnnl_primitive_create(&reorder, reorder_pd) == dnnl_success;
        dnnl_primitive_desc_destroy(reorder_pd);
        if (ok) {
            dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, source}, {DNNL_ARG_TO, linear->weights}};
            ok = dnnl_primitive_execute(reorder, ks_stream(), 2, args) == dnnl_success &&
                 dnnl_stream_wait(ks_stream()) == dnnl_success;
            dnnl_primitive_destroy(reorder);
        }
    }
    dnnl_memory_destroy(source);
    return ok;
}

ks_linear *ks_linear_create(ks_linear_kind kind, int64_t n, int64_t k, const float *weight, const float *input_scales,
                            const char **error) {
    ks_linear *linear = calloc(1, sizeof(ks_linear));
    if (!linear) { *error = "out of memory"; return NULL; }
    linear->kind = kind;
    linear->n = n;
    linear->k = k;
    pthread_once(&ks_engine_once, ks_create_engine);
    if (!ks_engine || !ks_stream()) {
        *error = "oneDNN has no CPU engine";
        ks_linear_free(linear);
        return NULL;
    }
    dnnl_memory_desc_t accumulate_md;
    if (ks_make_primitive(linear, 0, &linear->plain, &linear->weights_md) != dnnl_success ||
        ks_make_primitive(linear, 1, &linear->accumulate, &accumulate_md) != dnnl_success) {
        *error = kind == KS_LINEAR_INT8 ? "oneDNN cannot build an int8 matmul on this processor"
                 : kind == KS_LINEAR_BF16 ? "oneDNN cannot build a bf16 matmul on this processor"
                                          : "oneDNN cannot build a float32 matmul";
        ks_linear_free(linear);
        return NULL;
    }
    if (!dnnl_memory_desc_equal(&linear->weights_md, &accumulate_md)) {
        *error = "oneDNN chose different weight layouts for one layer";
        ks_linear_free(linear);
        return NULL;
    }
    if (kind == KS_LINEAR_F32) {
        // The float32 weight is already the source layout; reorder straight from it.
        if (!ks_place_weights(linear, (void *)weight)) {
            *error = "oneDNN could not lay out the weights";
            ks_linear_free(linear);
            return NULL;
        }
        return linear;
    }
    void *plain = malloc((size_t)(n * k) * (kind == KS_LINEAR_INT8 ? 1 : 2));
    if (!plain) { *error = "out of memory"; ks_linear_free(linear); return NULL; }
    if (kind == KS_LINEAR_INT8) {
        // Smoothing: x · Wᵀ = (x / s) · (W · diag(s))ᵀ; the input's outlier channels are divided down and
        // the weight's columns multiplied up, so both quantize with less error.
        float *smoothed = NULL;
        if (input_scales) {
            linear->input_inverse_scales = malloc(sizeof(float) * (size_t)k);
            smoothed = malloc(sizeof(float) * (size_t)(n * k));
            if (!linear->input_inverse_scales || !smoothed) {
                free(smoothed); free(plain); *error = "out of memory"; ks_linear_free(linear); return NULL;
            }
            for (int64_t j = 0; j < k; ++j) linear->input_inverse_scales[j] = 1.0f / input_scales[j];
            for (int64_t row = 0; row < n; ++row)
                for (int64_t j = 0; j < k; ++j) smoothed[row * k + j] = weight[row * k + j] * input_scales[j];
            weight = smoothed;
        }
        // Symmetric per-output-channel quantization: W[r, :] ≈ scale[r] · q[r, :], q in [-127, 127] — or in
        // [-63, 63] on a processor without VNNI, where oneDNN multiplies the input shifted to unsigned bytes by
        // the weights with vpmaddubsw, whose 16-bit sums of two products saturate past 32,767 (255 · 127 · 2
        // does; 255 · 63 · 2 does not). Saturated sums cost a cosine of 0.92 to fp32 on an AVX2 machine.
        const float levels = ks_weight_levels();
        linear->weight_scales = malloc(sizeof(float) * (size_t)n);
        if (!linear->weight_scales) { free(smoothed); free(plain); *error = "out of memory"; ks_linear_free(linear); return NULL; }
        for (int64_t row = 0; row < n; ++row) {
            const float largest = ks_max_abs(weight + row * k, (size_t)k);
            const float scale = largest > 0 ? largest / levels : 1.0f;
            linear->weight_scales[row] = scale;
            ks_quantize(weight + row * k, (int8_t *)plain + row * k, (size_t)k, 1.0f / scale);
        }
        free(smoothed);
    } else {
        ks_f32_to_bf16(weight, plain, (size_t)(n * k));
    }
    const int placed = ks_place_weights(linear, plain);
    free(plain);
    if (!placed) {
        *error = "oneDNN could not lay out the weights";
        ks_linear_free(linear);
        return NULL;
    }
    return linear;
}

void ks_linear_free(ks_linear *linear) {
    if (!linear) return;
    if (linear->plain) dnnl_primitive_destroy(linear->plain);
    if (linear->accumulate) dnnl_primitive_destroy(linear->accumulate);
    if (linear->weights) dnnl_memory_destroy(linear->weights);
    free(linear->weight_scales);
    free(linear->input_inverse_scales);
    free(linear);
}

int ks_linear_apply(ks_linear *linear, int64_t m, const float *a, float *c, int accumulate, uint16_t *scratch,
                    const char **error) {
    if (m <= 0) return 0;
    // The caller splits work across cores itself: oneDNN runs single-threaded in this thread, so no OpenMP
    // worker threads spin beside the caller's. The matmul needs no scratchpad, so concurrent calls are safe.
    omp_set_num_threads(1);
    dnnl_stream_t stream = ks_stream();
    if (!stream) { *error = "oneDNN stream"; return -1; }
    const size_t count = (size_t)(m * linear->k);
    float *scales = NULL;
    if (linear->kind == KS_LINEAR_INT8) {
        // Dynamic symmetric quantization of the input, one scale for these rows; output column j is then
        // dequantized by input scale × weight scale j.
        const float *channel = linear->input_inverse_scales;
        const float largest = channel ? ks_max_abs_smoothed(a, m, linear->k, channel) : ks_max_abs(a, count);
        const float scale = largest > 0 ? largest / 127.0f : 1.0f;
        if (channel) ks_quantize_smoothed(a, (int8_t *)scratch, m, linear->k, channel, 1.0f / scale);
        else ks_quantize(a, (int8_t *)scratch, count, 1.0f / scale);
        scales = malloc(sizeof(float) * (size_t)linear->n);
        if (!scales) { *error = "out of memory"; return -1; }
        for (int64_t j = 0; j < linear->n; ++j) scales[j] = scale * linear->weight_scales[j];
    } else if (linear->kind == KS_LINEAR_BF16) {
        ks_f32_to_bf16(a, scratch, count);
    }
    void *input = linear->kind == KS_LINEAR_F32 ? (void *)a : (void *)scratch;
    dnnl_dim_t a_dims[2] = {m, linear->k}, c_dims[2] = {m, linear->n}, s_dims[1] = {linear->n};
    dnnl_memory_desc_t a_md, c_md, s_md;
    dnnl_memory_desc_init_by_tag(&a_md, 2, a_dims, ks_input_type(linear->kind), dnnl_ab);
    dnnl_memory_desc_init_by_tag(&c_md, 2, c_dims, dnnl_f32, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&s_md, 1, s_dims, dnnl_f32, dnnl_a);
    dnnl_memory_t a_memory = NULL, c_memory = NULL, s_memory = NULL;
    dnnl_status_t status = dnnl_memory_create(&a_memory, &a_md, ks_engine, input);
    if (status == dnnl_success) status = dnnl_memory_create(&c_memory, &c_md, ks_engine, c);
    if (status == dnnl_success && scales) status = dnnl_memory_create(&s_memory, &s_md, ks_engine, scales);
    if (status == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, a_memory}, {DNNL_ARG_WEIGHTS, linear->weights}, {DNNL_ARG_DST, c_memory},
                                   {DNNL_ARG_ATTR_OUTPUT_SCALES, s_memory}};
        status = dnnl_primitive_execute(accumulate ? linear->accumulate : linear->plain, stream, scales ? 4 : 3, args);
        if (status == dnnl_success) status = dnnl_stream_wait(stream);
    }
    if (a_memory) dnnl_memory_destroy(a_memory);
    if (c_memory) dnnl_memory_destroy(c_memory);
    if (s_memory) dnnl_memory_destroy(s_memory);
    free(scales);
    if (status != dnnl_success) { *error = "oneDNN matmul failed"; return -1; }
    return 0;
}
