#!/usr/bin/env python3
"""Dev-only: makes the committed test fixtures under Tests/Fixtures from independent references.

Needs (not in CI, not at run time): torch==2.13.0+cpu, transformers, sentencepiece, safetensors, numpy, and
network access to PyPI for the konlpy wheel (its Korean corpus trains the SentencePiece model).

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install torch==2.13.0+cpu transformers sentencepiece safetensors numpy
    /tmp/ref/bin/python Scripts/make_fixtures.py

Outputs:
  Tests/Fixtures/spm/spm.model            a SentencePiece unigram model trained on Korean text (nmt_nfkc)
  Tests/Fixtures/tokenizer_cases.json     texts and the ids SentencePiece gives them, DeBERTa-wrapped
  Tests/Fixtures/models/<name>/           tiny random DeBERTa-v2 models (every parameter random)
  Tests/Fixtures/models/<name>/expected.json  transformers' last hidden states and mean-pooled embeddings
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import sentencepiece as spm
import torch
from safetensors.torch import save_file
from transformers import DebertaV2Config, DebertaV2Model
from transformers.models.deberta_v2.modeling_deberta_v2 import make_log_bucket_position

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
torch.manual_seed(20261127)
np.random.seed(20261127)

# Team-written Korean financial sentences, added to the training text so finance words get pieces.
FINANCE_TEXT = """한국은행은 기준금리를 연 3.50%로 동결했다.
삼성전자㈜는 2024년 3분기 연결 기준 영업이익이 9조 1,834억 원으로 잠정 집계됐다고 공시했다.
원/달러 환율은 전 거래일보다 4.2원 오른 1,350.5원에 마감했다.
국고채 3년물 금리는 0.03%포인트 하락한 연 3.28%를 기록했다.
당사는 제3조 제②항에 따라 이익배당을 현금으로 지급한다.
이 상품은 예금자보호법에 따라 원금과 소정의 이자를 합하여 1인당 최고 5천만 원까지 보호됩니다.
외국인 투자자는 코스피 시장에서 3거래일 연속 순매수했다.
신용등급 전망은 안정적이며, 부채비율은 전년 대비 12.4%포인트 개선됐다.
배당성향은 25%이며 주당 배당금은 1,444원이다.
회사는 2024. 3. 15. 이사회를 열어 자기주식 취득을 결의하였음.
"""

TOKENIZER_CASES = [
    "",
    "한국은행은 기준금리를 동결했다.",
    "삼성전자㈜는 2024년 3분기 영업이익 ①항을 공시했다.",
    "ＫＯＳＰＩ 지수는 ２，５００선을 회복했다",
    "株式會社 韓國銀行의 基準金利 發表",
    "금리 인상 📈 우려와 환율 급등 😀",
    "공백이    여러   개  있는   문장",
    "  앞뒤에 공백이 있는 문장  ",
    "탭\t문자와 혼합 English text ABC 123",
    "1,350.5원, 2024. 3. 15. 제3조 ② 항",
    "Ⅲ. 재무제표 ㎡ ㎏ ℃ ½ ™",
    "\u1112\u1161\u11ab\u1100\u116e\u11a8 은행",  # 한국 in decomposed jamo
    "[CLS] 특수 토큰처럼 보이는 글자 [SEP]",
]


def konlpy_corpus():
    """Korean bills and the constitution shipped in konlpy's wheel (downloaded from PyPI, not installed)."""
    folder = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "konlpy==0.6.0", "-d", folder],
                   check=True)
    wheel = glob.glob(os.path.join(folder, "konlpy-*.whl"))[0]
    texts = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.startswith("konlpy/data/corpus/") and name.endswith(".txt"):
                texts[os.path.basename(name)] = archive.read(name).decode("utf-8")
    return texts


