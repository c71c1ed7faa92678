#!/usr/bin/env python3
"""Dev only: small random-weight sentence-transformers models of the XLM-RoBERTa architecture (the one bge-m3,
KURE and multilingual-e5 share), saved as sentence-transformers publishes them, with reference outputs that
KorEncoderTests hold korsearch to.

  Tests/Fixtures/models/xlmr-tiny-st-cls   XLMRobertaModel + Pooling(cls) + Normalize (bge-m3 / KURE's stack)
  Tests/Fixtures/models/xlmr-tiny-st-mean  XLMRobertaModel + Pooling(mean), no Normalize (e5's stack)

Each folder gets `expected.json`: the texts, the token ids of transformers' XLMRobertaTokenizer (the slow,
SentencePiece one; the fast one is checked to agree), and SentenceTransformer.encode's vectors.

Needs: torch (CPU), transformers 4.x (its slow XLMRobertaTokenizer), sentence-transformers 3-4, sentencepiece,
protobuf. Tokenizer: a SentencePiece unigram model trained here with XLM-R's layout (<unk> 0, <s> 1, </s> 2, no
<pad>: transformers adds the fairseq offset) on the team-written corpus and the Korean text of the DeBERTa
fixtures.
Run: python3 Scripts/make_encoder_family_fixtures.py [NAME ...]
Weights are seeded and come out the same; the trained tokenizers do not (the WordPiece trainer's order of equal
pieces and the SentencePiece model's bytes vary between runs), so a fixture is committed with the expected.json of
the same run, never one without the other.
"""
import json
import os
import shutil
import tempfile

import glob

import sentencepiece as spm
import torch
from sentence_transformers import SentenceTransformer, models
from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer, XLMRobertaTokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/Fixtures/models")

# Team-written Korean text with what tokenizers trip on: ㈜, ①, full-width digits and letters, Hanja, mixed
# scripts, runs of spaces, an empty text.
TEXTS = [
    "한빛전자㈜는 2024년 3분기 영업이익이 3,812억 원으로 전년 동기 대비 12.5% 늘었다고 공시했다.",
    "① 회사는 자기주식을 취득할 수 있다. ② 취득 한도는 배당가능이익의 범위로 한다.",
    "ＫＲＷ／ＵＳＤ 환율은 １，３８０원에서 마감했다.",
    "大韓民國 憲法 제1조: 대한민국은 민주공화국이다.",
    "ESG 채권   발행   잔액은 US$ 500 million 수준이다 😀",
    "",
    "기준금리 동결",
]


def train_sentencepiece(lines, folder, vocab_size):
    """A SentencePiece unigram model with XLM-R's layout (<unk> 0, <s> 1, </s> 2, no <pad>: transformers adds the
    fairseq offset), trained on `lines`, saved as `folder`/sentencepiece.bpe.model."""
    text = os.path.join(folder, "train.txt")
    with open(text, "w") as file:
        file.write("\n".join(lines))
    spm.SentencePieceTrainer.train(
        input=text, model_prefix=os.path.join(folder, "sentencepiece.bpe"), vocab_size=vocab_size, model_type="unigram",
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, character_coverage=0.9995, normalization_rule_name="nmt_nfkc",
        minloglevel=2)
    os.remove(text)
    os.remove(os.path.join(folder, "sentencepiece.bpe.vocab"))
    return os.path.join(folder, "sentencepiece.bpe.model")


