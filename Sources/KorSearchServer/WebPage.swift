import Foundation
import KorSearch

/// The search page served at `/`: plain HTML, CSS and a small script, all from the binary (no CDN). The page's
/// state lives in its URL (`?q=…&mode=…&type=…&company=…&report=…&period=…`, `?doc=ID&chunk=ID`), so every view can be linked and
/// reloaded. Document text is only ever inserted as text nodes, never as markup.
enum WebPage {
    /// The page, its file-type choices taken from the registry of formats (`DocumentFormats`).
    static let html = template.replacingOccurrences(
        of: "{{FORMAT_OPTIONS}}",
        with: DocumentFormats.types.map { "<option value=\"\($0)\">\($0.uppercased())</option>" }.joined())

    private static let template = #"""
<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>KorSearch</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1><a href="/">KorSearch</a></h1>
  <p id="overview" class="overview" aria-live="polite">색인 정보를 불러오는 중…</p>
</header>
<main>
  <form id="search" role="search">
    <div class="row">
      <label for="q">질문</label>
      <input id="q" name="q" type="search" placeholder="예: 한빛전자 자기주식 소각 계획" autocomplete="off" required>
      <button type="submit">검색</button>
    </div>
    <fieldset class="row options">
      <legend>검색 옵션</legend>
      <label for="mode">방식</label>
      <select id="mode" name="mode">
        <option value="hybrid">하이브리드</option>
        <option value="keyword">키워드</option>
        <option value="vector">벡터</option>
      </select>
      <label for="k">결과 수</label>
      <input id="k" name="k" type="number" min="1" max="100" value="10">
      <label for="type">파일 형식</label>
      <select id="type" name="type">
        <option value="">전체</option>
        {{FORMAT_OPTIONS}}
      </select>
      <label for="path">경로</label>
      <input id="path" name="path" type="text" placeholder="market/*">
      <label for="after">수정일 이후</label>
      <input id="after" name="after" type="date">
      <label for="before">수정일 이전</label>
      <input id="before" name="before" type="date">
      <label for="company">회사</label>
      <input id="company" name="company" type="text" placeholder="한빛전자, 00991234">
      <label for="report">보고서</label>
      <input id="report" name="report" type="text" placeholder="사업보고서">
      <label for="period">기간</label>
      <input id="period" name="period" type="text" placeholder="2024, 2024-Q3">
    </fieldset>
    <div id="facets" class="facets"></div>
    <div id="keybox" class="row" hidden>
      <label for="key">API 키</label>
      <input id="key" type="password" autocomplete="off">
    </div>
  </form>
  <p id="status" class="status" role="status"></p>
  <ol id="results" class="results"></ol>
  <article id="document" class="document-view" hidden>
    <h2 id="doc-title"></h2>
    <p id="doc-meta" class="meta"></p>
    <div id="doc-text" class="document-text" tabindex="0"></div>
  </article>
</main>
<script src="/app.js"></script>
</body>
</html>
"""#

    static let css = #"""
:root { --ink: #1d2433; --muted: #5b6476; --line: #dde2ea; --accent: #1f5fbf; --mark: #ffe58a; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font-family: "Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", sans-serif;
       color: var(--ink); line-height: 1.7; word-break: keep-all; overflow-wrap: anywhere; background: #f7f8fb; }
header, main { max-width: 960px; margin: 0 auto; padding: 0 16px; }
header h1 { margin: 16px 0 0; font-size: 1.5rem; }
header h1 a { color: var(--ink); text-decoration: none; }
.overview, .status, .meta { color: var(--muted); font-size: 0.9rem; }
.facets p { margin: 0.3rem 0; font-size: 0.9rem; }
.facets button { margin: 0 0.3rem 0.3rem 0; padding: 0.1rem 0.5rem; font-size: 0.85rem; }
.facets button[aria-pressed=true] { background: var(--accent); color: #fff; }
form { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
.row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 4px 0; }
.row > input[type=search] { flex: 1 1 240px; }
fieldset.options { border: 0; padding: 0; }
fieldset.options legend { position: absolute; left: -9999px; }
input, select, button { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; }
input[type=number] { width: 5em; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
:focus-visible { outline: 3px solid #8db4f0; outline-offset: 2px; }
.results { padding-left: 0; list-style: none; }
.hit { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin: 12px 0; }
.hit .passage { margin: 6px 0; white-space: pre-wrap; }
.hit .source { font-weight: 600; }
.context { border-left: 3px solid var(--line); padding-left: 10px; color: var(--muted); white-space: pre-wrap; }
mark { background: var(--mark); padding: 0 1px; }
.document-view { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 16px 0; }
.document-text { white-space: pre-wrap; max-height: 70vh; overflow: auto; }
.document-text mark { background: #ffe0a3; }
.skipped { font-size: 0.85rem; }
@media (max-width: 600px) { .row > * { flex: 1 1 100%; } input[type=number] { width: 100%; } }
"""#

    static let script = scriptTemplate.replacingOccurrences(
        of: "{{KOREAN_ENDINGS}}",
        with: String(decoding: (try? JSONEncoder().encode(KoreanEndings.endings)) ?? Data("[]".utf8), as: UTF8.self))

    private static let scriptTemplate = #"""
"use strict";
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

async function api(path, body) {
  const headers = { "Content-Type": "application/json" };
  const key = sessionStorage.getItem("korsearch-key");
  if (key) headers["Authorization"] = "Bearer " + key;
  const response = await fetch(path, body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) { $("keybox").hidden = false; throw new Error("API 키가 필요합니다."); }
  if (!response.ok) throw new Error((data.error && data.error.message) || ("HTTP " + response.status));
  return data;
}

// What the page marks, as `Snippet` marks it in the CLI: numbers, Latin words and amounts whole (never `3`
// inside `2023`); a Hangul word where the query's word or its stem (the word without its particle or ending)
// is the whole word, its start or its stem's end — never a bigram inside an unrelated word.
const ENDINGS = {{KOREAN_ENDINGS}};
const HANGUL = /[\uAC00-\uD7A3\u3131-\u318E]/;
function stem(word) {
  for (const ending of ENDINGS) {
    if (word.length - ending.length >= 2 && word.endsWith(ending)) return word.slice(0, word.length - ending.length);
  }
  return null;
}
function tokens(text) {
  const found = [];
  const pattern = /[\uAC00-\uD7A3\u3131-\u318E]+|[0-9](?:[0-9]|[,.](?=[0-9]))*|(?:(?![\uAC00-\uD7A3\u3131-\u318E])\p{L})+/gu;
  for (const match of text.matchAll(pattern)) {
    const raw = match[0];
    const kind = HANGUL.test(raw[0]) ? "hangul" : /[0-9]/.test(raw[0]) ? "number" : "latin";
    const term = kind === "number" ? raw.replace(/,/g, "") : raw.toLowerCase();
    found.push({ kind, term, start: match.index, end: match.index + raw.length });
  }
  return found;
}
const UNITS = { "십": 10n, "백": 100n, "천": 1000n };
const LARGE = { "만": 10000n, "억": 100000000n, "조": 1000000000000n };
// Runs of numbers with Korean units (1조 3,200억 원) as "원" and the amount in digits.
function amounts(text) {
  const found = [];
  const group = /^([0-9][0-9,]*(?:\.[0-9]+)?) *([십백천]?)([만억조]?)/;
  let index = 0;
  while (index < text.length) {
    if (!/[0-9]/.test(text[index]) || (index > 0 && /[0-9,.]/.test(text[index - 1]))) { index++; continue; }
    let at = index, spanEnd = index, total = 0n, scale = 1000000000000000n, last = null, large = false, groups = 0;
    for (;;) {
      const match = group.exec(text.slice(at));
      if (!match || (!match[2] && !match[3])) break;
      const unit = (match[2] ? UNITS[match[2]] : 1n) * (match[3] ? LARGE[match[3]] : 1n);
      if (last !== null && unit >= last) break;
      const [whole, fraction = ""] = match[1].replace(/,/g, "").split(".");
      total += (BigInt(whole) * scale + BigInt((fraction + "000000000000000").slice(0, 15))) * unit;
      last = unit; large = large || !!match[3]; groups++;
      at += match[0].length; spanEnd = at;
      let next = at;
      while (text[next] === " ") next++;
      if (!/[0-9]/.test(text[next] || "")) break;
      at = next;
    }
    if (groups > 0 && large && total >= scale) {
      let end = spanEnd, next = spanEnd;
      while (text[next] === " ") next++;
      if (text[next] === "원") end = next + 1;
      found.push({ term: "원" + ((total + scale / 2n) / scale).toString(), start: index, end });
    }
    index = Math.max(at, index + 1);
  }
  return found;
}
function terms(query) {
  const queryTokens = tokens(query);
  const exact = new Set(queryTokens.filter((t) => t.kind !== "hangul").map((t) => t.term).concat(amounts(query).map((a) => a.term)));
  const cores = new Set();
  for (const t of queryTokens) if (t.kind === "hangul") { cores.add(t.term); const s = stem(t.term); if (s) cores.add(s); }
  return { exact, cores: [...cores] };
}
function marks(text, words) {
  const marked = new Array(text.length).fill(false);
  const mark = (start, end) => { for (let i = start; i < end; i++) marked[i] = true; };
  for (const t of tokens(text)) {
    if (t.kind !== "hangul") { if (words.exact.has(t.term)) mark(t.start, t.end); continue; }
    const word = t.term, base = stem(word) || word;
    for (const core of words.cores) {
      if (word === core) mark(t.start, t.end);
      else if (base === core) mark(t.start, t.start + base.length);
      else if (core.length >= 2 && word.startsWith(core)) mark(t.start, t.start + core.length);
      else if (core.length >= 2 && base.endsWith(core)) mark(t.start + base.length - core.length, t.start + base.length);
    }
  }
  for (const a of amounts(text)) if (words.exact.has(a.term)) mark(a.start, a.end);
  return marked;
}

// Appends text to an element with the marked words wrapped in <mark>: text nodes only, never markup.
function appendHighlighted(element, text, words) {
  const marked = marks(text, words);
  let i = 0;
  while (i < text.length) {
    let j = i;
    while (j < text.length && marked[j] === marked[i]) j++;
    const piece = document.createTextNode(text.slice(i, j));
    if (marked[i]) { const mark = document.createElement("mark"); mark.appendChild(piece); element.appendChild(mark); }
    else element.appendChild(piece);
    i = j;
  }
}

// An ISO 8601 time in the reader's own words: Korea's time (KST) for a Korean locale, else the browser's.
function localTime(iso) {
  const date = iso ? new Date(iso) : null;
  if (!date || isNaN(date)) return iso || "?";
  const locale = navigator.language || "ko-KR";
  const options = { dateStyle: "medium", timeStyle: "short", timeZoneName: "short" };
  if (locale.toLowerCase().startsWith("ko")) options.timeZone = "Asia/Seoul";
  try { return date.toLocaleString(locale, options); } catch (error) { return date.toLocaleString(); }
}

// The part of a passage worth reading first: about `width` characters around its first marked word.
function snippet(text, words, width) {
  if (text.length <= width) return { text, cut: false };
  const first = marks(text, words).indexOf(true);
  let start = Math.max(0, (first === -1 ? 0 : first) - Math.floor(width / 3));
  const end = Math.min(text.length, start + width);
  start = Math.max(0, end - width);
  return { text: (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : ""), cut: true };
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function overview() {
  try {
    const info = await api("/v1/info");
    $("overview").textContent = `문서 ${info.documents}개 · 단락 ${info.chunks}개 · 모델 ${info.model} (${info.precision}) · 마지막 색인 ${localTime(info.last_indexed_at)}`;
    if (info.skipped && info.skipped.length) {
      const details = element("details", "skipped");
      details.appendChild(element("summary", "", `건너뛴 파일 ${info.skipped.length}개`));
      const list = element("ul");
      for (const file of info.skipped) list.appendChild(element("li", "", `${file.path}: ${file.reason}`));
      details.appendChild(list);
      $("overview").appendChild(details);
    }
    renderFacets(info.facets || {});
  } catch (error) { $("overview").textContent = error.message; }
}

const stateFields = ["q", "mode", "k", "type", "path", "after", "before", "company", "report", "period"];

// The index's companies, report types and periods as filters a click sets.
function renderFacets(facets) {
  const box = $("facets");
  box.textContent = "";
  for (const [key, label, input] of [["company", "회사", "company"], ["report_type", "보고서", "report"], ["period", "기간", "period"]]) {
    const values = facets[key] || [];
    if (!values.length) continue;
    const line = element("p", "", `${label}: `);
    line.dataset.facet = key;
    for (const facet of values.slice(0, 20)) {
      const button = element("button", "secondary facet", `${facet.value} (${facet.documents})`);
      button.type = "button";
      button.setAttribute("aria-pressed", String($(input).value === facet.value));
      button.addEventListener("click", () => {
        $(input).value = $(input).value === facet.value ? "" : facet.value;
        for (const other of line.querySelectorAll("button")) other.setAttribute("aria-pressed", String(other === button && $(input).value !== ""));
        if ($("q").value.trim()) search(true); else $("q").focus();
      });
      line.appendChild(button);
    }
    box.appendChild(line);
  }
}

async function expand(hit, button, box) {
  const open = button.getAttribute("aria-expanded") === "true";
  if (open) { box.hidden = true; button.setAttribute("aria-expanded", "false"); button.textContent = "앞뒤 문맥 보기"; return; }
  const chunk = await api(`/v1/chunks/${hit.chunk_id}?neighbours=1`);
  box.textContent = "";
  for (const neighbour of chunk.neighbours) {
    const p = element("p", neighbour.ordinal < hit.ordinal ? "before" : "after", neighbour.text);
    p.dataset.chunkId = neighbour.chunk_id;
    box.appendChild(p);
  }
  if (!chunk.neighbours.length) box.appendChild(element("p", "", "이 문서에는 다른 단락이 없습니다."));
  box.hidden = false;
  button.setAttribute("aria-expanded", "true");
  button.textContent = "문맥 접기";
}

function renderHit(hit, words) {
  const item = element("li", "hit");
  item.dataset.chunkId = hit.chunk_id;
  const meta = element("div", "meta");
  meta.appendChild(element("span", "rank", `${hit.rank}. `));
  const link = element("a", "source", hit.path + (hit.page ? ` (p. ${hit.page})` : ""));
  link.href = `/?doc=${hit.document_id}&chunk=${hit.chunk_id}`;
  meta.appendChild(link);
  if (hit.title) meta.appendChild(element("span", "title", ` — ${hit.title}`));
  if (hit.section && hit.section !== hit.title) meta.appendChild(element("span", "section", ` · ${hit.section}`));
  const about = [hit.metadata?.company, hit.metadata?.report_type, hit.metadata?.period].filter(Boolean);
  if (about.length) meta.appendChild(element("span", "about", ` · ${about.join(" · ")}`));
  const why = [];
  if (hit.vector_rank) why.push(`벡터 ${hit.vector_rank}위`);
  if (hit.keyword_rank) why.push(`키워드 ${hit.keyword_rank}위`);
  meta.appendChild(element("span", "why", ` · 점수 ${hit.score.toFixed(4)}` + (why.length ? ` (${why.join(", ")})` : "")));
  item.appendChild(meta);
  const passage = element("p", "passage");
  const short = snippet(hit.text, words, 240);
  appendHighlighted(passage, short.text, words);
  item.appendChild(passage);
  if (short.cut) {
    const whole = element("button", "secondary whole", "전체 보기");
    whole.type = "button";
    whole.setAttribute("aria-expanded", "false");
    whole.addEventListener("click", () => {
      const open = whole.getAttribute("aria-expanded") === "true";
      passage.textContent = "";
      appendHighlighted(passage, open ? short.text : hit.text, words);
      whole.setAttribute("aria-expanded", open ? "false" : "true");
      whole.textContent = open ? "전체 보기" : "짧게 보기";
    });
    item.appendChild(whole);
  }
  const button = element("button", "secondary expand", "앞뒤 문맥 보기");
  button.type = "button";
  button.setAttribute("aria-expanded", "false");
  const box = element("div", "context");
  box.hidden = true;
  button.addEventListener("click", () => expand(hit, button, box).catch((e) => { $("status").textContent = e.message; }));
  item.appendChild(button);
  item.appendChild(box);
  return { item, button, box };
}

async function search(fromForm) {
  const query = $("q").value.trim();
  if (!query) return;
  const state = new URLSearchParams();
  for (const name of stateFields) {
    const value = $(name).value.trim();
    if (value && !(name === "mode" && value === "hybrid") && !(name === "k" && value === "10")) state.set(name, value);
  }
  if (fromForm) history.pushState(null, "", "/?" + state.toString());
  const filters = {};
  if ($("type").value) filters.types = [$("type").value];
  if ($("path").value.trim()) filters.path = $("path").value.trim();
  if ($("after").value) filters.modified_after = $("after").value;
  if ($("before").value) filters.modified_before = $("before").value;
  if ($("company").value.trim()) filters.company = $("company").value.trim();
  if ($("report").value.trim()) filters.report_type = $("report").value.trim();
  if ($("period").value.trim()) filters.period = $("period").value.trim();
  $("status").textContent = "검색 중…";
  $("document").hidden = true;
  const results = $("results");
  results.textContent = "";
  try {
    const answer = await api("/v1/search", { query, k: Number($("k").value) || 10, mode: $("mode").value, filters });
    results.dataset.mode = answer.mode;
    $("status").textContent = answer.results.length ? `결과 ${answer.results.length}건 (${answer.mode})` : "결과가 없습니다.";
    const words = terms(query);
    const rendered = answer.results.map((hit) => ({ hit, ...renderHit(hit, words) }));
    for (const entry of rendered) results.appendChild(entry.item);
    const wanted = params.get("expand");
    const target = rendered.find((entry) => String(entry.hit.chunk_id) === wanted);
    if (target) await expand(target.hit, target.button, target.box);
  } catch (error) { $("status").textContent = error.message; }
}

async function showDocument(id, chunkId) {
  $("results").textContent = "";
  try {
    const doc = await api(`/v1/documents/${encodeURIComponent(id)}`);
    $("doc-title").textContent = doc.title || doc.path;
    $("doc-meta").textContent = `${doc.path} · ${doc.type} · 단락 ${doc.chunks}개`;
    const box = $("doc-text");
    box.textContent = "";
    const characters = Array.from(doc.text);   // offsets count Unicode code points
    let start = -1, end = -1;
    if (chunkId) {
      const chunk = await api(`/v1/chunks/${encodeURIComponent(chunkId)}?neighbours=0`);
      if (chunk.document_id === doc.id) { start = chunk.start; end = chunk.end; }
    }
    if (start >= 0) {
      box.appendChild(document.createTextNode(characters.slice(0, start).join("")));
      const mark = element("mark", "", characters.slice(start, end).join(""));
      mark.id = "passage";
      box.appendChild(mark);
      box.appendChild(document.createTextNode(characters.slice(end).join("")));
    } else {
      box.textContent = doc.text;
    }
    $("document").hidden = false;
    $("status").textContent = "";
    const mark = $("passage");
    if (mark) mark.scrollIntoView({ block: "center" });
  } catch (error) { $("status").textContent = error.message; }
}

$("search").addEventListener("submit", (event) => { event.preventDefault(); search(true); });
$("key").addEventListener("change", () => { sessionStorage.setItem("korsearch-key", $("key").value); overview(); search(false); });
window.addEventListener("popstate", () => location.reload());
for (const name of stateFields) {
  if (params.has(name)) $(name).value = params.get(name);
}
overview();
if (params.has("doc")) showDocument(params.get("doc"), params.get("chunk"));
else if (params.has("q")) search(false);
else $("q").focus();
"""#
}
