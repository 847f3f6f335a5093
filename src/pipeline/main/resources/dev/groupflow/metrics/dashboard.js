// groupflow dashboard: loads the metrics so far, then follows the server-sent events of /events (a metrics line
// per learner step, a status snapshot every second, the latest completions). Charts are drawn here on <canvas>.
// The held-out evaluations (api/evals) are loaded again whenever the status counts a new one.
// Every value from the server is written with textContent, never as HTML. The API and the events need the run's
// token: it comes in this page's URL (?token=..., as train prints it), is kept in sessionStorage for reloads
// (this origin only) and taken out of the address bar, and goes with every request (a header; the event stream,
// which cannot send headers, as ?token=).
"use strict";

const MAX_LINES = 20000;
const TOKEN = takeToken();

/** The charts: each plots metrics-line keys against the step; a band is mean ± std or min..max. */
const CHARTS = [
  { id: "reward", title: "Reward", series: [{ key: "reward_mean", label: "mean" }],
    band: { center: "reward_mean", spread: "reward_std", label: "± std" } },
  { id: "components", title: "Reward components (mean)", series: [], components: /^reward\/(.+)\/mean$/,
    empty: "one reward component only (a composite verifier shows each here)" },
  { id: "kl", title: "KL to reference", series: [{ key: "kl", label: "kl" }],
    empty: "no KL: grpo.beta = 0 (no reference model)" },
  { id: "length", title: "Completion length (tokens)", series: [{ key: "completion_length_mean", label: "mean" }],
    band: { low: "completion_length_min", high: "completion_length_max", label: "min..max" } },
  { id: "clip", title: "Clip fraction", series: [{ key: "clip_region", label: "clipped" },
    { key: "clip_low", label: "low" }, { key: "clip_high", label: "high" }] },
  { id: "entropy", title: "Entropy (nats)", series: [{ key: "entropy", label: "entropy" }] },
  { id: "guidance", title: "Guided rollouts: mean reward, l (G²RPO-A)", series: [
    { key: "reward_guided_mean", label: "guided" }, { key: "reward_unguided_mean", label: "unguided" },
    { key: "guidance_length", label: "l (tokens)" }], empty: "no guided completions (grpo.guidance)" },
  { id: "staleness", title: "Staleness (policy versions)", series: [{ key: "staleness_mean", label: "mean" },
    { key: "staleness_max", label: "max" }] },
  { id: "latency", title: "Verifier latency (ms)", series: [{ key: "verifier_latency_p50_ms", label: "p50" },
    { key: "verifier_latency_p95_ms", label: "p95" }] },
  { id: "throughput", title: "Samples trained / s", series: [{ key: "samples_per_s", label: "samples/s" }] },
  { id: "loss", title: "Loss", series: [{ key: "loss", label: "loss" }] },
  { id: "grad", title: "Gradient norm", series: [{ key: "grad_norm", label: "before clipping" }] },
];

/** The stage cards: [label, field of the stage's status, formatter]. */
const STAGES = {
  supply: [["state", "paused", (p) => (p ? "paused" : "admitting")], ["admitted", "admitted"],
    ["in flight", "in_flight"], ["skipped", "skipped"]],
  sampler: [["samples generated", "samples_generated"], ["tokens generated", "tokens_generated"],
    ["restarts", "restarts"]],
  verifier: [["in flight", "in_flight"], ["latency p50", "latency_p50_ms", ms], ["latency p95", "latency_p95_ms", ms],
    ["scored", "scored"], ["failed", "failed"], ["timed out", "timed_out"]],
  learner: [["step", "step"], ["of", "total_steps"], ["policy version", "policy_version"],
    ["buffered groups", "buffered_groups"], ["last step", "last_step_seconds", seconds],
    ["samples trained", "samples_trained"], ["dropped stale groups", "dropped_stale_groups"],
    ["filtered groups", "filtered_groups"]],
};

const lines = [];
let status = null;
let evaluationsShown = -1;
let drawPending = false;

// ---------- numbers ----------

function num(v) {
  return typeof v === "number" ? v : Number(v);
}

