"""Builders for intake commands in domain tests."""
from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta

from domain import commands as c
from domain.application import Population
from domain.identity import Pseudonymizer, make_id_number
from domain.intake import IntakeItem

_people = itertools.count()
GRID, OTHER_GRID = "37061400100101", "37061400100102"
LODGING_GRID_LODGING = "L3706140010010201"


def person() -> c.PersonIdentity:
    n = next(_people)
    return c.PersonIdentity(id_number=make_id_number("370614", date(1970, 1, 1) + timedelta(days=n), 7),
                            name=f"张{n}", phone="13800000000")


def app(geography=None, env=None) -> Population:
    return Population(env or {}, geography=geography, pseudonymize=Pseudonymizer(b"k" * 32))


class Feed:
    """An ordered source of intake items, as one Kafka partition would deliver them."""

    def __init__(self, source: str = "test:0"):
        self.source, self.position = source, -1

    def item(self, command: c.Command) -> IntakeItem:
        self.position += 1
        return IntakeItem(self.source, self.position, command=command, message_id=command.message_id)


def common(at: datetime) -> dict:
    return {"message_id": str(uuid.uuid4()), "occurred_at": at, "source": "test"}


def move_in(who, dwelling, at, grid=GRID, household=None, reason="new_home", **declared):
    return c.MoveIn(person=who, dwelling_id=dwelling, grid_code=grid, household_id=household or f"H-{dwelling}",
                    reason=reason, **declared, **common(at))


def statuses(result):
    return [(o.status, o.reason) for o in result.outcomes]


def move_out(who, dwelling, at, grid=GRID, reason="left_district"):
    return c.MoveOut(person=who, dwelling_id=dwelling, grid_code=grid, reason=reason, **common(at))
