"use strict";
// Rendering: alert cards, one alert with its history and actions, the filters and pager, the liaison's persons
// and a trail. Text from the server goes in through textContent or esc(), never as markup.
const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[state.lang][key];
const esc = (text) => String(text ?? "").replace(/[&<>"']/g,
  (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

function when(iso) {  // in the district's time zone, whatever the phone's own setting
  if (!iso) return "";
  return new Intl.DateTimeFormat(state.lang === "zh" ? "zh-CN" : "en-GB", {
    timeZone: state.me?.timezone || "Asia/Shanghai", year: "numeric", month: state.lang === "zh" ? "2-digit" : "short",
    day: state.lang === "zh" ? "2-digit" : "numeric", hour: "2-digit", minute: "2-digit", hour12: false})
    .format(new Date(iso));
}

function slaText(row) {
  if (row.status !== "open" || row.sla_remaining_s == null) return "";
  const left = row.sla_remaining_s - (Date.now() - state.fetchedAt) / 1000;
  const minutes = Math.ceil(Math.abs(left) / 60);
  return `<span class="sla ${left < 0 ? "over" : ""}">${esc(left < 0 ? t("sla_over")(minutes)
                                                              : t("sla_left")(minutes))}</span>`;
}

function facts(texts) {
  return `<dl class="facts">${texts.facts.map((f) => `<dt>${esc(f.label)}</dt><dd>${esc(f.value)}</dd>`)
    .join("")}</dl>`;
}

function handledLine(row) {
  const parts = [], colon = state.lang === "zh" ? "：" : ": ";
  if (row.acknowledged_by) parts.push(`${t("ack_by")} ${esc(row.acknowledged_by)}${row.ack_note
    ? colon + esc(row.ack_note) : ""}`);
  if (row.status === "resolved" && row.outcome) parts.push(`${t("resolved_by")} ${esc(row.resolved_by || "")}${
    colon}${esc(row.outcome)}`);
  return parts.map((p) => `<div class="handled">${p}</div>`).join("");
}

function cardHtml(row) {
  const texts = row.texts[state.lang];
  return `<div class="top"><span class="sev ${esc(row.severity)}">${esc(t("severity")[row.severity])}</span>
      <span class="rule">${esc(texts.title)}</span>
      <span class="level ${esc(row.level)}">${esc(t("level")[row.level])}</span></div>
    <div class="place">${esc(row.place[state.lang])}</div>
    <div class="summary">${esc(texts.summary)}</div>${facts(texts)}
    <div class="meta">${t("raised")} ${esc(when(row.raised_at))} · <span class="alert-status">${
      esc(t(row.status))}</span> ${slaText(row)}</div>${handledLine(row)}
    ${row.pending ? `<div class="pending">${esc(t("pending"))} (${row.pending})</div>` : ""}
    ${row.conflict ? `<div class="conflict">${esc(row.conflict[state.lang])}</div>` : ""}`;
}

function card(row) {
  const div = document.createElement("div");
  div.className = "card " + row.severity;
  div.dataset.alertId = row.alert_id;
  div.innerHTML = cardHtml(row);
  const buttons = document.createElement("div");
  buttons.className = "buttons";
  if (row.status === "open" && state.me.may_act) {
    buttons.append(button(t("ack"), "primary ack", () => command(row, "acknowledge", {note: ""})));
  }
  if (row.person && ["liaison", "auditor"].includes(state.me.role)) {
    buttons.append(button(t("trail"), "trail", () => askReason(row.person)));
  }
  buttons.append(button(t("details"), "open-detail", () => openDetail(row.alert_id)));
  div.append(buttons);
  return div;
}

function button(label, className, onclick) {
  const b = document.createElement("button");
  b.type = "button"; b.className = className; b.textContent = label; b.onclick = onclick;
  return b;
}

function renderList() {
  const list = $("alerts");
  list.replaceChildren(...state.rows.map(card));
  if (!state.rows.length) list.textContent = t("none");
  const pages = Math.max(1, Math.ceil(state.total / state.limit));
  $("page-info").textContent = t("page")(Math.floor(state.offset / state.limit) + 1, pages, state.total);
  $("prev").disabled = state.offset === 0 || !state.online;
  $("next").disabled = state.offset + state.limit >= state.total || !state.online;
}

function historyItem(h) {
  const shownRole = h.role && (!h.actor_display || h.actor_display === h.actor);  // a display name says enough
  const who = h.actor === "clock" ? t("clock") : `${h.actor_display || h.actor}${shownRole ? " · "
    + (t("role")[h.role] || h.role) : ""}`;
  const what = t("kind")[h.kind] || h.kind;
  const where = h.kind === "escalated" ? " " + t("to_level")(t("level")[h.level] || h.level) : "";
  const note = h.actor === "clock" ? "" : h.note;
  return `<li><span class="when">${esc(when(h.at))}</span> <b>${esc(what + where)}</b>${
    h.actor ? " · " + esc(who) : ""}${note ? `<div class="note">${esc(note)}</div>` : ""}</li>`;
}

function renderDetail(row, history) {
  const texts = row.texts[state.lang];
  const box = $("detail-card");
  box.className = "card " + row.severity;
  box.dataset.alertId = row.alert_id;
  box.innerHTML = cardHtml(row) + (texts.guidance ? `<div class="guidance"><b>${esc(t("guidance"))}</b> ${
    esc(texts.guidance)}</div>` : "");
  const acting = state.me.may_act && row.status !== "resolved";
  $("actions").hidden = !acting;
  $("do-ack").hidden = row.status !== "open";
  $("do-note").hidden = row.status === "open";
  $("do-escalate").hidden = row.level === "district";
  $("detail-trail").hidden = !(row.person && ["liaison", "auditor"].includes(state.me.role));
  $("history").innerHTML = history ? `<h3>${esc(t("history"))}</h3><ol>${history.map(historyItem).join("")}</ol>`
    : `<p class="muted">${esc(t("history_offline"))}</p>`;
}

function option(value, label, selected) {
  return `<option value="${esc(value)}"${value === selected ? " selected" : ""}>${esc(label)}</option>`;
}

function renderFilters() {
  const me = state.me, f = state.filters, lang = state.lang;
  const many = !me.grids || me.grids.length > 1;
  $("filters").hidden = !many;
  if (!many) return;
  const grids = me.grids ? `<label>${esc(t("grid_filter"))}<select id="f-grid">${option("", t("all"), f.grid)}${
    me.grids.map((g) => option(g.code, g[lang], f.grid)).join("")}</select></label>` : "";
  const towns = me.towns?.length ? `<label>${esc(t("town_filter"))}<select id="f-town">${option("", t("all"), f.town)}${
    me.towns.map((x) => option(x.code, x[lang], f.town)).join("")}</select></label>` : "";
  const severities = ["red", "orange", "yellow"].map((s) => option(s, t("severity")[s], f.severity)).join("");
  $("filters").innerHTML = `${grids}${towns}
    <label>${esc(t("severity_filter"))}<select id="f-severity">${option("", t("all"), f.severity)}${severities}</select>
    </label><label>${esc(t("rule_filter"))}<select id="f-rule">${option("", t("all"), f.rule)}${
      me.rules.map((r) => option(r.id, r[lang], f.rule)).join("")}</select></label>`;
  for (const name of ["grid", "town", "severity", "rule"]) {
    const select = $("f-" + name);
    if (select) select.onchange = () => { state.filters[name] = select.value; state.offset = 0; load(); };
  }
}

function gridName(names) { return names ? names[state.lang] : t("outside"); }

function renderPersons(rows) {
  const list = $("person-list");
  list.replaceChildren(...rows.map((p) => {
    const div = document.createElement("div");
    div.className = "card person";
    div.dataset.handle = p.handle;
    div.innerHTML = `<div class="top"><span class="rule">${esc(t("category_name")[p.category] || p.category)}</span>
      </div><dl class="facts"><dt>${esc(t("handle"))}</dt><dd class="mono">${esc(p.handle)}</dd>
      <dt>${esc(t("assigned"))}</dt><dd>${esc(gridName(p.assigned_grid_name))}</dd>
      <dt>${esc(t("last_seen"))}</dt><dd>${p.last_seen_at ? esc(gridName(p.last_seen_grid_name) + " · "
        + when(p.last_seen_at)) : "—"}</dd>
      <dt>${esc(t("last_visit"))}</dt><dd class="${p.days_since_visit == null || p.days_since_visit > 30
        ? "late" : ""}">${esc(p.days_since_visit == null ? t("never") : t("days")(p.days_since_visit))}</dd></dl>`;
    const actions = document.createElement("div");
    actions.className = "buttons";
    actions.append(button(t("trail"), "trail", () => askReason(p.handle)));
    div.append(actions);
    return div;
  }));
  if (!rows.length) list.textContent = t("no_persons");
}

function renderTrail(found) {
  $("trail-head").innerHTML = `<dl class="facts"><dt>${esc(t("handle"))}</dt><dd class="mono">${esc(found.handle)}
    </dd><dt>${esc(t("assigned"))}</dt><dd>${esc(gridName(found.assigned_grid_name))}</dd></dl>`;
  $("trail-list").innerHTML = found.trail.map((r) => `<li><span class="when">${esc(when(r.occurred_at))}</span>
    <b>${esc(t("trail_kind")[r.kind] || r.kind)}</b> · ${esc(gridName(r.grid_code ? r.grid_name : null))}${
      r.place ? ` · ${esc(r.place)}` : ""}</li>`).join("");
}
