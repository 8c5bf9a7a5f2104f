"""One handler per intake command (cosmicpython's handlers): check references, then let the aggregates enforce
their rules. Each registry entry also declares which aggregates the command may touch (for the batch's one
existence query) and which identities it carries (their keys are fetched once per batch)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import commands as c
from domain import errors
from domain.intake import UnitOfWork
from domain.model import Dwelling, Lease, Person, PriorityPerson, ScenicDay, VisitorStay

if TYPE_CHECKING:
    from domain.application import Population

Pseudonym = Callable[[c.PersonIdentity], str]


@dataclass(frozen=True)
class Handler:
    apply: Callable[[Population, UnitOfWork, Any], None]
    identities: Callable[[Any], tuple[c.PersonIdentity, ...]]
    touches: Callable[[Pseudonym, Any], list[UUID]]


HANDLERS: dict[type[c.Command], Handler] = {}


def handles(command: type[c.Command], *, touches: Callable[[Pseudonym, Any], list[UUID]],
            identities: Callable[[Any], tuple[c.PersonIdentity, ...]] = lambda cmd: ()) -> Callable:
    def register(apply: Callable[[Population, UnitOfWork, Any], None]) -> Callable:
        HANDLERS[command] = Handler(apply, identities, touches)
        return apply
    return register


def _person(app: Population, unit: UnitOfWork, who: c.PersonIdentity) -> Person:
    pseudonym = app.pseudonym(who)
    return unit.get(Person, Person.create_id(pseudonym)) or unit.add(
        Person(pseudonym=pseudonym, identity=app.sealed_identity(who)))


def _dwelling(unit: UnitOfWork, dwelling_id: str, grid_code: str, **declared: Any) -> Dwelling:
    """The dwelling; a new one is recorded with what this source declares of it (one event, not two)."""
    return unit.get(Dwelling, Dwelling.create_id(dwelling_id)) or unit.add(
        Dwelling(dwelling_id=dwelling_id, grid_code=grid_code, **declared))


def _residency_touches(pseudonym: Pseudonym, cmd: c.MoveIn | c.MoveOut) -> list[UUID]:
    return [Person.create_id(pseudonym(cmd.person)), Dwelling.create_id(cmd.dwelling_id)]


@handles(c.MoveIn, touches=_residency_touches, identities=lambda cmd: (cmd.person,))
def move_in(app: Population, unit: UnitOfWork, cmd: c.MoveIn) -> None:
    app.geography.check_grid(cmd.grid_code, cmd.occurred_at)
    person = _person(app, unit, cmd.person)
    previous, previous_grid = person.dwelling_id, person.grid_code
    person.move_in(message_id=cmd.message_id, occurred_at=cmd.occurred_at, dwelling_id=cmd.dwelling_id,
                   grid_code=cmd.grid_code, household_id=cmd.household_id, reason=cmd.reason, origin=cmd.origin)
    if previous is not None and previous != person.dwelling_id:
        _dwelling(unit, previous, previous_grid).occupant_left(person=person.pseudonym, occurred_at=cmd.occurred_at)
    declared = {"dwelling_type": cmd.dwelling_type or None, "capacity": cmd.dwelling_capacity,
                "address": cmd.dwelling_address}
    dwelling = _dwelling(unit, cmd.dwelling_id, cmd.grid_code, **declared)
    dwelling.declare(occurred_at=cmd.occurred_at, **declared)
    dwelling.occupant_arrived(person=person.pseudonym, occurred_at=cmd.occurred_at)
    lease_id = dwelling.lease_of_tenant(person.pseudonym, cmd.occurred_at)
    if lease_id is not None:
        unit.get(Lease, Lease.create_id(lease_id)).link_tenant(person.pseudonym, cmd.occurred_at)


@handles(c.MoveOut, touches=_residency_touches, identities=lambda cmd: (cmd.person,))
def move_out(app: Population, unit: UnitOfWork, cmd: c.MoveOut) -> None:
    app.geography.check_grid(cmd.grid_code, cmd.occurred_at)
    person = _person(app, unit, cmd.person)
    only_confirms = person.confirms_implicit_move_out(cmd.dwelling_id, cmd.occurred_at)
    person.move_out(message_id=cmd.message_id, occurred_at=cmd.occurred_at, dwelling_id=cmd.dwelling_id,
                    grid_code=cmd.grid_code, reason=cmd.reason, destination=cmd.destination)
    if not only_confirms:
        _dwelling(unit, cmd.dwelling_id, cmd.grid_code).occupant_left(person=person.pseudonym,
                                                                     occurred_at=cmd.occurred_at)


@handles(c.StartLease, touches=lambda _, cmd: [Lease.create_id(cmd.lease_id), Dwelling.create_id(cmd.dwelling_id)],
         identities=lambda cmd: (cmd.landlord, *cmd.tenants))
def start_lease(app: Population, unit: UnitOfWork, cmd: c.StartLease) -> None:
    app.geography.check_grid(cmd.grid_code, cmd.occurred_at)
    existing = unit.get(Lease, Lease.create_id(cmd.lease_id))
    if existing is not None:
        existing.check_not_applied(cmd.message_id)
        raise errors.LeaseExists(cmd.lease_id)
    planned_end = datetime.combine(cmd.planned_end, cmd.occurred_at.timetz()) if cmd.planned_end else None
    Lease.check_planned_end(cmd.occurred_at, planned_end)
    dwelling = _dwelling(unit, cmd.dwelling_id, cmd.grid_code, dwelling_type="rented", capacity=cmd.dwelling_capacity)
    dwelling.check_no_overlapping_lease(cmd.lease_id, cmd.occurred_at, planned_end)
    tenants = [app.pseudonym(t) for t in cmd.tenants]
    lease = unit.add(Lease(
        lease_id=cmd.lease_id, message_id=cmd.message_id, occurred_at=cmd.occurred_at, dwelling_id=cmd.dwelling_id,
        grid_code=cmd.grid_code, landlord=app.pseudonym(cmd.landlord), tenants=tenants,
        identities={app.pseudonym(p): app.sealed_identity(p) for p in (cmd.landlord, *cmd.tenants)},
        planned_end=cmd.planned_end.isoformat() if cmd.planned_end else None))
    dwelling.register_lease(lease_id=cmd.lease_id, start=cmd.occurred_at, tenants=tenants)
    dwelling.declare(dwelling_type="rented", capacity=cmd.dwelling_capacity, occurred_at=cmd.occurred_at)
    for tenant in sorted(dwelling.occupants & set(tenants)):  # moved in before the lease message came
        lease.link_tenant(tenant, cmd.occurred_at)


@handles(c.EndLease, touches=lambda _, cmd: [Lease.create_id(cmd.lease_id)])
def end_lease(app: Population, unit: UnitOfWork, cmd: c.EndLease) -> None:
    lease = unit.get(Lease, Lease.create_id(cmd.lease_id))
    if lease is None:
        raise errors.UnknownLease(cmd.lease_id)
    lease.end(message_id=cmd.message_id, occurred_at=cmd.occurred_at)
    _dwelling(unit, lease.dwelling_id, lease.grid_code).close_lease(lease_id=cmd.lease_id, end=cmd.occurred_at)


@handles(c.CheckIn, touches=lambda _, cmd: [VisitorStay.create_id(cmd.stay_id)], identities=lambda cmd: (cmd.guest,))
def check_in(app: Population, unit: UnitOfWork, cmd: c.CheckIn) -> None:
    grid_code = app.geography.lodging_grid(cmd.lodging_code)
    existing = unit.get(VisitorStay, VisitorStay.create_id(cmd.stay_id))
    if existing is not None:
        existing.check_not_applied(cmd.message_id)
        raise errors.AlreadyCheckedIn(cmd.stay_id)
    unit.add(VisitorStay(
        stay_id=cmd.stay_id, message_id=cmd.message_id, occurred_at=cmd.occurred_at, lodging_code=cmd.lodging_code,
        grid_code=grid_code, guest=app.pseudonym(cmd.guest), identity=app.sealed_identity(cmd.guest),
        party_size=cmd.party_size, nights=cmd.nights, origin_region=cmd.origin_region))


@handles(c.CheckOut, touches=lambda _, cmd: [VisitorStay.create_id(cmd.stay_id)])
def check_out(app: Population, unit: UnitOfWork, cmd: c.CheckOut) -> None:
    stay = unit.get(VisitorStay, VisitorStay.create_id(cmd.stay_id))
    if stay is None:
        raise errors.StayNotFound(cmd.stay_id)
    stay.check_out(message_id=cmd.message_id, occurred_at=cmd.occurred_at)


@handles(c.PriorityMovement, touches=lambda pseudonym, cmd: [PriorityPerson.create_id(pseudonym(cmd.person))],
         identities=lambda cmd: (cmd.person,))
def priority_movement(app: Population, unit: UnitOfWork, cmd: c.PriorityMovement) -> None:
    geo = app.geography
    geo.check_grid(cmd.assigned_grid, cmd.occurred_at)
    if cmd.grid_code or geo.in_district(cmd.region):
        geo.check_grid(cmd.grid_code, cmd.occurred_at)  # inside the district a place is named by its grid
    if cmd.category not in app.priority_categories:
        raise errors.UnknownCategory(cmd.category)
    pseudonym = app.pseudonym(cmd.person)
    person = unit.get(PriorityPerson, PriorityPerson.create_id(pseudonym)) or unit.add(PriorityPerson(
        pseudonym=pseudonym, identity=app.sealed_identity(cmd.person), category=cmd.category,
        assigned_grid=cmd.assigned_grid, responsible_worker=cmd.responsible_worker))
    person.record_movement(message_id=cmd.message_id, occurred_at=cmd.occurred_at, movement=cmd.movement,
                           grid_code=cmd.grid_code, place=cmd.place or cmd.region,
                           outside=geo.levels_outside(person.assigned_grid, cmd.grid_code))


@handles(c.GateCount, touches=lambda _, cmd: [ScenicDay.create_id(cmd.scenic_area, cmd.occurred_at.date().isoformat())])
def gate_count(app: Population, unit: UnitOfWork, cmd: c.GateCount) -> None:
    area = app.geography.scenic_area(cmd.scenic_area)
    day = cmd.occurred_at.date().isoformat()
    counted = unit.get(ScenicDay, ScenicDay.create_id(cmd.scenic_area, day)) or unit.add(
        ScenicDay(area_code=cmd.scenic_area, day=day, grid_code=area.grid_code))
    counted.count(message_id=cmd.message_id, occurred_at=cmd.occurred_at, interval_minutes=cmd.interval_minutes,
                  entries=cmd.entries, exits=cmd.exits)
