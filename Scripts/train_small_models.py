#!/usr/bin/env python3
"""Dev only: trains two small Korean retrieval models here, so hybrid weights, reranking and a weight chosen
without judgments can be measured on vectors that carry signal (the published models cannot be downloaded on
this machine). They are small models trained on a few hundred kilobytes of text, not bge-m3 or KURE: their
figures show the machinery works, not what a published model scores.

  Tests/Fixtures/models/ko-small-biencoder   XLM-RoBERTa architecture (hidden 128, 2 layers), mean pooling,
                                             Normalize, as sentence-transformers publishes a bi-encoder
  Tests/Fixtures/models/ko-small-reranker    XLMRobertaForSequenceClassification, one label, started from the
                                             bi-encoder's transformer

Text: konlpy's wheel data (the Constitution of Korea and ten National Assembly bills) and the team-written
Examples/corpus (its text, Markdown, HTML and CSV files). Nothing from ../shared/realdocs: that is held out for the
real-text question set.

Recipe, all from the text itself (no human judgments):
  - passages: paragraphs packed into windows of about 300 characters;
  - bi-encoder pairs, drawn anew each epoch, in-batch negatives (multiple-negatives ranking loss, scale 20): every
    sentence held out from its passage (inverse cloze), a heading or an article title and the passage under it,
    and random word spans of the same passage (independent cropping);
  - reranker: pairs drawn the same way as positives; as negatives the bi-encoder's best passage of another
    document and a random passage of another document (a passage of the same document may answer as well, so it is
    never a negative); binary cross-entropy on the one logit.
The SentencePiece model (unigram, 1500 pieces: the most the text allows, XLM-R's layout) is trained on the same text.

Needs: torch (CPU), transformers 4.x, sentence-transformers 3-4, sentencepiece, protobuf; pip download access for
konlpy's wheel (its data only; konlpy itself is not imported). About ten minutes on two cores.
Run: python3 Scripts/train_small_models.py [--reranker-only]   (--reranker-only: train the reranker again from the
committed bi-encoder)
"""
import glob
import html
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

import sentencepiece as spm
import torch
import torch.nn.functional as F
from sentence_transformers import CrossEncoder, SentenceTransformer, models
from transformers import (XLMRobertaConfig, XLMRobertaForSequenceClassification, XLMRobertaModel,
                          XLMRobertaTokenizer)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_encoder_family_fixtures import remove, train_sentencepiece  # noqa: E402  (one way to make them, shared)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/Fixtures/models")
SEED = 20261207
MAX_LENGTH = 128
random.seed(SEED)
torch.manual_seed(SEED)
torch.set_num_threads(os.cpu_count() or 2)


def konlpy_texts():
    """The constitution and the bills konlpy's wheel ships, read from the wheel (konlpy is not installed)."""
    folder = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "pip", "download", "konlpy==0.6.0", "--no-deps", "-q", "-d", folder], check=True)
    wheel = glob.glob(os.path.join(folder, "konlpy-*.whl"))[0]
    texts = []
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            if name.startswith("konlpy/data/corpus/") and name.endswith(".txt"):
                texts.append((name.split("/")[-1], archive.read(name).decode("utf-8")))
    shutil.rmtree(folder)
    return texts


def corpus_texts():
    """The team-written corpus's text files (binary formats are left out: this script reads text only)."""
    texts = []
    for path in sorted(glob.glob(os.path.join(ROOT, "Examples/corpus/**/*"), recursive=True)):
        if not os.path.isfile(path) or not path.endswith((".txt", ".md", ".html", ".csv")):
            continue
        raw = open(path, "rb").read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp949", errors="ignore")
        if path.endswith(".html"):
            text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.S)
            text = re.sub(r"<br\s*/?>|</p>|</h\d>|</tr>|</li>", "\n", text)
            text = html.unescape(re.sub(r"<[^>]+>", " ", text))
        texts.append((os.path.relpath(path, ROOT), text))
    return texts


SENTENCE = re.compile(r"(?<=[.!?。])\s+|(?<=다\.)\s*|\n")


def sentences(paragraph):
    return [s.strip() for s in SENTENCE.split(paragraph) if s and len(s.strip()) >= 8]


