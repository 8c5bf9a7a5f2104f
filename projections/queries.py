"""Read-side queries over the projections (used by the demo summary; reusable by reports and dashboards)."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID


def _rows(client: Any, sql: str, **params: Any) -> list[tuple]:
    return client.query(sql, parameters=params).result_rows


def town_summary(client: Any, season_start: datetime) -> dict[str, dict[str, Any]]:
    """Per town: residents now and their change since `season_start`, new households, active leases,
    peak visitors present (lodged) and when."""
    towns: dict[str, dict[str, Any]] = {}

    def put(town: str, **values: Any) -> None:
        towns.setdefault(town, {}).update(values)

    for town, residents in _rows(client, "SELECT town_code, sum(residents) FROM grid_population FINAL "
                                         "GROUP BY town_code"):
        put(town, residents=int(residents))
    for town, change, new_households, moves_in, moves_out in _rows(client, """
            SELECT town_code, sum(population_delta),
                   uniqExactIf(household, kind = 'move_in' AND reason = 'new_home'),
                   countIf(kind = 'move_in'), countIf(kind = 'move_out')
            FROM movements WHERE occurred_at >= %(start)s AND kind IN ('move_in', 'move_out')
            GROUP BY town_code""", start=season_start):
        put(town, residents_change=int(change), new_households=int(new_households), move_ins=int(moves_in),
            move_outs=int(moves_out))
    for town, leases in _rows(client, "SELECT town_code, sum(active_leases) FROM active_leases GROUP BY town_code"):
        put(town, active_leases=int(leases))
    for town, peak, at in _rows(client, """
            SELECT town_code, max(present) AS peak, argMax(hour, present)
            FROM (SELECT town_code, hour,
                         sum(arrivals - departures) OVER (PARTITION BY town_code ORDER BY hour) AS present
                  FROM (SELECT town_code, hour, sum(arrivals) AS arrivals, sum(departures) AS departures
                        FROM visitor_occupancy_hourly GROUP BY town_code, hour))
            GROUP BY town_code"""):
        put(town, peak_visitors=int(peak), peak_visitors_at=at.isoformat())
    return towns


def rejects_by_reason(client: Any) -> dict[str, int]:
    return {reason: int(n) for reason, n in _rows(
        client, "SELECT reason, count() FROM intake_rejects GROUP BY reason ORDER BY reason")}


def intake_totals(client: Any) -> dict[str, int]:
    accepted, duplicates, rejected = _rows(
        client, "SELECT sum(accepted), sum(duplicates), sum(rejected) FROM intake_ledger")[0]
    return {"accepted": int(accepted or 0), "duplicates": int(duplicates or 0), "rejected": int(rejected or 0)}


def projected_fact_count(client: Any) -> int:
    """Stored events that produced movement rows (one event may yield two rows)."""
    return int(_rows(client, "SELECT uniqExact(notification_id) FROM movements")[0][0])


def movement_counts(client: Any) -> dict[str, int]:
    return {kind: int(n) for kind, n in _rows(client, "SELECT kind, count() FROM movements GROUP BY kind")}


# An 18-character ID standing on its own (not inside a longer run of lowercase hex, as pseudonyms are).
_ID_IN_TEXT = r"(^|[^0-9a-f])([0-9]{17}[0-9X])([^0-9a-f]|$)"


def plaintext_id_numbers(client: Any, limit: int = 20) -> list[tuple[str, str]]:
    """(table.column, value) of String values holding a valid national ID number. Should always be empty."""
    from domain.identity import InvalidIdNumber, validate_id_number

    found = []
    columns = _rows(client, "SELECT table, name FROM system.columns WHERE database = currentDatabase() "
                            "AND type LIKE '%String%' AND table IN (SELECT name FROM system.tables "
                            "WHERE database = currentDatabase() AND engine NOT LIKE '%View%')")
    for table, column in columns:
        for (value,) in _rows(client, f"SELECT DISTINCT toString(`{column}`) FROM `{table}` "
                                      f"WHERE match(toString(`{column}`), %(p)s) LIMIT 1000", p=_ID_IN_TEXT):
            for candidate in re.findall(r"[0-9]{17}[0-9X]", value):
                try:
                    validate_id_number(candidate)
                except InvalidIdNumber:
                    continue
                found.append((f"{table}.{column}", value))
        if len(found) >= limit:
            break
    return found[:limit]


def open_stays_due(client: Any, as_of: datetime) -> list[UUID]:
    """Visitor stays checked in, neither checked out nor already recorded as left open, whose declared nights
    (plus the domain's grace) ended before `as_of`: candidates for the open-stay fact; the stay decides."""
    from domain.model import STAY_GRACE

    return [UUID(subject) for (subject,) in _rows(client, """
        SELECT subject FROM movements
        WHERE kind IN ('visitor_check_in', 'visitor_check_out', 'visitor_left_open')
        GROUP BY subject
        HAVING countIf(kind != 'visitor_check_in') = 0
           AND anyIf(occurred_at, kind = 'visitor_check_in')
               + toIntervalDay(anyIf(nights, kind = 'visitor_check_in'))
               + toIntervalSecond(%(grace)s) < %(as_of)s
        ORDER BY subject""", grace=int(STAY_GRACE.total_seconds()), as_of=as_of)]


def latest_fact_time(client: Any) -> datetime:
    """The business time of the newest projected fact (UTC; the epoch when there is none)."""
    latest = _rows(client, "SELECT max(occurred_at) FROM movements")[0][0]
    return latest.replace(tzinfo=UTC)


def chain_anchors(client: Any) -> dict[int, bytes]:
    """The event chain's digests the projector recorded at its positions (anchors for `gridflow verify`)."""
    return {int(p): bytes.fromhex(d) for p, d in _rows(
        client, "SELECT position, chain_digest FROM projection_position WHERE chain_digest != ''")}
