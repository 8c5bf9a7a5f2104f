"use strict";
// The page's state and what each tap does: log in and out, lists (filtered, a page at a time), one alert and the
// loop on it, the liaison's persons and trails. Commands go through the phone's queue, so that a tap without
// network is kept and sent when the network returns.
const state = {
  lang: localStorage.getItem("gridflow-lang") || "zh", token: sessionStorage.getItem("gridflow-token") || "",
  me: JSON.parse(sessionStorage.getItem("gridflow-me") || "null"), view: "list", tab: "open", rows: [], total: 0,
  offset: 0, limit: 20, filters: {grid: "", town: "", severity: "", rule: ""}, online: navigator.onLine,
  fetchedAt: Date.now(), savedAt: 0, detail: null, flushing: false, back: "list", history: 0,
};

function message(error) {
  if (error instanceof Offline) return t("no_network");
  if (!(error instanceof ApiError)) return String(error);
  if (error.status === 401) return t("bad_token");
  if (error.body?.message) return error.body.message[state.lang];
  const label = error.status === 403 ? t("forbidden") : error.status >= 500 ? t("server_error") : t("invalid");
  return error.body?.detail ? `${label}：${error.body.detail}` : label;
}

function notify(text, kind = "info") {
  const box = $("notice");
  box.textContent = text; box.className = kind; box.hidden = !text;
}

function applyLanguage() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  document.querySelectorAll("[data-ph]").forEach((el) => { el.placeholder = t(el.dataset.ph); });
  $("lang").textContent = state.lang === "zh" ? "EN" : "中文";
  if (state.me) {
    const display = state.me.display || state.me.name, role = t("role")[state.me.role] || state.me.role;
    $("who").textContent = `${display}${display.includes(role) ? "" : " · " + role} · ${t("timezone")} ${
      state.me.timezone}`;
  }
}

function renderStatus() {
  const waiting = state.me ? queue.mine().length : 0;
  const minutes = Math.floor((Date.now() - state.savedAt) / 60000);
  const parts = [state.online ? t("online") : t("offline")];
  if (!state.online) parts.push(minutes < 1 ? t("list_now") : t("list_age")(minutes));
  if (waiting) parts.push(t("queued")(waiting));
  $("status").textContent = parts.join(" · ");
  $("status").className = state.online ? (waiting ? "waiting" : "online") : "offline";
  $("status").hidden = !state.me;
}

function show(view) {
  state.view = view;
  for (const name of ["list", "detail", "persons", "trail"]) $("view-" + name).hidden = name !== view;
  document.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("active",
    b.id === "tab-" + (view === "persons" ? "persons" : state.tab) && ["list", "persons"].includes(view)));
}

async function load() {
  if (!state.me) return;
  if (state.view === "persons") return loadPersons();
  show("list");
  const params = new URLSearchParams({status: state.tab, limit: state.limit, offset: state.offset});
  for (const [k, v] of Object.entries(state.filters)) if (v) params.set(k, v);
  try {
    await flush();
    const {body, headers} = await api("/api/alerts?" + params);
    known.remember(body);
    state.online = true; state.fetchedAt = Date.now(); state.savedAt = Date.now();
    state.rows = listOf(body, state.tab, state.filters, state.offset === 0);
    state.total = Number(headers.get("X-Total-Count") || body.length);
  } catch (e) {
    if (!(e instanceof Offline)) { notify(message(e), "error"); if (e.status === 401) return logout(true); return; }
    state.online = false; state.savedAt = known.all().saved_at;
    state.rows = offlineList(state.tab, state.filters); state.total = state.rows.length; state.offset = 0;
  }
  renderStatus(); renderFilters(); renderList();
}

function rowOf(alertId) {
  const row = known.get(alertId) || state.rows.find((r) => r.alert_id === alertId);
  return row ? effective(row) : null;
}

function leave(view) {  // where Back returns to
  if (["list", "persons"].includes(state.view)) state.back = state.view;
  show(view);
}

