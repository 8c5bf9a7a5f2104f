"""No row can stop a projection: values ClickHouse cannot hold (stored by an older release, before the intake's
business-time window) are clamped and recorded; an event that does not decode is skipped and recorded; a
ClickHouse that fails for a while is waited for. Replay reaches the same tables."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone

from domain import commands as c
from gridflow.bootstrap import bootstrap
from projections.replay import compare, rebuild
from tests.conftest import T0
from tests.unit.domain_helpers import Feed, common, move_in, person

ANCIENT = datetime(1, 1, 1, tzinfo=UTC)
FAR = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-8)))


def stored_with_extreme_times(config, geography):
    """What an earlier release let in: move-ins dated year 1 and year 9999, then an ordinary one."""
    system = bootstrap(config, geography)
    feed = Feed()
    system.store.process([feed.item(move_in(person(), "D-ancient", ANCIENT)),
                          feed.item(move_in(person(), "D-far", FAR)),
                          feed.item(move_in(person(), "D-now", T0))])
    return system


def test_values_clickhouse_cannot_hold_are_clamped_and_recorded(config, geography):
    system = stored_with_extreme_times(config, geography)
    projector = system.recovered_projector()
    projector.catch_up()
    client = system.clickhouse
    assert projector.position == system.store.recorder.max_notification_id()
    assert client.query("SELECT count() FROM movements WHERE kind = 'move_in'").result_rows == [(3,)]
    anomalies = client.query("SELECT target, action, reason, value FROM projection_anomalies "
                             "ORDER BY notification_id, seq").result_rows
    assert ("movements.occurred_at", "clamped", "below_range", "0001-01-01 00:00:00+00:00") in anomalies
    assert ("movements.occurred_at", "clamped", "above_range", "9999-12-31 23:59:59-08:00") in anomalies
    assert {a[0] for a in anomalies} >= {"movements.occurred_at", "grid_hourly.hour"}
    # every resident still counts: clamping keeps the facts, only their time is bounded
    assert client.query("SELECT sum(residents) FROM grid_population FINAL").result_rows == [(3,)]
    # a restart recovers in place, and a replay beside the live tables finds the same rows and anomalies
    system.projector.recover()
    rebuild(client, system.store, geography, f"{config.clickhouse_database}_replay")
    assert [d.table for d in compare(client, config.clickhouse_database, f"{config.clickhouse_database}_replay")
            if not d.equal] == []


def test_an_event_that_does_not_decode_is_skipped_and_recorded(config, geography):
    system = bootstrap(config, geography)
    feed = Feed()
    who = person()
    system.store.process([feed.item(c.PriorityMovement(
        person=who, category="community_correction", assigned_grid="37061400100101", responsible_worker="W1",
        movement="sighting", grid_code="37061400100101", **common(T0)))])
    system.store.process([feed.item(move_in(person(), "D1", T0))])
    moved = next(n.id for n in system.store.recorder.select_notifications(start=1, limit=100)
                 if n.topic.endswith("PriorityPerson.Moved"))
    with system.store.recorder.datastore.transaction(commit=True) as cursor:  # damage its stored bytes
        cursor.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (b"\x00" * 40, moved))
    projector = system.recovered_projector()
    projector.catch_up()
    client = system.clickhouse
    assert projector.position == system.store.recorder.max_notification_id()
    assert client.query("SELECT notification_id, action, reason FROM projection_anomalies").result_rows == [
        (moved, "skipped", "undecodable")]
    assert client.query("SELECT count() FROM movements WHERE kind = 'move_in'").result_rows == [(1,)]


class Flaky:
    """Fault injection around the real client: for a while every insert fails as an unreachable server's would."""

    def __init__(self, client):
        self.client, self.down_until = client, 0.0
        self.failed = 0

    def __getattr__(self, name):
        return getattr(self.client, name)

    def data_insert(self, *args, **kwargs):  # the projector's inserts (projections.inserts) all come here
        if time.monotonic() < self.down_until:
            self.failed += 1
            raise ConnectionError("ClickHouse is unreachable (injected)")
        return self.client.data_insert(*args, **kwargs)


def test_the_projector_waits_for_clickhouse_and_catches_up(config, geography):
    system = stored_with_extreme_times(config, geography)
    projector = system.recovered_projector()
    flaky = Flaky(system.clickhouse)
    projector.client = flaky
    flaky.down_until = time.monotonic() + 3
    waits: list[str] = []
    stop = threading.Event()
    follower = threading.Thread(target=projector.follow, args=(stop.is_set,), kwargs={"on_wait": waits.append})
    follower.start()
    feed = Feed("later:0")
    for n in range(5):  # the store keeps growing meanwhile
        system.store.process([feed.item(move_in(person(), f"D-later-{n}", T0 + timedelta(hours=n)))])
        time.sleep(0.5)
    deadline = time.monotonic() + 30
    while projector.position < system.store.recorder.max_notification_id() and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    follower.join(timeout=10)
    assert flaky.failed > 0 and waits and "waiting" in waits[0]
    assert projector.position == system.store.recorder.max_notification_id()
    assert system.clickhouse.query("SELECT count() FROM movements WHERE kind = 'move_in'").result_rows == [(8,)]
    assert system.clickhouse.query("SELECT sum(residents) FROM grid_population FINAL").result_rows == [(8,)]