function fmt(v) {
  v = num(v);
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(2) + "M";
  if (a >= 1e4) return (v / 1e3).toFixed(1) + "k";
  if (Number.isInteger(v)) return String(v);
  if (a >= 100) return v.toFixed(1);
  if (a >= 0.01 || a === 0) return v.toPrecision(3);
  return v.toExponential(2);
}

function ms(v) {
  return Number.isFinite(num(v)) ? fmt(v) + " ms" : "–";
}

function seconds(v) {
  return Number.isFinite(num(v)) ? num(v).toFixed(2) + " s" : "–";
}

// ---------- data ----------

/** Appends a metrics line (ignoring one already seen) with the derived samples/s over the last 5 steps. */
function addLine(line) {
  const step = num(line.step);
  if (lines.length && step <= num(lines[lines.length - 1].step)) return false;
  const back = lines[Math.max(0, lines.length - 5)];
  if (back) {
    const dt = num(line.wall_seconds) - num(back.wall_seconds);
    const ds = num(line.samples_trained_total) - num(back.samples_trained_total);
    line.samples_per_s = dt > 0 ? ds / dt : NaN;
  }
  lines.push(line);
  if (lines.length > MAX_LINES) lines.shift();
  document.body.dataset.points = String(lines.length);
  setStep(step);
  return true;
}

function setStep(step) {
  const shown = document.getElementById("step");
  if (num(shown.textContent) < step) shown.textContent = String(step);
}

// ---------- header and stages ----------

function showStatus(s) {
  status = s;
  const run = s.run;
  const state = document.getElementById("state");
  state.textContent = run.state;
  state.className = "pill " + run.state;
  document.body.dataset.state = run.state;
  document.getElementById("mode").textContent = run.mode + " mode";
  document.getElementById("total").textContent = String(run.total_steps);
  document.getElementById("run-dir").textContent = run.run_dir;
  setStep(num(run.step));
  const done = Math.min(1, num(document.getElementById("step").textContent) / Math.max(1, num(run.total_steps)));
  document.getElementById("progress-bar").style.width = (100 * done).toFixed(1) + "%";
  document.getElementById("rate").textContent = num(run.samples_per_second) > 0
    ? fmt(run.samples_per_second) + " samples/s" : "";
  const training = run.phase === "training";
  document.getElementById("pause").disabled = !training || run.paused;
  document.getElementById("resume").disabled = !training || !run.paused;
  document.getElementById("checkpoint").disabled = !training;
  if (run.message && !training) notice(run.message, run.phase === "failed");
  if (num(run.evaluations) !== evaluationsShown) {
    evaluationsShown = num(run.evaluations);
    getJson("api/evals").then(showEvaluations).catch((err) => notice("cannot load evaluations: " + err.message, true));
  }
  for (const [stage, rows] of Object.entries(STAGES)) {
    fillStage(document.getElementById("stage-" + stage), rows, s[stage]);
  }
}

function fillStage(dl, rows, values) {
  if (dl.children.length !== rows.length * 2) {
    dl.replaceChildren();
    for (const [label, field] of rows) {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.id = dl.id + "-" + field;
      dl.append(dt, dd);
    }
  }
  rows.forEach(([, field, format], i) => {
    dl.children[2 * i + 1].textContent = (format || fmt)(values[field]);
  });
}

function notice(text, isError) {
  const p = document.getElementById("notice");
  p.textContent = text;
  p.className = "notice" + (isError ? " error" : "");
}

// ---------- completions ----------

function showCompletions(latest) {
  const rows = latest.completions || [];
  if (!rows.length) return;
  document.getElementById("completions-step").textContent = "step " + latest.step;
  const episodes = rows.some((c) => Array.isArray(c.turns));
  document.getElementById("completions-table").hidden = episodes;
  document.getElementById("episodes").hidden = !episodes;
  if (episodes) {
    showEpisodes(rows);
    return;
  }
  const body = document.getElementById("completions");
  body.replaceChildren(...rows.map((c) => {
    const tr = document.createElement("tr");
    const cells = [
      [String(c.sample), "num"], [c.prompt, "text"], [c.completion, "text"],
      [fmt(c.reward), "num"], [fmt(c.advantage), "num " + (num(c.advantage) > 0 ? "positive" : num(c.advantage) < 0 ? "negative" : "")],
      [c.status + (c.truncated ? " (truncated)" : ""), ""],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement("td");
      td.textContent = text == null ? "" : String(text);
      td.className = cls;
      tr.append(td);
    }
    return tr;
  }));
}

