// Shared between the shim's files: the handle behind ks_faiss and the HNSW helpers faiss_shim.cpp calls.
#ifndef KS_FAISS_INTERNAL_H
#define KS_FAISS_INTERNAL_H

#include <faiss/Index.h>

#include <cstdint>
#include <vector>

struct ks_faiss {
    faiss::Index *index;
    /// HNSW only: vectors removed from the index but still in its graph (FAISS's HNSW cannot unlink a node),
    /// one flag per internal id; searches skip them. `removed_count` of them are set.
    std::vector<uint8_t> removed;
    int64_t removed_count = 0;
    /// HNSW only: the search list used when a search does not give one (0: FAISS's efSearch).
    int32_t ef_search = 0;
};

/// After an index is made or read: an HNSW index over float16 or float32 vectors gets storage whose distances
/// use this processor's vector instructions (Debian's libfaiss is built for baseline x86-64). The file format
/// does not change. Also sets the construction list of a new HNSW index.
void ks_hnsw_prepare(ks_faiss *index, bool fresh);

#endif
