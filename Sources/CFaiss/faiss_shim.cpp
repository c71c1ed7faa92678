#include "ks_faiss.h"
#include "ks_faiss_internal.h"

#include <faiss/AutoTune.h>
#include <faiss/Index.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

extern "C" ks_faiss *ks_faiss_create(int32_t dimension, const char *factory, int32_t inner_product, char **error) {
    return ks_guard<ks_faiss *>(error, nullptr, [&]() -> ks_faiss * {
        std::string description(factory);
        if (description.rfind("IDMap", 0) != 0) description = "IDMap2," + description;
        faiss::Index *index = faiss::index_factory(
            dimension, description.c_str(), inner_product ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2);
        auto *handle = new ks_faiss{index};
        ks_hnsw_prepare(handle, true);
        return handle;
    });
}

extern "C" ks_faiss *ks_faiss_read(const char *path, char **error) {
    return ks_guard<ks_faiss *>(error, nullptr, [&]() -> ks_faiss * {
        auto *handle = new ks_faiss{faiss::read_index(path)};
        ks_hnsw_prepare(handle, false);
        return handle;
    });
}

extern "C" int32_t ks_faiss_write(const ks_faiss *index, const char *path, char **error) {
    return ks_guard<int32_t>(error, -1, [&]() -> int32_t {
        faiss::write_index(index->index, path);
        return 0;
    });
}

extern "C" void ks_faiss_free(ks_faiss *index) {
    if (index == nullptr) return;
    delete index->index;
    delete index;
}

extern "C" void ks_faiss_free_string(char *string) { std::free(string); }

extern "C" int32_t ks_faiss_dimension(const ks_faiss *index) { return static_cast<int32_t>(index->index->d); }

extern "C" int64_t ks_faiss_count(const ks_faiss *index) {
    return static_cast<int64_t>(index->index->ntotal) - index->removed_count;
}

extern "C" int64_t ks_faiss_stored_count(const ks_faiss *index) { return static_cast<int64_t>(index->index->ntotal); }

extern "C" int32_t ks_faiss_is_trained(const ks_faiss *index) { return index->index->is_trained ? 1 : 0; }

extern "C" int32_t ks_faiss_train(ks_faiss *index, int64_t n, const float *vectors, char **error) {
    return ks_guard<int32_t>(error, -1, [&]() -> int32_t {
        index->index->train(n, vectors);
        return 0;
    });
}

extern "C" int32_t ks_faiss_add(ks_faiss *index, int64_t n, const float *vectors, const int64_t *ids, char **error) {
    return ks_guard<int32_t>(error, -1, [&]() -> int32_t {
        static_assert(sizeof(faiss::Index::idx_t) == sizeof(int64_t), "FAISS ids are 64-bit");
        const bool graph = ks_faiss_is_hnsw(index);
        if (graph && ks_hnsw_holds_any(index, n, ids)) throw std::runtime_error("an id is already in the HNSW index");
        index->index->add_with_ids(n, vectors, reinterpret_cast<const faiss::Index::idx_t *>(ids));
        if (graph) ks_hnsw_after_add(index);
        return 0;
    });
}

extern "C" int64_t ks_faiss_remove(ks_faiss *index, int64_t n, const int64_t *ids, char **error) {
    return ks_guard<int64_t>(error, -1, [&]() -> int64_t {
        if (ks_faiss_is_hnsw(index)) return ks_hnsw_mark_removed(index, n, ids);
        faiss::IDSelectorBatch selector(n, reinterpret_cast<const faiss::Index::idx_t *>(ids));
        return static_cast<int64_t>(index->index->remove_ids(selector));
    });
}

extern "C" int32_t ks_faiss_search(const ks_faiss *index, int64_t n, const float *queries, int64_t k, float *scores,
                                   int64_t *ids, char **error) {
    return ks_guard<int32_t>(error, -1, [&]() -> int32_t {
        if (ks_faiss_is_hnsw(index)) {
            for (int64_t query = 0; query < n; query++) {
                int64_t found = 0;
                char *failure = nullptr;
                if (ks_faiss_search_hnsw(index, queries + query * index->index->d, k, 0, nullptr, 0, scores + query * k, ids + query * k,
                                         &found, &failure) != 0) {
                    std::string message(failure ? failure : "HNSW search failed");
                    std::free(failure);
                    throw std::runtime_error(message);
                }
                for (int64_t i = found; i < k; i++) ids[query * k + i] = -1;
            }
            return 0;
        }
        index->index->search(n, queries, k, scores, reinterpret_cast<faiss::Index::idx_t *>(ids));
        return 0;
    });
}

extern "C" int32_t ks_faiss_set_parameter(ks_faiss *index, const char *name, double value, char **error) {
    return ks_guard<int32_t>(error, -1, [&]() -> int32_t {
        faiss::ParameterSpace space;
        space.set_index_parameter(index->index, name, value);
        return 0;
    });
}

extern "C" void ks_faiss_set_blas_threshold(int32_t queries) { faiss::distance_compute_blas_threshold = queries; }
