"""Intake commands: what a validated message asks the model to do. Built by streams/, handled by the application."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, kw_only=True)
class PersonIdentity:
    """Personal data: lives only inside the encrypted event store; everywhere else the pseudonym stands for it."""

    id_number: str
    name: str = ""
    phone: str = ""


@dataclass(frozen=True, kw_only=True)
class Command:
    message_id: str
    occurred_at: datetime  # business time, timezone-aware
    source: str  # the producing system, e.g. "hotel-feed:3706"


@dataclass(frozen=True, kw_only=True)
class MoveIn(Command):
    person: PersonIdentity
    dwelling_id: str
    grid_code: str
    household_id: str
    reason: str
    origin: str = ""
    dwelling_type: str = ""  # owned | rented | collective | lodging, when the source states it
    dwelling_capacity: int | None = None  # declared capacity (persons), when the source states it
    dwelling_address: str = ""


@dataclass(frozen=True, kw_only=True)
class MoveOut(Command):
    person: PersonIdentity
    dwelling_id: str
    grid_code: str
    reason: str
    destination: str = ""


@dataclass(frozen=True, kw_only=True)
class StartLease(Command):
    lease_id: str
    dwelling_id: str
    grid_code: str
    landlord: PersonIdentity
    tenants: tuple[PersonIdentity, ...]
    planned_end: date | None = None
    dwelling_capacity: int | None = None


@dataclass(frozen=True, kw_only=True)
class EndLease(Command):
    lease_id: str


@dataclass(frozen=True, kw_only=True)
class CheckIn(Command):
    stay_id: str
    lodging_code: str
    guest: PersonIdentity
    party_size: int
    nights: int
    origin_region: str  # GB/T 2260 code of residence; non-local when outside Yantai (3706..)


@dataclass(frozen=True, kw_only=True)
class CheckOut(Command):
    stay_id: str


@dataclass(frozen=True, kw_only=True)
class PriorityMovement(Command):
    person: PersonIdentity
    category: str
    assigned_grid: str
    responsible_worker: str
    movement: str  # sighting | lodging_check_in | transport | visit
    grid_code: str = ""  # where, inside the district
    region: str = ""  # GB/T 2260 region code, for a place outside the district (then no grid)
    place: str = ""


@dataclass(frozen=True, kw_only=True)
class GateCount(Command):
    """Entries and exits through a scenic area's gates in one interval starting at `occurred_at`."""

    scenic_area: str
    interval_minutes: int
    entries: int
    exits: int
