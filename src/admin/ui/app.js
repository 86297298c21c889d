// ccemu dashboard: catches up from the admin API, then follows /_ccemu/stream.
// Every action is an admin API call; a refusal shows the API's own message.
"use strict";

// Actions offered on a live call: one line each, POST /_ccemu/calls/{id}/{path} with body.
const CALL_ACTIONS = [
  { label: "Hang up", path: "hangup", body: { by: "agent" } },
  { label: "Hold", path: "actions", body: { action: "hold" } },
  { label: "Resume", path: "actions", body: { action: "resume" } },
  { label: "Three-way", path: "actions", body: { action: "three_way" } },
  { label: "End consult", path: "actions", body: { action: "end_consult" } },
  { label: "Complete transfer", path: "actions", body: { action: "complete_transfer" } },
];
const KEEP = 50; // rows kept per list panel
const CHART_POINTS = 240;
const CHART_SERIES = [
  ["waiting", "#c0392b"], ["idle", "#27ae60"], ["ringing", "#f39c12"],
  ["calling", "#2980b9"], ["wrapup", "#8e44ad"], ["busy", "#7f8c8d"], ["offline", "#bbb"],
];

const S = {
  token: sessionStorage.getItem("ccemu-token") || "",
  tenant: new URLSearchParams(location.search).get("tenant") || "",
  snap: null, calls: new Map(), deliveries: [], requests: [], faults: [], disabled: [],
  clock: { now_ms: 0, frozen: false, at: Date.now() },
  lastId: null, chart: [], reloading: null, pendingCalls: new Set(),
  // A state picked in an agent's select but not yet set: kept across the table's re-renders.
  picked: {},
};

const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (S.token) headers["Authorization"] = "Bearer " + S.token;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { message: text }; }
  if (r.status === 401) $("tokenbox").hidden = false;
  if (!r.ok) throw new Error((data && (data.message || data.error)) || r.status + " " + r.statusText);
  return data;
}

function say(text, ok) {
  const m = $("msg");
  m.hidden = !text;
  m.textContent = text || "";
  m.className = ok ? "ok" : "err";
}

async function act(fn) {
  try { await fn(); say(""); } catch (e) { say(e.message); }
}

// ---- time ----
function vnow() {
  return S.clock.frozen ? S.clock.now_ms : S.clock.now_ms + (Date.now() - S.clock.at);
}
function setClock(now_ms, frozen) {
  S.clock = { now_ms, frozen, at: Date.now() };
}
function fmtTime(ms) {
  if (ms === null || ms === undefined) return "–";
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "").slice(0, 19);
}
function fmtDur(ms) {
  if (ms === null || ms === undefined || ms < 0) return "–";
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}
function sandboxQuery(prefix) {
  const sb = S.snap && S.snap.tenant && S.snap.tenant.sandbox;
  return sb ? prefix + "sandbox=" + encodeURIComponent(sb) : "";
}

// ---- catch-up ----
function reload() {
  if (!S.reloading) S.reloading = doReload().finally(() => { S.reloading = null; });
  return S.reloading;
}
async function doReload() {
  try {
    const q = S.tenant ? "?tenant=" + encodeURIComponent(S.tenant) : "";
    const snap = await api("GET", "/_ccemu/ui/snapshot" + q);
    S.snap = snap;
    if (!snap.tenant) { say("no tenants loaded"); return; }
    S.tenant = snap.tenant.id;
    setClock(snap.clock.now_ms, snap.clock.frozen);
    const t = encodeURIComponent(S.tenant);
    const [calls, dels, reqs, faults] = await Promise.all([
      api("GET", "/_ccemu/calls?tenant=" + t),
      api("GET", "/_ccemu/webhooks/deliveries?tenant=" + t),
      api("GET", "/_ccemu/requests?tenant=" + t + "&limit=" + KEEP),
      api("GET", "/_ccemu/faults" + sandboxQuery("?")),
    ]);
    S.calls = new Map(calls.calls.map((c) => [c.id, c]));
    S.deliveries = dels.deliveries.slice(-KEEP).reverse();
    S.requests = reqs.requests.slice().reverse();
    S.faults = faults.faults;
    renderAll();
  } catch (e) { say(e.message); }
}

async function refreshCall(id) {
  if (S.pendingCalls.has(id)) return;
  S.pendingCalls.add(id);
  try {
    const c = await api("GET", "/_ccemu/calls/" + encodeURIComponent(id));
    S.calls.set(c.id, c);
  } catch (_) { /* forgotten by a reset: the reset's own events reload */ }
  S.pendingCalls.delete(id);
  renderCalls(); renderQueues(); sample();
}

