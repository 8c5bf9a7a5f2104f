"""One message can never sink its batch: a handler that fails, or refuses after changing something, has its item
isolated (refused with a reason) and the batch decided afresh; a message id reused for other content is refused."""
from dataclasses import replace
from datetime import timedelta

import orjson
import pytest

from domain import commands as c
from domain import errors
from domain.handlers import HANDLERS
from domain.model import Dwelling, Person
from streams.contract import to_item
from tests.conftest import T0
from tests.unit.domain_helpers import Feed, app, move_in, person, statuses
from tests.unit.test_contract import envelope


@pytest.fixture
def population(geography):
    return app(geography)


@pytest.fixture
def faulty_move_in(monkeypatch):
    """Fault injection: the move-in handler fails after changing state for messages marked as poisoned."""
    real = HANDLERS[c.MoveIn]
    poisoned: set[str] = set()

    def apply(app_, unit, cmd):
        real.apply(app_, unit, cmd)
        if cmd.message_id in poisoned:
            raise ZeroDivisionError("a bug met half-way")

    monkeypatch.setitem(HANDLERS, c.MoveIn, replace(real, apply=apply))
    return poisoned


def dwelling(population, dwelling_id):
    return population.repository.get(Dwelling.create_id(dwelling_id))


def test_a_message_that_breaks_its_handler_is_isolated_and_the_rest_proceeds(population, faulty_move_in):
    feed, people = Feed(), [person() for _ in range(5)]
    commands = [move_in(p, f"D{n}", T0 + timedelta(hours=n)) for n, p in enumerate(people)]
    faulty_move_in.add(commands[2].message_id)
    result = population.process([feed.item(cmd) for cmd in commands])
    assert statuses(result) == [("accepted", "")] * 2 + [("rejected", "unprocessable")] + [("accepted", "")] * 2
    # what the failing handler did half-way was not kept: no registration, no dwelling, no occupant
    stored = {n.originator_id for n in population.recorder.select_notifications(start=1, limit=1000)}
    assert Person.create_id(population.pseudonymize(people[2].id_number)) not in stored
    assert Dwelling.create_id("D2") not in stored
    assert dwelling(population, "D4").occupants == {population.pseudonymize(people[4].id_number)}
    # the cursor moved past all five, and the reject is on its ledger
    cursor_events = [e for e in population.recorder.select_notifications(start=1, limit=1000)
                     if e.topic.endswith("IntakeCursor.Advanced")]
    assert len(cursor_events) == 1
    assert population.process([feed.item(move_in(person(), "D9", T0))]).count("accepted") == 1


def test_a_refusal_after_a_change_is_decided_again_without_the_change(population, monkeypatch):
    real = HANDLERS[c.MoveIn]

    def refuse_late(app_, unit, cmd):
        real.apply(app_, unit, cmd)
        if cmd.household_id == "H-bad":
            raise errors.OutOfOrder("found out too late")

    monkeypatch.setitem(HANDLERS, c.MoveIn, replace(real, apply=refuse_late))
    feed, who = Feed(), person()
    result = population.process([feed.item(move_in(who, "D1", T0, household="H-bad")),
                                 feed.item(move_in(person(), "D2", T0))])
    assert statuses(result) == [("rejected", "out_of_order"), ("accepted", "")]
    stored = {n.originator_id for n in population.recorder.select_notifications(start=1, limit=1000)}
    assert Person.create_id(population.pseudonymize(who.id_number)) not in stored


def test_a_reused_message_id_with_other_content_is_refused_and_a_true_repeat_is_a_duplicate(population):
    first, same, other = envelope(), envelope(), envelope(dwelling_id="D-other")
    items = [to_item("test:0", n, orjson.dumps(m), "move_in") for n, m in enumerate((first, same, other))]
    assert statuses(population.process(items[:1])) == [("accepted", "")]
    later = population.process(items[1:])
    assert statuses(later) == [("duplicate", ""), ("rejected", "message_id_reused")]
    stored = {n.originator_id for n in population.recorder.select_notifications(start=1, limit=1000)}
    assert Dwelling.create_id("D1") in stored and Dwelling.create_id("D-other") not in stored
