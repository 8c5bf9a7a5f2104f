"""Read-side queries for alerts, their history, priority-person trails, governance KPIs and the access log."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

SEVERITY_ORDER = {"red": 0, "orange": 1, "yellow": 2}
ALERT_FIELDS = ("alert_id", "rule_id", "severity", "grid_code", "town_code", "summary", "evidence", "raised_at",
                "repeats", "level", "escalations", "status", "acknowledged_by", "ack_note", "acknowledged_at",
                "ack_within_sla", "resolved_by", "outcome", "resolved_at", "source", "ack_sla_s")


def _dicts(client: Any, sql: str, **params: Any) -> list[dict[str, Any]]:
    result = client.query(sql, parameters=params)
    return [dict(zip(result.column_names, row, strict=False)) for row in result.result_rows]


def alerts(client: Any, grids: frozenset[str] | None, status: str = "open", rules_prefix: str = "") -> list[dict]:
    where = ["1"]
    if status != "all":
        where.append("status = %(status)s")
    if grids is not None:
        where.append("grid_code IN %(grids)s")
    if rules_prefix:
        where.append("startsWith(rule_id, %(prefix)s)")
    rows = _dicts(client, f"SELECT {', '.join(ALERT_FIELDS)} FROM alerts_current WHERE {' AND '.join(where)}",
                  status=status, grids=tuple(sorted(grids or ())) or ("",), prefix=rules_prefix)
    for row in rows:
        row["evidence"] = json.loads(row["evidence"] or "{}")
        for key in ("raised_at", "acknowledged_at", "resolved_at"):
            row[key] = row[key].replace(tzinfo=UTC).isoformat() if row[key] and row[key].year > 1970 else None
    rows.sort(key=lambda r: (SEVERITY_ORDER.get(r["severity"], 9), r["raised_at"] or ""), reverse=False)
    return rows


def escalation_candidates(client: Any) -> list[UUID]:
    """Open alerts below the district: the clock may move them up a loop."""
    return [UUID(a) for (a,) in client.query(
        "SELECT alert_id FROM alerts_current WHERE status = 'open' AND level != 'district'").result_rows]


def busiest_grid(client: Any) -> str | None:
    """The grid with the most open alerts (the demo seeds its accounts around it)."""
    rows = client.query("SELECT grid_code FROM alerts_current WHERE status = 'open' AND grid_code != '' "
                        "GROUP BY grid_code ORDER BY count() DESC, grid_code LIMIT 1").result_rows
    return rows[0][0] if rows else None


def alerts_by_rule(client: Any) -> dict[str, int]:
    return {rule: int(n) for rule, n in client.query(
        "SELECT rule_id, count() FROM alerts_current GROUP BY rule_id ORDER BY rule_id").result_rows}


def alert_history(client: Any, alert_id: UUID) -> list[dict[str, Any]]:
    rows = _dicts(client, "SELECT kind, at, actor, role, note, level, within_sla FROM alert_events "
                          "WHERE alert_id = %(a)s ORDER BY notification_id", a=alert_id.hex)
    for row in rows:
        row["at"] = row["at"].isoformat()
    return rows


def priority_trail(client: Any, subject: str) -> dict[str, Any]:
    rows = _dicts(client, "SELECT occurred_at, kind, grid_code, town_code, place, assigned_grid FROM movements "
                          "WHERE subject = %(s)s AND startsWith(kind, 'priority_') ORDER BY occurred_at", s=subject)
    for row in rows:
        row["occurred_at"] = row["occurred_at"].isoformat()
    return {"assigned_grid": rows[-1]["assigned_grid"] if rows else None, "trail": rows}


def kpis(client: Any, grids: tuple[str, ...] | None, now: datetime) -> dict[str, Any]:
    """Governance KPIs over the given grids (None: the district)."""
    scope = "grid_code IN %(grids)s" if grids is not None else "1"
    params = {"grids": grids or ("",), "since": now - timedelta(days=30), "now": now}
    alerts_row = _dicts(client, f"""
        SELECT count() AS raised, countIf(status = 'resolved') AS handled, countIf(status = 'open') AS open_now,
               countIf(acknowledged_by != '') AS acknowledged, countIf(ack_within_sla = 1) AS acknowledged_within_sla,
               sumIf(escalations >= 1, 1) AS escalated_to_town, sumIf(escalations >= 2, 1) AS escalated_to_district
        FROM alerts_current WHERE {scope}""", **params)[0]
    priority_scope = "assigned_grid IN %(grids)s" if grids is not None else "1"
    persons = _dicts(client, f"""
        SELECT uniqExact(subject) AS priority_persons,
               uniqExactIf(subject, kind IN ('priority_sighting', 'priority_visit') AND occurred_at >= %(since)s
                                    AND occurred_at <= %(now)s) AS seen_or_visited_30d
        FROM movements WHERE startsWith(kind, 'priority_') AND {priority_scope}""", **params)[0]
    result = {k: int(v) for k, v in {**alerts_row, **persons}.items()}
    result["ack_within_sla_share"] = round(result["acknowledged_within_sla"] / result["acknowledged"], 3) \
        if result["acknowledged"] else None
    result["seen_or_visited_30d_share"] = round(result["seen_or_visited_30d"] / result["priority_persons"], 3) \
        if result["priority_persons"] else None
    return result


def suppress_small_cells(figures: dict[str, Any], minimum: int = 5) -> dict[str, Any]:
    """For aggregate-only readers: counts of 1–4 could single people out."""
    return {k: ("<5" if isinstance(v, int) and 0 < v < minimum else v) for k, v in figures.items()}


def access_log(client: Any, since: datetime) -> list[dict[str, Any]]:
    rows = _dicts(client, "SELECT at, account, role, action, resource, allowed, reason FROM access_log "
                          "WHERE at >= %(since)s ORDER BY at, notification_id", since=since)
    for row in rows:
        row["at"], row["allowed"] = row["at"].isoformat(), bool(row["allowed"])
    return rows