let snapTimer = null;
function refreshSnapSoon() {
  if (snapTimer) return;
  snapTimer = setTimeout(async () => {
    snapTimer = null;
    try {
      const snap = await api("GET", "/_ccemu/ui/snapshot?tenant=" + encodeURIComponent(S.tenant));
      S.snap = snap; renderTenants(); renderAgents(); renderQueues(); renderStartForm(); sample();
    } catch (e) { say(e.message); }
  }, 100);
}
let faultTimer = null;
function refreshFaultsSoon() {
  if (faultTimer) return;
  faultTimer = setTimeout(async () => {
    faultTimer = null;
    try { S.faults = (await api("GET", "/_ccemu/faults" + sandboxQuery("?"))).faults; renderFaults(); } catch (e) { say(e.message); }
  }, 100);
}

// ---- the stream (fetch, so that the token header can be sent) ----
async function follow() {
  for (;;) {
    try {
      const headers = {};
      if (S.token) headers["Authorization"] = "Bearer " + S.token;
      if (S.lastId !== null) headers["Last-Event-ID"] = String(S.lastId);
      const r = await fetch("/_ccemu/stream", { headers });
      if (r.status === 401) { $("tokenbox").hidden = false; throw new Error("token needed"); }
      if (!r.ok || !r.body) throw new Error("stream " + r.status);
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const ev = { event: "message", data: "", id: null };
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const i = line.indexOf(":");
            const k = i < 0 ? line : line.slice(0, i);
            const v = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
            if (k === "event") ev.event = v; else if (k === "data") ev.data += v; else if (k === "id") ev.id = v;
          }
          if (ev.id !== null) S.lastId = Number(ev.id);
          if (ev.data) { try { onEvent(ev.event, JSON.parse(ev.data)); } catch (e) { console.error(e); } }
        }
      }
    } catch (_) { /* reconnect below */ }
    conn("reconnecting", "warn");
    await new Promise((res) => setTimeout(res, 1000));
  }
}
function conn(text, cls) { const c = $("conn"); c.textContent = text; c.className = "badge " + (cls || ""); }

function mine(d) { return !d || !d.tenant || d.tenant === S.tenant; }

function onEvent(kind, d) {
  switch (kind) {
    case "hello":
      conn("live", "ok");
      if (!d.resumed) { S.lastId = d.newest; reload(); }
      break;
    case "lagged":
    case "reset":
      S.disabled = [];
      reload();
      break;
    case "clock":
      if (!(S.snap && S.snap.tenant && S.snap.tenant.sandbox)) { setClock(d.now_ms, d.frozen); renderClock(); }
      break;
    case "agent":
      if (!mine(d)) break;
      if (d.kind === "agent_state" && S.snap) {
        const a = S.snap.agents.find((x) => x.id === d.agent);
        if (a) { a.state = d.to; a.since_ms = d.at_ms; }
        bump(d.at_ms); renderAgents(); sample();
      } else refreshSnapSoon();
      break;
    case "call": {
      if (!mine(d)) break;
      bump(d.at_ms);
      const c = S.calls.get(d.call);
      if (c) { c.steps.push({ name: d.name, at_ms: d.at_ms, agent: d.fields && d.fields.agent_id || undefined }); renderCalls(); }
      refreshCall(d.call);
      break;
    }
    case "delivery":
      if (!mine(d)) break;
      S.deliveries.unshift(d); S.deliveries.length = Math.min(S.deliveries.length, KEEP);
      renderDeliveries();
      break;
    case "request":
      if (!mine(d)) break;
      S.requests.unshift(d); S.requests.length = Math.min(S.requests.length, KEEP);
      renderJournal();
      break;
    case "fault":
      refreshFaultsSoon();
      break;
    default:
      if (mine(d)) refreshSnapSoon();
  }
}
// A frozen clock's events tell where virtual time stands.
function bump(at) { if (S.clock.frozen && at > S.clock.now_ms) setClock(at, true); }

// ---- rendering ----
function renderAll() {
  renderTenants(); renderClock(); renderAgents(); renderQueues(); renderStartForm();
  renderCalls(); renderDeliveries(); renderJournal(); renderFaults(); sample();
}

function renderTenants() {
  const sel = $("tenant");
  sel.replaceChildren(...S.snap.tenants.map((t) =>
    el("option", { value: t.id }, t.id + " — " + t.vendor + (t.name ? " (" + t.name + ")" : "") + (t.sandbox ? " [sandbox " + t.sandbox + "]" : ""))));
  sel.value = S.tenant;
  $("sandbox").textContent = S.snap.tenant.sandbox ? "sandbox " + S.snap.tenant.sandbox : "";
}

