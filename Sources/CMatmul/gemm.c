#include "ks_matmul.h"
#include "ks_onednn.h"

#include <stdlib.h>

struct ks_gemm {
    dnnl_primitive_t primitive;
    int transposed_b;
};

ks_gemm *ks_gemm_bf16_create(int transposed_b, float alpha, const char **error) {
    if (!ks_onednn_ready()) { *error = "oneDNN has no CPU engine"; return NULL; }
    ks_gemm *gemm = calloc(1, sizeof(ks_gemm));
    if (!gemm) { *error = "out of memory"; return NULL; }
    gemm->transposed_b = transposed_b;
    // Every dimension and stride is given per call, so one primitive serves every sequence length.
    const dnnl_dim_t r = DNNL_RUNTIME_DIM_VAL;
    dnnl_dims_t a_dims = {r, r}, b_dims = {r, r}, c_dims = {r, r};
    dnnl_dims_t a_strides = {r, 1}, c_strides = {r, 1};
    dnnl_dims_t b_strides = {r, 1};
    if (transposed_b) { b_strides[0] = 1; b_strides[1] = r; }
    dnnl_memory_desc_t a_md, b_md, c_md;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t status = dnnl_memory_desc_init_by_strides(&a_md, 2, a_dims, dnnl_bf16, a_strides);
    if (status == dnnl_success) status = dnnl_memory_desc_init_by_strides(&b_md, 2, b_dims, dnnl_bf16, b_strides);
    if (status == dnnl_success) status = dnnl_memory_desc_init_by_strides(&c_md, 2, c_dims, dnnl_f32, c_strides);
    if (status == dnnl_success) status = dnnl_matmul_desc_init(&desc, &a_md, &b_md, NULL, &c_md);
    if (status == dnnl_success) status = dnnl_primitive_attr_create(&attr);
    if (status == dnnl_success && alpha != 1.0f) status = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha);
    if (status == dnnl_success) status = dnnl_primitive_desc_create(&pd, &desc, attr, ks_onednn_engine(), NULL);
    if (status == dnnl_success) status = dnnl_primitive_create(&gemm->primitive, pd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (status != dnnl_success) {
        *error = "oneDNN cannot build a bf16 matmul on this processor";
        ks_gemm_free(gemm);
        return NULL;
    }
    return gemm;
}

void ks_gemm_free(ks_gemm *gemm) {
    if (!gemm) return;
    if (gemm->primitive) dnnl_primitive_destroy(gemm->primitive);
    free(gemm);
}

int ks_gemm_bf16_apply(ks_gemm *gemm, int64_t m, int64_t n, int64_t k, const uint16_t *a, int64_t lda,
                       const uint16_t *b, int64_t ldb, float *c, int64_t ldc, const char **error) {
    if (m <= 0 || n <= 0) return 0;
    omp_set_num_threads(1);
    dnnl_stream_t stream = ks_onednn_stream();
    if (!stream) { *error = "oneDNN stream"; return -1; }
    dnnl_dims_t a_dims = {m, k}, b_dims = {k, n}, c_dims = {m, n};
    dnnl_dims_t a_strides = {lda, 1}, c_strides = {ldc, 1};
    dnnl_dims_t b_strides = {ldb, 1};
    if (gemm->transposed_b) { b_strides[0] = 1; b_strides[1] = ldb; }
    dnnl_memory_desc_t a_md, b_md, c_md;
    dnnl_memory_t a_memory = NULL, b_memory = NULL, c_memory = NULL;
    dnnl_status_t status = dnnl_memory_desc_init_by_strides(&a_md, 2, a_dims, dnnl_bf16, a_strides);
    if (status == dnnl_success) status = dnnl_memory_desc_init_by_strides(&b_md, 2, b_dims, dnnl_bf16, b_strides);
    if (status == dnnl_success) status = dnnl_memory_desc_init_by_strides(&c_md, 2, c_dims, dnnl_f32, c_strides);
    if (status == dnnl_success) status = dnnl_memory_create(&a_memory, &a_md, ks_onednn_engine(), (void *)a);
    if (status == dnnl_success) status = dnnl_memory_create(&b_memory, &b_md, ks_onednn_engine(), (void *)b);
    if (status == dnnl_success) status = dnnl_memory_create(&c_memory, &c_md, ks_onednn_engine(), c);
    if (status == dnnl_success) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, a_memory}, {DNNL_ARG_WEIGHTS, b_memory}, {DNNL_ARG_DST, c_memory}};
        status = dnnl_primitive_execute(gemm->primitive, stream, 3, args);
        if (status == dnnl_success) status = dnnl_stream_wait(stream);
    }
    if (a_memory) dnnl_memory_destroy(a_memory);
    if (b_memory) dnnl_memory_destroy(b_memory);
    if (c_memory) dnnl_memory_destroy(c_memory);
    if (status != dnnl_success) { *error = "oneDNN bf16 matmul failed"; return -1; }
    return 0;
}
