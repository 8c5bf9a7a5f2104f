"""Residents and the dwellings they are registered in (实有人口, 实有房屋)."""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain import errors
from domain.aggregates import IntakeAggregate, aggregate_id


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

    @event("Recorded")  # with what its first source declared (events of earlier releases carry no declaration)
    def __init__(self, dwelling_id: str, grid_code: str, dwelling_type: str | None = None,
                 capacity: int | None = None, address: str = "") -> None:
        super().__init__()
        self.dwelling_id = dwelling_id
        self.grid_code = grid_code
        self.latest: dict[str, list] = {}  # person → [when, present] of their newest fact (JSON-able for snapshots)
        self.dwelling_type, self.capacity, self.address = dwelling_type, capacity, address
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