// ---------- episodes (agent runs): turn by turn ----------

/** An episode's outcome label (completions.jsonl) by kind: only finished and truncated episodes have a return. */
const OUTCOMES = {
  finished: "finished", max_turns: "truncated", max_tokens: "truncated",
  environment_failed: "failed", environment_timed_out: "failed",
};

/** Episodes the reader opened or closed, by "prompt_key/sample", kept across updates. */
const episodeOpen = new Map();

/** An element with a class and text (always as text, never as HTML). */
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = String(text);
  return e;
}

/** A state key shortened for the table (the whole key in the tooltip). */
function shortKey(key) {
  const s = key == null ? "" : String(key);
  return s.length > 14 ? s.slice(0, 6) + "…" + s.slice(-6) : s;
}

function signClass(v) {
  return num(v) > 0 ? " positive" : num(v) < 0 ? " negative" : "";
}

/** The G episodes of each task together, each as its sequence of turns. */
function showEpisodes(rows) {
  const tasks = new Map();
  for (const c of rows) {
    const key = String(c.prompt_key);
    if (!tasks.has(key)) tasks.set(key, []);
    tasks.get(key).push(c);
  }
  document.getElementById("episodes").replaceChildren(...[...tasks].map(([key, episodes]) => {
    const task = el("section", "task");
    task.dataset.promptKey = key;
    const returns = episodes.map((c) => num(c.reward)).filter(Number.isFinite);
    const mean = returns.length ? returns.reduce((a, b) => a + b, 0) / returns.length : NaN;
    const finished = episodes.filter((c) => c.outcome === "finished").length;
    const head = el("h3", "task-head");
    head.append(el("span", "", "task " + key), el("span", "muted", " · " + episodes.length + " episodes · "
      + finished + " finished · mean return " + fmt(mean)));
    task.append(head, el("pre", "text prompt", episodes[0].prompt));
    task.append(...episodes.map((c, i) => showEpisode(key, c, i === 0)));
    return task;
  }));
}

function showEpisode(key, c, first) {
  const id = key + "/" + c.sample;
  const details = el("details", "episode");
  details.dataset.sample = String(c.sample);
  details.dataset.outcome = c.outcome || "";
  details.open = episodeOpen.has(id) ? episodeOpen.get(id) : first;
  details.addEventListener("toggle", () => episodeOpen.set(id, details.open));
  const turns = Array.isArray(c.turns) ? c.turns : [];
  const summary = el("summary");
  const kind = OUTCOMES[c.outcome] || "unknown";
  summary.append(el("span", "num", "#" + c.sample),
    el("span", "outcome " + kind, c.outcome + (kind !== c.outcome ? " (" + kind + ")" : "")),
    el("span", "return", "return " + (c.reward == null ? "none" : fmt(c.reward))),
    el("span", "muted", turns.length + (turns.length === 1 ? " turn" : " turns")));
  const table = el("table", "turns");
  const head = el("tr");
  for (const name of ["turn", "action", "observation", "reward", "advantage", "state"]) head.append(el("th", "", name));
  table.append(el("thead"), el("tbody"));
  table.tHead.append(head);
  table.tBodies[0].append(...turns.map(showTurn));
  details.append(summary, table);
  return details;
}

/** One turn: the policy's action with its tool calls and their errors, the environment's answer, credit. */
function showTurn(t) {
  const tr = el("tr", "turn");
  tr.dataset.turn = String(t.turn);
  const action = el("td", "text action");
  action.append(el("div", "action-text", t.action));
  for (const call of t.tool_calls || []) {
    action.append(el("div", "tool-call", "tool call " + call.name + " " + JSON.stringify(call.arguments || {})));
  }
  for (const error of t.tool_call_errors || []) action.append(el("div", "tool-error", "tool call error: " + error));
  const observation = t.observation == null
    ? el("td", "text observation muted", "(episode ended)") : el("td", "text observation", t.observation);
  const state = el("td", "text state", shortKey(t.state_key));
  state.title = t.state_key == null ? "" : String(t.state_key);
  tr.append(el("td", "num", t.turn), action, observation, el("td", "num reward", fmt(t.reward)),
    el("td", "num advantage" + signClass(t.advantage), fmt(t.advantage)), state);
  return tr;
}

