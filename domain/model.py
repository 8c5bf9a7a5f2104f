"""Aggregates of the population-flow model.

Style of the eventsourcing examples: commands check invariants with small `check_*` methods that raise named
errors (domain.errors), then trigger a named event whose body only changes state (it also runs on replay).
Every aggregate remembers the intake messages it has applied, so a message delivered twice has one effect.

Business time: events carry `occurred_at` (when it happened) besides the store's own recording timestamp.
Ordering rules (what may arrive late):
- a move-out may arrive before the move-in it ends (intake topics are separate); when it names a registration
  we do not know and is dated after everything we know, it is recorded as *unmatched* (no change of state, no
  population effect) and the late move-in is placed before it when it comes (ending, implicitly, whatever
  registration was current then); a repeated departure from the dwelling last left is `not_resident`;
- a move-out may arrive after a later move-in elsewhere already ended that registration implicitly; it is
  recorded as confirming that move-out (its date and reason), with no second change of registration;
- any other residency message dated before the person's latest residency fact is refused as `out_of_order`;
- lease end / stay check-out must be dated at or after their start (`end_before_start`);
- leases of one dwelling may not overlap in business time (`lease_overlap`); one dwelling's lease messages share
  a Kafka key, so they arrive in order; a late lease that fits wholly before the others (by its planned end) is
  accepted; a tenant's move-in and the lease travel on different topics, so whichever comes second links them;
- a late priority-person sighting is recorded where it happened, but only the newest one moves "last known
  grid" or derives left/returned-to-area events (a late sighting tells where they were, not where they are);
- a message naming a grid is judged by the grid drawn on its business date (`grid_not_in_force`), so history
  keeps the old grid after a split or merge;
- time passing is a fact source too: a stay with no check-out past its declared nights (+ grace) is recorded as
  `LeftOpen` by the clock, and a check-out arriving after that is still accepted.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import errors

NAMESPACE = uuid5(NAMESPACE_URL, "https://gridflow.invalid/aggregates")
STAY_GRACE = timedelta(hours=6)  # a stay counts as left open this long after its declared nights end
AREA_LEVELS = ("grid", "town", "district")  # a priority person's assigned area, innermost first


@lru_cache(maxsize=200_000)  # hot path: every message names its aggregates by natural key
def aggregate_id(kind: str, natural_key: str) -> UUID:
    """Deterministic ids: re-creating from a redelivered message names the same aggregate."""
    return uuid5(NAMESPACE, f"{kind}:{natural_key}")


class DuplicateMessage(Exception):
    """This message was already applied to the aggregate: no second effect."""


class IntakeAggregate(Aggregate):
    """Base: keeps the ids of applied intake messages (idempotency across redeliveries and republishing)."""

    triggered = 0  # events triggered on any intake aggregate: lets a batch tell whether a refused item changed state

    def __init__(self) -> None:
        self.applied_messages: set[str] = set()

    def trigger_event(self, event_class: type, **kwargs: object) -> None:
        IntakeAggregate.triggered += 1
        super().trigger_event(event_class, **kwargs)

    def check_not_applied(self, message_id: str) -> None:
        if message_id in self.applied_messages:
            raise DuplicateMessage(message_id)

    def _applied(self, message_id: str) -> None:
        self.applied_messages.add(message_id)


class Person(IntakeAggregate):
    """A resident: registered in at most one dwelling at a time."""

    @staticmethod
    def create_id(pseudonym: str) -> UUID:
        return aggregate_id("person", pseudonym)

    @event("Registered")
    def __init__(self, pseudonym: str, identity: dict) -> None:
        super().__init__()
        self.pseudonym = pseudonym
        self.identity = identity  # encrypted at rest with the rest of the event
        self.dwelling_id: str | None = None
        self.grid_code: str | None = None
        self.household_id: str | None = None
        self.last_residency_at: datetime | None = None  # the newest residency fact, in business time
        self.registered_since: datetime | None = None
        self.unmatched_move_out: dict | None = None  # a move-out seen before its move-in
        self.implicit_move_out: dict | None = None  # the last registration ended by a move-in elsewhere
        self.last_left_dwelling: str | None = None

    @property
    def is_resident(self) -> bool:
        return self.dwelling_id is not None

    # -- commands -------------------------------------------------------------------------------------------
    def move_in(self, *, message_id: str, occurred_at: datetime, dwelling_id: str, grid_code: str,
                household_id: str, reason: str, origin: str) -> None:
        self.check_not_applied(message_id)
        if self.fills_unmatched_move_out(occurred_at, dwelling_id):
            if self.is_resident and self.registered_since <= occurred_at:  # registered elsewhere meanwhile
                self._end_current_registration(message_id, occurred_at, grid_code)
            self._moved_in(message_id=message_id, occurred_at=occurred_at, dwelling_id=dwelling_id,
                           grid_code=grid_code, household_id=household_id, reason=reason, origin=origin,
                           closes_move_out=self.unmatched_move_out)
            return
        self.check_in_business_order(occurred_at)
        self.check_not_resident_in(dwelling_id)
        if self.is_resident:  # registering elsewhere ends the current registration
            self._end_current_registration(message_id, occurred_at, grid_code)
        self._moved_in(message_id=message_id, occurred_at=occurred_at, dwelling_id=dwelling_id,
                       grid_code=grid_code, household_id=household_id, reason=reason, origin=origin,
                       closes_move_out=None)

    def move_out(self, *, message_id: str, occurred_at: datetime, dwelling_id: str, grid_code: str,
                 reason: str, destination: str) -> None:
        self.check_not_applied(message_id)
        if self.confirms_implicit_move_out(dwelling_id, occurred_at):
            self._move_out_confirmed(message_id=message_id, occurred_at=occurred_at, dwelling_id=dwelling_id,
                                     grid_code=grid_code, reason=reason, destination=destination)
            return
        if self.is_resident and self.dwelling_id == dwelling_id:
            self.check_in_business_order(occurred_at)
            unmatched = False
        else:
            self.check_may_await_its_move_in(dwelling_id, occurred_at)
            unmatched = True
        self._moved_out(message_id=message_id, occurred_at=occurred_at, dwelling_id=dwelling_id,
                        grid_code=grid_code, reason=reason, destination=destination, implicit=False,
                        unmatched=unmatched)

    def _end_current_registration(self, message_id: str, occurred_at: datetime, destination: str) -> None:
        self._moved_out(message_id=message_id, occurred_at=occurred_at, dwelling_id=self.dwelling_id,
                        grid_code=self.grid_code, reason="implicit_by_move_in", destination=destination,
                        implicit=True, unmatched=False)

    # -- invariants -----------------------------------------------------------------------------------------
    def fills_unmatched_move_out(self, occurred_at: datetime, dwelling_id: str) -> bool:
        pending = self.unmatched_move_out
        return pending is not None and pending["dwelling_id"] == dwelling_id and occurred_at <= pending["at"]

    def confirms_implicit_move_out(self, dwelling_id: str, occurred_at: datetime) -> bool:
        """The explicit move-out of a registration that a later move-in already ended (arrived late)."""
        done = self.implicit_move_out
        return done is not None and done["dwelling_id"] == dwelling_id and occurred_at <= done["at"]

    def check_in_business_order(self, occurred_at: datetime) -> None:
        if self.last_residency_at is not None and occurred_at < self.last_residency_at:
            raise errors.OutOfOrder(f"dated {occurred_at.isoformat()}, before {self.last_residency_at.isoformat()}")

    def check_not_resident_in(self, dwelling_id: str) -> None:
        if self.dwelling_id == dwelling_id:
            raise errors.AlreadyResident(dwelling_id)

    def check_may_await_its_move_in(self, dwelling_id: str, occurred_at: datetime) -> None:
        """A move-out of a registration we do not know yet is held (its move-in travels on another topic)
        unless it repeats the departure we already have, or one is already waiting."""
        if dwelling_id == self.last_left_dwelling or self.unmatched_move_out is not None:
            raise errors.NotResident(f"no registration in {dwelling_id} to end")
        if self.last_residency_at is not None and occurred_at <= self.last_residency_at:
            if self.is_resident:
                raise errors.DwellingMismatch(f"registered in {self.dwelling_id}, not {dwelling_id}")
            raise errors.OutOfOrder(f"dated {occurred_at.isoformat()}, before {self.last_residency_at.isoformat()}")

    # -- events ---------------------------------------------------------------------------------------------
    @event("MovedIn")
    def _moved_in(self, message_id: str, occurred_at: datetime, dwelling_id: str, grid_code: str,
                  household_id: str, reason: str, origin: str, closes_move_out: dict | None) -> None:
        self._applied(message_id)
        if closes_move_out:  # placed before the move-out received earlier: the episode is already closed
            self.unmatched_move_out = None
            return
        self.dwelling_id, self.grid_code, self.household_id = dwelling_id, grid_code, household_id
        self.registered_since = occurred_at
        self.last_residency_at = max(occurred_at, self.last_residency_at or occurred_at)

    @event("MovedOut")
    def _moved_out(self, message_id: str, occurred_at: datetime, dwelling_id: str, grid_code: str,
                   reason: str, destination: str, implicit: bool, unmatched: bool) -> None:
        if not implicit:
            self._applied(message_id)
        if implicit:
            self.implicit_move_out = {"dwelling_id": dwelling_id, "at": occurred_at}
        self.last_left_dwelling = dwelling_id
        if unmatched:  # the registration it ends is not known yet: current state is untouched
            self.unmatched_move_out = {"dwelling_id": dwelling_id, "grid_code": grid_code, "at": occurred_at}
        else:
            self.dwelling_id = self.grid_code = self.household_id = None
        self.last_residency_at = max(occurred_at, self.last_residency_at or occurred_at)

    @event("MoveOutConfirmed")  # no change of registration: the move-in elsewhere already ended it
    def _move_out_confirmed(self, message_id: str, occurred_at: datetime, dwelling_id: str, grid_code: str,
                            reason: str, destination: str) -> None:
        self._applied(message_id)
        self.implicit_move_out = None


class Dwelling(IntakeAggregate):
    """Actual housing (实有房屋): its declared type and capacity, who is registered in it, and its leases.

    Arrivals and departures are kept in business time, so a departure received before the arrival it ends
    leaves the occupant out, as it should. More occupants than the declared capacity is recorded as a fact
    (`OverOccupied`), never refused: the registrations are true, the crowding is what a grid worker must see."""

    @staticmethod
    def create_id(dwelling_id: str) -> UUID:
        return aggregate_id("dwelling", dwelling_id)

    @event("Recorded")
    def __init__(self, dwelling_id: str, grid_code: str) -> None:
        super().__init__()
        self.dwelling_id = dwelling_id
        self.grid_code = grid_code
        self.latest: dict[str, list] = {}  # person → [when, present] of their newest fact (JSON-able for snapshots)
        self.dwelling_type: str | None = None
        self.capacity: int | None = None
        self.address = ""
        self.over_occupied = False
        self.leases: dict[str, dict] = {}  # lease id → {"start", "end", "tenants"} in business time

    @property
    def occupants(self) -> set[str]:
        return {person for person, (_, present) in self.latest.items() if present}

    # -- declared facts -------------------------------------------------------------------------------------
    def declare(self, *, dwelling_type: str | None, capacity: int | None, occurred_at: datetime,
                address: str = "") -> None:
        """Type, capacity and address as the latest source states them; only a change is recorded."""
        dwelling_type = dwelling_type or self.dwelling_type
        capacity = capacity or self.capacity
        address = address or self.address
        if (dwelling_type, capacity, address) != (self.dwelling_type, self.capacity, self.address):
            self._declared(dwelling_type=dwelling_type, capacity=capacity, occurred_at=occurred_at, address=address)
            self.assess_occupancy(occurred_at)

    @event("Declared")
    def _declared(self, dwelling_type: str | None, capacity: int | None, occurred_at: datetime,
                  address: str = "") -> None:
        self.dwelling_type, self.capacity, self.address = dwelling_type, capacity, address

    # -- occupancy ------------------------------------------------------------------------------------------
    def occupant_arrived(self, person: str, occurred_at: datetime) -> None:
        self._occupant_arrived(person=person, occurred_at=occurred_at)
        self.assess_occupancy(occurred_at)

    def occupant_left(self, person: str, occurred_at: datetime) -> None:
        self._occupant_left(person=person, occurred_at=occurred_at)
        self.assess_occupancy(occurred_at)

    def assess_occupancy(self, occurred_at: datetime) -> None:
        if self.capacity is None:
            return
        count = len(self.occupants)
        if count > self.capacity and not self.over_occupied:
            self._over_occupied(occupants=count, capacity=self.capacity, occurred_at=occurred_at,
                                dwelling_id=self.dwelling_id, grid_code=self.grid_code)
        elif count <= self.capacity and self.over_occupied:
            self._within_capacity(occupants=count, capacity=self.capacity, occurred_at=occurred_at,
                                  dwelling_id=self.dwelling_id, grid_code=self.grid_code)

    def _record(self, person: str, occurred_at: datetime, present: bool) -> None:
        known = self.latest.get(person)
        if known is None or occurred_at >= known[0]:
            self.latest[person] = [occurred_at, present]

    @event("OccupantArrived")
    def _occupant_arrived(self, person: str, occurred_at: datetime) -> None:
        self._record(person, occurred_at, True)

    @event("OccupantLeft")
    def _occupant_left(self, person: str, occurred_at: datetime) -> None:
        self._record(person, occurred_at, False)

    @event("OverOccupied")  # carries dwelling and grid so projections need no lookup
    def _over_occupied(self, occupants: int, capacity: int, occurred_at: datetime, dwelling_id: str,
                       grid_code: str) -> None:
        self.over_occupied = True

    @event("WithinCapacity")
    def _within_capacity(self, occupants: int, capacity: int, occurred_at: datetime, dwelling_id: str,
                         grid_code: str) -> None:
        self.over_occupied = False

    # -- leases ---------------------------------------------------------------------------------------------
    def check_no_overlapping_lease(self, lease_id: str, start: datetime, planned_end: datetime | None) -> None:
        """Two leases of one dwelling may not overlap in business time. A lease not yet ended runs on; a new
        lease is taken to run to its planned end (or on), so a late-registered earlier lease still fits."""
        for other_id, other in self.leases.items():
            other_runs_past_start = other["end"] is None or other["end"] > start
            new_runs_past_other = planned_end is None or planned_end > other["start"]
            if other_runs_past_start and new_runs_past_other:
                raise errors.LeaseOverlap(f"{lease_id} overlaps {other_id} on {self.dwelling_id}")

    def register_lease(self, *, lease_id: str, start: datetime, tenants: list[str]) -> None:
        self._lease_registered(lease_id=lease_id, start=start, tenants=tenants)

    def close_lease(self, *, lease_id: str, end: datetime) -> None:
        if lease_id in self.leases and self.leases[lease_id]["end"] is None:
            self._lease_closed(lease_id=lease_id, end=end)

    @event("LeaseRegistered")
    def _lease_registered(self, lease_id: str, start: datetime, tenants: list[str]) -> None:
        self.leases[lease_id] = {"start": start, "end": None, "tenants": tenants}

    @event("LeaseClosed")
    def _lease_closed(self, lease_id: str, end: datetime) -> None:
        self.leases[lease_id]["end"] = end

    def lease_of_tenant(self, person: str, occurred_at: datetime) -> str | None:
        """The lease naming this person as tenant that runs at that time, if any."""
        for lease_id, lease in self.leases.items():
            if person in lease["tenants"] and lease["start"] <= occurred_at and \
                    (lease["end"] is None or occurred_at < lease["end"]):
                return lease_id
        return None


class Lease(IntakeAggregate):
    """A rental of one dwelling: landlord, tenants, start and end."""

    @staticmethod
    def create_id(lease_id: str) -> UUID:
        return aggregate_id("lease", lease_id)

    @event("Started")
    def __init__(self, lease_id: str, message_id: str, occurred_at: datetime, dwelling_id: str, grid_code: str,
                 landlord: str, tenants: list[str], identities: dict, planned_end: str | None) -> None:
        super().__init__()
        self._applied(message_id)
        self.lease_id, self.dwelling_id, self.grid_code = lease_id, dwelling_id, grid_code
        self.landlord, self.tenants, self.identities = landlord, tenants, identities
        self.started_at = occurred_at
        self.ended_at: datetime | None = None
        self.resident_tenants: dict[str, datetime] = {}  # tenants who registered in the dwelling under it

    def link_tenant(self, person: str, occurred_at: datetime) -> None:
        """A tenant of this lease registered in its dwelling: the registration is linked to the lease."""
        if person in self.tenants and person not in self.resident_tenants:
            self._tenant_moved_in(person=person, occurred_at=occurred_at, dwelling_id=self.dwelling_id,
                                  grid_code=self.grid_code)

    @event("TenantMovedIn")
    def _tenant_moved_in(self, person: str, occurred_at: datetime, dwelling_id: str, grid_code: str) -> None:
        self.resident_tenants[person] = occurred_at

    def end(self, *, message_id: str, occurred_at: datetime) -> None:
        self.check_not_applied(message_id)
        self.check_not_ended()
        self.check_not_before_start(occurred_at)
        self._ended(message_id=message_id, occurred_at=occurred_at, dwelling_id=self.dwelling_id,
                    grid_code=self.grid_code)

    def check_not_ended(self) -> None:
        if self.ended_at is not None:
            raise errors.LeaseAlreadyEnded(self.lease_id)

    def check_not_before_start(self, occurred_at: datetime) -> None:
        if occurred_at < self.started_at:
            raise errors.EndBeforeStart(f"end {occurred_at.isoformat()} before start {self.started_at.isoformat()}")

    @staticmethod
    def check_planned_end(start: datetime, planned_end: datetime | None) -> None:
        if planned_end is not None and planned_end < start:
            raise errors.EndBeforeStart(f"planned end {planned_end.date()} before start {start.date()}")

    @event("Ended")  # carries dwelling and grid so projections need no lookup
    def _ended(self, message_id: str, occurred_at: datetime, dwelling_id: str, grid_code: str) -> None:
        self._applied(message_id)
        self.ended_at = occurred_at


class VisitorStay(IntakeAggregate):
    """One registered stay at a lodging establishment (hotel registration feed)."""

    @staticmethod
    def create_id(stay_id: str) -> UUID:
        return aggregate_id("stay", stay_id)

    class CheckedIn(Aggregate.Created):
        """Version 2: the guest's origin is a GB/T 2260 region code (6 digits); version 1 stored only the
        2-digit province as `origin_province`. Old events are upcast when read, never rewritten."""

        class_version = 2
        stay_id: str
        message_id: str
        occurred_at: datetime
        lodging_code: str
        grid_code: str
        guest: str
        identity: dict
        party_size: int
        nights: int
        origin_region: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["origin_region"] = state.pop("origin_province") + "0000"

    @event(CheckedIn)
    def __init__(self, stay_id: str, message_id: str, occurred_at: datetime, lodging_code: str, grid_code: str,
                 guest: str, identity: dict, party_size: int, nights: int, origin_region: str) -> None:
        super().__init__()
        self._applied(message_id)
        self.stay_id, self.lodging_code, self.grid_code = stay_id, lodging_code, grid_code
        self.guest, self.identity = guest, identity
        self.party_size, self.nights, self.origin_region = party_size, nights, origin_region
        self.checked_in_at = occurred_at
        self.checked_out_at: datetime | None = None
        self.left_open_at: datetime | None = None

    @property
    def due_at(self) -> datetime:
        """When the guest should have checked out: the declared nights, plus the grace a late departure gets."""
        return self.checked_in_at + timedelta(days=self.nights) + STAY_GRACE

    def check_out(self, *, message_id: str, occurred_at: datetime) -> None:
        self.check_not_applied(message_id)
        self.check_not_checked_out()
        self.check_not_before_check_in(occurred_at)
        self._checked_out(message_id=message_id, occurred_at=occurred_at, lodging_code=self.lodging_code,
                          grid_code=self.grid_code, party_size=self.party_size,
                          after_left_open=self.left_open_at is not None)

    def check_not_checked_out(self) -> None:
        if self.checked_out_at is not None:
            raise errors.AlreadyCheckedOut(self.stay_id)

    def check_not_before_check_in(self, occurred_at: datetime) -> None:
        if occurred_at < self.checked_in_at:
            raise errors.EndBeforeStart("check-out before check-in")

    def record_left_open(self, as_of: datetime) -> bool:
        """The clock passed the stay's due time with no check-out: record it as an open-stay fact (the party no
        longer counts as present; a later check-out is still accepted). False when there is nothing to record."""
        if self.checked_out_at is not None or self.left_open_at is not None or as_of < self.due_at:
            return False
        self._left_open(occurred_at=self.due_at, as_of=as_of, lodging_code=self.lodging_code,
                        grid_code=self.grid_code, party_size=self.party_size)
        return True

    @event("LeftOpen")  # occurred_at: when the stay fell due; as_of: when the clock noticed
    def _left_open(self, occurred_at: datetime, as_of: datetime, lodging_code: str, grid_code: str,
                   party_size: int) -> None:
        self.left_open_at = occurred_at

    @event("CheckedOut")  # carries lodging, grid and party size so projections need no lookup
    def _checked_out(self, message_id: str, occurred_at: datetime, lodging_code: str, grid_code: str,
                     party_size: int, after_left_open: bool = False) -> None:
        self._applied(message_id)
        self.checked_out_at = occurred_at


class PriorityPerson(IntakeAggregate):
    """A person under management (category from configuration), with an assigned grid and responsible worker."""

    @staticmethod
    def create_id(pseudonym: str) -> UUID:
        return aggregate_id("priority", pseudonym)

    @event("Enrolled")
    def __init__(self, pseudonym: str, identity: dict, category: str, assigned_grid: str,
                 responsible_worker: str) -> None:
        super().__init__()
        self.pseudonym, self.identity, self.category = pseudonym, identity, category
        self.assigned_grid, self.responsible_worker = assigned_grid, responsible_worker
        self.last_grid: str | None = None
        self.last_seen_at: datetime | None = None
        self.away: set[str] = set()  # levels ("grid", "town", "district") the person is currently outside of

    def record_movement(self, *, message_id: str, occurred_at: datetime, movement: str, grid_code: str,
                        place: str, outside: set[str]) -> None:
        """`outside`: the levels of the assigned area this place lies outside of (the caller knows the map)."""
        self.check_not_applied(message_id)
        is_newest = self.last_seen_at is None or occurred_at >= self.last_seen_at
        self._moved(message_id=message_id, occurred_at=occurred_at, movement=movement, grid_code=grid_code,
                    place=place, category=self.category, assigned_grid=self.assigned_grid)
        if not is_newest:  # a late sighting tells where they were, not where they are
            return
        for level in AREA_LEVELS:
            if level in outside and level not in self.away:
                self._left_assigned_area(level=level, grid_code=grid_code, occurred_at=occurred_at,
                                         assigned_grid=self.assigned_grid)
            elif level not in outside and level in self.away:
                self._returned_to_assigned_area(level=level, grid_code=grid_code, occurred_at=occurred_at,
                                                assigned_grid=self.assigned_grid)

    # assigned_grid: whose worker must know (the alert goes to the assigned grid, not where the person went)
    @event("LeftAssignedArea")
    def _left_assigned_area(self, level: str, grid_code: str, occurred_at: datetime, assigned_grid: str = "") -> None:
        self.away.add(level)

    @event("ReturnedToAssignedArea")
    def _returned_to_assigned_area(self, level: str, grid_code: str, occurred_at: datetime,
                                   assigned_grid: str = "") -> None:
        self.away.discard(level)

    @event("Moved")
    def _moved(self, message_id: str, occurred_at: datetime, movement: str, grid_code: str, place: str,
               category: str, assigned_grid: str) -> None:
        self._applied(message_id)
        if self.last_seen_at is None or occurred_at >= self.last_seen_at:  # late sightings do not move "last known"
            self.last_grid, self.last_seen_at = grid_code, occurred_at


class ScenicDay(IntakeAggregate):
    """Gate counts of one scenic area on one day (ticket-gate counters: numbers only, no persons). One
    aggregate per area-day keeps the message ids it remembers bounded."""

    @staticmethod
    def create_id(area_code: str, day: str) -> UUID:
        return aggregate_id("scenic-day", f"{area_code}:{day}")

    @event("Opened")
    def __init__(self, area_code: str, day: str, grid_code: str) -> None:  # day: ISO date
        super().__init__()
        self.area_code, self.day, self.grid_code = area_code, day, grid_code
        self.intervals: dict[str, list[int]] = {}  # interval start (ISO) → [entries, exits]

    def count(self, *, message_id: str, occurred_at: datetime, interval_minutes: int, entries: int,
              exits: int) -> None:
        self.check_not_applied(message_id)
        self.check_interval_not_counted(occurred_at)
        self._counted(message_id=message_id, occurred_at=occurred_at, interval_minutes=interval_minutes,
                      entries=entries, exits=exits, area_code=self.area_code, grid_code=self.grid_code)

    def check_interval_not_counted(self, occurred_at: datetime) -> None:
        if occurred_at.isoformat() in self.intervals:
            raise errors.IntervalAlreadyCounted(f"{self.area_code} at {occurred_at.isoformat()}")

    @event("Counted")  # occurred_at: the start of the counting interval
    def _counted(self, message_id: str, occurred_at: datetime, interval_minutes: int, entries: int, exits: int,
                 area_code: str, grid_code: str) -> None:
        self._applied(message_id)
        self.intervals[occurred_at.isoformat()] = [entries, exits]


class Erasure(Aggregate):
    """Tombstone of a person forgotten on request (PIPL): their key is destroyed; projections drop what links
    rows to them (`subjects`), counts stay."""

    @staticmethod
    def create_id(pseudonym: str) -> UUID:
        return aggregate_id("erasure", pseudonym)

    @event("Forgotten")
    def __init__(self, pseudonym: str, subjects: list[str], reason: str, requested_by: str) -> None:
        self.pseudonym, self.subjects, self.reason, self.requested_by = pseudonym, subjects, reason, requested_by


class IntakeCursor(Aggregate):
    """Position reached in one ordered intake source (e.g. a Kafka topic partition), saved in the same
    transaction as the effects of the messages up to it; also the ledger of what was refused and why."""

    @staticmethod
    def create_id(source: str) -> UUID:
        return aggregate_id("cursor", source)

    @event("Opened")
    def __init__(self, source: str) -> None:
        self.source = source
        self.position = -1

    @event("Advanced")
    def advance(self, source: str, first: int, last: int, accepted: int, duplicates: int,
                rejected: list[dict]) -> None:
        self.position = last
