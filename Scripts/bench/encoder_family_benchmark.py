#!/usr/bin/env python3
"""Dev-only benchmark: an XLM-RoBERTa sentence-transformers model shaped like BAAI/bge-m3 (24 layers, 1024 hidden,
16 heads, 4096 intermediate, 250,002 vocab, CLS pooling + Normalize; random weights made here, not committed),
embedding the same Korean texts with `korsearch embed` (fp32, bf16, int8), with sentence-transformers on PyTorch
(fp32, bf16) and on ONNX Runtime (the model exported to ONNX, fp32 and int8 by dynamic quantization; batches of
32 sorted by length, as sentence-transformers batches), whole process each, alternating in one run. Prints
tokens/s, the ratios, and the cosine of each to sentence-transformers fp32.

Then rerank latency: a cross-encoder of the same shape (bge-reranker-v2-m3's architecture, random weights) scoring
the top 50 passages of a query, `korsearch rerank` against sentence-transformers' CrossEncoder.predict: each
process run with 1 and with 1 + --queries queries, the difference per query (model loading left out).

    swift build -c release
    /tmp/venv/bin/python Scripts/bench/encoder_family_benchmark.py [--texts 256] [--rounds 2] [--skip-bf16]
        [--skip-onnx] [--queries 4]
Needs torch (CPU), transformers 4.x, sentence-transformers, sentencepiece; onnx and onnxruntime for ONNX Runtime.
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


ORT = r"""
import sys, numpy as np, onnxruntime as ort
from transformers import AutoTokenizer
folder, onnx_path, texts_path, out = sys.argv[1:5]
texts = open(texts_path, encoding="utf-8").read().splitlines()
tokenizer = AutoTokenizer.from_pretrained(folder)
session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
vectors = [None] * len(texts)
for start in range(0, len(order), 32):
    chosen = order[start:start + 32]
    batch = tokenizer([texts[i] for i in chosen], padding=True, truncation=True, max_length=8192, return_tensors="np")
    hidden = session.run(None, {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]})[0]
    for i, vector in zip(chosen, hidden[:, 0]):
        vectors[i] = vector
np.save(out, np.stack(vectors).astype(np.float32))
"""

RERANK = r"""
import json, sys
from sentence_transformers import CrossEncoder
folder, requests_path = sys.argv[1:3]
model = CrossEncoder(folder, device="cpu")
for line in open(requests_path, encoding="utf-8"):
    request = json.loads(line)
    print(json.dumps({"scores": model.predict([(request["query"], p) for p in request["passages"]], batch_size=16).tolist()}))
"""


def export_onnx(folder):
    """The bi-encoder's transformer as ONNX (fp32), and its int8 dynamic quantization; made once, kept beside it."""
    target = folder + "-onnx"
    fp32, int8 = os.path.join(target, "model.onnx"), os.path.join(target, "model-int8.onnx")
    if os.path.exists(int8):
        return fp32, int8
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import XLMRobertaModel
    os.makedirs(target, exist_ok=True)
    model = XLMRobertaModel.from_pretrained(folder, add_pooling_layer=False).eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(model, (ids, torch.ones_like(ids)), fp32, input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                                        "last_hidden_state": {0: "batch", 1: "tokens"}})
    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, use_external_data_format=True)
    return fp32, int8


