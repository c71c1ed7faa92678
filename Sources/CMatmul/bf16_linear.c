#include "ks_matmul.h"

#include <oneapi/dnnl/dnnl.h>
// libgomp (OpenMP, which Debian's oneDNN runs on); its omp.h belongs to GCC, so the one function is declared here.
extern void omp_set_num_threads(int threads);
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

struct ks_bf16_linear {
    int64_t n, k;
    dnnl_engine_t engine;
    dnnl_primitive_t plain;       // c = a · Wᵀ
    dnnl_primitive_t accumulate;  // c += a · Wᵀ (sum post-op)
    dnnl_memory_t weights;        // bf16, in the layout the primitives prefer
    dnnl_memory_desc_t weights_md;
};

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void ks_f32_to_bf16(const float *source, uint16_t *target, size_t count) {
    for (size_t i = 0; i < count; ++i) {
        uint32_t bits;
        memcpy(&bits, &source[i], 4);
        const uint32_t is_nan = (bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0;
        const uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
        target[i] = (uint16_t)(is_nan ? ((bits >> 16) | 0x40u) : rounded);
    }
}

static dnnl_status_t make_primitive(ks_bf16_linear *linear, int sum, dnnl_primitive_t *primitive,
                                    dnnl_memory_desc_t *weights_md) {
    const dnnl_dim_t runtime = DNNL_RUNTIME_DIM_VAL;
    dnnl_dim_t a_dims[2] = {runtime, linear->k}, w_dims[2] = {linear->k, linear->n}, c_dims[2] = {runtime, linear->n};
    dnnl_memory_desc_t a_md, w_md, c_md;
    dnnl_status_t status;
    if ((status = dnnl_memory_desc_init_by_tag(&a_md, 2, a_dims, dnnl_bf16, dnnl_ab)) != dnnl_success) return status;
    if ((status = dnnl_memory_desc_init_by_tag(&w_md, 2, w_dims, dnnl_bf16, dnnl_format_tag_any)) != dnnl_success) return status;
    if ((status = dnnl_memory_desc_init_by_tag(&c_md, 2, c_dims, dnnl_f32, dnnl_ab)) != dnnl_success) return status;
    dnnl_matmul_desc_t desc;
    if ((status = dnnl_matmul_desc_init(&desc, &a_md, &w_md, NULL, &c_md)) != dnnl_success) return status;
    dnnl_primitive_attr_t attr = NULL;
    if (sum) {
        dnnl_post_ops_t ops;
        dnnl_primitive_attr_create(&attr);
        dnnl_post_ops_create(&ops);
        dnnl_post_ops_append_sum(ops, 1.0f);
        dnnl_primitive_attr_set_post_ops(attr, ops);
        dnnl_post_ops_destroy(ops);
    }
    dnnl_primitive_desc_t pd;
    status = dnnl_primitive_desc_create(&pd, &desc, attr, linear->engine, NULL);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (status != dnnl_success) return status;
    *weights_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    status = dnnl_primitive_create(primitive, pd);
    dnnl_primitive_desc_destroy(pd);
    return status;
}

ks_bf16_linear *ks_bf16_linear_create(int64_t n, int64_t k, const float *weight, const char **error) {
    ks_bf16_linear *linear = calloc(1, sizeof(ks_bf16_linear));
    if (!linear) { *error = "out of memory"; return NULL; }
    linear->n = n;
    linear->k = k;
    pthread_once(&ks_engine_once, ks_create_engine);
    linear->engine = ks_engine;
    if (!linear->engine || !ks_stream()) {
        *error = "oneDNN has no CPU engine";
        ks_bf16_linear_free(linear);
        return NULL;
    }
    dnnl_memory_desc_t accumulate_md;
    if (make_primitive(linear, 0, &linear->plain, &linear->weights_md) != dnnl_success ||
        make_primitive(linear, 1, &linear->accumulate, &accumulate_md) != dnnl_success) {
        *error = "oneDNN cannot build a bf16 matmul on this processor";
        ks_bf16_linear_free(linear);
        return NULL;
    }
    if (!dnnl_memory_desc_equal(&linear->weights_md, &accumulate_md)) {
        *error = "oneDNN chose different weight layouts for one layer";
        ks_bf16_linear_free(linear);
        return NULL;
    }
    // W [n, k] row-major is the (k, n) matrix in "ba" order: convert to bf16, then reorder once into the
    // layout the primitive prefers.
    uint16_t *plain = malloc(sizeof(uint16_t) * (size_t)(n * k));
    if (!plain) { *error = "out of memory"; ks_bf16_linear_free(linear); return NULL; }
    ks_f32_to_bf16(weight, plain, (size_t)(n * k));
    dnnl_dim_t dims[2] = {k, n};
    dnnl_memory_desc_t source_md;
    dnnl_memory_desc_init_by_tag(&source_md, 2, dims, dnnl_bf16, dnnl_ba);
    dnnl_memory_t source;
    dnnl_primitive_desc_t reorder_pd;
    dnnl_primitive_t reorder;
    int ok = dnnl_memory_create(&source, &source_md, linear->engine, plain) == dnnl_success &&
             dnnl_memory_create(&linear->weights, &linear->weights_md, linear->engine, DNNL_MEMORY_ALLOCATE) == dnnl_success &&
             dnnl_reorder_primitive_desc_create(&reorder_pd, &source_md, linear->engine, &linear->weights_md, linear->engine, NULL) == dnnl_success;
    if (ok) {
        ok = dnnl_primitive_create(&reorder, reorder_pd) == dnnl_success;
        dnnl_primitive_desc_destroy(reorder_pd);
        if (ok) {
            dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, source}, {DNNL_ARG_TO, linear->weights}};
            ok = dnnl_primitive_execute(reorder, ks_stream(), 2, args) == dnnl_success &&
                 dnnl_stream_wait(ks_stream()) == dnnl_success;
            dnnl_primitive_destroy(reorder);
        }
        dnnl_memory_destroy(source);
    }
    free(plain);
    if (!ok) {
        *error = "oneDNN could not lay out the bf16 weights";
        ks_bf16_linear_free(linear);
        return NULL;
    }
    return linear;
}

