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

// A hit's text as code points (its `start`, `end` and `highlights` count Unicode code points).
function codePoints(text) { return Array.from(text); }

// Appends points[from..<to] to an element with the stretches the server matched (a hit's `highlights`,
// [start, end) pairs) wrapped in <mark>: text nodes only, never markup. The page marks what the server
// says and nothing else; which words match is decided once, in the library, for every front end.
function appendHighlighted(element, points, highlights, from, to) {
  const piece = (a, b) => document.createTextNode(points.slice(a, b).join(""));
  let at = from;
  for (const [start, end] of highlights) {
    const lower = Math.max(start, at), upper = Math.min(end, to);
    if (lower >= upper) continue;
    if (lower > at) element.appendChild(piece(at, lower));
    const mark = document.createElement("mark");
    mark.appendChild(piece(lower, upper));
    element.appendChild(mark);
    at = upper;
  }
  if (at < to) element.appendChild(piece(at, to));
}

// The part of a passage worth reading first: about `width` code points from a third of the width before its
// first highlight.
function excerptRange(points, highlights, width) {
  if (points.length <= width) return { start: 0, end: points.length, cut: false };
  const first = highlights.length ? highlights[0][0] : 0;
  let start = Math.max(0, first - Math.floor(width / 3));
  let end = Math.min(points.length, start + width);
  start = Math.max(0, end - width);
  // Whole lines where a line break is near (a table row is never cut in two).
  let lineStart = start;
  while (lineStart > 0 && points[lineStart - 1] !== "\n" && start - lineStart < 80) lineStart--;
  if (lineStart === 0 || points[lineStart - 1] === "\n") start = lineStart;
  let lineEnd = end;
  while (lineEnd < points.length && points[lineEnd] !== "\n" && lineEnd - end < 80) lineEnd++;
  if (lineEnd === points.length || points[lineEnd] === "\n") end = lineEnd;
  return { start, end, cut: start > 0 || end < points.length };
}

// A line of a passage that is a table row: cells separated by " | " (how every reader writes a table's rows).
const isRow = (line) => line.includes(" | ");
// A cell that is a number or an amount (right-aligned, as a statement prints them).
const isNumeric = (text) => /^[-+(]?[\d,.]+%?\)?$|^-$/.test(text.trim());

// A passage into an element: the excerpt (with … where cut) or the whole, its highlights marked; runs of table
// rows become a table (in a box that scrolls sideways when wide), numbers right-aligned.
function showPassage(element, points, highlights, range) {
  element.textContent = "";
  if (range.start > 0) element.appendChild(document.createTextNode("…"));
  let lineStart = range.start, table = null;
  while (lineStart < range.end) {
    let lineEnd = lineStart;
    while (lineEnd < range.end && points[lineEnd] !== "\n") lineEnd++;
    const line = points.slice(lineStart, lineEnd).join("");
    if (isRow(line)) {
      if (!table) {
        const box = document.createElement("div");
        box.className = "table-box";
        table = document.createElement("table");
        box.appendChild(table);
        element.appendChild(box);
      }
      const row = table.insertRow();
      let cellStart = lineStart;
      for (const cell of line.split(" | ")) {
        const length = Array.from(cell).length;
        const td = row.insertCell();
        if (isNumeric(cell)) td.className = "num";
        appendHighlighted(td, points, highlights, cellStart, cellStart + length);
        cellStart += length + 3;
      }
    } else {
      table = null;
      appendHighlighted(element, points, highlights, lineStart, Math.min(lineEnd + 1, range.end));
    }
    lineStart = lineEnd + 1;
  }
  if (range.end < points.length) element.appendChild(document.createTextNode("…"));
}

