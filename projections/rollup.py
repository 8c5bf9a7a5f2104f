"""What a batch of movement rows adds up to: the hourly rollup per grid, and the change of each grid's state."""
from __future__ import annotations

from typing import Any

HOURLY_COLUMNS = ("notification_id", "hour", "town_code", "village_code", "grid_code", "move_ins", "move_outs",
                  "residents_delta", "lease_starts", "lease_ends", "check_ins", "check_outs", "visitor_arrivals",
                  "visitor_departures")
# What each movement kind adds to the hourly rollup's counters.
_HOURLY_COUNTER = {"move_in": "move_ins", "move_out": "move_outs", "lease_start": "lease_starts",
                   "lease_end": "lease_ends", "visitor_check_in": "check_ins", "visitor_check_out": "check_outs"}


def hourly_rollup(movements: list[dict[str, Any]], notification_id: int) -> list[dict[str, Any]]:
    """One batch's movement rows summed per grid and hour (business time)."""
    cells: dict[tuple, dict[str, Any]] = {}
    for row in movements:
        at = row["occurred_at"]
        hour = at.replace(minute=0, second=0, microsecond=0)
        key = (row["grid_code"], hour)
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = {c: 0 for c in HOURLY_COLUMNS}
            cell.update(notification_id=notification_id, hour=hour, town_code=row["town_code"],
                        village_code=row["village_code"], grid_code=row["grid_code"])
        counter = _HOURLY_COUNTER.get(row["kind"])
        if counter:
            cell[counter] += 1
        cell["residents_delta"] += row["population_delta"]
        delta = row["visitors_delta"]
        if delta > 0:
            cell["visitor_arrivals"] += delta
        else:
            cell["visitor_departures"] -= delta
    return list(cells.values())


def grid_state_deltas(row: dict[str, Any]) -> tuple[int, int, int, int]:
    """(residents, visitors present, active leases, over-occupied dwellings) change made by one movement row."""
    crowding = {"dwelling_over_occupied": 1, "dwelling_within_capacity": -1}.get(row["kind"], 0)
    return row["population_delta"], row["visitors_delta"], row["lease_delta"], crowding
