"""Read-side queries for alerts, their history, priority-person trails, governance KPIs and the access log."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

ALERT_FIELDS = ("alert_id", "fingerprint", "rule_id", "severity", "grid_code", "town_code", "summary", "evidence",
                "raised_at", "repeats", "level", "escalations", "status", "acknowledged_by", "ack_note",
                "acknowledged_at", "ack_within_sla", "resolved_by", "outcome", "resolved_at", "source", "ack_sla_s")
# Open alerts: the most severe, then the longest waiting first; handled ones: the latest first.
ORDER = {"open": "multiIf(severity = 'red', 0, severity = 'orange', 1, 2), raised_at, alert_id",
         "acknowledged": "acknowledged_at DESC, alert_id", "resolved": "resolved_at DESC, alert_id",
         "all": "raised_at DESC, alert_id"}
FILTERS = {"grid": "grid_code = %(grid)s", "town": "town_code = %(town)s", "severity": "severity = %(severity)s",
           "rule": "rule_id = %(rule)s", "prefix": "startsWith(rule_id, %(prefix)s)"}


def _dicts(client: Any, sql: str, **params: Any) -> list[dict[str, Any]]:
    result = client.query(sql, parameters=params)
    return [dict(zip(result.column_names, row, strict=False)) for row in result.result_rows]


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat() if value and value.year > 1970 else None


def alerts_page(client: Any, grids: frozenset[str] | None, status: str = "open", limit: int | None = None,
                offset: int = 0, **filters: str | None) -> tuple[list[dict[str, Any]], int]:
    """One page of the alerts in `grids` (None: all) with this status and filters (grid, town, severity, rule,
    prefix of the rule id), and how many there are in all. Each row also says since when the alert is at its level
    (the SLA runs from there) and how many handling notes it has."""
    given = {k: v for k, v in filters.items() if v}
    where = ["1", *(FILTERS[k] for k in given)]
    if status != "all":
        where.append("status = %(status)s")
    if grids is not None:
        where.append("grid_code IN %(grids)s")
    params = {"status": status, "grids": tuple(sorted(grids or ())) or ("",), "limit": limit or 10**9,
              "offset": offset, **given}
    condition = " AND ".join(where)
    total = int(client.query(f"SELECT count() FROM alerts_current WHERE {condition}", parameters=params)
                .result_rows[0][0])
    rows = _dicts(client, f"""
        SELECT {', '.join('a.' + f for f in ALERT_FIELDS)}, greatest(a.raised_at, e.last_escalated) AS level_since,
               e.notes AS notes
        FROM (SELECT * FROM alerts_current WHERE {condition}) AS a
        LEFT JOIN (SELECT alert_id, maxIf(at, kind = 'escalated') AS last_escalated,
                          countIf(kind = 'note_added') AS notes
                   FROM alert_events GROUP BY alert_id) AS e ON e.alert_id = a.alert_id
        ORDER BY {ORDER[status]} LIMIT %(limit)s OFFSET %(offset)s""", **params)
    for row in rows:
        row["evidence"] = json.loads(row["evidence"] or "{}")
        for key in ("raised_at", "acknowledged_at", "resolved_at", "level_since"):
            row[key] = _iso(row[key])
    return rows, total


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
        row["at"] = _iso(row["at"])
    return rows


def priority_trail(client: Any, subject: str) -> dict[str, Any]:
    rows = _dicts(client, "SELECT occurred_at, kind, grid_code, town_code, place, assigned_grid FROM movements "
                          "WHERE subject = %(s)s AND startsWith(kind, 'priority_') ORDER BY occurred_at", s=subject)
    for row in rows:
        row["occurred_at"] = _iso(row["occurred_at"])
    return {"assigned_grid": rows[-1]["assigned_grid"] if rows else None, "trail": rows}


SEEN = "('priority_sighting', 'priority_lodging_check_in', 'priority_transport', 'priority_visit')"


def priority_persons(client: Any, grids: frozenset[str] | None, now: datetime, limit: int = 50, offset: int = 0
                     ) -> tuple[list[dict[str, Any]], int]:
    """Priority persons assigned in `grids` (None: all), the least recently visited first: handle (the `movements`
    subject), category, assigned grid, where and when last seen, the last visit and the days since. ClickHouse
    holds no name or ID number, so none can be listed."""
    persons = f"""
        SELECT subject AS handle, argMaxIf(category, occurred_at, category != '') AS category,
               argMax(assigned_grid, (occurred_at, notification_id)) AS assigned_grid,
               argMaxIf(grid_code, (occurred_at, notification_id), kind IN {SEEN}) AS last_seen_grid,
               maxIf(occurred_at, kind IN {SEEN}) AS last_seen_at,
               maxIf(occurred_at, kind = 'priority_visit') AS last_visit_at
        FROM movements WHERE startsWith(kind, 'priority_') AND subject != 'forgotten'
        GROUP BY subject HAVING {'assigned_grid IN %(grids)s' if grids is not None else '1'}"""
    params = {"grids": tuple(sorted(grids or ())) or ("",), "limit": limit, "offset": offset}
    total = int(client.query(f"SELECT count() FROM ({persons})", parameters=params).result_rows[0][0])
    rows = _dicts(client, f"{persons} ORDER BY last_visit_at, handle LIMIT %(limit)s OFFSET %(offset)s", **params)
    for row in rows:
        visited = row["last_visit_at"].replace(tzinfo=UTC) if row["last_visit_at"].year > 1970 else None
        row["days_since_visit"] = (now - visited).days if visited else None
        row["last_seen_at"], row["last_visit_at"] = _iso(row["last_seen_at"]), _iso(row["last_visit_at"])
    return rows, total


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