def make_reranker(folder):
    """A cross-encoder of the bi-encoder's shape: its (random) transformer under a random one-label head."""
    target = folder + "-reranker"
    if os.path.exists(os.path.join(target, "config.json")):
        return target
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification, XLMRobertaModel, XLMRobertaTokenizer
    config = XLMRobertaConfig.from_pretrained(folder, num_labels=1, architectures=["XLMRobertaForSequenceClassification"])
    model = XLMRobertaForSequenceClassification(config).eval()
    model.roberta.load_state_dict(XLMRobertaModel.from_pretrained(folder, add_pooling_layer=False).state_dict(), strict=False)
    torch.manual_seed(1)
    with torch.no_grad():
        for parameter in model.classifier.parameters():
            parameter.copy_(0.02 * torch.randn_like(parameter))
    model.save_pretrained(target, safe_serialization=True)
    XLMRobertaTokenizer(os.path.join(folder, "sentencepiece.bpe.model"), model_max_length=512).save_pretrained(target)
    return target


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
    parser.add_argument("--skip-onnx", action="store_true", help="leave out ONNX Runtime")
    parser.add_argument("--queries", type=int, default=4, help="queries of 50 passages for the rerank latency (0: none)")
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
    if not args.skip_onnx:
        fp32_onnx, int8_onnx = export_onnx(args.model)
        ort_script = os.path.join(work, "ort.py")
        with open(ort_script, "w") as handle:
            handle.write(ORT)
        runners += [
            ("st onnxruntime fp32", [sys.executable, ort_script, args.model, fp32_onnx, input_path, os.path.join(work, "ort-fp32.npy")]),
            ("st onnxruntime int8", [sys.executable, ort_script, args.model, int8_onnx, input_path, os.path.join(work, "ort-int8.npy")]),
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
    for name, path in [("st pytorch bf16", "bf16.npy"), ("st onnxruntime fp32", "ort-fp32.npy"), ("st onnxruntime int8", "ort-int8.npy")]:
        if name in times:
            vectors = np.load(os.path.join(work, path)).astype(np.float64)
            print(f"{name}: cosine to st fp32 min {cosine(vectors).min():.6f}")
    if args.queries > 0:
        rerank_latency(args, texts, work)
    flags = open("/proc/cpuinfo").read().split("flags")[1].split("\n")[0].split()
    print(f"cpu: {os.cpu_count()} cores; avx512_bf16 {'avx512_bf16' in flags}, avx512_vnni {'avx512_vnni' in flags}, amx_bf16 {'amx_bf16' in flags}")


def rerank_latency(args, texts, work):
    """Milliseconds per query of 50 passages: each tool run with 1 and with 1 + queries requests, alternating."""
    reranker = make_reranker(args.model)
    script = os.path.join(work, "rerank.py")
    with open(script, "w") as handle:
        handle.write(RERANK)
    runners = []
    for count in (1, 1 + args.queries):
        path = os.path.join(work, f"requests-{count}.jsonl")
        with open(path, "w", encoding="utf-8") as handle:
            for index in range(count):
                passages = [texts[(index * 50 + i) % len(texts)] for i in range(50)]
                handle.write(json.dumps({"query": texts[index][:40], "passages": passages}, ensure_ascii=False) + "\n")
        runners += [
            (f"korsearch fp32 x{count}", [args.binary, "rerank", "--model", reranker, "--input", path, "--precision", "fp32"]),
            (f"korsearch int8 x{count}", [args.binary, "rerank", "--model", reranker, "--input", path, "--precision", "int8"]),
            (f"st pytorch fp32 x{count}", [sys.executable, script, reranker, path]),
        ]
    times, outputs = timed_rounds(runners, args.rounds)
    best = {name: min(values) for name, values in times.items()}
    reference = [json.loads(line)["scores"] for line in outputs[f"st pytorch fp32 x{1 + args.queries}"].decode().splitlines()]
    print(f"rerank: top 50 per query, {args.queries} queries after the first (model loading left out)")
    for tool in ["korsearch fp32", "korsearch int8", "st pytorch fp32"]:
        per_query = (best[f"{tool} x{1 + args.queries}"] - best[f"{tool} x1"]) / args.queries
        scores = [json.loads(line)["scores"] for line in outputs[f"{tool} x{1 + args.queries}"].decode().splitlines()]
        error = max(abs(a - b) for got, wanted in zip(scores, reference) for a, b in zip(got, wanted))
        print(f"{tool:18s} {per_query * 1000:8.0f} ms per query  (largest score difference to st fp32 {error:.2e})")


if __name__ == "__main__":
    main()