// An ISO 8601 time in the reader's own words: Korea's time, labelled KST, for a Korean reader; else the
// browser's own zone, labelled. (dateStyle/timeStyle cannot be combined with timeZoneName: that threw, and the
// fallback showed the browser's zone unlabelled.)
function localTime(iso) {
  const date = iso ? new Date(iso) : null;
  if (!date || isNaN(date)) return iso || "?";
  const locale = navigator.language || "ko-KR";
  const options = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false };
  if (locale.toLowerCase().startsWith("ko")) {
    return new Intl.DateTimeFormat("ko-KR", { ...options, timeZone: "Asia/Seoul" }).format(date) + " (KST)";
  }
  try { return date.toLocaleString(locale, { ...options, timeZoneName: "short" }); } catch (error) { return date.toISOString(); }
}

const modeNames = { hybrid: "하이브리드", keyword: "키워드", vector: "벡터" };
// Narrow screens (phones) fold the filters behind 상세 검색 and bring the results into view after a search.
const narrow = () => window.matchMedia("(max-width: 600px)").matches;

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
    if (!$("q").value.trim()) { renderFacets(info.facets || {}); $("facets").dataset.scope = "index"; }
  } catch (error) { $("overview").textContent = error.message; }
}

const stateFields = ["q", "mode", "k", "type", "path", "after", "before", "company", "report", "period", "filed_after", "filed_before", "section"];

// Periods in time order, newest year first: each year (counting every document of the year, which is what
// selecting it keeps), then its halves and quarters.
function periodsInOrder(values) {
  const order = { "": 0, H1: 1, Q1: 2, Q2: 3, H2: 4, Q3: 5, Q4: 6 };
  const years = new Map();
  for (const { value, documents } of values) {
    const year = value.slice(0, 4);
    if (!years.has(year)) years.set(year, { value: year, documents: 0, parts: [] });
    const entry = years.get(year);
    entry.documents += documents;
    if (value.length > 4) entry.parts.push({ value, documents });
  }
  const result = [];
  for (const year of [...years.keys()].sort().reverse()) {
    const entry = years.get(year);
    result.push({ value: year, documents: entry.documents });
    entry.parts.sort((a, b) => (order[a.value.slice(5)] ?? 9) - (order[b.value.slice(5)] ?? 9));
    result.push(...entry.parts);
  }
  return result;
}

