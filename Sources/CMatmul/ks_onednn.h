// Shared between the C files of CMatmul (not part of its public header).
#ifndef KS_ONEDNN_H
#define KS_ONEDNN_H

#include <oneapi/dnnl/dnnl.h>

// libgomp (OpenMP, which Debian's oneDNN runs on); its omp.h belongs to GCC, so the one function is declared here.
extern void omp_set_num_threads(int threads);

/// Creates the process's CPU engine once; 0 when oneDNN has none.
int ks_onednn_ready(void);
/// The process's CPU engine.
dnnl_engine_t ks_onednn_engine(void);
/// The calling thread's stream.
dnnl_stream_t ks_onednn_stream(void);

#endif
