"""Domain events → ClickHouse rows: one row function per event type (a table, not a switch), so the topics the
projector decodes follow from the table. Pure: pseudonyms and administrative codes only, never identities."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from eventsourcing.utils import get_topic

from domain.alerts import AccessLog, Alert
from domain.geography import Geography
from domain.model import Dwelling, Erasure, IntakeCursor, Lease, Person, PriorityPerson, ScenicDay, VisitorStay

MOVEMENT_COLUMNS = (
    "notification_id", "seq", "occurred_at", "recorded_at", "kind", "subject", "town_code", "village_code",
    "grid_code", "place", "household", "reason", "origin", "population_delta", "lease_delta", "visitors_delta",
    "nights", "non_local", "category", "message_id", "assigned_grid",
)
LEDGER_COLUMNS = ("notification_id", "recorded_at", "source", "first_position", "last_position", "accepted",
                  "duplicates", "rejected", "waited_ms")
MAX_WAIT_S = 31 * 86_400
REJECT_COLUMNS = ("notification_id", "seq", "recorded_at", "source", "position", "message_id", "reason")
ERASURE_COLUMNS = ("notification_id", "recorded_at", "subject")
GATE_COLUMNS = ("notification_id", "occurred_at", "interval_minutes", "area_code", "grid_code", "town_code",
                "entries", "exits")
ALERT_COLUMNS = ("notification_id", "alert_id", "kind", "at", "fingerprint", "rule_id", "severity", "grid_code",
                 "town_code", "level", "actor", "role", "note", "summary", "evidence", "within_sla", "ack_sla_s",
                 "source")
ACCESS_COLUMNS = ("notification_id", "at", "account", "role", "action", "resource", "allowed", "reason")
FORGOTTEN_SUBJECT = "forgotten"
YANTAI = "3706"
RowFunction = Callable[["RowMaker", int, Any], Iterator[tuple[str, dict[str, Any]]]]
ROWS: dict[type, RowFunction] = {}
MOVEMENT_EVENTS: set[type] = set()  # event types that become `movements` rows (one event may give two, never zero)


def rows_for(*event_types: type, movements: bool = False) -> Callable[[RowFunction], RowFunction]:
    def register(function: RowFunction) -> RowFunction:
        for event_type in event_types:
            ROWS[event_type] = function
            if movements:
                MOVEMENT_EVENTS.add(event_type)
        return function
    return register


def is_non_local(region: str) -> bool:
    return bool(region) and not region.startswith(YANTAI)


class RowMaker:
    def __init__(self, geography: Geography):
        self.geography = geography

    def rows(self, notification_id: int, event: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        """(table, row) pairs for one decoded domain event; none for events that carry nothing shown."""
        function = ROWS.get(type(event))
        return function(self, notification_id, event) if function is not None else iter(())

    def where(self, grid_code: str) -> dict[str, str]:
        grid = self.geography.grids.get(grid_code)
        return {"grid_code": grid_code, "village_code": grid.village_code if grid else "",
                "town_code": grid.town_code if grid else ""}

    def movement(self, notification_id: int, event: Any, kind: str, subject: str, grid_code: str,
                 seq: int = 0, **values: Any) -> dict[str, Any]:
        row = {"notification_id": notification_id, "seq": seq, "occurred_at": event.occurred_at,
               "recorded_at": event.timestamp, "kind": kind, "subject": subject, "place": "", "household": "",
               "reason": "", "origin": "", "population_delta": 0, "lease_delta": 0, "visitors_delta": 0,
               "nights": 0, "non_local": 0, "category": "", "message_id": getattr(event, "message_id", ""),
               "assigned_grid": getattr(event, "assigned_grid", ""), **self.where(grid_code)}
        row.update(values)
        return row


Rows = Iterator[tuple[str, dict[str, Any]]]


@rows_for(Person.MovedIn, movements=True)
def moved_in(maker: RowMaker, nid: int, event: Any) -> Rows:
    subject = event.originator_id.hex
    yield "movements", maker.movement(nid, event, "move_in", subject, event.grid_code, place=event.dwelling_id,
                                      household=event.household_id, reason=event.reason, origin=event.origin,
                                      population_delta=1, non_local=int(is_non_local(event.origin)))
    if event.closes_move_out:  # the move-out received earlier now takes effect, at its own time
        closed = event.closes_move_out
        row = maker.movement(nid, event, "move_out_settled", subject, closed["grid_code"], seq=1,
                             place=closed["dwelling_id"], population_delta=-1)
        row["occurred_at"] = closed["at"]
        yield "movements", row


@rows_for(Person.MovedOut, movements=True)
def moved_out(maker: RowMaker, nid: int, event: Any) -> Rows:
    yield "movements", maker.movement(nid, event, "move_out", event.originator_id.hex, event.grid_code,
                                      place=event.dwelling_id, reason=event.reason, origin=event.destination,
                                      population_delta=0 if event.unmatched else -1)  # unmatched: when matched


@rows_for(Lease.Started, Lease.Ended, Lease.TenantMovedIn, movements=True)
def lease(maker: RowMaker, nid: int, event: Any) -> Rows:
    kind, delta, household = {Lease.Started: ("lease_start", 1, ""), Lease.Ended: ("lease_end", -1, ""),
                               Lease.TenantMovedIn: ("lease_tenant_moved_in", 0, "person")}[type(event)]
    yield "movements", maker.movement(nid, event, kind, event.originator_id.hex, event.grid_code,
                                      place=event.dwelling_id, lease_delta=delta,
                                      household=getattr(event, household) if household else "")


@rows_for(Dwelling.OverOccupied, Dwelling.WithinCapacity, movements=True)
def crowding(maker: RowMaker, nid: int, event: Any) -> Rows:  # reason: "occupants/capacity"
    kind = "dwelling_over_occupied" if type(event) is Dwelling.OverOccupied else "dwelling_within_capacity"
    yield "movements", maker.movement(nid, event, kind, event.originator_id.hex, event.grid_code,
                                      place=event.dwelling_id, reason=f"{event.occupants}/{event.capacity}")


@rows_for(VisitorStay.CheckedIn, movements=True)
def checked_in(maker: RowMaker, nid: int, event: Any) -> Rows:
    yield "movements", maker.movement(nid, event, "visitor_check_in", event.originator_id.hex, event.grid_code,
                                      place=event.lodging_code, visitors_delta=event.party_size, nights=event.nights,
                                      origin=event.origin_region, non_local=int(is_non_local(event.origin_region)))


@rows_for(VisitorStay.CheckedOut, VisitorStay.LeftOpen, movements=True)
def stay_ended(maker: RowMaker, nid: int, event: Any) -> Rows:
    if type(event) is VisitorStay.LeftOpen:
        kind, delta = "visitor_left_open", -event.party_size
    else:  # a party already counted gone by LeftOpen leaves nothing more
        kind, delta = "visitor_check_out", 0 if getattr(event, "after_left_open", False) else -event.party_size
    yield "movements", maker.movement(nid, event, kind, event.originator_id.hex, event.grid_code,
                                      place=event.lodging_code, visitors_delta=delta)


@rows_for(PriorityPerson.Moved, movements=True)
def priority_moved(maker: RowMaker, nid: int, event: Any) -> Rows:
    yield "movements", maker.movement(nid, event, "priority_" + event.movement, event.originator_id.hex,
                                      event.grid_code, place=event.place, category=event.category)


@rows_for(PriorityPerson.LeftAssignedArea, PriorityPerson.ReturnedToAssignedArea, movements=True)
def priority_area(maker: RowMaker, nid: int, event: Any) -> Rows:
    verb = "left" if type(event) is PriorityPerson.LeftAssignedArea else "returned_to"
    yield "movements", maker.movement(nid, event, f"priority_{verb}_assigned_{event.level}", event.originator_id.hex,
                                      event.grid_code)


@rows_for(ScenicDay.Counted)
def gate_counted(maker: RowMaker, nid: int, event: Any) -> Rows:
    yield "scenic_gate_counts", {
        "notification_id": nid, "occurred_at": event.occurred_at, "interval_minutes": event.interval_minutes,
        "area_code": event.area_code, "grid_code": event.grid_code,
        "town_code": maker.where(event.grid_code)["town_code"], "entries": event.entries, "exits": event.exits}


@rows_for(Erasure.Forgotten)
def forgotten(maker: RowMaker, nid: int, event: Any) -> Rows:
    for subject in event.subjects:
        yield "erasures", {"notification_id": nid, "recorded_at": event.timestamp, "subject": subject}


@rows_for(Alert.Raised, Alert.Repeated, Alert.Acknowledged, Alert.NoteAdded, Alert.Resolved, Alert.Escalated)
def alert_event(maker: RowMaker, nid: int, event: Any) -> Rows:
    """Raised carries what the alert is; the later events what happened to it (alerts_current folds them)."""
    name = type(event).__name__
    row = {c: "" for c in ALERT_COLUMNS}
    kind = "note_added" if name == "NoteAdded" else name.lower()
    row.update(notification_id=nid, alert_id=event.originator_id.hex, kind=kind, within_sla=0, ack_sla_s=0,
               evidence="{}", at=getattr(event, "at", None))
    if name == "Raised":
        row.update(at=event.raised_at, fingerprint=event.fingerprint, rule_id=event.rule_id, severity=event.severity,
                   grid_code=event.grid_code, town_code=event.town_code, level=getattr(event, "level", "grid"),
                   summary=event.summary, evidence=json.dumps(event.evidence, ensure_ascii=False, default=str),
                   ack_sla_s=event.ack_sla_s, source=event.source)
    elif name == "Repeated":
        row.update(evidence=json.dumps(event.evidence, ensure_ascii=False, default=str))
    elif name == "Acknowledged":
        row.update(actor=event.by, role=event.role, note=event.note, within_sla=int(event.within_sla),
                   level=event.level)
    elif name == "NoteAdded":
        row.update(actor=event.by, role=event.role, note=event.note, level=event.level)
    elif name == "Resolved":
        row.update(actor=event.by, role=getattr(event, "role", ""), note=event.outcome)
    elif name == "Escalated":
        row.update(actor=event.by, role=getattr(event, "role", ""), note=event.reason, level=event.to)
    yield "alert_events", row


@rows_for(AccessLog.Recorded)
def access_recorded(maker: RowMaker, nid: int, event: Any) -> Rows:
    yield "access_log", {"notification_id": nid, "at": event.at, "account": event.account, "role": event.role,
                         "action": event.action, "resource": event.resource, "allowed": int(event.allowed),
                         "reason": event.reason}


@rows_for(IntakeCursor.Advanced)
def intake_advanced(maker: RowMaker, nid: int, event: Any) -> Rows:
    published = getattr(event, "oldest_published_at", None)  # not kept before 11-27
    waited_s = (event.timestamp - published).total_seconds() if published is not None else 0
    yield "intake_ledger", {
        "notification_id": nid, "recorded_at": event.timestamp, "source": event.source,
        "first_position": event.first, "last_position": event.last, "accepted": event.accepted,
        "duplicates": event.duplicates, "rejected": len(event.rejected),
        # a producer's clock ahead of ours is no wait; a month is the column's sane ceiling
        "waited_ms": round(min(max(waited_s, 0), MAX_WAIT_S) * 1000)}
    for seq, reject in enumerate(event.rejected):
        yield "intake_rejects", {"notification_id": nid, "seq": seq, "recorded_at": event.timestamp,
                                 "source": event.source, "position": reject["position"],
                                 "message_id": reject["message_id"] or "", "reason": reject["reason"]}


def topics_of(event_types: set[type] | dict[type, Any]) -> frozenset[str]:
    """The stored-event topics of these types: today's, and `domain.model:…` for the model's events stored before
    it was split into modules (they decode to the same classes)."""
    topics = set()
    for event_type in event_types:
        topics.add(get_topic(event_type))
        if event_type.__module__ != "domain.alerts":
            topics.add(f"domain.model:{event_type.__qualname__}")
    return frozenset(topics)


PROJECTED_TOPICS = topics_of(ROWS)  # the projector decodes only these; the rest carry nothing it shows
MOVEMENT_TOPICS = topics_of(MOVEMENT_EVENTS)
