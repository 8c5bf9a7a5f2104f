"""One feed's messages for a batch of the log: pseudonymised events (keyed by the department's pseudonym of the
person) or counts per grid or scenic area and hour (keyed by the code), each with a message id that a republished
batch gives again, so whoever reads a feed can tell a message it already has."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import orjson

from feeds.catalogue import Feed
from feeds.fields import COUNTERS, MESSAGE_KIND_OF, MESSAGE_KINDS, SCHEMA_VERSION
from feeds.reading import Item
from projections.rollup import hourly_rollup

NAMESPACE = uuid5(NAMESPACE_URL, "https://gridflow.invalid/feeds")
CST = timezone(timedelta(hours=8))  # Asia/Shanghai: no daylight saving
FORGOTTEN = "forgotten"
BATCH_HEADER = "gridflow-batch"  # the notification id the batch ends at: a restart re-forms the same batch


@dataclass(frozen=True)
class FeedMessage:
    topic: str
    key: bytes
    value: bytes
    message_id: str


def local(at: datetime, precision: str = "minute") -> str:
    at = at.astimezone(CST).replace(second=0, microsecond=0)
    if precision in ("hour", "day"):
        at = at.replace(minute=0)
    if precision == "day":
        at = at.replace(hour=0)
    return at.isoformat()


def feed_messages(feed: Feed, items: Iterable[Item], last: int, pseudonymize: Callable[[str], str],
                  erased: set[str]) -> list[FeedMessage]:
    """The feed's messages for these items (already limited to its part of the log); `last` ends the batch."""
    if feed.granularity == "counts":
        return _counts(feed, list(items), last)
    return _events(feed, items, pseudonymize, erased)


def _message(feed: Feed, kind: str, key: str, message_id: str, values: dict[str, Any]) -> FeedMessage:
    carried = MESSAGE_KINDS[kind]
    names = carried.fixed + tuple(f for f in carried.optional if f in feed.fields)
    body = {"message_id": message_id, "feed": feed.department, "kind": kind, "schema_version": SCHEMA_VERSION,
            **{name: values[name] for name in names if name in values}}
    return FeedMessage(feed.topic, key.encode(), orjson.dumps(body), message_id)


def _id(*parts: object) -> str:
    return str(uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def _events(feed: Feed, items: Iterable[Item], pseudonymize: Callable[[str], str],
            erased: set[str]) -> list[FeedMessage]:
    messages = []
    for item in items:
        if item.table == "erasure":  # the tombstone: whoever holds this pseudonym deletes what it holds under it
            person = pseudonymize(item.pseudonym)
            messages.append(_message(feed, "erasure", person, _id(feed.department, item.notification_id, "erasure"),
                                     {"person": person, "erased_at": local(item.row["erased_at"], "minute")}))
            continue
        row = item.row
        if item.table != "movements" or row["kind"] not in feed.kinds or \
                not feed.in_scope(row["grid_code"], row["assigned_grid"]):
            continue
        person = FORGOTTEN if item.pseudonym in erased else pseudonymize(item.pseudonym)
        kind = MESSAGE_KIND_OF[("events", row["kind"])]
        values = {"person": person, "change": row["kind"], "movement": row["kind"].removeprefix("priority_"),
                  "occurred_at": local(row["occurred_at"], feed.precision),
                  "recorded_at": local(row["recorded_at"], feed.precision), "region": _region(row["origin"]),
                  **{k: row[k] for k in ("town_code", "village_code", "grid_code", "reason", "category",
                                         "assigned_grid", "place")}}
        messages.append(_message(feed, kind, person, _id(feed.department, item.notification_id, item.seq), values))
    return messages


def _region(origin: str) -> str:
    """A region code; a move-out implied by a move-in elsewhere names the new grid: its district's code."""
    return origin[:6] if len(origin) == 14 else origin


def _counts(feed: Feed, items: list[Item], last: int) -> list[FeedMessage]:
    counters = [c for c in COUNTERS if c in feed.fields]
    movements = [{**i.row, "occurred_at": i.row["occurred_at"].astimezone(CST)} for i in items
                 if i.table == "movements" and i.row["kind"] in feed.kinds and feed.in_scope(i.row["grid_code"])]
    messages = []
    for cell in sorted(hourly_rollup(movements, last), key=lambda c: (c["hour"], c["grid_code"])):
        cell["visitors_delta"] = cell["visitor_arrivals"] - cell["visitor_departures"]
        if any(cell[c] for c in counters):
            hour = local(cell["hour"], "hour")
            messages.append(_message(feed, "grid_hour_counts", cell["grid_code"],
                                     _id(feed.department, last, cell["grid_code"], hour), {**cell, "hour": hour}))
    scenic: dict[tuple[str, str], dict[str, Any]] = {}
    if "scenic_gate" in feed.kinds:
        for item in items:
            row = item.row
            if item.table == "scenic_gate_counts" and feed.in_scope(row["grid_code"]):
                hour = local(row["occurred_at"], "hour")
                cell = scenic.setdefault((hour, row["area_code"]), {
                    "area_code": row["area_code"], "grid_code": row["grid_code"], "town_code": row["town_code"],
                    "hour": hour, "entries": 0, "exits": 0})
                cell["entries"] += row["entries"]
                cell["exits"] += row["exits"]
    for (hour, area), cell in sorted(scenic.items()):
        messages.append(_message(feed, "scenic_hour_counts", area, _id(feed.department, last, area, hour), cell))
    return messages
