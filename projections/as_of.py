"""Point-in-time state for audits, computed from the event store itself (not from ClickHouse): what was true at
business time `at`, as the system knew it at recording time `known_at` (the CLI's default: now).

Both axes matter to an auditor: a move-out registered on 3 August but dated 30 July changes what was true on
31 July, but not what we *knew* on 31 July. Facts are folded from the same rows the projector writes, so the
answer agrees with the read models."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.geography import Geography
from domain.model import Person, PriorityPerson
from projections.projector import all_notifications
from projections.rows import PROJECTED_TOPICS, RowMaker

RECENT = timedelta(days=7)


@dataclass
class AreaState:
    at: datetime
    known_at: datetime
    area: str
    residents: int = 0
    residents_by_dwelling: dict[str, int] = field(default_factory=dict)
    active_leases: int = 0
    visitors_present: int = 0
    over_occupied_dwellings: list[str] = field(default_factory=list)
    priority_persons_last_seen_here: int = 0
    grids: dict[str, dict[str, int]] = field(default_factory=dict)
    facts_in_last_7_days: dict[str, int] = field(default_factory=dict)


@dataclass
class PersonState:
    at: datetime
    known_at: datetime
    pseudonym: str
    forgotten: bool = False
    registered_in: dict[str, str] | None = None
    last_seen: dict[str, str] | None = None
    trail: list[dict[str, str]] = field(default_factory=list)


def facts(store: Any, geography: Geography, at: datetime, known_at: datetime,
          progress: Callable[[int], None] = lambda _: None) -> Iterator[dict[str, Any]]:
    """Movement rows of every event recorded by `known_at` that happened by `at`, in recording order."""
    maker = RowMaker(geography)
    for count, notification in enumerate(all_notifications(store.recorder), 1):
        if count % 50_000 == 0:
            progress(count)
        if notification.topic not in PROJECTED_TOPICS:
            continue
        event = store.mapper.to_domain_event(notification)
        if event.timestamp > known_at:
            continue
        for table, row in maker.rows(notification.id, event):
            if table == "erasures":
                yield {"kind": "erased", "subject": row["subject"]}
            elif table == "movements" and row["occurred_at"] <= at:
                yield row


def area_state(store: Any, geography: Geography, at: datetime, known_at: datetime, *, grid: str | None = None,
               town: str | None = None, progress: Callable[[int], None] = lambda _: None) -> AreaState:
    def inside(row: dict[str, Any]) -> bool:
        return row["grid_code"] == grid if grid else row["town_code"] == town

    state = AreaState(at, known_at, grid or town or "")
    by_dwelling: Counter[str] = Counter()
    crowded: dict[str, tuple[datetime, bool]] = {}
    last_seen: dict[str, tuple[datetime, str]] = {}
    per_grid: dict[str, Counter[str]] = defaultdict(Counter)
    recent: Counter[str] = Counter()
    for row in facts(store, geography, at, known_at, progress):
        if row["kind"] == "erased":
            continue
        if row["kind"].startswith("priority_") and not row["kind"].startswith(("priority_left", "priority_returned")):
            seen = last_seen.get(row["subject"])
            if seen is None or row["occurred_at"] >= seen[0]:
                last_seen[row["subject"]] = (row["occurred_at"], row["grid_code"])
        if not inside(row):
            continue
        cell = per_grid[row["grid_code"]]
        cell["residents"] += row["population_delta"]
        cell["active_leases"] += row["lease_delta"]
        cell["visitors_present"] += row["visitors_delta"]
        if row["population_delta"]:
            by_dwelling[row["place"]] += row["population_delta"]
        if row["kind"] in ("dwelling_over_occupied", "dwelling_within_capacity"):
            known = crowded.get(row["place"])
            if known is None or row["occurred_at"] >= known[0]:
                crowded[row["place"]] = (row["occurred_at"], row["kind"] == "dwelling_over_occupied")
        if row["occurred_at"] > at - RECENT:
            recent[row["kind"]] += 1
    here = {g for g in per_grid} | ({grid} if grid else set(geography.grids_of_town(town or "")))
    state.priority_persons_last_seen_here = sum(1 for _, g in last_seen.values() if g in here)
    state.grids = {g: dict(c) for g, c in sorted(per_grid.items())}
    state.residents = sum(c["residents"] for c in per_grid.values())
    state.active_leases = sum(c["active_leases"] for c in per_grid.values())
    state.visitors_present = sum(c["visitors_present"] for c in per_grid.values())
    state.residents_by_dwelling = {d: n for d, n in sorted(by_dwelling.items()) if n}
    state.over_occupied_dwellings = sorted(d for d, (_, over) in crowded.items() if over)
    state.facts_in_last_7_days = dict(sorted(recent.items()))
    return state


def person_state(store: Any, geography: Geography, pseudonym: str, at: datetime, known_at: datetime,
                 progress: Callable[[int], None] = lambda _: None) -> PersonState:
    subjects = {Person.create_id(pseudonym).hex, PriorityPerson.create_id(pseudonym).hex}
    state = PersonState(at, known_at, pseudonym)
    own = []
    for row in facts(store, geography, at, known_at, progress):
        if row["kind"] == "erased":
            state.forgotten = state.forgotten or row["subject"] in subjects
        elif row["subject"] in subjects:
            own.append(row)
    for row in sorted(own, key=lambda r: (r["occurred_at"], r["notification_id"], r["seq"])):  # business time
        when = row["occurred_at"].isoformat()
        state.trail.append({"at": when, "kind": row["kind"], "grid": row["grid_code"], "place": row["place"]})
        if row["kind"] == "move_in":
            state.registered_in = {"dwelling": row["place"], "grid": row["grid_code"], "since": when}
        elif row["population_delta"] < 0 and state.registered_in and state.registered_in["dwelling"] == row["place"]:
            state.registered_in = None
        elif row["kind"].startswith("priority_") and "assigned" not in row["kind"]:
            state.last_seen = {"grid": row["grid_code"] or "outside the district", "place": row["place"], "at": when}
    if state.forgotten:  # what the erasure left: the facts stay counted, the link to the person does not
        state.trail, state.registered_in, state.last_seen = [], None, None
    return state