function renderClock() {
  $("vnow").textContent = fmtTime(vnow());
  $("wnow").textContent = new Date().toLocaleTimeString();
  $("clockmode").textContent = S.clock.frozen ? "frozen" : "running";
  $("freeze").textContent = S.clock.frozen ? "Unfreeze" : "Freeze";
}

function renderAgents() {
  const agents = S.snap ? S.snap.agents : [];
  $("n-agents").textContent = agents.length;
  // Every agent event redraws the table: the control that had the focus gets it back, so a
  // keyboard user is not thrown out of the table by someone else's call.
  const f = document.activeElement;
  const refocus = f && f.closest && f.closest("#agents")
    ? (f.dataset.agent !== undefined ? `select[data-agent="${CSS.escape(f.dataset.agent)}"]`
      : f.dataset.setAgent !== undefined ? `[data-set-agent="${CSS.escape(f.dataset.setAgent)}"]` : null)
    : null;
  $("agents").replaceChildren(...agents.map((a) => {
    const sel = el("select", { "aria-label": "state for " + a.id, "data-agent": a.id,
      onchange: (e) => { S.picked[a.id] = e.target.value; } },
      ...S.snap.states.map((s) => el("option", { value: s }, s)));
    sel.value = S.picked[a.id] !== undefined ? S.picked[a.id] : a.state;
    const btn = el("button", { "data-set-agent": a.id, onclick: () => act(async () => {
      await api("POST", "/_ccemu/agent-state", { tenant: S.tenant, agent: a.id, state: sel.value });
      delete S.picked[a.id];
    }) }, "Set");
    return el("tr", { "data-agent-row": a.id },
      el("td", {}, a.name ? a.name + " " : "", el("span", { class: "muted" }, a.id)),
      el("td", {}, el("span", { class: "state s-" + a.state.replace(":", "-"), "data-state": a.state }, a.state)),
      el("td", { title: fmtTime(a.since_ms), "data-since": a.since_ms }, a.since_ms === null ? "–" : fmtDur(vnow() - a.since_ms)),
      el("td", {}, a.extension || "–"),
      el("td", {}, (a.queues || []).join(", ")),
      el("td", { class: "nowrap" }, sel, " ", btn));
  }));
  if (refocus) { const e = document.querySelector(refocus); if (e) e.focus(); }
}

function renderQueues() {
  if (!S.snap) return;
  const now = vnow();
  $("queues").replaceChildren(...S.snap.queues.map((q) => {
    const waiting = [...S.calls.values()].filter((c) => c.queue === q.id && c.state === "queued");
    const longest = waiting.reduce((m, c) => Math.max(m, now - (c.enqueue_ms || c.start_ms)), -1);
    const strategy = S.snap.tenant.vendor === "nxcloud" ? "ringPolicy " + q.ring_policy : "Strategy " + q.strategy;
    return el("tr", { "data-queue": q.id },
      el("td", {}, (q.name || "") + " ", el("span", { class: "muted" }, q.id)),
      el("td", {}, strategy),
      el("td", { "data-waiting": waiting.length }, waiting.length),
      el("td", {}, longest < 0 ? "–" : fmtDur(longest)));
  }));
}

function renderStartForm() {
  if (!S.snap) return;
  const sel = $("sc-target");
  const old = sel.value;
  sel.replaceChildren(
    ...S.snap.queues.map((q) => el("option", { value: "queue:" + q.id }, "queue " + (q.name || q.id))),
    ...S.snap.agents.map((a) => el("option", { value: "agent:" + a.id }, "outbound from " + (a.name || a.id))));
  if (old) sel.value = old;
  const callee = $("sc-callee");
  if (!callee.value && S.snap.relay_numbers.length) callee.value = S.snap.relay_numbers[0];
}

function stepList(c) {
  return el("ol", { class: "steps" }, ...c.steps.map((s) =>
    el("li", { "data-step": s.name }, el("span", { class: "muted" }, fmtTime(s.at_ms).slice(11) + " "), s.name,
      s.agent ? " · " + s.agent : "", s.detail ? " · " + s.detail : "")));
}

