#include "ks_sentencepiece.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

struct ks_spm {
    sentencepiece::SentencePieceProcessor processor;
};

static char *ks_copy_string(const std::string &message) {
    char *copy = static_cast<char *>(std::malloc(message.size() + 1));
    if (copy != nullptr) {
        std::memcpy(copy, message.c_str(), message.size() + 1);
    }
    return copy;
}

/// Loads a model with `load` (a file or a serialized proto); nullptr and *error on failure.
template <typename Load> static ks_spm *ks_load_with(Load load, char **error) {
    try {
        ks_spm *model = new ks_spm();
        const auto status = load(model->processor);
        if (!status.ok()) {
            if (error != nullptr) *error = ks_copy_string(status.ToString());
            delete model;
            return nullptr;
        }
        return model;
    } catch (const std::exception &exception) {
        if (error != nullptr) *error = ks_copy_string(exception.what());
        return nullptr;
    }
}

extern "C" ks_spm *ks_spm_load(const char *path, char **error) {
    return ks_load_with([&](sentencepiece::SentencePieceProcessor &processor) { return processor.Load(std::string(path)); }, error);
}

extern "C" ks_spm *ks_spm_load_proto(const char *bytes, size_t length, char **error) {
    return ks_load_with(
        [&](sentencepiece::SentencePieceProcessor &processor) { return processor.LoadFromSerializedProto(absl::string_view(bytes, length)); },
        error);
}

extern "C" void ks_spm_free(ks_spm *model) { delete model; }

extern "C" void ks_spm_free_string(char *string) { std::free(string); }

extern "C" int ks_spm_encode(const ks_spm *model, const char *text, size_t length, int32_t **ids, size_t *count,
                             char **error) {
    try {
        std::vector<int> pieces;
        const auto status = model->processor.Encode(std::string(text, length), &pieces);
        if (!status.ok()) {
            if (error != nullptr) *error = ks_copy_string(status.ToString());
            return -1;
        }
        int32_t *out = static_cast<int32_t *>(std::malloc(sizeof(int32_t) * (pieces.empty() ? 1 : pieces.size())));
        if (out == nullptr) {
            if (error != nullptr) *error = ks_copy_string("out of memory");
            return -1;
        }
        for (size_t i = 0; i < pieces.size(); ++i) out[i] = static_cast<int32_t>(pieces[i]);
        *ids = out;
        *count = pieces.size();
        return 0;
    } catch (const std::exception &exception) {
        if (error != nullptr) *error = ks_copy_string(exception.what());
        return -1;
    }
}

extern "C" void ks_spm_free_ids(int32_t *ids) { std::free(ids); }

extern "C" int ks_spm_encode_spans(const ks_spm *model, const char *text, size_t length, int32_t **ids, uint32_t **begins,
                                   uint32_t **ends, size_t *count, char **error) {
    try {
        auto encoded = model->processor.EncodeAsImmutableProto(std::string(text, length));
        encoded.ConvertToUnicodeSpans();
        const size_t n = encoded.pieces_size();
        const size_t slots = n == 0 ? 1 : n;
        int32_t *outIds = static_cast<int32_t *>(std::malloc(sizeof(int32_t) * slots));
        uint32_t *outBegins = static_cast<uint32_t *>(std::malloc(sizeof(uint32_t) * slots));
        uint32_t *outEnds = static_cast<uint32_t *>(std::malloc(sizeof(uint32_t) * slots));
        if (outIds == nullptr || outBegins == nullptr || outEnds == nullptr) {
            std::free(outIds);
            std::free(outBegins);
            std::free(outEnds);
            if (error != nullptr) *error = ks_copy_string("out of memory");
            return -1;
        }
        for (size_t i = 0; i < n; ++i) {
            const auto piece = encoded.pieces(static_cast<int>(i));
            outIds[i] = static_cast<int32_t>(piece.id());
            outBegins[i] = piece.begin();
            outEnds[i] = piece.end();
        }
        *ids = outIds;
        *begins = outBegins;
        *ends = outEnds;
        *count = n;
        return 0;
    } catch (const std::exception &exception) {
        if (error != nullptr) *error = ks_copy_string(exception.what());
        return -1;
    }
}

extern "C" void ks_spm_free_spans(uint32_t *spans) { std::free(spans); }

extern "C" int32_t ks_spm_vocab_size(const ks_spm *model) { return model->processor.GetPieceSize(); }

extern "C" int32_t ks_spm_piece_id(const ks_spm *model, const char *piece) {
    const std::string name(piece);
    const int id = model->processor.PieceToId(name);
    if (id == model->processor.unk_id() && model->processor.IdToPiece(id) != name) return -1;
    return id;
}

extern "C" int32_t ks_spm_unk_id(const ks_spm *model) { return model->processor.unk_id(); }
