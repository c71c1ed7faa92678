// FAISS's impl/HNSW.h includes <omp.h> for the lock type in two declarations the shim never calls; the clang
// that builds Swift packages ships no OpenMP header (Debian's is GCC's, outside clang's search path). This
// stands in for it in the shim alone: the lock as libgomp lays it out on Linux (4 bytes, 4-aligned). FAISS
// itself still runs on libgomp, linked as before.
#ifndef KS_OMP_COMPAT_H
#define KS_OMP_COMPAT_H

typedef struct {
    unsigned char opaque[4] __attribute__((aligned(4)));
} omp_lock_t;

#endif
