"""Domain events → ClickHouse rows. Pure: pseudonyms and administrative codes only, never identities."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from domain.geography import Geography

MOVEMENT_COLUMNS = (
    "notification_id", "seq", "occurred_at", "recorded_at", "kind", "subject", "town_code", "village_code",
    "grid_code", "place", "household", "reason", "origin", "population_delta", "lease_delta", "visitors_delta",
    "nights", "non_local", "category", "message_id", "assigned_grid",
)
LEDGER_COLUMNS = ("notification_id", "recorded_at", "source", "first_position", "last_position", "accepted",
                  "duplicates", "rejected")
REJECT_COLUMNS = ("notification_id", "seq", "recorded_at", "source", "position", "message_id", "reason")
ERASURE_COLUMNS = ("notification_id", "recorded_at", "subject")
GATE_COLUMNS = ("notification_id", "occurred_at", "interval_minutes", "area_code", "grid_code", "town_code",
                "entries", "exits")
ALERT_COLUMNS = ("notification_id", "alert_id", "kind", "at", "fingerprint", "rule_id", "severity", "grid_code",
                 "town_code", "level", "actor", "role", "note", "summary", "evidence", "within_sla", "ack_sla_s",
                 "source")
ACCESS_COLUMNS = ("notification_id", "at", "account", "role", "action", "resource", "allowed", "reason")
FORGOTTEN_SUBJECT = "forgotten"
# Stored-event topics the projector decodes; others (registrations, dwellings) carry nothing it shows.
PROJECTED_TOPICS = frozenset({
    "domain.model:Person.MovedIn", "domain.model:Person.MovedOut", "domain.model:Lease.Started",
    "domain.model:Lease.Ended", "domain.model:VisitorStay.CheckedIn", "domain.model:VisitorStay.CheckedOut",
    "domain.model:PriorityPerson.Moved", "domain.model:PriorityPerson.LeftAssignedArea",
    "domain.model:PriorityPerson.ReturnedToAssignedArea", "domain.model:IntakeCursor.Advanced",
    "domain.model:Dwelling.OverOccupied", "domain.model:Dwelling.WithinCapacity", "domain.model:Lease.TenantMovedIn",
    "domain.model:VisitorStay.LeftOpen", "domain.model:ScenicDay.Counted", "domain.model:Erasure.Forgotten",
    "domain.alerts:Alert.Raised", "domain.alerts:Alert.Repeated", "domain.alerts:Alert.Acknowledged",
    "domain.alerts:Alert.Resolved", "domain.alerts:Alert.Escalated", "domain.alerts:AccessLog.Recorded",
})
# Of those, the topics that become `movements` rows (one event may give two rows, never zero).
MOVEMENT_TOPICS = frozenset(t for t in PROJECTED_TOPICS if t.startswith("domain.model:")) - {
    "domain.model:IntakeCursor.Advanced", "domain.model:Erasure.Forgotten", "domain.model:ScenicDay.Counted"}
YANTAI = "3706"


def is_non_local(region: str) -> bool:
    return bool(region) and not region.startswith(YANTAI)


class RowMaker:
    def __init__(self, geography: Geography):
        self.geography = geography

    def _where(self, grid_code: str) -> dict[str, str]:
        grid = self.geography.grids.get(grid_code)
        return {"grid_code": grid_code, "village_code": grid.village_code if grid else "",
                "town_code": grid.town_code if grid else ""}

    def movement(self, notification_id: int, event: Any, kind: str, subject: str, grid_code: str,
                 seq: int = 0, **values: Any) -> dict[str, Any]:
        row = {"notification_id": notification_id, "seq": seq, "occurred_at": event.occurred_at,
               "recorded_at": event.timestamp, "kind": kind, "subject": subject, "place": "", "household": "",
               "reason": "", "origin": "", "population_delta": 0, "lease_delta": 0, "visitors_delta": 0,
               "nights": 0, "non_local": 0, "category": "", "message_id": getattr(event, "message_id", ""),
               "assigned_grid": getattr(event, "assigned_grid", ""),
               **self._where(grid_code)}
        row.update(values)
        return row

    @staticmethod
    def alert_row(notification_id: int, event: Any, name: str) -> dict[str, Any]:
        """Raised carries what the alert is; the later events what happened to it (alerts_current folds them)."""
        row = {c: "" for c in ALERT_COLUMNS}
        row.update(notification_id=notification_id, alert_id=event.originator_id.hex, kind=name.lower(),
                   within_sla=0, ack_sla_s=0, evidence="{}")
        if name == "Raised":
            row.update(at=event.raised_at, fingerprint=event.fingerprint, rule_id=event.rule_id,
                       severity=event.severity, grid_code=event.grid_code, town_code=event.town_code,
                       level=getattr(event, "level", "grid"),
                       summary=event.summary, evidence=json.dumps(event.evidence, ensure_ascii=False, default=str),
                       ack_sla_s=event.ack_sla_s, source=event.source)
        elif name == "Repeated":
            row.update(at=event.at, evidence=json.dumps(event.evidence, ensure_ascii=False, default=str))
        elif name == "Acknowledged":
            row.update(at=event.at, actor=event.by, role=event.role, note=event.note,
                       within_sla=int(event.within_sla), level=event.level)
        elif name == "Resolved":
            row.update(at=event.at, actor=event.by, note=event.outcome)
        elif name == "Escalated":
            row.update(at=event.at, actor=event.by, note=event.reason, level=event.to)
        return row

    def rows(self, notification_id: int, event: Any, aggregate: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield (table, row) pairs for one decoded domain event."""
        name = type(event).__name__
        if aggregate == "Person":
            subject = event.originator_id.hex
            if name == "MovedIn":
                yield "movements", self.movement(
                    notification_id, event, "move_in", subject, event.grid_code, place=event.dwelling_id,
                    household=event.household_id, reason=event.reason, origin=event.origin, population_delta=1,
                    non_local=int(is_non_local(event.origin)))
                if event.closes_move_out:  # the move-out received earlier now takes effect, at its own time
                    closed = event.closes_move_out
                    row = self.movement(notification_id, event, "move_out_settled", subject, closed["grid_code"],
                                        seq=1, place=closed["dwelling_id"], population_delta=-1)
                    row["occurred_at"] = closed["at"]
                    yield "movements", row
            elif name == "MovedOut":
                yield "movements", self.movement(
                    notification_id, event, "move_out", subject, event.grid_code, place=event.dwelling_id,
                    reason=event.reason, origin=event.destination,
                    population_delta=0 if event.unmatched else -1)  # unmatched: takes effect when matched
        elif aggregate == "Lease":
            subject = event.originator_id.hex
            if name == "Started":
                yield "movements", self.movement(notification_id, event, "lease_start", subject, event.grid_code,
                                                 place=event.dwelling_id, lease_delta=1)
            elif name == "Ended":
                yield "movements", self.movement(notification_id, event, "lease_end", subject, event.grid_code,
                                                 place=event.dwelling_id, lease_delta=-1)
            elif name == "TenantMovedIn":  # the tenant's registration, linked to this lease
                yield "movements", self.movement(notification_id, event, "lease_tenant_moved_in", subject,
                                                 event.grid_code, place=event.dwelling_id, household=event.person)
        elif aggregate == "Dwelling" and name in ("OverOccupied", "WithinCapacity"):  # reason: "occupants/capacity"
            kind = "dwelling_over_occupied" if name == "OverOccupied" else "dwelling_within_capacity"
            yield "movements", self.movement(notification_id, event, kind, event.originator_id.hex, event.grid_code,
                                             place=event.dwelling_id, reason=f"{event.occupants}/{event.capacity}")
        elif aggregate == "VisitorStay":
            subject = event.originator_id.hex
            if name == "CheckedIn":
                yield "movements", self.movement(
                    notification_id, event, "visitor_check_in", subject, event.grid_code, place=event.lodging_code,
                    visitors_delta=event.party_size, nights=event.nights, origin=event.origin_region,
                    non_local=int(is_non_local(event.origin_region)))
            elif name == "CheckedOut":  # a party already counted gone by LeftOpen leaves nothing more
                left_open = getattr(event, "after_left_open", False)
                yield "movements", self.movement(notification_id, event, "visitor_check_out", subject,
                                                 event.grid_code, place=event.lodging_code,
                                                 visitors_delta=0 if left_open else -event.party_size)
            elif name == "LeftOpen":
                yield "movements", self.movement(notification_id, event, "visitor_left_open", subject,
                                                 event.grid_code, place=event.lodging_code,
                                                 visitors_delta=-event.party_size)
        elif aggregate == "PriorityPerson" and name == "Moved":
            yield "movements", self.movement(notification_id, event, "priority_" + event.movement,
                                             event.originator_id.hex, event.grid_code, place=event.place,
                                             category=event.category)
        elif aggregate == "PriorityPerson" and name in ("LeftAssignedArea", "ReturnedToAssignedArea"):
            verb = "left" if name == "LeftAssignedArea" else "returned_to"
            yield "movements", self.movement(notification_id, event, f"priority_{verb}_assigned_{event.level}",
                                             event.originator_id.hex, event.grid_code)
        elif aggregate == "ScenicDay" and name == "Counted":
            yield "scenic_gate_counts", {
                "notification_id": notification_id, "occurred_at": event.occurred_at,
                "interval_minutes": event.interval_minutes, "area_code": event.area_code,
                "grid_code": event.grid_code, "town_code": self._where(event.grid_code)["town_code"],
                "entries": event.entries, "exits": event.exits}
        elif aggregate == "Alert":
            yield "alert_events", self.alert_row(notification_id, event, name)
        elif aggregate == "AccessLog" and name == "Recorded":
            yield "access_log", {"notification_id": notification_id, "at": event.at, "account": event.account,
                                 "role": event.role, "action": event.action, "resource": event.resource,
                                 "allowed": int(event.allowed), "reason": event.reason}
        elif aggregate == "Erasure":
            for subject in event.subjects:
                yield "erasures", {"notification_id": notification_id, "recorded_at": event.timestamp,
                                   "subject": subject}
        elif aggregate == "IntakeCursor" and name == "Advanced":
            yield "intake_ledger", {
                "notification_id": notification_id, "recorded_at": event.timestamp, "source": event.source,
                "first_position": event.first, "last_position": event.last, "accepted": event.accepted,
                "duplicates": event.duplicates, "rejected": len(event.rejected)}
            for seq, reject in enumerate(event.rejected):
                yield "intake_rejects", {
                    "notification_id": notification_id, "seq": seq, "recorded_at": event.timestamp,
                    "source": event.source, "position": reject["position"],
                    "message_id": reject["message_id"] or "", "reason": reject["reason"]}


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
