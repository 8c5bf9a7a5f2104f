"""Planner queries over the read models: seasonal load against carrying capacity, hot grids, new-resident inflow.
Used by `gridflow report season`; the dashboards use the same SQL. Times are the district's local days (UTC+8).

Visitors present (lodged) come from the hourly rollup: presence at an hour is the running sum of arrivals minus
departures since the beginning; a day's peak is its highest hourly value, its average weighs every hour of it."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import numpy as np

from domain.geography import Geography

LOCAL = timezone(timedelta(hours=8))
INFLOW_REASONS = ("new_home", "rental", "work", "study")  # arrivals of new residents (not moves inside, not baseline)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) local, as UTC datetimes."""
    return (datetime(start.year, start.month, start.day, tzinfo=LOCAL).astimezone(UTC),
            datetime(end.year, end.month, end.day, tzinfo=LOCAL).astimezone(UTC) + timedelta(days=1))


def _town_filter(town: str | None) -> str:
    return "AND town_code = %(town)s" if town else ""


def visitors_present_daily(client: Any, start: date, end: date, town: str | None = None
                           ) -> dict[str, list[tuple[date, int, float]]]:
    """Per town: [(day, peak present, average present)] for every day of the period, lodged visitors."""
    lo, hi = _bounds(start, end)
    before = dict(client.query(f"""
        SELECT town_code, toInt64(sum(visitor_arrivals) - sum(visitor_departures)) FROM grid_hourly
        WHERE hour < %(lo)s {_town_filter(town)} GROUP BY town_code""",
                               parameters={"lo": lo, "town": town}).result_rows)
    # per town, its hours' changes as two arrays: 12 rows to hand over instead of one per town and hour
    changes_by_town = client.query(f"""
        SELECT town_code, groupArray(offset), groupArray(delta) FROM (
            SELECT town_code, intDiv(toUnixTimestamp(hour) - toUnixTimestamp(%(lo)s), 3600) AS offset,
                   toInt64(sum(visitor_arrivals) - sum(visitor_departures)) AS delta
            FROM grid_hourly WHERE hour >= %(lo)s AND hour < %(hi)s {_town_filter(town)}
            GROUP BY town_code, offset)
        GROUP BY town_code""", parameters={"lo": lo, "hi": hi, "town": town}).result_rows
    days = (end - start).days + 1
    hourly: dict[str, np.ndarray] = {t: np.zeros(days * 24, dtype=np.int64) for t in before}
    for town_code, offsets, deltas in changes_by_town:
        changes = hourly.setdefault(town_code, np.zeros(days * 24, dtype=np.int64))
        np.add.at(changes, np.asarray(offsets, dtype=np.int64), np.asarray(deltas, dtype=np.int64))
    result = {}
    for town_code, changes in sorted(hourly.items()):
        present = (np.cumsum(changes) + int(before.get(town_code, 0))).reshape(days, 24)
        peaks, averages = present.max(axis=1), present.mean(axis=1)
        result[town_code] = [(start + timedelta(days=d), int(peaks[d]), float(averages[d])) for d in range(days)]
    return result


def top_grids_by_peak(client: Any, geography: Geography, start: date, end: date, town: str | None = None,
                      limit: int = 15) -> list[dict[str, Any]]:
    """Grids with the highest peak of lodged visitors in the period, with that peak's share of the grid's beds."""
    lo, hi = _bounds(start, end)
    # Per grid, the batch cells sorted by (hour, delta) and summed up: the running sum's maximum inside the
    # period is the peak (sorting a cell's deltas ascending keeps partial sums from overshooting the hour).
    rows = client.query(f"""
        SELECT grid_code, town, arrayMax(arrayFilter((p, h) -> h >= %(lo)s, running, hours)) AS peak,
               hours[arrayFirstIndex((p, h) -> h >= %(lo)s AND p = peak, running, hours)] AS at
        FROM (SELECT grid_code, any(town_code) AS town,
                     arraySort(groupArray((hour, toInt64(visitor_arrivals) - visitor_departures))) AS cells,
                     arrayMap(c -> c.1, cells) AS hours, arrayCumSum(arrayMap(c -> c.2, cells)) AS running
              FROM grid_hourly WHERE hour < %(hi)s {_town_filter(town)} GROUP BY grid_code
              HAVING max(hour) >= %(lo)s)
        ORDER BY peak DESC, grid_code LIMIT %(n)s""",
                        parameters={"lo": lo, "hi": hi, "town": town, "n": limit}).result_rows
    beds: dict[str, int] = defaultdict(int)
    for lodging in geography.lodgings.values():
        beds[lodging.grid_code] += lodging.beds
    return [{"grid_code": g, "town_code": t, "peak": int(p), "at": at, "beds": beds.get(g, 0),
             "load": int(p) / beds[g] if beds.get(g) else None} for g, t, p, at in rows]


def scenic_load_daily(client: Any, start: date, end: date, town: str | None = None
                      ) -> dict[str, list[tuple[date, int, int]]]:
    """Per scenic area: [(day, entries that day, peak present that day)] from the gate counts."""
    lo, hi = _bounds(start, end)
    result: dict[str, list[tuple[date, int, int]]] = defaultdict(list)
    for area, day, entries, peak in client.query(f"""
            SELECT area_code, day, toInt64(sum(entries)), max(present) FROM (
                SELECT area_code, toDate(occurred_at, 'Asia/Shanghai') AS day, entries,
                       sum(toInt64(entries) - toInt64(exits)) OVER (
                           PARTITION BY area_code, day ORDER BY occurred_at) AS present
                FROM scenic_gate_counts WHERE occurred_at >= %(lo)s AND occurred_at < %(hi)s {_town_filter(town)})
            GROUP BY area_code, day ORDER BY area_code, day""",
                                                 parameters={"lo": lo, "hi": hi, "town": town}).result_rows:
        result[area].append((day, int(entries), int(peak)))
    return dict(result)


def inflow_weekly(client: Any, start: date, end: date, town: str | None = None
                  ) -> dict[str, list[tuple[date, int, int]]]:
    """Per town: [(week's Monday, new residents arriving, new households)]."""
    lo, hi = _bounds(start, end)
    result: dict[str, list[tuple[date, int, int]]] = defaultdict(list)
    for town_code, week, people, households in client.query(f"""
            SELECT town_code, toMonday(occurred_at, 'Asia/Shanghai') AS week, count(),
                   uniqExactIf(household, reason = 'new_home')
            FROM movements
            WHERE kind = 'move_in' AND reason IN %(reasons)s AND occurred_at >= %(lo)s AND occurred_at < %(hi)s
                  {_town_filter(town)}
            GROUP BY town_code, week ORDER BY town_code, week""",
                                                            parameters={"lo": lo, "hi": hi, "town": town,
                                                                        "reasons": INFLOW_REASONS}).result_rows:
        result[town_code].append((week, int(people), int(households)))
    return dict(result)


def has_data(client: Any, start: date, end: date) -> bool:
    """Whether any visitor or residency fact falls in the period (year-over-year needs last year's)."""
    lo, hi = _bounds(start, end)
    return bool(client.query("SELECT count() FROM grid_hourly WHERE hour >= %(lo)s AND hour < %(hi)s",
                             parameters={"lo": lo, "hi": hi}).result_rows[0][0])


def beds_by_town(geography: Geography) -> dict[str, int]:
    beds: dict[str, int] = defaultdict(int)
    for lodging in geography.lodgings.values():
        beds[geography.grids[lodging.grid_code].town_code] += lodging.beds
    return dict(beds)
