#!/usr/bin/env python3
"""Dev only: a DeBERTa-v2 of mdeberta-v3-base's size (768 hidden, 12 layers, 12 heads, 3072 intermediate,
relative attention with 256 buckets) with seeded random weights, for timing the forward pass where the real
weights cannot be downloaded. It takes the test fixture's tokenizer (a 1,501-piece SentencePiece model), so its
word-embedding table is small; every other tensor has the base model's shape, so the per-token work is the
real model's. numpy only.

    python3 Scripts/bench/make_base_size_model.py [/tmp/korsearch-base-random]
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "models", "mdeberta-tiny-safetensors")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/korsearch-base-random"
    os.makedirs(out, exist_ok=True)
    config = json.load(open(os.path.join(FIXTURE, "config.json")))
    hidden, layers, heads, intermediate = 768, 12, 12, 3072
    config.update(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads, intermediate_size=intermediate)
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=1)
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(FIXTURE, name), out)
    shutil.copy(os.path.realpath(os.path.join(FIXTURE, "spm.model")), os.path.join(out, "spm.model"))
    rng = np.random.default_rng(7)
    tensors = {
        "embeddings.word_embeddings.weight": (config["vocab_size"], hidden), "embeddings.LayerNorm.weight": (hidden,),
        "embeddings.LayerNorm.bias": (hidden,), "encoder.LayerNorm.weight": (hidden,), "encoder.LayerNorm.bias": (hidden,),
        "encoder.rel_embeddings.weight": (2 * config["position_buckets"], hidden),
    }
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for projection in ("query_proj", "key_proj", "value_proj"):
            tensors[prefix + f"attention.self.{projection}.weight"] = (hidden, hidden)
            tensors[prefix + f"attention.self.{projection}.bias"] = (hidden,)
        tensors.update({
            prefix + "attention.output.dense.weight": (hidden, hidden), prefix + "attention.output.dense.bias": (hidden,),
            prefix + "attention.output.LayerNorm.weight": (hidden,), prefix + "attention.output.LayerNorm.bias": (hidden,),
            prefix + "intermediate.dense.weight": (intermediate, hidden), prefix + "intermediate.dense.bias": (intermediate,),
            prefix + "output.dense.weight": (hidden, intermediate), prefix + "output.dense.bias": (hidden,),
            prefix + "output.LayerNorm.weight": (hidden,), prefix + "output.LayerNorm.bias": (hidden,),
        })
    header, blobs, offset = {}, [], 0
    for name, shape in tensors.items():
        if name.endswith("LayerNorm.weight"):
            array = np.ones(shape, dtype=np.float32)
        else:
            array = (rng.standard_normal(shape) * 0.02).astype(np.float32)
        data = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as file:
        file.write(struct.pack("<Q", len(encoded)) + encoded)
        for blob in blobs:
            file.write(blob)
    print(out)


if __name__ == "__main__":
    main()