function callCard(c, live) {
  const head = el("div", { class: "cardhead" },
    el("strong", {}, c.direction + " "), el("span", { class: "muted" }, c.id.slice(0, 13) + "… "),
    el("span", { class: "badge", "data-call-state": c.state }, c.state),
    c.outcome ? el("span", { class: "badge" }, c.outcome) : null,
    " ", c.caller + " → " + c.callee, c.queue ? " · queue " + c.queue : "", c.agent ? " · agent " + c.agent : "");
  const kids = [head, stepList(c)];
  if (live) {
    kids.push(el("div", { class: "buttons" }, ...CALL_ACTIONS.map((a) => el("button", { onclick: () => act(async () => {
      await api("POST", "/_ccemu/calls/" + encodeURIComponent(c.id) + "/" + a.path, a.body);
    }) }, a.label))));
  } else {
    kids.push(el("details", {}, el("summary", {}, "record"), el("pre", {}, JSON.stringify(c, null, 1))));
  }
  return el("article", { class: "card", "data-call": c.id }, ...kids);
}

function renderCalls() {
  const all = [...S.calls.values()];
  const live = all.filter((c) => c.state !== "ended");
  const done = all.filter((c) => c.state === "ended").slice(-KEEP).reverse();
  $("n-live").textContent = live.length;
  $("n-done").textContent = done.length;
  $("live").replaceChildren(...(live.length ? live.map((c) => callCard(c, true)) : [el("p", { class: "muted" }, "no live calls")]));
  $("done").replaceChildren(...done.map((c) => callCard(c, false)));
}

function renderDeliveries() {
  $("n-deliveries").textContent = S.deliveries.length;
  $("deliveries").replaceChildren(...S.deliveries.map((d) => el("details", { class: "row", "data-delivery": d.seq, "data-status": d.status },
    el("summary", {}, el("span", { class: "badge b-" + d.status }, d.status), " ", d.event, " #" + d.attempt, " ",
      d.http_status ? "HTTP " + d.http_status : "", d.error ? " · " + d.error : "", " ",
      el("span", { class: "muted" }, fmtTime(d.at_ms).slice(11) + " → " + d.url)),
    el("pre", {}, JSON.stringify(d.body, null, 1)))));
}

function renderJournal() {
  $("n-journal").textContent = S.requests.length;
  $("journal").replaceChildren(...S.requests.map((r) => {
    const body = el("pre", {}, "…");
    const det = el("details", { class: "row", "data-request": r.seq },
      el("summary", {}, el("span", { class: "badge" }, r.status === null ? "–" : r.status), " ",
        r.method + " " + (r.operation || r.path), r.code ? " · code " + r.code : "", r.fault ? " · fault " + r.fault + " (rule " + r.rule + ")" : "",
        " ", el("span", { class: "muted" }, fmtTime(r.at_ms).slice(11) + " · " + r.latency_ms + " ms")), body);
    det.addEventListener("toggle", () => { if (det.open) showBodies(r, body); });
    return det;
  }));
}
async function showBodies(r, pre) {
  try {
    let e = r.request ? r : null;
    if (!e) {
      const got = await api("GET", "/_ccemu/requests?since=" + (r.seq - 1) + "&limit=1000");
      e = got.requests.find((x) => x.seq === r.seq);
    }
    pre.textContent = e ? "request\n" + JSON.stringify(e.request, null, 1) + "\n\nresponse\n" + JSON.stringify(e.response, null, 1) : "no longer in the journal";
  } catch (err) { pre.textContent = err.message; }
}

function renderFaults() {
  const rows = S.faults.map((f) => el("div", { class: "row", "data-rule": f.id },
    el("span", { class: "badge" }, "rule " + f.id), " ", (f.fault && f.fault.kind) || "", " · hits ",
    el("strong", { "data-hits": f.hits }, f.hits), " / matched " + f.matched, f.scenario ? " · " + f.scenario : "", " ",
    el("button", { onclick: () => act(async () => {
      await api("DELETE", "/_ccemu/faults/" + f.id + sandboxQuery("?"));
      const spec = Object.assign({}, f); for (const k of ["id", "hits", "matched", "scenario"]) delete spec[k];
      S.disabled.push(spec); refreshFaultsSoon();
    }) }, "Disable")));
  const off = S.disabled.map((spec, i) => el("div", { class: "row muted" }, "disabled: " + ((spec.fault && spec.fault.kind) || "rule"), " ",
    el("button", { onclick: () => act(async () => {
      await api("POST", "/_ccemu/faults" + sandboxQuery("?"), spec); S.disabled.splice(i, 1); refreshFaultsSoon();
    }) }, "Enable")));
  $("faults").replaceChildren(...(rows.length + off.length ? [...rows, ...off] : [el("p", { class: "muted" }, "no fault rules")]));
}

