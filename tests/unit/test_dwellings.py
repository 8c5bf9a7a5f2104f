"""Dwellings: declared type and capacity, over-occupancy as a recorded fact, one lease at a time, tenants linked."""
from datetime import timedelta

import pytest

from domain import commands as c
from domain.model import Dwelling, Lease
from tests.conftest import T0
from tests.unit.domain_helpers import GRID, Feed, app, common, move_in, move_out, person, statuses


@pytest.fixture
def population(geography):
    return app(geography)


def dwelling(population, dwelling_id="D1") -> Dwelling:
    return population.repository.get(Dwelling.create_id(dwelling_id))


def event_names(population, aggregate_id):
    return [type(e).__name__ for e in population.events.get(aggregate_id)]


def start(lease_id, tenants=(), at=T0, dwelling_id="D1", planned_end=None, capacity=None):
    return c.StartLease(lease_id=lease_id, dwelling_id=dwelling_id, grid_code=GRID, landlord=person(),
                        tenants=tuple(tenants) or (person(),), planned_end=planned_end,
                        dwelling_capacity=capacity, **common(at))


def end(lease_id, at):
    return c.EndLease(lease_id=lease_id, **common(at))


def test_a_dwelling_keeps_the_type_and_capacity_its_sources_declare(population):
    feed = Feed()
    population.process([feed.item(move_in(person(), "D1", T0, dwelling_type="owned", dwelling_capacity=3,
                                          dwelling_address="蓬莱区登州街道钟楼北路12号"))])
    assert (dwelling(population).dwelling_type, dwelling(population).capacity) == ("owned", 3)
    assert dwelling(population).address == "蓬莱区登州街道钟楼北路12号"
    population.process([feed.item(start("L1", at=T0 + timedelta(days=1)))])  # let out: now a rented dwelling
    assert (dwelling(population).dwelling_type, dwelling(population).capacity) == ("rented", 3)
    # the first declaration travels with the dwelling's record; only the change is an event of its own
    assert event_names(population, Dwelling.create_id("D1")).count("Declared") == 1


def test_more_occupants_than_capacity_is_recorded_as_over_occupancy_not_refused(population):
    feed, people = Feed(), [person() for _ in range(4)]
    result = population.process([feed.item(move_in(p, "D1", T0 + timedelta(hours=i), dwelling_capacity=2))
                                 for i, p in enumerate(people)])
    assert statuses(result) == [("accepted", "")] * 4
    flat = dwelling(population)
    assert flat.over_occupied and len(flat.occupants) == 4
    facts = [e for e in population.events.get(flat.id) if type(e).__name__ == "OverOccupied"]
    assert [(f.occupants, f.capacity, f.occurred_at) for f in facts] == [(3, 2, T0 + timedelta(hours=2))]  # once

    population.process([feed.item(move_out(p, "D1", T0 + timedelta(days=1, hours=i)))
                        for i, p in enumerate(people[:2])])
    assert not dwelling(population).over_occupied
    assert event_names(population, flat.id)[-1] == "WithinCapacity"


def test_a_dwelling_without_declared_capacity_is_never_over_occupied(population):
    feed = Feed()
    population.process([feed.item(move_in(person(), "D1", T0 + timedelta(minutes=i))) for i in range(8)])
    assert not dwelling(population).over_occupied


def test_overlapping_leases_on_one_dwelling_are_refused(population):
    feed = Feed()
    result = population.process([feed.item(start("L1", at=T0)), feed.item(start("L2", at=T0 + timedelta(days=30)))])
    assert statuses(result) == [("accepted", ""), ("rejected", "lease_overlap")]


def test_a_lease_may_follow_one_that_ended_and_a_late_earlier_one_may_fit_before(population):
    feed = Feed()
    result = population.process([
        feed.item(start("L1", at=T0)), feed.item(end("L1", T0 + timedelta(days=90))),
        feed.item(start("L2", at=T0 + timedelta(days=90))),
        # registered late: ran before L1, planned to end when L1 began
        feed.item(start("L0", at=T0 - timedelta(days=200), planned_end=(T0 - timedelta(days=10)).date())),
        feed.item(start("L9", at=T0 - timedelta(days=20), planned_end=(T0 + timedelta(days=5)).date())),
    ])
    assert statuses(result) == [("accepted", "")] * 4 + [("rejected", "lease_overlap")]
    assert set(dwelling(population).leases) == {"L0", "L1", "L2"}


def test_a_tenant_who_moves_in_under_the_lease_is_linked_to_it(population):
    tenant, stranger, feed = person(), person(), Feed()
    population.process([feed.item(start("L1", tenants=[tenant], at=T0)),
                        feed.item(move_in(tenant, "D1", T0 + timedelta(hours=3), reason="rental")),
                        feed.item(move_in(stranger, "D1", T0 + timedelta(hours=4)))])
    lease = population.repository.get(Lease.create_id("L1"))
    assert set(lease.resident_tenants) == {population.pseudonymize(tenant.id_number)}


def test_a_tenants_move_in_received_before_the_lease_is_linked_when_the_lease_arrives(population):
    tenant, feed = person(), Feed()
    population.process([feed.item(move_in(tenant, "D1", T0 + timedelta(hours=3), reason="rental"))])
    population.process([feed.item(start("L1", tenants=[tenant], at=T0))])
    lease = population.repository.get(Lease.create_id("L1"))
    assert lease.resident_tenants == {population.pseudonymize(tenant.id_number): T0}
    assert event_names(population, lease.id) == ["Started", "TenantMovedIn"]


def test_a_move_in_after_the_lease_ended_is_not_linked(population):
    tenant, feed = person(), Feed()
    population.process([feed.item(start("L1", tenants=[tenant], at=T0)), feed.item(end("L1", T0 + timedelta(days=1))),
                        feed.item(move_in(tenant, "D1", T0 + timedelta(days=2)))])
    assert population.repository.get(Lease.create_id("L1")).resident_tenants == {}
