"""Leases, visitor stays and priority persons: their transitions and refusals."""
from datetime import timedelta

import pytest

from domain import commands as c
from domain.model import STAY_GRACE, Lease, PriorityPerson, ScenicDay, VisitorStay
from tests.conftest import T0
from tests.unit.domain_helpers import (
    GRID,
    LODGING_GRID_LODGING,
    Feed,
    app,
    common,
    person,
)


@pytest.fixture
def population(geography):
    return app(geography)


def outcome(population, *commands):
    feed = Feed()
    return [(o.status, o.reason) for o in population.process([feed.item(x) for x in commands]).outcomes]


def start(lease_id, at=T0):
    return c.StartLease(lease_id=lease_id, dwelling_id="D1", grid_code=GRID, landlord=person(),
                        tenants=(person(), person()), **common(at))


def end(lease_id, at):
    return c.EndLease(lease_id=lease_id, **common(at))


def test_a_lease_starts_and_ends(population):
    assert outcome(population, start("L1"), end("L1", T0 + timedelta(days=90))) == [("accepted", "")] * 2
    lease = population.repository.get(Lease.create_id("L1"))
    assert lease.ended_at == T0 + timedelta(days=90) and len(lease.tenants) == 2
    assert all(len(p) == 32 for p in lease.tenants)  # pseudonyms, identities kept apart


@pytest.mark.parametrize("commands, reason", [
    (lambda: [start("L1"), start("L1")], "lease_exists"),
    (lambda: [end("L2", T0)], "unknown_lease"),
    (lambda: [start("L3"), end("L3", T0 - timedelta(days=1))], "end_before_start"),
    (lambda: [start("L4"), end("L4", T0 + timedelta(1)), end("L4", T0 + timedelta(2))], "lease_already_ended"),
])
def test_impossible_lease_transitions_are_refused(population, commands, reason):
    assert outcome(population, *commands())[-1] == ("rejected", reason)


def check_in(stay_id, at=T0, lodging=LODGING_GRID_LODGING):
    return c.CheckIn(stay_id=stay_id, lodging_code=lodging, guest=person(), party_size=3, nights=2,
                     origin_region="110105", **common(at))


def check_out(stay_id, at):
    return c.CheckOut(stay_id=stay_id, **common(at))


def test_a_visitor_stay_checks_in_and_out_in_the_lodgings_grid(population, geography):
    assert outcome(population, check_in("S1"), check_out("S1", T0 + timedelta(days=2))) == [("accepted", "")] * 2
    stay = population.repository.get(VisitorStay.create_id("S1"))
    assert stay.grid_code == geography.lodgings[LODGING_GRID_LODGING].grid_code
    assert stay.checked_out_at is not None


@pytest.mark.parametrize("commands, reason", [
    (lambda: [check_out("S2", T0)], "stay_not_found"),
    (lambda: [check_in("S3"), check_in("S3")], "already_checked_in"),
    (lambda: [check_in("S4"), check_out("S4", T0 - timedelta(hours=1))], "end_before_start"),
    (lambda: [check_in("S5"), check_out("S5", T0 + timedelta(1)), check_out("S5", T0 + timedelta(2))],
     "already_checked_out"),
    (lambda: [check_in("S6", lodging="L-nowhere")], "unknown_lodging"),
])
def test_impossible_stay_transitions_are_refused(population, commands, reason):
    assert outcome(population, *commands())[-1] == ("rejected", reason)


def movement(who, grid, at, category="community_correction", kind="sighting"):
    return c.PriorityMovement(person=who, category=category, assigned_grid=GRID, responsible_worker="W1",
                              movement=kind, grid_code=grid, **common(at))


def test_a_priority_persons_last_known_grid_follows_business_time(population, geography):
    li, elsewhere = person(), "37061400100102"
    assert outcome(population, movement(li, elsewhere, T0 + timedelta(days=2)), movement(li, GRID, T0)) == \
        [("accepted", "")] * 2
    state = population.repository.get(PriorityPerson.create_id(population.pseudonymize(li.id_number)))
    assert state.last_grid == elsewhere  # the late, older sighting does not overwrite the newer one
    assert state.assigned_grid == GRID


def test_an_unconfigured_category_is_refused(population):
    assert outcome(population, movement(person(), GRID, T0, category="gossip")) == [("rejected", "unknown_category")]