def passages_of(text):
    """(heading, passage) pairs: paragraphs packed into ~300-character windows, each under the last heading
    (a Markdown heading, or a bill's or the constitution's article title such as 제1조(목적))."""
    heading = None
    result, current = [], []
    def flush():
        if current:
            result.append((heading, " ".join(current)))
            current.clear()
    for line in text.splitlines():
        line = line.strip(" \t#*|")
        if not line:
            continue
        article = re.match(r"^(제\s*\d+\s*조(?:의\d+)?\s*(?:\([^)]*\))?)", line)
        if len(line) < 40 and (article or not re.search(r"[.다]$", line)):
            flush()
            heading = line
            continue
        current.append(line)
        if sum(len(part) for part in current) >= 300:
            flush()
    flush()
    return [(h, p) for h, p in result if len(p) >= 60]


def build_pairs(documents, crops=8):
    """One epoch's pairs, drawn anew each epoch: every sentence of a passage held out from it, the heading with its
    passage, and `crops` pairs of random word spans of the same passage (independent cropping)."""
    pairs = []
    for name, passage_list in documents:
        for heading, passage in passage_list:
            parts = sentences(passage)
            if heading and len(heading) >= 4:
                pairs.append((heading, passage, name))
            if len(parts) >= 2:
                for held in range(len(parts)):
                    pairs.append((parts[held], " ".join(parts[:held] + parts[held + 1:]), name))
            words = passage.split()
            for _ in range(crops if len(words) >= 12 else 0):
                length = random.randint(4, min(12, len(words) // 2))
                start = random.randrange(len(words) - length + 1)
                other = random.randint(len(words) // 2, len(words))
                other_start = random.randrange(len(words) - other + 1)
                pairs.append((" ".join(words[start:start + length]), " ".join(words[other_start:other_start + other]), name))
    random.shuffle(pairs)
    return pairs


def train_tokenizer(folder, lines):
    if hasattr(spm, "set_random_generator_seed"):
        spm.set_random_generator_seed(SEED)
    path = train_sentencepiece(lines, folder, 1500)
    return XLMRobertaTokenizer(path, model_max_length=MAX_LENGTH)


def mean_pool(model, batch):
    states = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    return F.normalize((states * mask).sum(1) / mask.sum(1), dim=-1)


def train_biencoder(tokenizer, documents, folder):
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=128, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
        max_position_embeddings=MAX_LENGTH + 2, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        layer_norm_eps=1e-5, hidden_act="gelu")
    model = XLMRobertaModel(config, add_pooling_layer=False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    batch_size, epochs = 64, 30
    steps = epochs * (len(build_pairs(documents)) // batch_size + 2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=5e-4, total_steps=steps, pct_start=0.1)
    model.train()
    step = 0
    for epoch in range(epochs):
        pairs = build_pairs(documents)
        total = 0.0
        for start in range(0, len(pairs) - batch_size + 1, batch_size):
            if step >= steps:
                break
            chunk = pairs[start:start + batch_size]
            queries = tokenizer([q for q, _, _ in chunk], truncation=True, max_length=MAX_LENGTH, padding=True, return_tensors="pt")
            passages = tokenizer([p for _, p, _ in chunk], truncation=True, max_length=MAX_LENGTH, padding=True, return_tensors="pt")
            scores = mean_pool(model, queries) @ mean_pool(model, passages).T * 20
            loss = F.cross_entropy(scores, torch.arange(len(chunk)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            total += loss.item()
        print(f"bi-encoder epoch {epoch + 1}: loss {total / max(1, len(pairs) // batch_size):.3f}", flush=True)
    model.eval()
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return model


def reranker_examples(tokenizer, documents, biencoder, passages, vectors):
    """One epoch's examples: each pair's passage as the positive; as negatives, the bi-encoder's best passage of
    another document (a passage of the same document may answer as well, so it is never a negative) and a random
    passage of another document."""
    examples = []
    pairs = build_pairs(documents, crops=4)
    with torch.no_grad():
        for start in range(0, len(pairs), 128):
            chunk = pairs[start:start + 128]
            queries = mean_pool(biencoder, tokenizer([q for q, _, _ in chunk], truncation=True, max_length=MAX_LENGTH, padding=True,
                                                     return_tensors="pt"))
            ranked = (queries @ vectors.T).topk(16, dim=1).indices.tolist()
            for (query, positive, name), candidates in zip(chunk, ranked):
                others = [i for i in candidates if passages[i][1] != name]
                hard = passages[others[0]][0] if others else None
                random_other = random.choice([text for text, owner in passages if owner != name])
                examples.append((query, positive, 1.0))
                examples += [(query, negative, 0.0) for negative in (hard, random_other) if negative]
    random.shuffle(examples)
    return examples


def train_reranker(tokenizer, documents, biencoder, folder):
    config = XLMRobertaConfig.from_pretrained(folder, num_labels=1)
    model = XLMRobertaForSequenceClassification(config)
    model.roberta.load_state_dict(biencoder.state_dict(), strict=False)
    passages = sorted({(passage, name) for name, passage_list in documents for _, passage in passage_list})
    with torch.no_grad():
        vectors = torch.cat([
            mean_pool(biencoder, tokenizer([text for text, _ in passages[i:i + 128]], truncation=True, max_length=MAX_LENGTH, padding=True,
                                           return_tensors="pt"))
            for i in range(0, len(passages), 128)])
    batch_size, epochs = 32, 12
    per_epoch = len(reranker_examples(tokenizer, documents, biencoder, passages, vectors)) // batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-4, total_steps=epochs * per_epoch + epochs, pct_start=0.1)
    model.train()
    for epoch in range(epochs):
        examples = reranker_examples(tokenizer, documents, biencoder, passages, vectors)
        total, steps = 0.0, 0
        for start in range(0, min(len(examples), per_epoch * batch_size) - batch_size + 1, batch_size):
            chunk = examples[start:start + batch_size]
            batch = tokenizer([q for q, _, _ in chunk], [p for _, p, _ in chunk], truncation=True, max_length=MAX_LENGTH,
                              padding=True, return_tensors="pt")
            logits = model(**batch).logits[:, 0]
            loss = F.binary_cross_entropy_with_logits(logits, torch.tensor([label for _, _, label in chunk]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item()
            steps += 1
        print(f"reranker epoch {epoch + 1}: loss {total / max(1, steps):.3f}", flush=True)
    model.eval()
    return model


def main():
    documents = [(name, passages_of(text)) for name, text in konlpy_texts() + corpus_texts()]
    if "--reranker-only" in sys.argv:
        # Train the reranker again from the committed bi-encoder.
        folder = os.path.join(OUT, "ko-small-biencoder")
        tokenizer = XLMRobertaTokenizer(os.path.join(folder, "sentencepiece.bpe.model"), model_max_length=MAX_LENGTH)
        biencoder = XLMRobertaModel.from_pretrained(folder, add_pooling_layer=False).eval()
        return save_reranker(train_reranker(tokenizer, documents, biencoder, folder), tokenizer)
    lines = [p for _, ps in documents for _, p in ps] + [h for _, ps in documents for h, _ in ps if h]
    print(f"{len(documents)} documents, {sum(len(ps) for _, ps in documents)} passages", flush=True)
    work = tempfile.mkdtemp()
    tokenizer = train_tokenizer(work, lines)
    biencoder = train_biencoder(tokenizer, documents, work)

    target = os.path.join(OUT, "ko-small-biencoder")
    shutil.rmtree(target, ignore_errors=True)
    st = SentenceTransformer(modules=[models.Transformer(work, max_seq_length=MAX_LENGTH), models.Pooling(128, pooling_mode="mean"),
                                      models.Normalize()], device="cpu")
    st.save(target, safe_serialization=True)
    remove(target, ["tokenizer.json", "README.md"])

    save_reranker(train_reranker(tokenizer, documents, biencoder, work), tokenizer)
    shutil.rmtree(work)


def save_reranker(reranker, tokenizer):
    target = os.path.join(OUT, "ko-small-reranker")
    shutil.rmtree(target, ignore_errors=True)
    reranker.save_pretrained(target, safe_serialization=True)
    tokenizer.save_pretrained(target)
    remove(target, ["tokenizer.json"])
    write_references()


def write_references():
    """Reference outputs, so the tests hold korsearch to these models as to the random ones."""
    texts = ["기준금리 동결 결정", "대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다.", "자기주식 취득 금액"]
    loaded = SentenceTransformer(os.path.join(OUT, "ko-small-biencoder"), device="cpu")
    vectors = loaded.encode(texts, convert_to_numpy=True)
    with open(os.path.join(OUT, "ko-small-biencoder", "expected.json"), "w") as file:
        json.dump({"texts": texts, "vectors": [[float(x) for x in v] for v in vectors]}, file, ensure_ascii=False)
    scored = [(texts[0], "한국은행 금융통화위원회는 기준금리를 연 3.50%로 유지했다."), (texts[0], "자기주식 취득 예정 금액은 500억원이다.")]
    scores = CrossEncoder(os.path.join(OUT, "ko-small-reranker"), device="cpu").predict(scored).tolist()
    with open(os.path.join(OUT, "ko-small-reranker", "expected.json"), "w") as file:
        json.dump({"pairs": scored, "scores": scores}, file, ensure_ascii=False)
    print("scores", scores)


if __name__ == "__main__":
    main()
