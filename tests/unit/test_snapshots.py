"""Long-lived aggregates are read from snapshots; the state is the same as replaying every event."""
from datetime import timedelta

from domain.application import Population
from domain.model import Dwelling, PriorityPerson
from tests.conftest import T0
from tests.unit.domain_helpers import GRID, OTHER_GRID, Feed, app, move_in, person
from tests.unit.test_leases_stays_priority import movement


class SnapshotEvery3(Population):
    snapshotting_intervals = {Dwelling: 3, PriorityPerson: 3}


class NoSnapshots(Population):
    snapshotting_intervals = {}


def test_state_read_through_snapshots_equals_state_replayed_from_all_events(geography, tmp_path):
    from domain.identity import Pseudonymizer

    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "s.db")}
    writer = SnapshotEvery3(env, geography=geography, pseudonymize=Pseudonymizer(b"k" * 32))
    li, feed = person(), Feed()
    commands = [movement(li, GRID if i % 3 else OTHER_GRID, T0 + timedelta(hours=i)) for i in range(10)]
    commands += [move_in(person(), "D-shared", T0 + timedelta(minutes=i)) for i in range(7)]
    for command in commands:
        writer.process([feed.item(command)])
    pid = PriorityPerson.create_id(writer.pseudonymize(li.id_number))
    versions = [s.originator_version for s in writer.snapshots.get(pid)]
    assert len(versions) >= 3  # taken whenever a batch crosses a multiple of the interval
    assert list(writer.snapshots.get(Dwelling.create_id("D-shared")))  # the dwelling took snapshots too

    with_snapshots = SnapshotEvery3(env, geography=geography, pseudonymize=Pseudonymizer(b"k" * 32))
    without = NoSnapshots(env, geography=geography, pseudonymize=Pseudonymizer(b"k" * 32))
    for aggregate_id in (pid, Dwelling.create_id("D-shared")):
        a, b = with_snapshots.repository.get(aggregate_id), without.repository.get(aggregate_id)
        assert vars(a) == vars(b)
    assert with_snapshots.repository.get(pid).last_grid == OTHER_GRID  # the 10th sighting (i = 9)


def test_the_default_keeps_snapshots_for_dwellings_and_priority_persons(geography):
    population = app(geography)
    assert set(population.snapshotting_intervals) == {Dwelling, PriorityPerson}