// The index's companies, report types and periods as filters a click sets.
function renderFacets(facets) {
  const box = $("facets");
  box.textContent = "";
  for (const [key, label, input] of [["company", "회사", "company"], ["report_type", "보고서", "report"], ["period", "기간", "period"]]) {
    const values = key === "period" ? periodsInOrder(facets[key] || []) : (facets[key] || []);
    if (!values.length) continue;
    const line = element("p", "", `${label}: `);
    line.dataset.facet = key;
    for (const facet of values.slice(0, key === "period" ? 40 : 20)) {
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

// How many filters are set, shown on the folded 상세 검색.
function countFilters() {
  const set = stateFields.filter((name) => name !== "q" && name !== "mode" && name !== "k" && $(name).value.trim()).length;
  $("advanced").querySelector("summary").textContent = set ? `상세 검색 (필터 ${set}개)` : "상세 검색";
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

// Where a passage is, as the CLI and MCP cite it: "p. 3", "pp. 3–4", with ", OCR" when OCR read some of it.
function pageLabel(passage) {
  if (!passage.page) return null;
  const pages = passage.page_end && passage.page_end > passage.page ? `pp. ${passage.page}–${passage.page_end}` : `p. ${passage.page}`;
  return pages + (passage.ocr ? ", OCR" : "");
}

function renderHit(hit) {
  const item = element("li", "hit");
  item.dataset.chunkId = hit.chunk_id;
  const meta = element("div", "meta");
  meta.appendChild(element("span", "rank", `${hit.rank}. `));
  const link = element("a", "source", hit.path + (pageLabel(hit) ? ` (${pageLabel(hit)})` : ""));
  link.href = `/?doc=${hit.document_id}&chunk=${hit.chunk_id}`;
  meta.appendChild(link);
  if (hit.title) meta.appendChild(element("span", "title", ` — ${hit.title}`));
  if (hit.section && hit.section !== hit.title) meta.appendChild(element("span", "section", ` · ${hit.section}`));
  const about = [hit.metadata?.company, hit.metadata?.report_type, hit.metadata?.amendment, hit.metadata?.period,
    hit.metadata?.filed ? `공시 ${hit.metadata.filed}` : null].filter(Boolean);
  if (about.length) meta.appendChild(element("span", "about", ` · ${about.join(" · ")}`));
  if (hit.metadata?.rcept_no && /^\d{14}$/.test(hit.metadata.rcept_no)) {
    const dart = element("a", "dart", "DART 원문");
    dart.href = `https://dart.fss.or.kr/dsaf001/main.do?rcpNo=${hit.metadata.rcept_no}`;
    dart.target = "_blank";
    dart.rel = "noopener noreferrer";
    meta.appendChild(document.createTextNode(" · "));
    meta.appendChild(dart);
  }
  const why = [];
  if (hit.vector_rank) why.push(`벡터 ${hit.vector_rank}위`);
  if (hit.keyword_rank) why.push(`키워드 ${hit.keyword_rank}위`);
  meta.appendChild(element("span", "why", ` · 점수 ${hit.score.toFixed(4)}` + (why.length ? ` (${why.join(", ")})` : "")));
  item.appendChild(meta);
  const passage = element("p", "passage");
  const points = codePoints(hit.text), highlights = hit.highlights || [];
  const short = excerptRange(points, highlights, 240);
  showPassage(passage, points, highlights, short);
  item.appendChild(passage);
  if (short.cut) {
    const whole = element("button", "secondary whole", "전체 보기");
    whole.type = "button";
    whole.setAttribute("aria-expanded", "false");
    whole.addEventListener("click", () => {
      const open = whole.getAttribute("aria-expanded") === "true";
      showPassage(passage, points, highlights, open ? short : { start: 0, end: points.length });
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
  if ($("filed_after").value) filters.filed_after = $("filed_after").value;
  if ($("filed_before").value) filters.filed_before = $("filed_before").value;
  if ($("section").value.trim()) filters.section = $("section").value.trim();
  countFilters();
  $("status").textContent = "검색 중…";
  $("document").hidden = true;
  const results = $("results");
  results.textContent = "";
  try {
    const answer = await api("/v1/search", { query, k: Number($("k").value) || 10, mode: $("mode").value, filters, facets: true });
    // The facets now count the documents this query matches (with the filters set), not the whole index.
    if (answer.facets) { renderFacets(answer.facets); $("facets").dataset.scope = "query"; }
    results.dataset.mode = answer.mode;
    $("status").textContent = answer.results.length ? `결과 ${answer.results.length}건 (${modeNames[answer.mode] || answer.mode})` : "결과가 없습니다.";
    const aliases = (answer.aliases || []).map((match) => `${match.form} → ${match.aliases.join(", ")}`).join("; ");
    if (aliases) $("status").textContent += ` · 함께 찾은 말: ${aliases}`;
    const rendered = answer.results.map((hit) => ({ hit, ...renderHit(hit) }));
    for (const entry of rendered) results.appendChild(entry.item);
    const wanted = params.get("expand");
    const target = rendered.find((entry) => String(entry.hit.chunk_id) === wanted);
    if (target) await expand(target.hit, target.button, target.box);
    // On a phone the answer is what the reader wants next: bring it into view. Where the results begin on the
    // screen is kept on the list (data-top, in CSS pixels), for whoever checks the layout.
    if (narrow() && !target && $("status").getBoundingClientRect().top > window.innerHeight / 2) $("status").scrollIntoView({ block: "start" });
    results.dataset.top = String(Math.round(results.getBoundingClientRect().top));
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
      if (chunk.document_id === doc.document_id) { start = chunk.start; end = chunk.end; }
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
$("advanced").open = !narrow();
countFilters();
for (const name of stateFields) $(name).addEventListener("change", countFilters);
overview();
if (params.has("doc")) showDocument(params.get("doc"), params.get("chunk"));
else if (params.has("q")) search(false);
else $("q").focus();
