#!/usr/bin/env python3
"""The Python pipeline a user would write: SentencePiece + transformers DebertaV2Model (fp32), batch 32,
mean pooling over the attention mask, L2 normalization. Reads one text per line, writes a .npy of vectors.

    python_embed.py MODEL_DIR INPUT.txt OUTPUT.npy [--batch-size 32] [--bf16]
"""
import argparse

import numpy as np
import sentencepiece as spm
import torch
from transformers import DebertaV2Model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--bf16", action="store_true", help="torch bf16 autocast")
    args = parser.parse_args()

    torch.set_num_threads(torch.get_num_threads())
    processor = spm.SentencePieceProcessor(model_file=f"{args.model}/spm.model")
    model = DebertaV2Model.from_pretrained(args.model).eval()
    with open(args.input, encoding="utf-8") as handle:
        texts = handle.read().split("\n")[:-1]
    vectors = []
    with torch.inference_mode():
        for start in range(0, len(texts), args.batch_size):
            batch = [[1] + processor.encode(t)[: args.max_length - 2] + [2] for t in texts[start:start + args.batch_size]]
            longest = max(len(x) for x in batch)
            ids = torch.tensor([x + [0] * (longest - len(x)) for x in batch])
            mask = torch.tensor([[1] * len(x) + [0] * (longest - len(x)) for x in batch])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            hidden = hidden.float()
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
            vectors.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    np.save(args.output, np.concatenate(vectors))


if __name__ == "__main__":
    main()
