#!/usr/bin/env python3
"""Dev only: what passage reuse saves when a company's filings arrive one after another. Writes a team-written
series — 한빛전자's Q1, H1 and Q3 reports and an amended Q3 (정정), which share most of their text (the
business, the risks, the notes) and differ in the quarter's figures and a few paragraphs — and indexes it as
it would arrive (Q1, then H1, then Q3, then the amendment), once with reuse and once with `--no-reuse`, side
by side in one run: tokens embedded and wall time per step, and the ratio.

    swift build -c release
    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install torch transformers sentencepiece safetensors numpy
    /tmp/ref/bin/python Scripts/bench/embed_benchmark.py --texts 8 --rounds 1   # once: makes /tmp/korsearch-bench-mdeberta
    python3 Scripts/bench/reuse_benchmark.py [--model /tmp/korsearch-bench-mdeberta] [--precision bf16]

Only the standard library here; the model is the full-size random mdeberta-shaped one the other benchmarks use
(timing needs its size, not its weights).
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEGMENTS = ["메모리 반도체", "전력 반도체", "디스플레이 구동칩", "전장 부품", "통신 모듈", "기판 소재", "패키징 설비"]
REGIONS = ["국내", "중국", "미국", "유럽", "동남아시아", "일본"]


def shared_paragraphs():
    """The text every report of the year repeats: the business, the risks, the accounting notes."""
    paragraphs = []
    for index, segment in enumerate(SEGMENTS):
        paragraphs.append(
            f"{segment} 부문은 {REGIONS[index % len(REGIONS)]} 고객사를 중심으로 공급망을 운영한다. "
            f"주요 원재료는 장기 공급 계약으로 조달하며, 계약 기간은 통상 {2 + index % 3}년이다. "
            f"회사는 {segment} 부문의 생산 능력을 단계적으로 늘리고 있으며 설비 투자는 자체 자금으로 충당한다. "
            f"경쟁사의 증설과 고객사의 재고 조정은 이 부문의 가격과 물량에 영향을 줄 수 있다.")
    for index in range(24):
        paragraphs.append(
            f"주석 {index + 1}. 회사는 {['금융자산', '재고자산', '유형자산', '리스', '충당부채', '퇴직급여'][index % 6]}을 "
            f"한국채택국제회계기준 제{1100 + index * 7}호에 따라 측정한다. 손상 징후가 있으면 회수 가능액을 추정하고, "
            f"장부금액이 회수 가능액을 넘으면 그 차이를 당기손익으로 인식한다. 추정에 쓰인 할인율은 연 {3 + index % 4}.{index % 10}%이다.")
    for index, region in enumerate(REGIONS):
        paragraphs.append(
            f"{region} 매출은 현지 통화로 결제되므로 환율 변동에 노출된다. 회사는 예상 수취액의 {40 + index * 5}%를 "
            f"선물환으로 헤지하며, 헤지 비율은 분기마다 재무위원회가 정한다.")
    return paragraphs


def quarter_paragraphs(quarter, amended=False):
    """What differs between the reports: the quarter's figures and its events."""
    sales = {1: 41210, 2: 84530, 3: 130870}[quarter]
    profit = {1: 3120, 2: 6890, 3: 10702}[quarter]
    if amended:
        profit += 45  # the amendment restates operating profit
    paragraphs = [f"{quarter}분기 누적 연결 매출액은 {sales:,}억 원, 영업이익은 {profit:,}억 원이다."]
    for index, segment in enumerate(SEGMENTS):
        paragraphs.append(f"{segment} 부문의 {quarter}분기 누적 매출은 {sales // 7 + index * 137 * quarter:,}억 원으로 "
                          f"전년 동기 대비 {(index * 3 + quarter) % 11 + 2}.{quarter}% 늘었다.")
    if amended:
        paragraphs.append("정정 사유: 전장 부품 부문 충당부채의 재측정으로 영업이익과 주석 17의 금액을 정정한다.")
    return paragraphs


def report(quarter, amended=False):
    title = f"한빛전자㈜ 2024년 {quarter}분기 보고서" + (" (정정)" if amended else "")
    body = shared_paragraphs()
    # The quarter's section sits after the business description, as in the filings.
    return "\n\n".join([title] + body[:7] + quarter_paragraphs(quarter, amended) + body[7:]) + "\n"


def run(korsearch, arguments):
    started = time.perf_counter()
    output = subprocess.run([korsearch] + arguments, check=True, capture_output=True, text=True).stdout
    return json.loads(output), time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--korsearch", default=os.path.join(ROOT, ".build", "release", "korsearch"))
    parser.add_argument("--model", default=os.path.join(tempfile.gettempdir(), "korsearch-bench-mdeberta"))
    parser.add_argument("--precision", default="bf16")
    options = parser.parse_args()
    steps = [("Q1", report(1)), ("H1", report(2)), ("Q3", report(3)), ("Q3 정정", report(3, amended=True))]
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for label, flags in [("reuse", []), ("no reuse", ["--no-reuse"])]:
            folder = os.path.join(work, label.replace(" ", "-"), "filings")
            index = os.path.join(work, label.replace(" ", "-"), "index")
            os.makedirs(folder)
            rows = []
            for number, (name, text) in enumerate(steps):
                with open(os.path.join(folder, f"{number + 1}-{name.replace(' ', '-')}.txt"), "w", encoding="utf-8") as file:
                    file.write(text)
                summary, seconds = run(options.korsearch, ["index", folder, "--index", index, "--model", options.model,
                                                           "--precision", options.precision, "--json", "--quiet"] + flags)
                rows.append((name, summary["tokens"], summary.get("reused", 0), summary["chunks"], seconds))
            results[label] = rows
            shutil.rmtree(os.path.dirname(folder))
    print(f"{'step':10} {'tokens (reuse)':>15} {'reused':>7} {'s (reuse)':>10} {'tokens (no reuse)':>18} {'s (no reuse)':>13}")
    for with_reuse, without in zip(results["reuse"], results["no reuse"]):
        print(f"{with_reuse[0]:10} {with_reuse[1]:>15,} {with_reuse[2]:>7} {with_reuse[4]:>10.1f} {without[1]:>18,} {without[4]:>13.1f}")
    tokens = [sum(row[1] for row in results[label]) for label in ("reuse", "no reuse")]
    seconds = [sum(row[4] for row in results[label]) for label in ("reuse", "no reuse")]
    print(f"{'all four':10} {tokens[0]:>15,} {'':>7} {seconds[0]:>10.1f} {tokens[1]:>18,} {seconds[1]:>13.1f}")
    print(f"reuse embeds {tokens[0] / tokens[1]:.1%} of the tokens; wall time {seconds[1] / seconds[0]:.2f}x faster")


if __name__ == "__main__":
    main()