// ---------- evaluations ----------

/** Numeric keys of a map field over all lines (the k of pass@k, maj@k), ascending. */
function ksOf(rows, field) {
  const ks = new Set();
  for (const r of rows) for (const k of Object.keys(r[field] || {})) ks.add(k);
  return [...ks].sort((a, b) => num(a) - num(b));
}

function withCi(v) {
  if (!v || !Number.isFinite(num(v.estimate))) return "–";
  const ci = v.ci95;
  return fmt(v.estimate) + (Array.isArray(ci) ? " [" + fmt(ci[0]) + ", " + fmt(ci[1]) + "]" : "");
}

/** One row per evaluation: step, mean reward, pass@k for each k, maj@k (when the verifier gives answers). */
function showEvaluations(rows) {
  if (!rows.length) return;
  const pass = ksOf(rows, "pass_at_k");
  const maj = ksOf(rows, "maj_at_k");
  const columns = [["step", (r) => String(r.step)],
    ["mean reward", (r) => withCi({ estimate: r.mean_reward, ci95: r.mean_reward_ci95 })]]
    .concat(pass.map((k) => ["pass@" + k, (r) => withCi((r.pass_at_k || {})[k])]))
    .concat(maj.map((k) => ["maj@" + k, (r) => withCi((r.maj_at_k || {})[k])]));
  document.getElementById("evals-head").replaceChildren(...columns.map(([name]) => {
    const th = document.createElement("th");
    th.textContent = name;
    return th;
  }));
  document.getElementById("evals").replaceChildren(...rows.slice().reverse().map((r) => {
    const tr = document.createElement("tr");
    for (const [, value] of columns) {
      const td = document.createElement("td");
      td.textContent = value(r);
      td.className = "num";
      tr.append(td);
    }
    return tr;
  }));
}

// ---------- charts ----------

function buildCharts() {
  const host = document.getElementById("charts");
  for (const spec of CHARTS) {
    const card = document.createElement("article");
    card.className = "chart";
    const head = document.createElement("div");
    head.className = "chart-head";
    const h = document.createElement("h2");
    h.textContent = spec.title;
    const value = document.createElement("span");
    value.className = "value";
    value.id = "value-" + spec.id;
    head.append(h, value);
    const canvas = document.createElement("canvas");
    canvas.id = "chart-" + spec.id;
    canvas.dataset.points = "0";
    const legend = document.createElement("div");
    legend.className = "legend";
    spec.series.forEach((s, i) => legend.append(legendItem(s.label, seriesColor(i))));
    if (spec.band) legend.append(legendItem(spec.band.label, seriesColor(0), 0.25));
    card.append(head, canvas, legend);
    host.append(card);
    canvas.addEventListener("mousemove", (e) => hover(spec, canvas, e));
    canvas.addEventListener("mouseleave", () => { canvas.hoverStep = null; scheduleDraw(); });
  }
}

function legendItem(label, color, alpha) {
  const span = document.createElement("span");
  const mark = document.createElement("i");
  mark.style.background = color;
  if (alpha) mark.style.opacity = String(alpha * 2);
  span.append(mark, document.createTextNode(label));
  return span;
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function seriesColor(i) {
  return cssVar("--series-" + ((i % 5) + 1));
}

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    for (const spec of CHARTS) drawChart(spec, document.getElementById("chart-" + spec.id));
  });
}

/** At most about one point per pixel: every k-th line, always with the last. */
function visibleLines(width) {
  const k = Math.max(1, Math.ceil(lines.length / Math.max(1, width)));
  if (k === 1) return lines;
  const out = [];
  for (let i = 0; i < lines.length; i += k) out.push(lines[i]);
  if (out[out.length - 1] !== lines[lines.length - 1]) out.push(lines[lines.length - 1]);
  return out;
}

function bandOf(spec, line) {
  const b = spec.band;
  if (!b) return null;
  if (b.spread) {
    const c = num(line[b.center]);
    const s = num(line[b.spread]);
    return [c - s, c + s];
  }
  return [num(line[b.low]), num(line[b.high])];
}

