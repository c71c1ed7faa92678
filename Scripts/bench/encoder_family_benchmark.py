#!/usr/bin/env python3
"""Dev-only benchmark: an XLM-RoBERTa sentence-transformers model shaped like BAAI/bge-m3 (24 layers, 1024 hidden,
16 heads, 4096 intermediate, 250,002 vocab, CLS pooling + Normalize; random weights made here, not committed),
embedding the same Korean texts with `korsearch embed` (fp32, bf16, int8) and with sentence-transformers on
PyTorch (fp32, bf16), whole process each, alternating in one run. Prints tokens/s, the ratios, and the cosine of
each to sentence-transformers fp32.

    swift build -c release
    /tmp/venv/bin/python Scripts/bench/encoder_family_benchmark.py [--texts 256] [--rounds 2]
Needs torch (CPU), transformers 4.x, sentence-transformers, sentencepiece.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from embed_benchmark import timed_rounds  # noqa: E402  (one way to time whole processes, shared with the DeBERTa benchmark)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKENIZER = os.path.join(ROOT, "Tests", "Fixtures", "models", "xlmr-tiny-st-cls", "sentencepiece.bpe.model")

ENCODE = r"""
import sys, numpy as np, torch
from sentence_transformers import SentenceTransformer
folder, texts_path, out, dtype = sys.argv[1:5]
texts = open(texts_path, encoding="utf-8").read().splitlines()
model = SentenceTransformer(folder, device="cpu")
if dtype == "bf16":
    model = model.to(torch.bfloat16)
with torch.inference_mode():
    vectors = model.encode(texts, batch_size=32, convert_to_numpy=False, normalize_embeddings=False)
np.save(out, torch.stack([v.float() for v in vectors]).numpy())
"""


def make_model(folder):
    if os.path.exists(os.path.join(folder, "modules.json")):
        return
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer

    work = tempfile.mkdtemp()
    shutil.copy(TOKENIZER, os.path.join(work, "sentencepiece.bpe.model"))
    XLMRobertaTokenizer(os.path.join(work, "sentencepiece.bpe.model"), model_max_length=8192).save_pretrained(work)
    config = XLMRobertaConfig(
        vocab_size=250002, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
        max_position_embeddings=8194, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)
    torch.manual_seed(0)
    model = XLMRobertaModel(config, add_pooling_layer=False).eval()
    with torch.no_grad():  # random everywhere, at a scale that keeps activations sane
        for name, parameter in model.named_parameters():
            if "LayerNorm.weight" in name:
                parameter.copy_(1.0 + 0.1 * torch.randn_like(parameter))
            else:
                parameter.copy_(0.02 * torch.randn_like(parameter))
    model.save_pretrained(work, safe_serialization=True)
    transformer = models.Transformer(work, max_seq_length=8192)
    st = SentenceTransformer(modules=[transformer, models.Pooling(1024, pooling_mode="cls"), models.Normalize()], device="cpu")
    st.save(folder, safe_serialization=True)
    shutil.rmtree(work)


def korean_texts(count):
    """Passages of the team's corpus (Markdown and text files), one per line, ~100-200 tokens each."""
    lines = []
    for base, _, files in sorted(os.walk(os.path.join(ROOT, "Examples", "corpus"))):
        for name in sorted(files):
            if name.endswith((".txt", ".md")):
                with open(os.path.join(base, name), encoding="utf-8", errors="ignore") as handle:
                    lines += [line.strip() for line in handle if len(line.strip()) > 40]
    texts, current = [], ""
    while len(texts) < count:
        for line in lines:
            current = (current + " " + line).strip()
            if len(current) > 220:
                texts.append(current[:400])
                current = ""
            if len(texts) == count:
                break
    return texts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", default=os.path.join(tempfile.gettempdir(), "korsearch-bench-bge-m3"))
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "korsearch"))
    parser.add_argument("--skip-bf16", action="store_true", help="leave out bf16 (a processor without avx512_bf16 emulates it)")
    args = parser.parse_args()

    make_model(args.model)
    work = tempfile.mkdtemp()
    input_path = os.path.join(work, "texts.txt")
    texts = korean_texts(args.texts)
    with open(input_path, "w", encoding="utf-8") as handle:
        handle.write("".join(t + "\n" for t in texts))
    swift = [args.binary, "embed", "--model", args.model, "--input", input_path, "--batch-size", "32", "--no-normalize"]
    script = os.path.join(work, "encode.py")
    with open(script, "w") as handle:
        handle.write(ENCODE)
    runners = [
        ("korsearch fp32", swift + ["--precision", "fp32"]), ("korsearch bf16", swift + ["--precision", "bf16"]),
        ("korsearch int8", swift + ["--precision", "int8"]),
        ("st pytorch fp32", [sys.executable, script, args.model, input_path, os.path.join(work, "fp32.npy"), "fp32"]),
        ("st pytorch bf16", [sys.executable, script, args.model, input_path, os.path.join(work, "bf16.npy"), "bf16"]),
    ]
    if args.skip_bf16:
        runners = [runner for runner in runners if "bf16" not in runner[0]]
    times, outputs = timed_rounds(runners, args.rounds)

    rows = [json.loads(line) for line in outputs["korsearch fp32"].decode().splitlines()]
    tokens = sum(row["tokens"] for row in rows)
    reference = np.load(os.path.join(work, "fp32.npy")).astype(np.float64)

    def cosine(vectors):
        return (vectors * reference).sum(1) / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(reference, axis=1))

    import torch
    print(f"texts {len(texts)}, tokens {tokens} (mean {tokens / len(texts):.1f} per text), torch threads {torch.get_num_threads()}")
    best = {name: min(values) for name, values in times.items()}
    for name in times:
        print(f"{name:18s} best {best[name]:7.2f} s  {tokens / best[name]:8.1f} tokens/s  (runs: " + ", ".join(f"{t:.2f}" for t in times[name]) + ")")
    for ours in [name for name in times if name.startswith("korsearch")]:
        vectors = np.array([json.loads(line)["embedding"] for line in outputs[ours].decode().splitlines()], dtype=np.float64)
        against = [f"{best[other] / best[ours]:.2f}x {other}" for other in times if other.startswith("st ")]
        print(f"{ours}: {', '.join(against)}; cosine to st fp32 min {cosine(vectors).min():.6f}")
    if "st pytorch bf16" in times:
        print(f"st pytorch bf16: cosine to st fp32 min {cosine(np.load(os.path.join(work, 'bf16.npy')).astype(np.float64)).min():.6f}")
    flags = open("/proc/cpuinfo").read().split("flags")[1].split("\n")[0].split()
    print(f"cpu: {os.cpu_count()} cores; avx512_bf16 {'avx512_bf16' in flags}, avx512_vnni {'avx512_vnni' in flags}, amx_bf16 {'amx_bf16' in flags}")


if __name__ == "__main__":
    main()
