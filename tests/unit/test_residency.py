"""Residents: one dwelling at a time; moves in business time; refusals with reason codes."""
from datetime import timedelta

import pytest

from domain.model import Dwelling, Person
from tests.conftest import T0
from tests.unit.domain_helpers import Feed, app, move_in, move_out, person


@pytest.fixture
def population(geography):
    return app(geography)


def person_state(population, who) -> Person:
    return population.repository.get(Person.create_id(population.pseudonymize(who.id_number)))


def statuses(result):
    return [(o.status, o.reason) for o in result.outcomes]


def test_a_resident_moves_in_and_the_dwelling_counts_them(population):
    zhang, feed = person(), Feed()
    result = population.process([feed.item(move_in(zhang, "D1", T0))])
    assert statuses(result) == [("accepted", "")]
    assert person_state(population, zhang).dwelling_id == "D1"
    pseudonym = population.pseudonymize(zhang.id_number)
    assert population.repository.get(Dwelling.create_id("D1")).occupants == {pseudonym}


def test_moving_in_elsewhere_records_the_implicit_move_out(population):
    zhang, feed = person(), Feed()
    population.process([feed.item(move_in(zhang, "D1", T0)), feed.item(move_in(zhang, "D2", T0 + timedelta(days=3)))])
    person_id = Person.create_id(population.pseudonymize(zhang.id_number))
    events = [type(e).__name__ for e in population.events.get(person_id)]
    assert events == ["Registered", "MovedIn", "MovedOut", "MovedIn"]
    assert population.repository.get(Dwelling.create_id("D1")).occupants == set()
    assert person_state(population, zhang).dwelling_id == "D2"


def test_moving_into_the_same_dwelling_again_is_refused(population):
    zhang, feed = person(), Feed()
    result = population.process([feed.item(move_in(zhang, "D1", T0)),
                                 feed.item(move_in(zhang, "D1", T0 + timedelta(1)))])
    assert statuses(result)[1] == ("rejected", "already_resident")


def test_moving_out_twice_is_refused_as_not_resident(population):
    zhang, feed = person(), Feed()
    result = population.process([feed.item(move_in(zhang, "D1", T0)),
                                 feed.item(move_out(zhang, "D1", T0 + timedelta(1))),
                                 feed.item(move_out(zhang, "D1", T0 + timedelta(2)))])
    assert statuses(result)[2] == ("rejected", "not_resident")


def test_moving_out_of_another_dwelling_dated_before_the_current_registration_is_refused(population):
    zhang, feed = person(), Feed()
    result = population.process([feed.item(move_in(zhang, "D1", T0)),
                                 feed.item(move_out(zhang, "D9", T0 - timedelta(1)))])
    assert statuses(result)[1] == ("rejected", "dwelling_mismatch")


def test_a_departure_from_a_dwelling_whose_move_in_is_still_travelling_ends_it_when_it_arrives(population):
    zhang, feed = person(), Feed()
    population.process([feed.item(move_in(zhang, "D0", T0))])
    early = population.process([feed.item(move_out(zhang, "D1", T0 + timedelta(days=9)))])
    assert statuses(early) == [("accepted", "")]
    assert person_state(population, zhang).dwelling_id == "D0"  # nothing changes until the move-in is known
    late = population.process([feed.item(move_in(zhang, "D1", T0 + timedelta(days=5)))])
    assert statuses(late) == [("accepted", "")]
    state = person_state(population, zhang)
    assert not state.is_resident and state.unmatched_move_out is None
    assert population.repository.get(Dwelling.create_id("D0")).occupants == set()
    assert population.repository.get(Dwelling.create_id("D1")).occupants == set()


def test_a_move_out_that_arrives_before_its_move_in_is_matched_when_the_move_in_comes(population):
    zhang, feed = person(), Feed()
    early = population.process([feed.item(move_out(zhang, "D1", T0 + timedelta(days=30)))])
    assert statuses(early) == [("accepted", "")]
    assert person_state(population, zhang).unmatched_move_out is not None
    late = population.process([feed.item(move_in(zhang, "D1", T0))])
    assert statuses(late) == [("accepted", "")]
    state = person_state(population, zhang)
    assert state.unmatched_move_out is None and not state.is_resident


