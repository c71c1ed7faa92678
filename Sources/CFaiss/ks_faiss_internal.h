// Shared between the shim's files: the handle behind ks_faiss and the HNSW helpers faiss_shim.cpp calls.
#ifndef KS_FAISS_INTERNAL_H
#define KS_FAISS_INTERNAL_H

#include <faiss/Index.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
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

/// Sets *error (when not null) to a malloc'ed copy of the message.
inline void ks_set_error(char **error, const char *message) {
    if (error == nullptr) return;
    const size_t length = std::strlen(message);
    char *copy = static_cast<char *>(std::malloc(length + 1));
    if (copy != nullptr) std::memcpy(copy, message, length + 1);
    *error = copy;
}

/// Runs body, turning any C++ exception into an error message and the failure value.
template <typename T, typename Body>
T ks_guard(char **error, T failure, Body body) {
    try {
        return body();
    } catch (const std::exception &exception) {
        ks_set_error(error, exception.what());
    } catch (...) {
        ks_set_error(error, "unknown FAISS error");
    }
    return failure;
}

/// HNSW removal by marking and the checks around adding (hnsw_shim.cpp).
int64_t ks_hnsw_mark_removed(ks_faiss *handle, int64_t n, const int64_t *ids);
bool ks_hnsw_holds_any(const ks_faiss *handle, int64_t n, const int64_t *ids);
void ks_hnsw_after_add(ks_faiss *handle);

/// After an index is made or read: an HNSW index over float16 or float32 vectors gets storage whose distances
/// use this processor's vector instructions (Debian's libfaiss is built for baseline x86-64). The file format
/// does not change. Also sets the construction list of a new HNSW index.
void ks_hnsw_prepare(ks_faiss *index, bool fresh);

#endif