function drawChart(spec, canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  if (spec.components) discoverComponents(spec);
  const pad = { left: 48, right: 10, top: 8, bottom: 20 };
  const pw = w - pad.left - pad.right;
  const ph = h - pad.top - pad.bottom;
  const data = visibleLines(pw);
  const has = data.some((l) => spec.series.some((s) => Number.isFinite(num(l[s.key]))));
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = cssVar("--muted");
  if (!has) {
    canvas.dataset.points = "0";
    g.textAlign = "center";
    g.fillText(lines.length && spec.empty ? spec.empty : "waiting for data", w / 2, h / 2);
    document.getElementById("value-" + spec.id).textContent = "";
    return;
  }
  // domains
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of data) {
    const vals = spec.series.map((s) => num(l[s.key])).concat(bandOf(spec, l) || []);
    for (const v of vals) {
      if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
  }
  if (lo === hi) { const d = Math.abs(lo) * 0.1 || 1; lo -= d; hi += d; }
  const margin = (hi - lo) * 0.05;
  lo -= margin; hi += margin;
  const x0 = num(data[0].step);
  const x1 = Math.max(x0 + 1, num(data[data.length - 1].step));
  const X = (step) => pad.left + ((step - x0) / (x1 - x0)) * pw;
  const Y = (v) => pad.top + (1 - (v - lo) / (hi - lo)) * ph;
  // grid and labels
  g.strokeStyle = cssVar("--grid");
  g.lineWidth = 1;
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    const y = Math.round(Y(v)) + 0.5;
    g.beginPath(); g.moveTo(pad.left, y); g.lineTo(w - pad.right, y); g.stroke();
    g.fillText(tick(v, (hi - lo) / 4), pad.left - 6, y);
  }
  g.textBaseline = "alphabetic";
  g.textAlign = "left";
  g.fillText(String(x0), pad.left, h - 4);
  g.textAlign = "right";
  g.fillText(String(x1), w - pad.right, h - 4);
  // band
  if (spec.band) {
    g.fillStyle = seriesColor(0);
    g.globalAlpha = 0.15;
    g.beginPath();
    const pts = data.map((l) => [num(l.step), bandOf(spec, l)]).filter(([, b]) => b.every(Number.isFinite));
    pts.forEach(([s, b], i) => (i ? g.lineTo(X(s), Y(b[1])) : g.moveTo(X(s), Y(b[1]))));
    for (let i = pts.length - 1; i >= 0; i--) g.lineTo(X(pts[i][0]), Y(pts[i][1][0]));
    g.closePath();
    g.fill();
    g.globalAlpha = 1;
  }
  // series (a gap where a value is missing)
  let drawn = 0;
  spec.series.forEach((s, i) => {
    g.strokeStyle = seriesColor(i);
    g.lineWidth = i === 0 ? 1.8 : 1.2;
    g.beginPath();
    let pen = false;
    for (const l of data) {
      const v = num(l[s.key]);
      if (!Number.isFinite(v)) { pen = false; continue; }
      if (pen) g.lineTo(X(num(l.step)), Y(v)); else g.moveTo(X(num(l.step)), Y(v));
      pen = true;
      drawn++;
    }
    g.stroke();
  });
  canvas.dataset.points = String(drawn);
  // latest value, or the hovered one
  const at = canvas.hoverStep != null ? nearest(canvas.hoverStep) : lines[lines.length - 1];
  if (canvas.hoverStep != null) {
    g.strokeStyle = cssVar("--muted");
    g.beginPath(); g.moveTo(X(num(at.step)), pad.top); g.lineTo(X(num(at.step)), h - pad.bottom); g.stroke();
  }
  document.getElementById("value-" + spec.id).textContent = "step " + at.step + ": "
    + spec.series.map((s) => fmt(at[s.key])).join(" · ");
}

/** The reward components seen so far (keys reward/NAME/mean), as series; the legend follows. */
function discoverComponents(spec) {
  const last = lines[lines.length - 1];
  if (!last) return;
  const keys = Object.keys(last).filter((k) => spec.components.test(k)).sort();
  if (keys.length < 2 || keys.length === spec.series.length) return;
  spec.series = keys.map((k) => ({ key: k, label: k.match(spec.components)[1] }));
  const legend = document.getElementById("chart-" + spec.id).nextElementSibling;
  legend.replaceChildren(...spec.series.map((s, i) => legendItem(s.label, seriesColor(i))));
}

