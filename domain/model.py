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
- lease end / stay check-out must be dated at or after their start (`end_before_start`).
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import errors

NAMESPACE = uuid5(NAMESPACE_URL, "https://gridflow.invalid/aggregates")


@lru_cache(maxsize=200_000)  # hot path: every message names its aggregates by natural key
def aggregate_id(kind: str, natural_key: str) -> UUID:
    """Deterministic ids: re-creating from a redelivered message names the same aggregate."""
    return uuid5(NAMESPACE, f"{kind}:{natural_key}")


class DuplicateMessage(Exception):
    """This message was already applied to the aggregate: no second effect."""


class IntakeAggregate(Aggregate):
    """Base: keeps the ids of applied intake messages (idempotency across redeliveries and republishing)."""

    def __init__(self) -> None:
        self.applied_messages: set[str] = set()

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
    """Actual housing (实有房屋): who is registered in it. Arrivals and departures are kept in business time,
    so a departure that was received before the arrival it ends leaves the occupant out, as it should."""

    @staticmethod
    def create_id(dwelling_id: str) -> UUID:
        return aggregate_id("dwelling", dwelling_id)

    @event("Recorded")
    def __init__(self, dwelling_id: str, grid_code: str) -> None:
        super().__init__()
        self.dwelling_id = dwelling_id
        self.grid_code = grid_code
        self.latest: dict[str, list] = {}  # person → [when, present] of their newest fact (JSON-able for snapshots)

    @property
    def occupants(self) -> set[str]:
        return {person for person, (_, present) in self.latest.items() if present}

    def _record(self, person: str, occurred_at: datetime, present: bool) -> None:
        known = self.latest.get(person)
        if known is None or occurred_at >= known[0]:
            self.latest[person] = [occurred_at, present]

    @event("OccupantArrived")
    def occupant_arrived(self, person: str, occurred_at: datetime) -> None:
        self._record(person, occurred_at, True)

    @event("OccupantLeft")
    def occupant_left(self, person: str, occurred_at: datetime) -> None:
        self._record(person, occurred_at, False)


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

    def check_out(self, *, message_id: str, occurred_at: datetime) -> None:
        self.check_not_applied(message_id)
        if self.checked_out_at is not None:
            raise errors.AlreadyCheckedOut(self.stay_id)
        if occurred_at < self.checked_in_at:
            raise errors.EndBeforeStart("check-out before check-in")
        self._checked_out(message_id=message_id, occurred_at=occurred_at, lodging_code=self.lodging_code,
                          grid_code=self.grid_code, party_size=self.party_size)

    @event("CheckedOut")  # carries lodging, grid and party size so projections need no lookup
    def _checked_out(self, message_id: str, occurred_at: datetime, lodging_code: str, grid_code: str,
                     party_size: int) -> None:
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
        self.away: set[str] = set()  # levels ("grid", "town") the person is currently outside of

    def record_movement(self, *, message_id: str, occurred_at: datetime, movement: str, grid_code: str,
                        place: str, outside: set[str]) -> None:
        """`outside`: the levels of the assigned area this place lies outside of (the caller knows the map)."""
        self.check_not_applied(message_id)
        is_newest = self.last_seen_at is None or occurred_at >= self.last_seen_at
        self._moved(message_id=message_id, occurred_at=occurred_at, movement=movement, grid_code=grid_code,
                    place=place, category=self.category, assigned_grid=self.assigned_grid)
        if not is_newest:  # a late sighting tells where they were, not where they are
            return
        for level in ("grid", "town"):
            if level in outside and level not in self.away:
                self._left_assigned_area(level=level, grid_code=grid_code, occurred_at=occurred_at)
            elif level not in outside and level in self.away:
                self._returned_to_assigned_area(level=level, grid_code=grid_code, occurred_at=occurred_at)

    @event("LeftAssignedArea")
    def _left_assigned_area(self, level: str, grid_code: str, occurred_at: datetime) -> None:
        self.away.add(level)

    @event("ReturnedToAssignedArea")
    def _returned_to_assigned_area(self, level: str, grid_code: str, occurred_at: datetime) -> None:
        self.away.discard(level)

    @event("Moved")
    def _moved(self, message_id: str, occurred_at: datetime, movement: str, grid_code: str, place: str,
               category: str, assigned_grid: str) -> None:
        self._applied(message_id)
        if self.last_seen_at is None or occurred_at >= self.last_seen_at:  # late sightings do not move "last known"
            self.last_grid, self.last_seen_at = grid_code, occurred_at


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