def randomize(model):
    """Every parameter drawn anew, LayerNorm's included (so no part of the forward pass is the identity)."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 0.2)
    return model


def remove(folder, names):
    """Drops files a save wrote that a published repository of this kind does not have (or that are remade)."""
    for name in names:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            os.remove(path)


def train_tokenizer(folder):
    lines = []
    for path in sorted(glob.glob(os.path.join(ROOT, "Examples/corpus/**/*.txt"), recursive=True)
                       + glob.glob(os.path.join(ROOT, "Examples/corpus/**/*.md"), recursive=True)):
        with open(path, encoding="utf-8", errors="ignore") as file:
            lines += [line.strip() for line in file if line.strip()]
    with open(os.path.join(ROOT, "Tests/Fixtures/models/mdeberta-tiny-safetensors/expected.json")) as file:
        lines += [text for text in json.load(file)["texts"] if text]
    train_sentencepiece(lines, folder, 700)


def build(name, pooling, normalize, seed):
    torch.manual_seed(seed)
    folder = tempfile.mkdtemp()
    train_tokenizer(folder)
    slow = XLMRobertaTokenizer(os.path.join(folder, "sentencepiece.bpe.model"))
    slow.save_pretrained(folder)
    config = XLMRobertaConfig(
        vocab_size=len(slow), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=66, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        layer_norm_eps=1e-5, hidden_act="gelu")
    model = XLMRobertaModel(config, add_pooling_layer=True).eval()
    randomize(model)
    model.save_pretrained(folder, safe_serialization=True)
    transformer = models.Transformer(folder, max_seq_length=64)
    modules = [transformer, models.Pooling(32, pooling_mode=pooling)]
    if normalize:
        modules.append(models.Normalize())
    st = SentenceTransformer(modules=modules, device="cpu")
    target = os.path.join(OUT, name)
    shutil.rmtree(target, ignore_errors=True)
    st.save(target, safe_serialization=True)
    # Keep what a published repository has and the engine reads; drop the fast tokenizer's large JSON.
    remove(target, ["tokenizer.json", "README.md"])

    fast = XLMRobertaTokenizerFast(os.path.join(target, "sentencepiece.bpe.model"))
    ids = [slow(text, truncation=True, max_length=64)["input_ids"] for text in TEXTS]
    for text, expected in zip(TEXTS, ids):
        assert fast(text, truncation=True, max_length=64)["input_ids"] == expected, text
    loaded = SentenceTransformer(target, device="cpu")
    vectors = loaded.encode(TEXTS, batch_size=3, convert_to_numpy=True, normalize_embeddings=False)
    with open(os.path.join(target, "expected.json"), "w") as file:
        json.dump({"texts": TEXTS, "max_length": 64, "pooling": pooling, "normalize": normalize,
                   "ids": ids, "vectors": [[float(x) for x in v] for v in vectors]}, file, ensure_ascii=False)
    shutil.rmtree(folder)
    print(name, os.listdir(target))




# A cross-encoder (a reranker of the architecture of BAAI/bge-reranker-v2-m3): XLMRobertaForSequenceClassification
# with one label, scored by sentence-transformers' CrossEncoder.predict (its sigmoid on the one logit).
PAIRS = [
    ("자기주식 취득 금액은 얼마인가", "한빛전자는 자기주식 취득을 결정했다. 취득 예정 금액은 500억원이다."),
    ("자기주식 취득 금액은 얼마인가", "기준금리는 연 3.50%로 동결되었다."),
    ("기준금리", "한국은행 금융통화위원회는 기준금리를 동결했다. " * 6),
    ("한빛전자㈜의 3분기 실적과 환율 민감도, 그리고 배당 정책을 요약하라 " * 3, "환율이 10원 오르면 영업이익이 120억원 늘어난다."),
    ("ＫＲＷ／ＵＳＤ", ""),
    ("긴 질문 " * 20, "긴 답변 " * 20),
]


def build_cross_encoder(name, seed):
    from sentence_transformers import CrossEncoder
    from transformers import XLMRobertaForSequenceClassification

    torch.manual_seed(seed)
    folder = tempfile.mkdtemp()
    train_tokenizer(folder)
    slow = XLMRobertaTokenizer(os.path.join(folder, "sentencepiece.bpe.model"), model_max_length=64)
    target = os.path.join(OUT, name)
    shutil.rmtree(target, ignore_errors=True)
    config = XLMRobertaConfig(
        vocab_size=len(slow), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=66, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        layer_norm_eps=1e-5, hidden_act="gelu", num_labels=1)
    model = XLMRobertaForSequenceClassification(config).eval()
    randomize(model)
    model.save_pretrained(target, safe_serialization=True)
    slow.save_pretrained(target)
    remove(target, ["tokenizer.json"])
    fast = XLMRobertaTokenizerFast(os.path.join(target, "sentencepiece.bpe.model"), model_max_length=64)
    # As a batch, as CrossEncoder encodes them (a single call would take an empty passage for no pair at all).
    ids = fast([q for q, _ in PAIRS], [p for _, p in PAIRS], truncation=True, max_length=64)["input_ids"]
    for (q, p), expected in zip(PAIRS, ids):
        assert len(expected) <= 64
    with torch.no_grad():
        batch = fast([q for q, _ in PAIRS], [p for _, p in PAIRS], truncation=True, max_length=64, padding=True, return_tensors="pt")
        logits = model(**batch).logits[:, 0].tolist()
    scores = CrossEncoder(target, device="cpu", max_length=64).predict(PAIRS, batch_size=4).tolist()
    with open(os.path.join(target, "expected.json"), "w") as file:
        json.dump({"pairs": PAIRS, "max_length": 64, "ids": ids, "logits": logits, "scores": scores}, file, ensure_ascii=False)
    shutil.rmtree(folder)
    print(name, os.listdir(target))




def build_dense(name, seed):
    """The repository's tiny DeBERTa-v2 model under a Pooling(mean) + Dense(32 -> 16, tanh) + Normalize stack,
    as a DeBERTa-v2 model fine-tuned with sentence-transformers is published."""
    torch.manual_seed(seed)
    target = os.path.join(OUT, name)
    shutil.rmtree(target, ignore_errors=True)
    transformer = models.Transformer(os.path.join(OUT, "mdeberta-tiny-safetensors"), max_seq_length=128)
    dense = models.Dense(32, 16, bias=True, activation_function=torch.nn.Tanh())
    with torch.no_grad():
        dense.linear.weight.normal_(0, 0.5)
        dense.linear.bias.normal_(0, 0.1)
    st = SentenceTransformer(modules=[transformer, models.Pooling(32, pooling_mode="mean"), dense, models.Normalize()], device="cpu")
    st.save(target, safe_serialization=True)
    remove(target, ["tokenizer.json", "README.md", "expected.json"])
    loaded = SentenceTransformer(target, device="cpu")
    ids = [loaded.tokenizer(text, truncation=True, max_length=128)["input_ids"] for text in TEXTS]
    vectors = loaded.encode(TEXTS, batch_size=3, convert_to_numpy=True, normalize_embeddings=False)
    with open(os.path.join(target, "expected.json"), "w") as file:
        json.dump({"texts": TEXTS, "max_length": 128, "pooling": "mean", "normalize": True,
                   "ids": ids, "vectors": [[float(x) for x in v] for v in vectors]}, file, ensure_ascii=False)
    print(name, os.listdir(target))


# What WordPiece normalization trips on, beyond TEXTS: accents and capitals (lowercasing models strip them), a
# zero-width space and a control character (dropped), a tab, Hanja next to Hangul, punctuation inside words,
# a word longer than 100 characters, Latin ligatures and a compatibility ideograph.
WORDPIECE_TEXTS = TEXTS + [
    "Café SOCIÉTÉ Générale의 ＥＳＧ 보고서",
    "자본\u200b잠식\u0007 여부\t확인",
    "株式會社한빛 (주)한빛 ㈜한빛",
    "e-mail: ir@hanbit.co.kr, 3.5%p↑",
    "가" * 120,
    "ﬁnance 豈 ＡＢＣ",
]


def train_wordpiece(folder, lowercase):
    """A WordPiece vocabulary trained here on the team-written corpus, BERT's special tokens first in KLUE's order
    ([CLS] 0, [PAD] 1, [SEP] 2, [UNK] 3, [MASK] 4)."""
    from tokenizers import BertWordPieceTokenizer
    lines = []
    for path in sorted(glob.glob(os.path.join(ROOT, "Examples/corpus/**/*.txt"), recursive=True)
                       + glob.glob(os.path.join(ROOT, "Examples/corpus/**/*.md"), recursive=True)):
        with open(path, encoding="utf-8", errors="ignore") as file:
            lines += [line.strip() for line in file if line.strip()]
    trainer = BertWordPieceTokenizer(lowercase=lowercase)
    trainer.train_from_iterator(lines + TEXTS, vocab_size=900, min_frequency=2,
                                special_tokens=["[CLS]", "[PAD]", "[SEP]", "[UNK]", "[MASK]"])
    trainer.save_model(folder)
    return os.path.join(folder, "vocab.txt")


def build_wordpiece_encoder(name, architecture, lowercase, keep, prompts, normalize, seed):
    """A WordPiece sentence encoder: ko-sroberta's shape (RoBERTa with BERT's tokenizer, mean pooling) or KoSimCSE /
    e5's (BERT, mean pooling, Normalize, query and passage prompts). `keep` names the tokenizer file the folder is
    published with: vocab.txt (with tokenizer_config.json) or tokenizer.json alone."""
    from transformers import BertConfig, BertModel, BertTokenizerFast, RobertaConfig, RobertaModel
    torch.manual_seed(seed)
    folder = tempfile.mkdtemp()
    vocab = train_wordpiece(folder, lowercase)
    tokenizer = BertTokenizerFast(vocab, do_lower_case=lowercase, model_max_length=64)
    tokenizer.save_pretrained(folder)
    common = dict(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                  layer_norm_eps=1e-12 if architecture == "bert" else 1e-5, hidden_act="gelu")
    if architecture == "bert":
        model = BertModel(BertConfig(max_position_embeddings=64, type_vocab_size=2, pad_token_id=1, **common)).eval()
    else:
        model = RobertaModel(RobertaConfig(max_position_embeddings=66, type_vocab_size=1, pad_token_id=1, bos_token_id=0,
                                           eos_token_id=2, **common)).eval()
    randomize(model)
    model.save_pretrained(folder, safe_serialization=True)
    modules = [models.Transformer(folder, max_seq_length=64), models.Pooling(32, pooling_mode="mean")]
    if normalize:
        modules.append(models.Normalize())
    st = SentenceTransformer(modules=modules, device="cpu", prompts=prompts or None)
    target = os.path.join(OUT, name)
    shutil.rmtree(target, ignore_errors=True)
    st.save(target, safe_serialization=True)
    remove(target, ["README.md"] + (["tokenizer.json"] if keep == "vocab.txt" else ["vocab.txt"]))
    loaded = SentenceTransformer(target, device="cpu")
    texts = WORDPIECE_TEXTS
    result = {"texts": texts, "max_length": 64, "pooling": "mean", "normalize": normalize, "prompts": prompts}
    for role in (["query", "passage"] if prompts else [None]):
        prefix = prompts[role] if role else ""
        ids = [loaded.tokenizer(prefix + text, truncation=True, max_length=64)["input_ids"] for text in texts]
        vectors = loaded.encode(texts, prompt_name=role, batch_size=3, convert_to_numpy=True, normalize_embeddings=False)
        key = "" if role is None else "_" + role
        result["ids" + key] = ids
        result["vectors" + key] = [[float(x) for x in v] for v in vectors]
    with open(os.path.join(target, "expected.json"), "w") as file:
        json.dump(result, file, ensure_ascii=False)
    shutil.rmtree(folder)
    print(name, os.listdir(target))


def build_classifier_cross_encoder(name, architecture, seed):
    """A one-label BertForSequenceClassification (WordPiece, KLUE's cased vocabulary) or
    DebertaV2ForSequenceClassification (the repository's tiny mDeBERTa and its SentencePiece model) reranker."""
    from sentence_transformers import CrossEncoder
    from transformers import (AutoTokenizer, BertConfig, BertForSequenceClassification, BertTokenizerFast,
                              DebertaV2Config, DebertaV2ForSequenceClassification)
    torch.manual_seed(seed)
    target = os.path.join(OUT, name)
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    if architecture == "bert":
        folder = tempfile.mkdtemp()
        tokenizer = BertTokenizerFast(train_wordpiece(folder, False), do_lower_case=False, model_max_length=64)
        shutil.rmtree(folder)
        config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                            intermediate_size=64, max_position_embeddings=64, type_vocab_size=2, pad_token_id=1, num_labels=1)
        model = BertForSequenceClassification(config).eval()
    else:
        source = os.path.join(OUT, "mdeberta-tiny-safetensors")
        tokenizer = AutoTokenizer.from_pretrained(source, model_max_length=64)
        config = DebertaV2Config.from_pretrained(source, num_labels=1)
        model = DebertaV2ForSequenceClassification(config).eval()
    randomize(model)
    model.save_pretrained(target, safe_serialization=True)
    tokenizer.save_pretrained(target)
    remove(target, ["tokenizer.json"])
    fast = AutoTokenizer.from_pretrained(target)
    batch = fast([q for q, _ in PAIRS], [p for _, p in PAIRS], truncation=True, max_length=64)
    ids = batch["input_ids"]
    types = batch.get("token_type_ids") or [[0] * len(sequence) for sequence in ids]
    with torch.no_grad():
        padded = fast([q for q, _ in PAIRS], [p for _, p in PAIRS], truncation=True, max_length=64, padding=True, return_tensors="pt")
        logits = model(**padded).logits[:, 0].tolist()
    scores = CrossEncoder(target, device="cpu", max_length=64).predict(PAIRS, batch_size=4).tolist()
    with open(os.path.join(target, "expected.json"), "w") as file:
        json.dump({"pairs": PAIRS, "max_length": 64, "ids": ids, "token_type_ids": types, "logits": logits, "scores": scores},
                  file, ensure_ascii=False)
    print(name, os.listdir(target))


def build_tokenizer_json_only(name):
    """xlmr-tiny-st-cls as a repository saved from a fast tokenizer alone publishes it: tokenizer.json (a Unigram
    model) and no sentencepiece.bpe.model. Ids and vectors from transformers loading that folder."""
    from transformers import AutoTokenizer, XLMRobertaTokenizerFast
    source = os.path.join(OUT, "xlmr-tiny-st-cls")
    target = os.path.join(OUT, name)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    XLMRobertaTokenizerFast(os.path.join(source, "sentencepiece.bpe.model"), model_max_length=64).save_pretrained(target)
    remove(target, ["sentencepiece.bpe.model", "expected.json"])
    tokenizer = AutoTokenizer.from_pretrained(target)
    assert tokenizer.is_fast
    texts = WORDPIECE_TEXTS + ["  앞뒤 공백  ", "<s> 특수 </s> 토큰"]
    ids = [tokenizer(text, truncation=True, max_length=64)["input_ids"] for text in texts]
    vectors = SentenceTransformer(target, device="cpu").encode(texts, batch_size=3, convert_to_numpy=True, normalize_embeddings=False)
    with open(os.path.join(target, "expected.json"), "w") as file:
        json.dump({"texts": texts, "max_length": 64, "pooling": "cls", "normalize": True, "ids": ids,
                   "vectors": [[float(x) for x in v] for v in vectors]}, file, ensure_ascii=False)
    print(name, os.listdir(target))


BUILDERS = {
    "xlmr-tiny-st-cls": lambda: build("xlmr-tiny-st-cls", "cls", True, 7),
    "xlmr-tiny-st-mean": lambda: build("xlmr-tiny-st-mean", "mean", False, 8),
    "xlmr-tiny-reranker": lambda: build_cross_encoder("xlmr-tiny-reranker", 9),
    "mdeberta-tiny-st-dense": lambda: build_dense("mdeberta-tiny-st-dense", 10),
    "roberta-tiny-wordpiece-st": lambda: build_wordpiece_encoder("roberta-tiny-wordpiece-st", "roberta", False, "vocab.txt", {}, False, 11),
    "bert-tiny-st-prompts": lambda: build_wordpiece_encoder(
        "bert-tiny-st-prompts", "bert", True, "tokenizer.json", {"query": "query: ", "passage": "passage: "}, True, 12),
    "bert-tiny-reranker": lambda: build_classifier_cross_encoder("bert-tiny-reranker", "bert", 13),
    "deberta-tiny-reranker": lambda: build_classifier_cross_encoder("deberta-tiny-reranker", "deberta", 14),
    "xlmr-tiny-st-json": lambda: build_tokenizer_json_only("xlmr-tiny-st-json"),
}

# Every fixture, or the ones named: python3 Scripts/make_encoder_family_fixtures.py [NAME ...]
if __name__ == "__main__":
    import sys

    for fixture in sys.argv[1:] or list(BUILDERS):
        BUILDERS[fixture]()