def test_leaving_and_returning_to_the_assigned_grid_and_town_are_recorded(population, geography):
    same_town = "37061400100102"
    other_town = next(code for code, grid in geography.grids.items()
                      if grid.town_code != geography.grids[GRID].town_code)
    li = person()
    outcome(population, movement(li, GRID, T0), movement(li, same_town, T0 + timedelta(hours=1)),
            movement(li, other_town, T0 + timedelta(hours=2)), movement(li, GRID, T0 + timedelta(hours=3)),
            movement(li, other_town, T0 + timedelta(hours=1, minutes=30)))  # a late sighting changes nothing
    pid = PriorityPerson.create_id(population.pseudonymize(li.id_number))
    derived = [(type(e).__name__, e.level) for e in population.events.get(pid) if hasattr(e, "level")]
    assert derived == [("LeftAssignedArea", "grid"), ("LeftAssignedArea", "town"),
                       ("ReturnedToAssignedArea", "grid"), ("ReturnedToAssignedArea", "town")]
    assert population.repository.get(pid).away == set()


def test_a_stay_past_its_declared_nights_is_recorded_as_left_open_once(population):
    outcome(population, check_in("S7"))  # two nights
    stay_id = VisitorStay.create_id("S7")
    assert population.record_open_stays([stay_id], T0 + timedelta(days=2)) == 0  # within the grace
    assert population.record_open_stays([stay_id], T0 + timedelta(days=3)) == 1
    assert population.record_open_stays([stay_id], T0 + timedelta(days=4)) == 0  # already a fact
    stay = population.repository.get(stay_id)
    assert stay.left_open_at == T0 + timedelta(days=2) + STAY_GRACE


def test_a_late_check_out_after_the_open_stay_fact_is_accepted_and_marked(population):
    feed = Feed()
    population.process([feed.item(check_in("S8"))])
    population.record_open_stays([VisitorStay.create_id("S8")], T0 + timedelta(days=5))
    assert population.process([feed.item(check_out("S8", T0 + timedelta(days=4)))]).count("accepted") == 1
    checked_out = population.events.get(VisitorStay.create_id("S8"), desc=True, limit=1)
    assert next(iter(checked_out)).after_left_open is True


def test_a_checked_out_stay_is_never_recorded_as_left_open(population):
    outcome(population, check_in("S9"), check_out("S9", T0 + timedelta(days=2)))
    assert population.record_open_stays([VisitorStay.create_id("S9")], T0 + timedelta(days=30)) == 0


def test_a_ticket_out_of_the_district_is_leaving_the_assigned_district(population):
    li = person()
    away = c.PriorityMovement(person=li, category="community_correction", assigned_grid=GRID,
                              responsible_worker="W1", movement="transport", region="110105",
                              **common(T0 + timedelta(hours=1)))
    assert outcome(population, movement(li, GRID, T0), away, movement(li, GRID, T0 + timedelta(days=1))) == \
        [("accepted", "")] * 3
    pid = PriorityPerson.create_id(population.pseudonymize(li.id_number))
    derived = [(type(e).__name__, e.level) for e in population.events.get(pid) if hasattr(e, "level")]
    assert derived == [("LeftAssignedArea", level) for level in ("grid", "town", "district")] + \
        [("ReturnedToAssignedArea", level) for level in ("grid", "town", "district")]


def test_a_place_inside_the_district_must_name_its_grid(population):
    inside = c.PriorityMovement(person=person(), category="community_correction", assigned_grid=GRID,
                                responsible_worker="W1", movement="sighting", region="370614", **common(T0))
    assert outcome(population, inside) == [("rejected", "unknown_grid")]


def gate(area, at, entries=120, exits=30):
    return c.GateCount(scenic_area=area, interval_minutes=30, entries=entries, exits=exits, **common(at))


def test_scenic_gate_counts_are_kept_per_area_and_day_and_an_interval_counts_once(population):
    assert outcome(population, gate("S01", T0), gate("S01", T0 + timedelta(minutes=30)), gate("S01", T0),
                   gate("S99", T0)) == [("accepted", ""), ("accepted", ""), ("rejected", "interval_already_counted"),
                                        ("rejected", "unknown_scenic_area")]
    day = population.repository.get(ScenicDay.create_id("S01", T0.date().isoformat()))
    assert sum(entries for entries, _ in day.intervals.values()) == 240