def train_spm(corpus):
    out = os.path.join(FIXTURES, "spm")
    os.makedirs(out, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        for text in corpus.values():
            handle.write(text + "\n")
        handle.write(FINANCE_TEXT)
        train_path = handle.name
    spm.SentencePieceTrainer.train(
        input=train_path, model_prefix=os.path.join(out, "spm"), vocab_size=1500, model_type="unigram",
        character_coverage=0.9995, normalization_rule_name="nmt_nfkc",
        pad_id=0, bos_id=1, eos_id=2, unk_id=3,
        pad_piece="[PAD]", bos_piece="[CLS]", eos_piece="[SEP]", unk_piece="[UNK]",
        hard_vocab_limit=False, minloglevel=2)
    os.remove(os.path.join(out, "spm.vocab"))
    return os.path.join(out, "spm.model")


def deberta_ids(processor, text, max_length):
    return [1] + processor.encode(text)[: max_length - 2] + [2]


def write_tokenizer_files(folder, vocab_size):
    """The tokenizer files of a hub repository, in the shape mdeberta's carry."""
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as handle:
        json.dump({"do_lower_case": False, "split_by_punct": False, "vocab_type": "spm",
                   "bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "[UNK]", "sep_token": "[SEP]",
                   "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]",
                   "added_tokens_decoder": {str(vocab_size - 1): {"content": "[MASK]", "special": True}}},
                  handle, indent=1)
    with open(os.path.join(folder, "special_tokens_map.json"), "w") as handle:
        json.dump({"bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "[UNK]", "sep_token": "[SEP]",
                   "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}, handle, indent=1)


def randomize(model):
    """Every parameter random, LayerNorm weights and biases included, so no bias or scale bug can hide."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "LayerNorm.weight" in name:
                parameter.copy_(1.0 + 0.3 * torch.randn_like(parameter))
            elif name.endswith("bias"):
                parameter.copy_(0.2 * torch.randn_like(parameter))
            else:
                parameter.copy_(0.3 * torch.randn_like(parameter))


def masked_lm_state_dict(model, shared_qkv_storage):
    """The state dict of a masked-LM checkpoint: `deberta.` keys, `lm_predictions.*` head tensors and a decoder
    that shares storage with the word embeddings; optionally Q, K and V as views into one storage at offsets."""
    state = {"deberta." + key: value.clone() for key, value in model.state_dict().items()}
    hidden = model.config.hidden_size
    state["lm_predictions.lm_head.dense.weight"] = torch.randn(hidden, hidden)
    state["lm_predictions.lm_head.dense.bias"] = torch.randn(hidden)
    state["lm_predictions.lm_head.LayerNorm.weight"] = torch.randn(hidden)
    state["lm_predictions.lm_head.LayerNorm.bias"] = torch.randn(hidden)
    state["lm_predictions.lm_head.bias"] = torch.randn(model.config.vocab_size)
    state["lm_predictions.lm_head.decoder.weight"] = state["deberta.embeddings.word_embeddings.weight"]
    if shared_qkv_storage:
        for index in range(model.config.num_hidden_layers):
            base = f"deberta.encoder.layer.{index}.attention.self."
            stacked = torch.cat([state[base + p + "_proj.weight"] for p in ("query", "key", "value")]).clone()
            rows = state[base + "query_proj.weight"].shape[0]
            for n, p in enumerate(("query", "key", "value")):
                state[base + p + "_proj.weight"] = stacked[n * rows:(n + 1) * rows]
    return state


def batch_texts(corpus, processor, lengths):
    """Korean texts of about the given token lengths, cut from the constitution."""
    words = corpus["constitution.txt"].split()
    texts, cursor = [], 0
    for target in lengths:
        if target == 0:
            texts.append("")
            continue
        text = ""
        while len(processor.encode(text)) < target - 2:
            text = (text + " " + words[cursor % len(words)]).strip()
            cursor += 1
        texts.append(text)
    return texts


def reference(model, processor, texts, max_length):
    ids = [deberta_ids(processor, text, max_length) for text in texts]
    longest = max(len(x) for x in ids)
    input_ids = torch.tensor([x + [0] * (longest - len(x)) for x in ids])
    mask = torch.tensor([[1] * len(x) + [0] * (longest - len(x)) for x in ids])
    model.eval()
    with torch.no_grad():
        hidden = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
    summed = (hidden * mask[..., None]).sum(1)
    pooled = summed / mask.sum(1, keepdim=True).clamp(min=1e-9)
    return {
        "texts": texts,
        "max_length": max_length,
        "ids": ids,
        "hidden": [hidden[i, : len(x)].flatten().tolist() for i, x in enumerate(ids)],
        "pooled": pooled.tolist(),
    }


def bucket_table(config, distances):
    if config.position_buckets <= 0:
        return [int(d) for d in distances]
    max_position = config.max_relative_positions if config.max_relative_positions > 0 else config.max_position_embeddings
    table = make_log_bucket_position(torch.tensor(distances), config.position_buckets, max_position)
    return [int(v) for v in table.tolist()]


def make_model(name, processor, corpus, config_fields, fmt, lengths, max_length, dtype=torch.float32):
    folder = os.path.join(FIXTURES, "models", name)
    os.makedirs(folder, exist_ok=True)
    for stale in glob.glob(os.path.join(folder, "*")):
        os.remove(stale)
    config = DebertaV2Config(**config_fields)
    model = DebertaV2Model(config)
    randomize(model)
    if dtype != torch.float32:
        # Round the weights to the stored precision; the reference runs the rounded weights in float32.
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.copy_(parameter.to(dtype).to(torch.float32))
    with open(os.path.join(folder, "config.json"), "w") as handle:
        json.dump(dict(config_fields, model_type="deberta-v2", architectures=["DebertaV2ForMaskedLM"]), handle, indent=1)
    write_tokenizer_files(folder, config.vocab_size)
    os.symlink(os.path.join("..", "..", "spm", "spm.model"), os.path.join(folder, "spm.model"))
    if fmt == "safetensors":
        state = {key: value.to(dtype).contiguous() for key, value in model.state_dict().items()}
        save_file(state, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    else:
        state = masked_lm_state_dict(model, shared_qkv_storage=(dtype == torch.float32))
        state = {key: value.to(dtype) if value.dtype == torch.float32 and dtype != torch.float32 else value
                 for key, value in state.items()}
        if dtype != torch.float32:
            state["lm_predictions.lm_head.decoder.weight"] = state["deberta.embeddings.word_embeddings.weight"]
        torch.save(state, os.path.join(folder, "pytorch_model.bin"))
    texts = batch_texts(corpus, processor, lengths)
    expected = reference(model, processor, texts, max_length)
    distances = list(range(-700, 701))
    expected["bucket_distances"] = distances
    expected["buckets"] = bucket_table(config, distances)
    with open(os.path.join(folder, "expected.json"), "w") as handle:
        json.dump(expected, handle, separators=(",", ":"))
    print(name, fmt, "params", sum(p.numel() for p in model.parameters()))


def main():
    corpus = konlpy_corpus()
    model_path = train_spm(corpus)
    processor = spm.SentencePieceProcessor(model_file=model_path)
    vocab = processor.get_piece_size() + 1  # + [MASK], an added token as in mdeberta

    long_text = corpus["constitution.txt"][:4000]
    cases = [{"text": text, "ids": deberta_ids(processor, text, 512)} for text in TOKENIZER_CASES + [long_text]]
    cases += [{"text": text, "max_length": 16, "ids": deberta_ids(processor, text, 16)}
              for text in [long_text, TOKENIZER_CASES[2]]]
    assert len(processor.encode(long_text)) > 510
    with open(os.path.join(FIXTURES, "tokenizer_cases.json"), "w") as handle:
        json.dump({"vocab_size": processor.get_piece_size(), "cases": cases}, handle, ensure_ascii=False, indent=1)

    common = dict(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=64, hidden_act="gelu", layer_norm_eps=1e-7, pad_token_id=0,
                  max_position_embeddings=512)
    # The real mdeberta-v3-base settings at a tiny width: 256 buckets, max_relative_positions -1.
    mdeberta = dict(common, relative_attention=True, position_buckets=256, max_relative_positions=-1,
                    pos_att_type="p2c|c2p", share_att_key=True, norm_rel_ebd="layer_norm",
                    position_biased_input=False, type_vocab_size=0)
    make_model("mdeberta-tiny-safetensors", processor, corpus, mdeberta, "safetensors",
               [300, 140, 37, 5, 0, 64], 512)
    # Small buckets with max_relative_positions beyond them: log buckets in short texts; list pos_att_type.
    log_buckets = dict(common, relative_attention=True, position_buckets=8, max_relative_positions=64,
                       pos_att_type=["c2p", "p2c"], share_att_key=True, norm_rel_ebd="layer_norm",
                       position_biased_input=False, type_vocab_size=0)
    make_model("log-buckets-pytorch", processor, corpus, log_buckets, "bin", [90, 40, 12, 3, 0, 25], 128)
    make_model("log-buckets-fp16-pytorch", processor, corpus, log_buckets, "bin", [60, 21, 2, 9], 128,
               dtype=torch.float16)
    make_model("mdeberta-tiny-bf16-safetensors", processor, corpus, mdeberta, "safetensors", [150, 20, 7], 512,
               dtype=torch.bfloat16)
    # Everything else DeBERTa-v2 allows: absolute positions, token types, unshared position projections,
    # c2p only, no relative-embedding LayerNorm, unbucketed positions clamped at 16, an embedding projection.
    variant = dict(common, relative_attention=True, position_buckets=0, max_relative_positions=16,
                   pos_att_type="c2p", share_att_key=False, norm_rel_ebd="none", position_biased_input=True,
                   type_vocab_size=2, embedding_size=24)
    make_model("absolute-positions-safetensors", processor, corpus, variant, "safetensors", [70, 30, 4, 0], 128)


if __name__ == "__main__":
    main()
