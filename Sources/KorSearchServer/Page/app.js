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
  const end = Math.min(points.length, start + width);
  start = Math.max(0, end - width);
  return { start, end, cut: true };
}

// A passage into an element: the excerpt (with … where cut) or the whole, its highlights marked.
function showPassage(element, points, highlights, range) {
  element.textContent = "";
  if (range.start > 0) element.appendChild(document.createTextNode("…"));
  appendHighlighted(element, points, highlights, range.start, range.end);
  if (range.end < points.length) element.appendChild(document.createTextNode("…"));
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

function renderHit(hit) {
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
  $("status").textContent = "검색 중…";
  $("document").hidden = true;
  const results = $("results");
  results.textContent = "";
  try {
    const answer = await api("/v1/search", { query, k: Number($("k").value) || 10, mode: $("mode").value, filters });
    results.dataset.mode = answer.mode;
    $("status").textContent = answer.results.length ? `결과 ${answer.results.length}건 (${answer.mode})` : "결과가 없습니다.";
    const aliases = (answer.aliases || []).map((match) => `${match.form} → ${match.aliases.join(", ")}`).join("; ");
    if (aliases) $("status").textContent += ` · 함께 찾은 말: ${aliases}`;
    const rendered = answer.results.map((hit) => ({ hit, ...renderHit(hit) }));
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
overview();
if (params.has("doc")) showDocument(params.get("doc"), params.get("chunk"));
else if (params.has("q")) search(false);
else $("q").focus();