void ks_bf16_linear_free(ks_bf16_linear *linear) {
    if (!linear) return;
    if (linear->plain) dnnl_primitive_destroy(linear->plain);
    if (linear->accumulate) dnnl_primitive_destroy(linear->accumulate);
    if (linear->weights) dnnl_memory_destroy(linear->weights);
    free(linear);
}

int ks_bf16_linear_apply(ks_bf16_linear *linear, int64_t m, const float *a, float *c, int accumulate,
                         uint16_t *scratch, const char **error) {
    if (m <= 0) return 0;
    // The caller splits work across cores itself: oneDNN runs single-threaded in this thread, so no OpenMP
    // worker threads spin beside the caller's. The matmul needs no scratchpad, so concurrent calls are safe.
    omp_set_num_threads(1);
    dnnl_stream_t stream = ks_stream();
    if (!stream) { *error = "oneDNN stream"; return -1; }
    ks_f32_to_bf16(a, scratch, (size_t)(m * linear->k));
    dnnl_dim_t a_dims[2] = {m, linear->k}, c_dims[2] = {m, linear->n};
    dnnl_memory_desc_t a_md, c_md;
    dnnl_memory_desc_init_by_tag(&a_md, 2, a_dims, dnnl_bf16, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&c_md, 2, c_dims, dnnl_f32, dnnl_ab);
    dnnl_memory_t a_memory, c_memory;
    if (dnnl_memory_create(&a_memory, &a_md, linear->engine, scratch) != dnnl_success) { *error = "oneDNN memory"; return -1; }
    if (dnnl_memory_create(&c_memory, &c_md, linear->engine, c) != dnnl_success) {
        dnnl_memory_destroy(a_memory);
        *error = "oneDNN memory";
        return -1;
    }
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, a_memory}, {DNNL_ARG_WEIGHTS, linear->weights}, {DNNL_ARG_DST, c_memory}};
    dnnl_status_t status = dnnl_primitive_execute(accumulate ? linear->accumulate : linear->plain, stream, 3, args);
    if (status == dnnl_success) status = dnnl_stream_wait(stream);
    dnnl_memory_destroy(a_memory);
    dnnl_memory_destroy(c_memory);
    if (status != dnnl_success) { *error = "oneDNN matmul failed"; return -1; }
    return 0;
}
