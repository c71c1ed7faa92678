#!/usr/bin/env python3
"""Dev-only benchmark: `korsearch embed` against the Python pipeline (transformers DebertaV2Model fp32,
SentencePiece, batch 32, mean pooling), whole process each, alternating in one run, on one full-size random
model shaped like mdeberta-v3-base (768 hidden, 12 layers, 251000 vocab; made here, not committed) and the
same ~128-token Korean texts. Prints both throughputs, the ratio and the cosine between their embeddings.

    swift build -c release
    /tmp/ref/bin/python Scripts/bench/embed_benchmark.py [--texts 256] [--rounds 2] [--torch-bf16]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import sentencepiece as spm
import torch
from transformers import DebertaV2Config, DebertaV2Model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPM = os.path.join(ROOT, "Tests", "Fixtures", "spm", "spm.model")


def make_model(folder):
    if os.path.exists(os.path.join(folder, "model.safetensors")):
        return
    os.makedirs(folder, exist_ok=True)
    config = DebertaV2Config(
        vocab_size=251000, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        hidden_act="gelu", layer_norm_eps=1e-7, max_position_embeddings=512, relative_attention=True,
        position_buckets=256, max_relative_positions=-1, pos_att_type="p2c|c2p", share_att_key=True,
        norm_rel_ebd="layer_norm", position_biased_input=False, type_vocab_size=0, pad_token_id=0)
    torch.manual_seed(0)
    model = DebertaV2Model(config)
    with torch.no_grad():  # random everywhere, LayerNorms included, at a scale that keeps activations sane
        for name, parameter in model.named_parameters():
            if "LayerNorm.weight" in name:
                parameter.copy_(1.0 + 0.1 * torch.randn_like(parameter))
            elif name.endswith("bias"):
                parameter.copy_(0.02 * torch.randn_like(parameter))
            else:
                parameter.copy_(0.02 * torch.randn_like(parameter))
    model.save_pretrained(folder)
    with open(os.path.join(SPM), "rb") as source, open(os.path.join(folder, "spm.model"), "wb") as target:
        target.write(source.read())


def korean_texts(count, tokens):
    """~`tokens`-token texts from the fixtures' Korean text (the constitution and the test cases)."""
    processor = spm.SentencePieceProcessor(model_file=SPM)
    with open(os.path.join(ROOT, "Tests", "Fixtures", "tokenizer_cases.json"), encoding="utf-8") as handle:
        source = " ".join(case["text"] for case in json.load(handle)["cases"])
    pieces = processor.encode(source)
    texts = []
    start = 0
    while len(texts) < count:
        window = pieces[start:start + tokens - 2]
        if len(window) < tokens - 2:
            start = 0
            continue
        texts.append(processor.decode(window).replace("\n", " "))
        start += 37
    return texts


def run(command):
    begin = time.perf_counter()
    result = subprocess.run(command, capture_output=True)
    elapsed = time.perf_counter() - begin
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed: {result.stderr.decode()[-2000:]}")
    return elapsed, result.stdout


def timed_rounds(runners, rounds):
    """Runs each (name, command) once per round, alternating; returns each one's times and its last stdout."""
    times = {name: [] for name, _ in runners}
    outputs = {}
    for round_index in range(rounds):
        for name, command in runners:
            elapsed, stdout = run(command)
            times[name].append(elapsed)
            outputs[name] = stdout
            print(f"round {round_index + 1} {name}: {elapsed:.2f} s", file=sys.stderr)
    return times, outputs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", default=os.path.join(tempfile.gettempdir(), "korsearch-bench-mdeberta"))
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "korsearch"))
    parser.add_argument("--torch-bf16", action="store_true", help="also run the Python pipeline with bf16 autocast")
    args = parser.parse_args()

    make_model(args.model)
    work = tempfile.mkdtemp()
    input_path = os.path.join(work, "texts.txt")
    texts = korean_texts(args.texts, args.tokens)
    with open(input_path, "w", encoding="utf-8") as handle:
        handle.write("".join(t + "\n" for t in texts))

    swift_command = [args.binary, "embed", "--model", args.model, "--input", input_path, "--batch-size", "32"]
    python_command = [sys.executable, os.path.join(ROOT, "Scripts", "bench", "python_embed.py"), args.model,
                      input_path, os.path.join(work, "python.npy")]
    runners = [("korsearch fp32", swift_command + ["--precision", "fp32"]), ("korsearch bf16", swift_command + ["--precision", "bf16"]),
               ("korsearch int8", swift_command + ["--precision", "int8"]), ("python fp32", python_command)]
    if args.torch_bf16:
        runners.append(("python bf16 autocast", python_command[:-1] + [os.path.join(work, "python-bf16.npy"), "--bf16"]))

    times, outputs = timed_rounds(runners, args.rounds)

    rows = [json.loads(line) for line in outputs["korsearch fp32"].decode().splitlines()]
    tokens = sum(row["tokens"] for row in rows)
    python_vectors = np.load(os.path.join(work, "python.npy")).astype(np.float64)

    def cosine_to_python(name):
        vectors = np.array([json.loads(line)["embedding"] for line in outputs[name].decode().splitlines()], dtype=np.float64)
        return (vectors * python_vectors).sum(1) / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(python_vectors, axis=1))

    print(f"texts {len(texts)}, tokens {tokens} (mean {tokens / len(texts):.1f} per text), threads {torch.get_num_threads()}")
    best = {name: min(values) for name, values in times.items()}
    for name in times:
        print(f"{name:24s} best {best[name]:7.2f} s  {tokens / best[name]:8.1f} tokens/s  (runs: "
              + ", ".join(f"{t:.2f}" for t in times[name]) + ")")
    for ours in ("korsearch fp32", "korsearch bf16", "korsearch int8"):
        print(f"ratio {ours} / python fp32: {best['python fp32'] / best[ours]:.2f}x")
        if args.torch_bf16:
            print(f"ratio {ours} / python bf16 autocast: {best['python bf16 autocast'] / best[ours]:.2f}x")
        cosine = cosine_to_python(ours)
        print(f"cosine {ours} vs python fp32: min {cosine.min():.7f}, mean {cosine.mean():.7f}")


if __name__ == "__main__":
    main()
