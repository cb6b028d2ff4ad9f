// Botify dashboard: live genre trends from /v1/trends/stream (server-sent events) drawn as SVG bar charts, top
// tracks per genre, and a box that asks /v1/recommendations for a user. No libraries, nothing fetched elsewhere.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const MAX_GENRES = 12;          // bars per chart
const TRACK_CARDS = 8;          // genres with a top-tracks card
// one colour per genre of Botify's vocabulary (botify_datasets.genres), the same in every chart; others by hash
const GENRE_COLORS = {
  rock: "#d1242f", alternative: "#8250df", pop: "#bf3989", electronic: "#0969da", dance: "#0a7d8c",
  hiphop: "#1a7f37", rnb: "#9a6700", jazz: "#bc4c00", blues: "#1b4f9c", classical: "#6e5494", metal: "#24292f",
  punk: "#cf222e", folk: "#7d8c2b", country: "#b08800", reggae: "#2da44e", ambient: "#57a6c7",
  soundtrack: "#953800", experimental: "#a475f9", world: "#116329", unknown: "#8c959f",
};
const PALETTE = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7d8c", "#bc4c00"];

const state = { window: null, source: null, latest: null };

function colorOf(genre) {
  if (GENRE_COLORS[genre]) return GENRE_COLORS[genre];
  let hash = 0;
  for (const ch of genre) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

function el(tag, attrs = {}, text = null) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

function formatNumber(value, metric) {
  if (metric === "minutes") return value >= 100 ? Math.round(value).toLocaleString("en") : value.toFixed(1);
  return Math.round(value).toLocaleString("en");
}

function formatTime(ms) {
  return ms === null || ms === undefined ? "–" : new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

// A horizontal bar chart of genres by one metric; bars carry data-genre and data-value for tests and tooltips.
function drawBars(svg, genres, metric) {
  const rows = [...genres].sort((a, b) => b[metric] - a[metric] || a.genre.localeCompare(b.genre))
    .filter((g) => g[metric] > 0).slice(0, MAX_GENRES);
  const width = 560, rowH = 24, labelW = 110, valueW = 96;
  const height = Math.max(rows.length, 1) * rowH + 8;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();
  if (rows.length === 0) {
    svg.append(el("svg:text", { x: 8, y: 20, class: "empty" }, "no plays in this window yet"));
    return;
  }
  const max = rows[0][metric];
  const total = genres.reduce((sum, g) => sum + g[metric], 0);
  rows.forEach((g, i) => {
    const y = 4 + i * rowH;
    const w = Math.max(2, ((width - labelW - valueW) * g[metric]) / max);
    const share = total > 0 ? Math.round((100 * g[metric]) / total) : 0;
    svg.append(el("svg:text", { x: labelW - 8, y: y + 16, "text-anchor": "end", class: "label" }, g.genre));
    const bar = el("svg:rect", { x: labelW, y: y + 3, width: w, height: rowH - 8, rx: 3, fill: colorOf(g.genre),
                                 class: "bar", "data-genre": g.genre, "data-value": g[metric] });
    bar.append(el("svg:title", {}, `${g.genre}: ${formatNumber(g[metric], metric)} ${metric} (${share}%)`));
    svg.append(bar);
    svg.append(el("svg:text", { x: labelW + w + 6, y: y + 16, class: "value" },
                  `${formatNumber(g[metric], metric)} · ${share}%`));
  });
}

function drawTopTracks(container, genres) {
  container.replaceChildren();
  const shown = genres.filter((g) => g.plays > 0 && g.top_tracks.length > 0).slice(0, TRACK_CARDS);
  if (shown.length === 0) {
    container.append(el("p", { class: "empty" }, "No plays in this window yet."));
    return;
  }
  for (const g of shown) {
    const card = el("div", { class: "genre-tracks", "data-genre": g.genre });
    const head = el("h3");
    head.append(el("span", { class: "swatch", style: `background:${colorOf(g.genre)}` }), g.genre,
                el("span", { class: "count" }, `${formatNumber(g.plays, "plays")} plays`));
    const list = el("ol");
    for (const t of g.top_tracks) {
      const item = el("li", { class: "track", "data-track": t.track_id });
      const name = t.title ? `${t.title}${t.artist ? " — " + t.artist : ""}` : t.track_id;
      const row = el("span", { class: "row" });
      row.append(el("span", { class: "name", title: name }, name),
                 el("span", { class: "plays" }, `${formatNumber(t.plays, "plays")} plays`));
      item.append(row);
      list.append(item);
    }
    card.append(head, list);
    container.append(card);
  }
}

function drawWindows(windows) {
  const box = document.getElementById("windows");
  const names = windows.join(",");
  if (box.dataset.names !== names) {
    box.dataset.names = names;
    box.replaceChildren(...windows.map((w) => {
      const button = el("button", { type: "button", "data-window": w }, w);
      button.addEventListener("click", () => connect(w));
      return button;
    }));
  }
  for (const button of box.children) button.setAttribute("aria-pressed", String(button.dataset.window === state.window));
}

function render(snapshot) {
  state.latest = snapshot;
  drawWindows(snapshot.windows);
  drawBars(document.getElementById("chart-plays"), snapshot.genres, "plays");
  drawBars(document.getElementById("chart-minutes"), snapshot.genres, "minutes");
  drawTopTracks(document.getElementById("top-tracks"), snapshot.genres);
  document.getElementById("period").textContent = snapshot.window_start_ms === null
    ? `window ${snapshot.window}: no trends yet`
    : `window ${snapshot.window}: ${formatTime(snapshot.window_start_ms)} – ${formatTime(snapshot.window_end_ms)}` +
      ` · now (newest event time) ${formatTime(snapshot.now_ms)} · ` +
      `${formatNumber(snapshot.total_plays, "plays")} plays, ${formatNumber(snapshot.total_minutes, "minutes")} minutes`;
}

function setStatus(kind, text) {
  const status = document.getElementById("status");
  status.dataset.state = kind;
  status.textContent = text;
}

// One EventSource at a time; switching window closes the old stream (the server drops its subscription).
function connect(windowName) {
  if (state.source) state.source.close();
  state.window = windowName;
  const url = new URL(window.location.href);
  url.searchParams.set("window", windowName);
  window.history.replaceState(null, "", url);
  setStatus("connecting", "connecting…");
  const source = new EventSource(`/v1/trends/stream?window=${encodeURIComponent(windowName)}&n=5`);
  source.addEventListener("trends", (event) => {
    render(JSON.parse(event.data));
    setStatus("live", "live");
  });
  source.addEventListener("bye", () => connect(state.window));   // the server ends streams now and then
  source.onerror = () => setStatus("error", "reconnecting…");
  state.source = source;
  if (state.latest) drawWindows(state.latest.windows);
}

function describeItem(item) {
  const title = item.title || item.track_id;
  return item.artist ? `${title} — ${item.artist}` : title;
}

async function recommend(userId, k) {
  const meta = document.getElementById("recs-meta");
  const list = document.getElementById("recs");
  meta.textContent = "asking…";
  list.replaceChildren();
  const params = new URLSearchParams({ user_id: userId, k: String(k) });
  let response, body;
  try {
    response = await fetch(`/v1/recommendations?${params}`);
    body = await response.json();
  } catch (error) {
    meta.textContent = `the gateway did not answer: ${error}`;
    return;
  }
  if (!response.ok) {
    const detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail;
    meta.textContent = `${response.status}: ${detail}`;
    return;
  }
  const parts = [`${body.items.length} items for ${userId}`];
  if (body.arm) parts.push(`experiment ${body.experiment || "–"}, arm ${body.arm}`);
  if (body.cold_start) parts.push("cold start");
  if (body.recommendation_id) parts.push(`recommendation ${body.recommendation_id}`);
  meta.textContent = parts.join(" · ");
  const degraded = body.degraded || [];
  if (degraded.length > 0) {
    const what = degraded.map((d) => `${d.source} (${d.reason})`).join("; ");
    meta.append(" · ", el("span", { class: "degraded" }, `degraded: ${what}`));
  }
  for (const item of body.items) {
    const li = el("li", { class: "rec", "data-track": item.track_id });
    li.append(el("span", { class: "title" }, describeItem(item)), " ",
              el("span", { class: "score" }, Number(item.score).toFixed(3)));
    for (const source of item.sources || []) li.append(el("span", { class: "source" }, source));
    if (item.reason) li.append(el("span", { class: "reason" }, item.reason));
    list.append(li);
  }
}

function start() {
  const params = new URLSearchParams(window.location.search);
  connect(params.get("window") || "1h");
  const form = document.getElementById("recs-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    recommend(document.getElementById("user-id").value.trim(), Number(document.getElementById("recs-k").value));
  });
  const user = params.get("user");
  if (user) {
    document.getElementById("user-id").value = user;
    recommend(user, Number(document.getElementById("recs-k").value));
  }
}

document.addEventListener("DOMContentLoaded", start);