async function openDetail(alertId, expected = 0, tries = 10) {
  // `expected`: history entries the server must show (it lags the command by the projection, a moment)
  if (state.detail !== alertId) state.history = 0;
  state.detail = alertId;
  leave("detail");
  renderDetail(rowOf(alertId), null);
  try {
    const {body} = await api(`/api/alerts/${alertId}/history`);
    if (state.detail !== alertId || state.view !== "detail") return;
    renderDetail(rowOf(alertId), body);
    state.history = Math.max(state.history, body.length);
    if (body.length < expected && tries > 0) setTimeout(() => openDetail(alertId, expected, tries - 1), 400);
  } catch (e) { if (!(e instanceof Offline)) notify(message(e), "error"); }
}

async function command(row, action, fields) {
  const command_id = newId();
  queue.add({command_id, account: state.me.name, alert_id: row.alert_id, action,
             body: {...fields, command_id, seen_level: row.level}, queued_at: Date.now()});
  known.remember([row]);  // so that it can be shown offline with what was done to it
  notify("");
  const sent = await flush(queue.mine().length > 1);
  if (!sent && queue.mine().some((c) => c.command_id === command_id)) notify(t("queued_ok"), "info");
  $("note").value = "";
  if (state.view === "detail") openDetail(row.alert_id, state.history + (sent ? 1 : 0)); else load();
}

async function flush(announce = true) {
  // Send the queued commands in order; keep them while there is no network (or the token is refused). Then say
  // what happened: refusals and repeats by their own message, else how many were applied (`announce`: not when
  // answering the tap that queued the only one).
  if (state.flushing || !state.me) return false;
  state.flushing = true;
  let applied = 0, offline = false, refused = false;
  const said = new Set();
  try {
    for (const c of queue.mine()) {
      try {
        const {body} = await api(`/api/alerts/${c.alert_id}/${c.action}`, {method: "POST",
                                                                          body: JSON.stringify(c.body)});
        queue.remove(c.command_id);
        known.change(c.alert_id, {status: body.status, level: body.level, conflict: null,
                                  ...(c.action === "acknowledge" ? {ack_note: c.body.note,
                                                                    acknowledged_by: state.me.name} : {}),
                                  ...(c.action === "resolve" ? {outcome: c.body.outcome,
                                                                resolved_by: state.me.name} : {})});
        if (body.applied === false) said.add(body.message[state.lang]); else applied += 1;
      } catch (e) {
        if (e instanceof Offline) { offline = true; break; }
        refused = true;
        said.add(message(e));
        if (e.status === 401) break;
        queue.remove(c.command_id);  // refused for good: say why, on the notice and on the alert
        if (e.status === 409) known.change(c.alert_id, {conflict: e.body.message, status: e.body.status,
                                                        level: e.body.level});
      }
    }
  } finally { state.flushing = false; }
  state.online = !offline;
  if (said.size) notify([...said].join(state.lang === "zh" ? "；" : "; "), refused ? "error" : "info");
  else if (applied && announce) notify(t("sent")(applied), "info");
  renderStatus();
  return applied + said.size > 0 && !offline;
}

function act(action) {
  const row = rowOf(state.detail);
  const text = $("note").value.trim();
  if (action !== "acknowledge" && !text) return notify(t("need_text"), "error");
  const field = {acknowledge: "note", notes: "note", resolve: "outcome", escalate: "reason"}[action];
  command(row, action, {[field]: text});
}

async function loadPersons() {
  show("persons");
  try {
    const {body} = await api("/api/priority/persons?limit=100");
    state.online = true;
    renderPersons(body);
  } catch (e) {
    if (e instanceof Offline) state.online = false; else notify(message(e), "error");
  }
  renderStatus();
}

let glassFor = null;
function askReason(handle) {
  glassFor = handle;
  $("glass-reason").value = "";
  $("glass-error").textContent = "";
  $("glass").showModal();
}