// ---- chart ----
function sample() {
  if (!S.snap) return;
  const p = { t: vnow(), waiting: [...S.calls.values()].filter((c) => c.state === "queued").length };
  for (const [k] of CHART_SERIES) if (k !== "waiting") p[k] = 0;
  for (const a of S.snap.agents) { const k = a.state.startsWith("rest") ? "busy" : a.state; if (k in p) p[k]++; }
  const last = S.chart[S.chart.length - 1];
  if (last && last.t >= p.t) S.chart[S.chart.length - 1] = Object.assign(p, { t: last.t });
  else S.chart.push(p);
  if (S.chart.length > CHART_POINTS) S.chart.shift();
  drawChart();
}
function drawChart() {
  const svg = $("chart"), W = 600, H = 160, pad = 20;
  const pts = S.chart;
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  if (!pts.length) return;
  const t0 = pts[0].t, t1 = Math.max(pts[pts.length - 1].t, t0 + 1000);
  const max = Math.max(1, ...pts.map((p) => Math.max(...CHART_SERIES.map(([k]) => p[k] || 0))));
  const x = (t) => pad + (W - 2 * pad) * (t - t0) / (t1 - t0);
  const y = (v) => H - pad - (H - 2 * pad) * v / max;
  const axis = document.createElementNS(ns, "text");
  axis.setAttribute("x", pad); axis.setAttribute("y", 12); axis.setAttribute("class", "axis");
  axis.textContent = "max " + max + " · " + fmtTime(t0).slice(11) + " – " + fmtTime(t1).slice(11);
  svg.append(axis);
  for (const [k, color] of CHART_SERIES) {
    const line = document.createElementNS(ns, "polyline");
    let d = "", prev = null;
    for (const p of pts) { if (prev !== null) d += x(p.t) + "," + y(prev) + " "; d += x(p.t) + "," + y(p[k] || 0) + " "; prev = p[k] || 0; }
    d += x(t1) + "," + y(prev) + " ";
    line.setAttribute("points", d.trim()); line.setAttribute("fill", "none"); line.setAttribute("stroke", color); line.setAttribute("stroke-width", "2");
    svg.append(line);
  }
  $("legend").replaceChildren(...CHART_SERIES.map(([k, color]) => el("span", { class: "key", "data-color": color }, el("i", { class: "sw c-" + k }), k + " " + (pts[pts.length - 1][k] || 0))));
}

// ---- controls ----
function clockPath() { return "/_ccemu/clock" + sandboxQuery("?"); }
async function clockChange(body) {
  const c = await api("POST", clockPath(), body);
  setClock(c.now_ms, c.frozen); renderClock(); renderAgents(); renderQueues(); sample();
}

function wire() {
  $("tenant").addEventListener("change", (e) => {
    S.tenant = e.target.value; S.chart = []; S.disabled = [];
    history.replaceState(null, "", "?tenant=" + encodeURIComponent(S.tenant));
    reload();
  });
  for (const b of document.querySelectorAll("[data-advance]")) {
    b.addEventListener("click", () => act(() => clockChange({ advance_ms: Number(b.dataset.advance) })));
  }
  $("freeze").addEventListener("click", () => act(() => clockChange({ frozen: !S.clock.frozen })));
  $("real").addEventListener("click", () => act(() => clockChange({ real: true })));
  $("reset").addEventListener("click", () => act(async () => { await api("POST", "/_ccemu/reset"); S.disabled = []; await reload(); }));
  $("tokenok").addEventListener("click", () => {
    S.token = $("token").value; sessionStorage.setItem("ccemu-token", S.token); $("tokenbox").hidden = true; reload();
  });
  $("startcall").addEventListener("submit", (e) => {
    e.preventDefault();
    act(async () => {
      let script = {};
      const text = $("sc-script").value.trim();
      if (text) { try { script = JSON.parse(text); } catch (err) { throw new Error("caller script is not JSON: " + err.message); } }
      const [kind, id] = $("sc-target").value.split(/:(.*)/s);
      const body = Object.assign({ tenant: S.tenant, caller: $("sc-caller").value }, script);
      body[kind] = id;
      if ($("sc-callee").value) body.callee = $("sc-callee").value;
      const c = await api("POST", "/_ccemu/calls", body);
      const call = c && (c.call || c);
      if (call && call.id) { S.calls.set(call.id, call); renderCalls(); }
    });
  });
  // Durations and the running clock move on screen without asking the server.
  setInterval(() => {
    renderClock();
    if (S.clock.frozen) return;
    for (const td of document.querySelectorAll("td[data-since]")) td.textContent = fmtDur(vnow() - Number(td.dataset.since));
    renderQueues();
  }, 1000);
}

wire();
reload().then(follow);
