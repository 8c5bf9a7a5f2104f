"""The Population application: applies batches of intake commands and saves each batch in one transaction,
together with the position reached in every intake source (so a redelivered message has no second effect)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from domain import commands as c
from domain import errors
from domain.geography import Geography
from domain.identity import Pseudonymizer
from domain.keyring import FORGOTTEN, MemoryKeyring, SqlKeyring, seal, unseal
from domain.model import (
    DuplicateMessage,
    Dwelling,
    Erasure,
    IntakeAggregate,
    IntakeCursor,
    Lease,
    Person,
    PriorityPerson,
    ScenicDay,
    VisitorStay,
)
from domain.recorders import (
    RECORDER_FOR,
    KeyedPostgresRecorder,
    KeyedSQLiteRecorder,
    NoCipher,
    SetAsSortedList,
    stored_originator_ids,
)

A = TypeVar("A", bound=IntakeAggregate)
DEFAULT_PRIORITY_CATEGORIES = (
    "community_correction", "released_after_sentence", "mental_illness_risk", "drug_rehabilitation",
)


@dataclass
class IntakeItem:
    """One message from an ordered source: a command, or the reason it was refused before reaching the model."""

    source: str
    position: int
    command: c.Command | None = None
    rejected: errors.Rejected | None = None
    message_id: str | None = None


@dataclass
class Outcome:
    item: IntakeItem
    status: str  # accepted | duplicate | redelivered | rejected
    reason: str = ""
    detail: str = ""


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rejects(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "rejected"]


class UnitOfWork:
    """The aggregates one batch touches, each loaded once (or created), all saved together."""

    def __init__(self, app: Application, absent: set[UUID]):
        self.app = app
        self.touched: dict[UUID, Any] = {}
        self.absent = absent  # ids known (by one bulk query) not to be stored yet

    def get(self, cls: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id in self.touched:
            return self.touched[aggregate_id]
        if aggregate_id in self.absent:
            return None
        try:
            aggregate = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        self.touched[aggregate_id] = aggregate
        return aggregate

    def add(self, aggregate: A) -> A:
        self.absent.discard(aggregate.id)
        self.touched[aggregate.id] = aggregate
        return aggregate


def identities_in(cmd: c.Command) -> tuple[c.PersonIdentity, ...]:
    if isinstance(cmd, (c.MoveIn, c.MoveOut, c.PriorityMovement)):
        return (cmd.person,)
    if isinstance(cmd, c.StartLease):
        return (cmd.landlord, *cmd.tenants)
    if isinstance(cmd, c.CheckIn):
        return (cmd.guest,)
    return ()


class Population(Application):
    name = "Population"
    # Dwellings and priority persons live for years and gather many events: read them from a snapshot.
    snapshotting_intervals: ClassVar[dict[type, int]] = {Dwelling: 100, PriorityPerson: 100}
    env = {
        "AGGREGATE_CACHE_MAXSIZE": "200000",
        # One writer per store: cached aggregates need no re-read, and copying them per command is waste.
        "AGGREGATE_CACHE_FASTFORWARD": "n",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    }

    def __init__(self, env: dict[str, str] | None = None, *, geography: Geography | None = None,
                 pseudonymize: Pseudonymizer | None = None,
                 priority_categories: Sequence[str] = DEFAULT_PRIORITY_CATEGORIES, keyring: Any = None):
        env = dict(env or {})
        if env.get("PERSISTENCE_MODULE") in RECORDER_FOR:  # person keys are written with the events
            env.setdefault("APPLICATION_RECORDER_TOPIC", RECORDER_FOR[env["PERSISTENCE_MODULE"]])
        super().__init__(env)
        if keyring is None:
            sql = isinstance(self.recorder, (KeyedSQLiteRecorder, KeyedPostgresRecorder))
            keyring = SqlKeyring(self.recorder.datastore, self.mapper.cipher or NoCipher(),
                                 postgres=isinstance(self.recorder, KeyedPostgresRecorder)) if sql else MemoryKeyring()
        self.keyring = keyring
        self.geography = geography
        self.pseudonymize = pseudonymize
        self.priority_categories = frozenset(priority_categories)
        self._handlers: dict[type, Callable[[UnitOfWork, Any], None]] = {
            c.MoveIn: self._move_in, c.MoveOut: self._move_out, c.StartLease: self._start_lease,
            c.EndLease: self._end_lease, c.CheckIn: self._check_in, c.CheckOut: self._check_out,
            c.PriorityMovement: self._priority_movement, c.GateCount: self._gate_count,
        }
        self._cursors: dict[str, IntakeCursor] = {}

    # -- the one command ------------------------------------------------------------------------------------
    def process(self, batch: Sequence[IntakeItem],
                before_commit: Callable[[BatchResult], None] | None = None, attempts: int = 5) -> BatchResult:
        """Apply a batch; call `before_commit` with the outcomes (e.g. to publish rejects), then save it all in
        one transaction. A conflicting concurrent writer makes the batch re-run on fresh state."""
        self.keyring.prefetch(self._pseudonym(p) for item in batch if item.command
                              for p in identities_in(item.command))
        for attempt in range(attempts):
            unit = UnitOfWork(self, self._absent_ids(batch))
            result = self._decide(unit, batch)
            if before_commit is not None:
                before_commit(result)
            new_keys = self.keyring.take_new()
            try:
                self._save_batch(unit, new_keys)
                return result
            except IntegrityError:
                self.keyring.forget_new(new_keys)
                self._forget(unit)
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def _decide(self, unit: UnitOfWork, batch: Sequence[IntakeItem]) -> BatchResult:
        result = BatchResult()
        by_source: dict[str, list[Outcome]] = {}
        for item in batch:
            cursor = self._cursor(unit, item.source)
            if item.position <= cursor.position:
                result.outcomes.append(Outcome(item, "redelivered"))
                continue
            outcome = self._apply(unit, item)
            result.outcomes.append(outcome)
            by_source.setdefault(item.source, []).append(outcome)
        for source, outcomes in by_source.items():
            rejected = [{"position": o.item.position, "message_id": o.item.message_id, "reason": o.reason}
                        for o in outcomes if o.status == "rejected"]
            self._cursor(unit, source).advance(
                source=source, first=outcomes[0].item.position, last=max(o.item.position for o in outcomes),
                accepted=sum(o.status == "accepted" for o in outcomes),
                duplicates=sum(o.status == "duplicate" for o in outcomes), rejected=rejected)
        return result

    def _apply(self, unit: UnitOfWork, item: IntakeItem) -> Outcome:
        if item.rejected is not None:
            return Outcome(item, "rejected", item.rejected.reason, item.rejected.detail)
        assert item.command is not None
        try:
            self._handlers[type(item.command)](unit, item.command)
        except DuplicateMessage:
            return Outcome(item, "duplicate")
        except errors.Rejected as rejected:
            return Outcome(item, "rejected", rejected.reason, rejected.detail)
        return Outcome(item, "accepted")

    def _cursor(self, unit: UnitOfWork, source: str) -> IntakeCursor:
        cursor = self._cursors.get(source)
        if cursor is None:
            cursor = unit.get(IntakeCursor, IntakeCursor.create_id(source)) or IntakeCursor(source=source)
            self._cursors[source] = cursor
        unit.add(cursor)
        return cursor

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SetAsSortedList())

    def _save_batch(self, unit: UnitOfWork, new_keys: list[tuple[str, bytes]]) -> None:
        """Application.save, minus its per-object protocol checks (measurable at thousands of aggregates per
        batch): every touched object here is one of our aggregates. Same store call, cache updates, snapshots."""
        pending = {aggregate.id: aggregate.collect_events() for aggregate in unit.touched.values()}
        self.events.put([event for events in pending.values() for event in events], person_keys=new_keys)
        for aggregate in unit.touched.values():
            if self.repository.cache is not None:
                self.repository.cache.put(aggregate.id, aggregate)
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval and any(e.originator_version % interval == 0 for e in pending[aggregate.id]):
                self.take_snapshot(aggregate.id)

    def _forget(self, unit: UnitOfWork) -> None:
        """Drop every cached object the failed batch touched: they hold changes that were never stored."""
        self._cursors.clear()
        if self.repository.cache is not None:
            for aggregate_id in unit.touched:
                try:
                    self.repository.cache.get(aggregate_id, evict=True)
                except KeyError:
                    pass

    # -- one query per batch instead of one per new aggregate ------------------------------------------------
    def _candidate_ids(self, cmd: c.Command) -> list[UUID]:
        if isinstance(cmd, (c.MoveIn, c.MoveOut)):
            return [Person.create_id(self._pseudonym(cmd.person)), Dwelling.create_id(cmd.dwelling_id)]
        if isinstance(cmd, c.StartLease):
            return [Lease.create_id(cmd.lease_id), Dwelling.create_id(cmd.dwelling_id)]
        if isinstance(cmd, c.EndLease):
            return [Lease.create_id(cmd.lease_id)]
        if isinstance(cmd, (c.CheckIn, c.CheckOut)):
            return [VisitorStay.create_id(cmd.stay_id)]
        if isinstance(cmd, c.PriorityMovement):
            return [PriorityPerson.create_id(self._pseudonym(cmd.person))]
        if isinstance(cmd, c.GateCount):
            return [ScenicDay.create_id(cmd.scenic_area, cmd.occurred_at.date().isoformat())]
        return []

    def _absent_ids(self, batch: Sequence[IntakeItem]) -> set[UUID]:
        cache = self.repository.cache.cache if self.repository.cache is not None else {}
        wanted = {i for item in batch if item.command is not None
                  for i in self._candidate_ids(item.command) if i not in cache}
        stored = stored_originator_ids(self.recorder, wanted)
        return set() if stored is None else wanted - stored

    # -- reference checks -----------------------------------------------------------------------------------
    def check_grid(self, grid_code: str, occurred_at: datetime) -> None:
        """The grid exists and was drawn as such on that (business) day: history keeps retired grids."""
        if self.geography is None:
            return
        grid = self.geography.grids.get(grid_code)
        if grid is None:
            raise errors.UnknownGrid(grid_code)
        if not grid.in_force(occurred_at.date()):
            raise errors.GridNotInForce(f"{grid_code} is drawn {grid.valid_from or '…'} to {grid.valid_to or '…'}"
                                        f" ({' '.join(grid.replaced_by) or 'new'})")

    def lodging_grid(self, lodging_code: str) -> str:
        assert self.geography is not None
        lodging = self.geography.lodgings.get(lodging_code)
        if lodging is None:
            raise errors.UnknownLodging(lodging_code)
        return lodging.grid_code

    def _pseudonym(self, person: c.PersonIdentity) -> str:
        assert self.pseudonymize is not None, "a Pseudonymizer is needed to apply commands"
        return self.pseudonymize(person.id_number)

    def _identity(self, person: c.PersonIdentity) -> dict[str, str]:
        """Personal data sealed with the person's own key (crypto-shredding), inside the encrypted event."""
        identity = {"id_number": person.id_number, "name": person.name, "phone": person.phone}
        return {"sealed": seal(self.keyring.key_for(self._pseudonym(person)), identity)}

    def identity_of(self, pseudonym: str, sealed: dict[str, str]) -> dict[str, Any]:
        """The identity in an event, or a forgotten marker once the person's key is destroyed."""
        key = self.keyring.existing_key(pseudonym)
        return FORGOTTEN if key is None else unseal(key, sealed["sealed"])

    # -- erasure --------------------------------------------------------------------------------------------
    def forget(self, pseudonym: str, reason: str, requested_by: str) -> bool:
        """Destroy the person's key and record a tombstone; False if already forgotten. Counts are untouched:
        events stay, only the personal fields in them become unreadable."""
        try:
            self.repository.get(Erasure.create_id(pseudonym))
            return False
        except AggregateNotFoundError:
            pass
        self.keyring.destroy(pseudonym)
        subjects = [Person.create_id(pseudonym).hex, PriorityPerson.create_id(pseudonym).hex]
        self.save(Erasure(pseudonym=pseudonym, subjects=subjects, reason=reason, requested_by=requested_by))
        return True

    # -- the clock --------------------------------------------------------------------------------------------
    def record_open_stays(self, stays: Sequence[UUID], as_of: datetime, attempts: int = 5) -> int:
        """Stays past their declared nights with no check-out become open-stay facts (one transaction; a
        conflicting concurrent writer makes it re-run). Candidates come from a read model; the stay decides."""
        for attempt in range(attempts):
            unit = UnitOfWork(self, set())
            recorded = sum(stay.record_left_open(as_of) for stay_aggregate_id in stays
                           if (stay := unit.get(VisitorStay, stay_aggregate_id)) is not None)
            try:
                self._save_batch(unit, [])
                return recorded
            except IntegrityError:
                self._forget(unit)
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    # -- handlers: check references, then let the aggregates enforce their rules ------------------------------
    def _person(self, unit: UnitOfWork, person: c.PersonIdentity) -> Person:
        pseudonym = self._pseudonym(person)
        found = unit.get(Person, Person.create_id(pseudonym))
        return found or unit.add(Person(pseudonym=pseudonym, identity=self._identity(person)))

    def _dwelling(self, unit: UnitOfWork, dwelling_id: str, grid_code: str) -> Dwelling:
        found = unit.get(Dwelling, Dwelling.create_id(dwelling_id))
        return found or unit.add(Dwelling(dwelling_id=dwelling_id, grid_code=grid_code))

    def _move_in(self, unit: UnitOfWork, cmd: c.MoveIn) -> None:
        self.check_grid(cmd.grid_code, cmd.occurred_at)
        person = self._person(unit, cmd.person)
        previous, previous_grid = person.dwelling_id, person.grid_code
        person.move_in(message_id=cmd.message_id, occurred_at=cmd.occurred_at, dwelling_id=cmd.dwelling_id,
                       grid_code=cmd.grid_code, household_id=cmd.household_id, reason=cmd.reason,
                       origin=cmd.origin)
        if previous is not None and previous != person.dwelling_id:
            self._dwelling(unit, previous, previous_grid).occupant_left(
                person=person.pseudonym, occurred_at=cmd.occurred_at)
        dwelling = self._dwelling(unit, cmd.dwelling_id, cmd.grid_code)
        dwelling.declare(dwelling_type=cmd.dwelling_type or None, capacity=cmd.dwelling_capacity,
                         occurred_at=cmd.occurred_at, address=cmd.dwelling_address)
        dwelling.occupant_arrived(person=person.pseudonym, occurred_at=cmd.occurred_at)
        lease_id = dwelling.lease_of_tenant(person.pseudonym, cmd.occurred_at)
        if lease_id is not None:
            unit.get(Lease, Lease.create_id(lease_id)).link_tenant(person.pseudonym, cmd.occurred_at)

    def _move_out(self, unit: UnitOfWork, cmd: c.MoveOut) -> None:
        self.check_grid(cmd.grid_code, cmd.occurred_at)
        person = self._person(unit, cmd.person)
        only_confirms = person.confirms_implicit_move_out(cmd.dwelling_id, cmd.occurred_at)
        person.move_out(message_id=cmd.message_id, occurred_at=cmd.occurred_at, dwelling_id=cmd.dwelling_id,
                        grid_code=cmd.grid_code, reason=cmd.reason, destination=cmd.destination)
        if not only_confirms:
            self._dwelling(unit, cmd.dwelling_id, cmd.grid_code).occupant_left(
                person=person.pseudonym, occurred_at=cmd.occurred_at)

    def _start_lease(self, unit: UnitOfWork, cmd: c.StartLease) -> None:
        self.check_grid(cmd.grid_code, cmd.occurred_at)
        existing = unit.get(Lease, Lease.create_id(cmd.lease_id))
        if existing is not None:
            existing.check_not_applied(cmd.message_id)
            raise errors.LeaseExists(cmd.lease_id)
        dwelling = self._dwelling(unit, cmd.dwelling_id, cmd.grid_code)
        planned_end = datetime.combine(cmd.planned_end, cmd.occurred_at.timetz()) if cmd.planned_end else None
        dwelling.check_no_overlapping_lease(cmd.lease_id, cmd.occurred_at, planned_end)
        people = (cmd.landlord, *cmd.tenants)
        tenants = [self._pseudonym(t) for t in cmd.tenants]
        lease = unit.add(Lease(
            lease_id=cmd.lease_id, message_id=cmd.message_id, occurred_at=cmd.occurred_at,
            dwelling_id=cmd.dwelling_id, grid_code=cmd.grid_code, landlord=self._pseudonym(cmd.landlord),
            tenants=tenants, identities={self._pseudonym(p): self._identity(p) for p in people},
            planned_end=cmd.planned_end.isoformat() if cmd.planned_end else None))
        dwelling.lease_registered(lease_id=cmd.lease_id, start=cmd.occurred_at, tenants=tenants)
        dwelling.declare(dwelling_type="rented", capacity=cmd.dwelling_capacity, occurred_at=cmd.occurred_at)
        for tenant in sorted(dwelling.occupants & set(tenants)):  # moved in before the lease message came
            lease.link_tenant(tenant, cmd.occurred_at)

    def _end_lease(self, unit: UnitOfWork, cmd: c.EndLease) -> None:
        lease = unit.get(Lease, Lease.create_id(cmd.lease_id))
        if lease is None:
            raise errors.UnknownLease(cmd.lease_id)
        lease.end(message_id=cmd.message_id, occurred_at=cmd.occurred_at)
        self._dwelling(unit, lease.dwelling_id, lease.grid_code).lease_closed(
            lease_id=cmd.lease_id, end=cmd.occurred_at)

    def _check_in(self, unit: UnitOfWork, cmd: c.CheckIn) -> None:
        grid_code = self.lodging_grid(cmd.lodging_code)
        existing = unit.get(VisitorStay, VisitorStay.create_id(cmd.stay_id))
        if existing is not None:
            existing.check_not_applied(cmd.message_id)
            raise errors.AlreadyCheckedIn(cmd.stay_id)
        unit.add(VisitorStay(
            stay_id=cmd.stay_id, message_id=cmd.message_id, occurred_at=cmd.occurred_at,
            lodging_code=cmd.lodging_code, grid_code=grid_code, guest=self._pseudonym(cmd.guest),
            identity=self._identity(cmd.guest), party_size=cmd.party_size, nights=cmd.nights,
            origin_region=cmd.origin_region))

    def _check_out(self, unit: UnitOfWork, cmd: c.CheckOut) -> None:
        stay = unit.get(VisitorStay, VisitorStay.create_id(cmd.stay_id))
        if stay is None:
            raise errors.StayNotFound(cmd.stay_id)
        stay.check_out(message_id=cmd.message_id, occurred_at=cmd.occurred_at)

    def _priority_movement(self, unit: UnitOfWork, cmd: c.PriorityMovement) -> None:
        self.check_grid(cmd.assigned_grid, cmd.occurred_at)
        if cmd.grid_code or self.in_district(cmd.region):
            self.check_grid(cmd.grid_code, cmd.occurred_at)  # inside the district a place is named by its grid
        if cmd.category not in self.priority_categories:
            raise errors.UnknownCategory(cmd.category)
        pseudonym = self._pseudonym(cmd.person)
        person = unit.get(PriorityPerson, PriorityPerson.create_id(pseudonym)) or unit.add(PriorityPerson(
            pseudonym=pseudonym, identity=self._identity(cmd.person), category=cmd.category,
            assigned_grid=cmd.assigned_grid, responsible_worker=cmd.responsible_worker))
        person.record_movement(message_id=cmd.message_id, occurred_at=cmd.occurred_at, movement=cmd.movement,
                               grid_code=cmd.grid_code, place=cmd.place or cmd.region,
                               outside=self.levels_outside(person.assigned_grid, cmd.grid_code))

    def _gate_count(self, unit: UnitOfWork, cmd: c.GateCount) -> None:
        area = self.geography.scenic_areas.get(cmd.scenic_area) if self.geography is not None else None
        if area is None:
            raise errors.UnknownScenicArea(cmd.scenic_area)
        day_id = ScenicDay.create_id(cmd.scenic_area, cmd.occurred_at.date().isoformat())
        day = unit.get(ScenicDay, day_id) or unit.add(ScenicDay(
            area_code=cmd.scenic_area, day=cmd.occurred_at.date().isoformat(), grid_code=area.grid_code))
        day.count(message_id=cmd.message_id, occurred_at=cmd.occurred_at, interval_minutes=cmd.interval_minutes,
                  entries=cmd.entries, exits=cmd.exits)

    def in_district(self, region: str) -> bool:
        return self.geography is None or region.startswith(self.geography.district_code)

    def levels_outside(self, assigned_grid: str, grid_code: str) -> set[str]:
        """Which levels of the assigned area ("grid", "town", "district") a place lies outside of; a place
        without a grid is outside the district."""
        if not grid_code:
            return {"grid", "town", "district"}
        outside = set() if grid_code == assigned_grid else {"grid"}
        if self.geography is not None and \
                self.geography.town_of_grid(grid_code) != self.geography.town_of_grid(assigned_grid):
            outside.add("town")
        return outside
