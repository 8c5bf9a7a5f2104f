"use strict";
// What the phone keeps: the alerts it saw last (to show offline, with their age), the commands made offline (each
// with the command id the server applies once), and the merge of both with what the server says. An alert only
// moves forward (open → acknowledged → resolved, grid → town → district), so local and server states merge by
// taking the further one.
const STATUS_RANK = {open: 0, acknowledged: 1, resolved: 2};
const LEVELS = ["grid", "town", "district"];

class Offline extends Error {}
class ApiError extends Error {
  constructor(status, body) { super(String(status)); this.status = status; this.body = body; }
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, {...options, headers: {"Authorization": "Bearer " + state.token,
                                                        "Content-Type": "application/json"}});
  } catch (e) { throw new Offline(); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  return {body, headers: response.headers};
}

const newId = () => (crypto.randomUUID ? crypto.randomUUID()
  : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(""));

const local = {
  key: (what) => `gridflow-${what}:${state.me.name}`,
  read(what, fallback) {
    try { return JSON.parse(localStorage.getItem(this.key(what))) ?? fallback; } catch (e) { return fallback; }
  },
  write(what, value) { localStorage.setItem(this.key(what), JSON.stringify(value)); },
  forget() { localStorage.removeItem(this.key("alerts")); },
};

const known = {  // the alerts this phone saw, by id, and when the list was last fetched
  all() { return local.read("alerts", {saved_at: 0, rows: {}}); },
  remember(rows) {
    const store = this.all();
    for (const row of rows) store.rows[row.alert_id] = {...row, local: store.rows[row.alert_id]?.local};
    const ids = Object.keys(store.rows);
    for (const id of ids.slice(0, Math.max(0, ids.length - 300))) delete store.rows[id];  // the newest 300
    store.saved_at = Date.now();
    local.write("alerts", store);
  },
  change(alertId, change) {  // what the server answered to a command (ahead of the projected lists)
    const store = this.all();
    const row = store.rows[alertId];
    if (!row) return;
    row.local = {...(row.local || {}), ...change};
    local.write("alerts", store);
  },
  get(alertId) { return this.all().rows[alertId]; },
};

const queue = {
  all() { return JSON.parse(localStorage.getItem("gridflow-queue") || "[]"); },
  save(items) { localStorage.setItem("gridflow-queue", JSON.stringify(items)); },
  mine() { return this.all().filter((c) => c.account === state.me.name); },
  add(command) { this.save([...this.all(), command]); },
  remove(commandId) { this.save(this.all().filter((c) => c.command_id !== commandId)); },
};

function further(a, b, order) { return order(a) >= order(b) ? a : b; }

function effective(row) {
  // The server's row, moved forward by what this phone did (answered or still queued).
  const out = {...row, pending: 0};
  const apply = (change) => {
    if (change.status) out.status = further(change.status, out.status, (s) => STATUS_RANK[s]);
    if (change.level) out.level = further(change.level, out.level, (l) => LEVELS.indexOf(l));
    if (change.ack_note !== undefined && !out.ack_note) out.ack_note = change.ack_note;
    if (change.acknowledged_by && !out.acknowledged_by) out.acknowledged_by = change.acknowledged_by;
    if (change.outcome && !out.outcome) { out.outcome = change.outcome; out.resolved_by = change.resolved_by; }
    if (change.conflict) out.conflict = change.conflict;
  };
  if (row.local) apply(row.local);
  for (const c of queue.mine().filter((c) => c.alert_id === row.alert_id)) {
    out.pending += 1;
    if (c.action === "acknowledge") apply({status: "acknowledged", ack_note: c.body.note,
                                           acknowledged_by: state.me.name});
    if (c.action === "resolve") apply({status: "resolved", outcome: c.body.outcome, resolved_by: state.me.name});
    if (c.action === "escalate") apply({level: LEVELS[Math.min(2, LEVELS.indexOf(out.level) + 1)]});
  }
  return out;
}

function changedHere(row) { return row.local || queue.mine().some((c) => c.alert_id === row.alert_id); }

function matches(row, filters) {
  return (!filters.grid || row.grid_code === filters.grid) && (!filters.town || row.town_code === filters.town)
    && (!filters.severity || row.severity === filters.severity) && (!filters.rule || row.rule_id === filters.rule);
}

function listOf(serverRows, tab, filters, firstPage) {
  // The page's list: the server's rows with what this phone did to them, and on the first page the alerts this
  // phone moved into this tab (the server's lists follow its store a moment later).
  const rows = known.all().rows;
  const ids = new Set(serverRows.map((r) => r.alert_id));
  const extra = firstPage ? Object.values(rows).filter((r) => !ids.has(r.alert_id) && changedHere(r)
    && matches(r, filters)) : [];
  return [...serverRows.map((r) => rows[r.alert_id] || r), ...extra].map(effective)
    .filter((r) => tab === "all" || r.status === tab);
}

function offlineList(tab, filters) {
  const rank = {red: 0, orange: 1, yellow: 2};
  return Object.values(known.all().rows).filter((r) => matches(r, filters)).map(effective)
    .filter((r) => r.status === tab)
    .sort((a, b) => (rank[a.severity] - rank[b.severity]) || a.raised_at.localeCompare(b.raised_at));
}