def test_a_late_explicit_move_out_confirms_the_implicit_one(population):
    zhang, feed = person(), Feed()
    population.process([feed.item(move_in(zhang, "D1", T0)), feed.item(move_in(zhang, "D2", T0 + timedelta(days=5)))])
    result = population.process([feed.item(move_out(zhang, "D1", T0 + timedelta(days=5, hours=-2),
                                                    reason="moved_within_district"))])
    assert statuses(result) == [("accepted", "")]
    assert person_state(population, zhang).dwelling_id == "D2"


def test_a_late_move_in_that_would_rewrite_history_is_refused(population):
    zhang, feed = person(), Feed()
    population.process([feed.item(move_in(zhang, "D1", T0 + timedelta(days=10)))])
    result = population.process([feed.item(move_in(zhang, "D2", T0))])
    assert statuses(result) == [("rejected", "out_of_order")]


def test_an_unknown_grid_is_refused(population):
    result = population.process([Feed().item(move_in(person(), "D1", T0, grid="99999999999999"))])
    assert statuses(result) == [("rejected", "unknown_grid")]


def test_the_same_message_twice_has_one_effect(population):
    zhang, feed = person(), Feed()
    command = move_in(zhang, "D1", T0)
    result = population.process([feed.item(command), feed.item(command)])
    assert statuses(result) == [("accepted", ""), ("duplicate", "")]
    assert len(list(population.events.get(Person.create_id(population.pseudonymize(zhang.id_number))))) == 2


def test_a_redelivered_position_is_skipped(population):
    zhang, feed = person(), Feed()
    item = feed.item(move_in(zhang, "D1", T0))
    population.process([item])
    again = population.process([item])
    assert statuses(again) == [("redelivered", "")]


def test_rejects_are_recorded_on_the_intake_cursor(population):
    from domain.model import IntakeCursor

    zhang, feed = person(), Feed("kafka:t:0")
    population.process([feed.item(move_in(zhang, "D1", T0)), feed.item(move_in(zhang, "D1", T0 + timedelta(1)))])
    cursor = population.repository.get(IntakeCursor.create_id("kafka:t:0"))
    advanced = list(population.events.get(cursor.id))[-1]
    assert cursor.position == 1
    assert advanced.accepted == 1 and [r["reason"] for r in advanced.rejected] == ["already_resident"]


def test_a_dwelling_keeps_arrivals_and_departures_in_business_time(population):
    zhang, feed = person(), Feed()
    population.process([feed.item(move_out(zhang, "D1", T0 + timedelta(days=30)))])
    population.process([feed.item(move_in(zhang, "D1", T0))])
    dwelling = population.repository.get(Dwelling.create_id("D1"))
    assert dwelling.occupants == set()
    events = [type(e).__name__ for e in population.events.get(dwelling.id)]
    assert events == ["Recorded", "OccupantLeft", "OccupantArrived"]


def test_a_late_move_in_settles_the_held_move_out_in_the_projection(population, geography):
    from projections.rows import RowMaker

    zhang, feed = person(), Feed()
    population.process([feed.item(move_out(zhang, "D1", T0 + timedelta(days=30)))])
    population.process([feed.item(move_in(zhang, "D1", T0))])
    pid = Person.create_id(population.pseudonymize(zhang.id_number))
    rows = [row for n, e in enumerate(population.events.get(pid))
            for _, row in RowMaker(geography).rows(n, e)]
    assert [(r["kind"], r["population_delta"], r["occurred_at"]) for r in rows] == [
        ("move_out", 0, T0 + timedelta(days=30)), ("move_in", 1, T0), ("move_out_settled", -1, T0 + timedelta(days=30))]