async function showTrail(handle, reason) {
  try {
    const {body} = await api(`/api/priority/${handle}/trail?reason=${encodeURIComponent(reason)}`);
    renderTrail(body);
    leave("trail");
  } catch (e) { notify(message(e), "error"); }
}

async function lookup() {
  const reason = $("lookup-reason").value.trim();
  if (reason.length < 5) return notify(t("reason_short"), "error");
  try {
    const {body} = await api("/api/priority/lookup", {method: "POST", body: JSON.stringify(
      {id_number: $("lookup-id").value.trim(), reason})});
    $("lookup-id").value = "";
    await showTrail(body.handle, reason);
  } catch (e) { notify(message(e), "error"); }
}

async function login() {
  state.token = $("token").value.trim() || state.token;
  notify("");
  try {
    const {body} = await api("/api/me");
    state.me = body;
    sessionStorage.setItem("gridflow-me", JSON.stringify(body));
  } catch (e) {
    if (!(e instanceof Offline) || !state.me) {
      notify(message(e), "error");
      if (e.status === 401) logout(true);
      return;
    }
  }
  sessionStorage.setItem("gridflow-token", state.token);
  $("token").value = "";
  $("login").hidden = true; $("app").hidden = false; $("logout").hidden = false;
  const watcher = ["liaison", "auditor"].includes(state.me.role);
  $("tab-persons").hidden = !watcher;
  applyLanguage();
  if (watcher) { state.view = "persons"; } else { state.view = "list"; }
  load();
}

function logout(silently = false) {
  const waiting = state.me ? queue.mine().length : 0;
  if (waiting && !silently) return notify(t("logout_blocked")(waiting), "error");
  if (state.me && !waiting) local.forget();
  sessionStorage.removeItem("gridflow-token"); sessionStorage.removeItem("gridflow-me");
  state.token = ""; state.me = null; state.rows = [];
  $("login").hidden = false; $("app").hidden = true; $("logout").hidden = true; $("status").hidden = true;
  if (!silently) notify("");
}

function wire() {
  for (const name of ["open", "acknowledged", "resolved"]) {
    $("tab-" + name).onclick = () => { state.tab = name; state.offset = 0; state.view = "list"; load(); };
  }
  $("tab-persons").onclick = () => { state.view = "persons"; load(); };
  $("prev").onclick = () => { state.offset = Math.max(0, state.offset - state.limit); load(); };
  $("next").onclick = () => { state.offset += state.limit; load(); };
  $("back").onclick = $("trail-back").onclick = () => { state.view = state.back; load(); };
  $("do-ack").onclick = () => act("acknowledge");
  $("do-note").onclick = () => act("notes");
  $("do-resolve").onclick = () => act("resolve");
  $("do-escalate").onclick = () => act("escalate");
  $("detail-trail").onclick = () => askReason(rowOf(state.detail).person);
  $("glass-ok").onclick = () => {
    const reason = $("glass-reason").value.trim();
    if (reason.length < 5) { $("glass-error").textContent = t("reason_short"); return; }
    $("glass").close();
    showTrail(glassFor, reason);
  };
  $("glass-cancel").onclick = () => $("glass").close();
  $("glass-reason").oninput = () => { $("glass-error").textContent = ""; };
  $("lookup-go").onclick = lookup;
  $("login-button").onclick = login;
  $("token").onkeydown = (e) => { if (e.key === "Enter") login(); };
  $("logout").onclick = () => logout();
  $("lang").onclick = () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem("gridflow-lang", state.lang);
    applyLanguage();
    if (state.me) { if (state.view === "detail") openDetail(state.detail); else load(); }
  };
  window.addEventListener("online", () => { state.online = true; load(); });
  window.addEventListener("offline", () => { state.online = false; renderStatus(); });
  setInterval(() => { if (state.me && state.view === "list") load(); }, 30000);
  setInterval(() => { if (state.me && queue.mine().length) flush().then((sent) => { if (sent) load(); }); }, 5000);
}

wire();
applyLanguage();
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
if (state.token) login();