/** An axis label: enough decimals to tell ticks {@code step} apart. */
function tick(v, step) {
  const a = Math.abs(v);
  if (a >= 1e4 || (a > 0 && a < 1e-3 && step < 1e-3)) return fmt(v);
  const decimals = Math.max(0, Math.min(6, 1 - Math.floor(Math.log10(step))));
  return v.toFixed(decimals);
}

function nearest(step) {
  let best = lines[0];
  for (const l of lines) if (Math.abs(num(l.step) - step) < Math.abs(num(best.step) - step)) best = l;
  return best;
}

function hover(spec, canvas, e) {
  if (!lines.length) return;
  const r = canvas.getBoundingClientRect();
  const pw = r.width - 58;
  const x0 = num(lines[0].step);
  const x1 = Math.max(x0 + 1, num(lines[lines.length - 1].step));
  canvas.hoverStep = x0 + ((e.clientX - r.left - 48) / pw) * (x1 - x0);
  scheduleDraw();
}

// ---------- server ----------

/** The token from this page's URL (then removed from the address bar), or the one kept for this tab. */
function takeToken() {
  const params = new URLSearchParams(location.search);
  const given = params.get("token");
  if (given) {
    sessionStorage.setItem("groupflow-token", given);
    params.delete("token");
    history.replaceState(null, "", location.pathname + (params.toString() ? "?" + params : ""));
  }
  return given || sessionStorage.getItem("groupflow-token") || "";
}

function withToken(path) {
  return path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN);
}

async function request(path, init) {
  const r = await fetch(path, { cache: "no-store", ...init, headers: { "X-Groupflow-Token": TOKEN } });
  if (r.status === 401) {
    throw new Error("this page needs the run's token: open the URL train printed (…/?token=…)");
  }
  return r;
}

async function getJson(path) {
  const r = await request(path);
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

async function act(name, label) {
  try {
    const r = await request("api/" + name, { method: "POST" });
    const body = await r.json();
    const done = body.merged ? body.message : label + (name === "checkpoint" ? " (after the current step)" : "");
    notice(body.ok ? done : body.error, !body.ok);
    showStatus(await getJson("api/status"));
  } catch (err) {
    notice(name + " failed: " + err.message, true);
  }
}

/** Follows the events; loads what was missed first, and again after a reconnection (events held meanwhile). */
function connect() {
  let pending = [];
  let loaded = false;
  let dropped = false;
  const events = new EventSource(withToken("events"));
  events.addEventListener("metrics", (e) => {
    const line = JSON.parse(e.data);
    if (!loaded) { pending.push(line); return; }
    if (addLine(line)) scheduleDraw();
  });
  events.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
  events.addEventListener("completions", (e) => showCompletions(JSON.parse(e.data)));
  events.onopen = () => {
    document.body.dataset.connected = "true";
    if (dropped) { dropped = false; load(); }
  };
  events.onerror = () => {
    document.body.dataset.connected = "false";
    dropped = true;
    loaded = false;
    if (events.readyState === EventSource.CLOSED) {
      notice("live updates refused (wrong token, or too many dashboards open); reload the page to retry", true);
    } else if (status && status.run.phase === "training") {
      notice("connection lost; reconnecting…", true);
    }
  };
  const load = () => Promise.all([getJson("api/metrics?last=" + MAX_LINES), getJson("api/status"),
    getJson("api/completions")])
    .then(([history, s, latest]) => {
      history.forEach(addLine);
      pending.forEach(addLine);
      pending = [];
      loaded = true;
      showStatus(s);
      showCompletions(latest);
      scheduleDraw();
    })
    .catch((err) => notice("cannot load the run: " + err.message, true));
  load();
}

document.getElementById("pause").addEventListener("click", () => act("pause", "paused"));
document.getElementById("resume").addEventListener("click", () => act("resume", "resumed"));
document.getElementById("checkpoint").addEventListener("click", () => act("checkpoint", "checkpoint requested"));
window.addEventListener("resize", scheduleDraw);
document.querySelectorAll("a.api").forEach((a) => { a.href = withToken(a.getAttribute("href")); });
buildCharts();
scheduleDraw();
connect();
