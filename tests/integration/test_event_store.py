"""The Population application on the real stores: SQLite file and PostgreSQL, encrypted at rest."""
import base64
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from domain.model import Person
from gridflow.bootstrap import bootstrap
from stores.recorders import stored_originator_ids
from streams.contract import to_item
from streams.simulator import Simulator
from streams.topics import KIND_OF_TOPIC
from tests.conftest import make_config


def season_items(geography, days=1, scale=0.003):
    messages = Simulator(geography, start=date(2026, 8, 1), days=days, scale=scale, seed=3, bad_share=0).messages()
    return [to_item(f"test:{m.topic}", i, m.value, KIND_OF_TOPIC[m.topic]) for i, m in enumerate(messages)]


def projected_season(config, geography, days=1, scale=0.003, batch=300):
    """A simulated season applied to the store in batches and projected into ClickHouse: (store, client,
    projector, items)."""
    system = bootstrap(config, geography)
    items = season_items(geography, days=days, scale=scale)
    for k in range(0, len(items), batch):
        system.store.process(items[k:k + batch])
    system.recovered_projector().catch_up()
    return system.store, system.clickhouse, system.projector, items


@pytest.fixture(params=["sqlite", "postgres"])
def store_config(request, tmp_path):
    if request.param == "sqlite":
        return make_config(tmp_path / "gf")
    return make_config(tmp_path / "gf", GRIDFLOW_EVENT_STORE=request.getfixturevalue("pg_url"))


def test_batches_are_stored_and_a_new_process_sees_the_same_state(store_config, geography):
    items = season_items(geography)
    writer = bootstrap(store_config, geography).store
    for k in range(0, len(items), 200):
        result = writer.process(items[k:k + 200])
        assert result.count("rejected") == 0
    reader = bootstrap(store_config, geography).store
    some = items[5].command.person
    pid = Person.create_id(reader.pseudonymize(some.id_number))
    assert reader.repository.get(pid).dwelling_id == writer.repository.get(pid).dwelling_id
    # a second process that re-reads the same positions changes nothing
    again = reader.process(items[:200])
    assert again.count("redelivered") == 200
    assert reader.recorder.max_notification_id() == writer.recorder.max_notification_id()


def test_one_query_tells_which_aggregates_exist(store_config, geography):
    items = season_items(geography)[:50]
    population = bootstrap(store_config, geography).store
    population.process(items)
    stored = Person.create_id(population.pseudonymize(items[0].command.person.id_number))
    unknown = Person.create_id("no-such-pseudonym")
    assert stored_originator_ids(population.recorder, {stored, unknown}) == {stored}


def test_a_conflicting_writer_makes_the_batch_rerun_on_fresh_state(store_config, geography):
    items = season_items(geography)[:40]
    first = bootstrap(store_config, geography).store
    second = bootstrap(store_config, geography).store
    first.process(items[:20])
    second.process(items[20:30])  # moves the shared intake cursor on behind first's back
    result = first.process(items[20:40])  # first's cached cursor is stale: the save conflicts, then re-runs
    assert (result.count("redelivered"), result.count("accepted")) == (10, 10)
    assert result.attempts == 2  # counted, so an operator sees what concurrent workers cost
    again = second.process(items[:40])  # second's cursor is stale in turn
    assert (again.count("redelivered"), again.attempts) == (40, 2)
    assert first.process(items[:40]).attempts == 1  # nobody wrote since first's last save


def test_no_id_number_or_name_is_readable_in_the_sqlite_file(tmp_path, geography):
    config = make_config(tmp_path / "gf")
    items = season_items(geography)[:100]
    bootstrap(config, geography).store.process(items)
    raw = (tmp_path / "gf" / "events.sqlite").read_bytes()
    for item in items[:20]:
        identity = item.command.person
        assert identity.id_number.encode() not in raw
        assert identity.name.encode("utf-8") not in raw


def test_events_carry_business_time_besides_recording_time(tmp_path, geography):
    config = make_config(tmp_path / "gf")
    items = season_items(geography)[:5]
    population = bootstrap(config, geography).store
    population.process(items)
    pid = Person.create_id(population.pseudonymize(items[0].command.person.id_number))
    moved_in = list(population.events.get(pid))[1]
    assert moved_in.occurred_at == items[0].command.occurred_at
    assert moved_in.timestamp - moved_in.occurred_at > timedelta(days=300)  # baseline registered years ago


def test_workers_opening_a_new_postgres_store_at_once_all_open_it(tmp_path, pg_url):
    """Workers of one group start together on a new database, each making the tables, types and functions if they
    are not there yet: at once, PostgreSQL refused some ("tuple concurrently updated"; half the runs failed)."""
    env = dict(os.environ, GRIDFLOW_EVENT_STORE=pg_url, GRIDFLOW_CIPHER_KEY=base64.b64encode(b"k" * 32).decode(),
               GRIDFLOW_PSEUDONYM_KEY="p" * 32)
    opening = ("from gridflow.bootstrap import bootstrap; from gridflow.config import Config; "
               "system = bootstrap(Config.from_env()); print(system.store.recorder.max_notification_id() or 0)")
    workers = [subprocess.Popen([sys.executable, "-c", opening], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env={**env, "GRIDFLOW_DATA_DIR": str(tmp_path / f"{n}")}) for n in range(6)]
    outcomes = [(w.wait(timeout=120), w.stdout.read().strip(), w.stderr.read()) for w in workers]
    assert [(code, out) for code, out, _ in outcomes] == [(0, "0")] * 6, [err[-300:] for _, _, err in outcomes]


def test_the_recorder_keeps_every_byte_and_refuses_a_batch_with_a_known_message_whole(store_config, geography):
    """The stores take a batch's events, person keys and message digests in a few statements, not one per row
    (in binary on PostgreSQL): bytes that a text encoding would have to escape come back exactly, the notification
    ids returned are those the log gives them, and a message id already in the ledger refuses the whole batch,
    events included."""
    from uuid import uuid4

    from eventsourcing.persistence import IntegrityError, StoredEvent

    population = bootstrap(store_config, geography).store  # held: the recorder's pool closes with it
    recorder = population.recorder
    awkward = bytes(range(256)) + b"\\x00'\"{},\\\\"
    events = [StoredEvent(uuid4(), 1, "tests:Awkward", awkward + bytes([n])) for n in range(3)]
    ids = recorder.insert_events(events, person_keys=[("p-awkward", awkward)], message_digests=[("m-1", "d-1")])
    assert ids == [n.id for n in recorder.select_notifications(start=None, limit=10)][-3:]
    stored = recorder.select_events(events[1].originator_id)
    assert [e.state for e in stored] == [awkward + bytes([1])]
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT key FROM person_keys WHERE pseudonym = 'p-awkward'")
        assert bytes(cursor.fetchone()["key"]) == awkward
    recorder.insert_events([], person_keys=[("p-alone", b"\x00k")])  # side rows without events
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT key FROM person_keys WHERE pseudonym = 'p-alone'")
        assert bytes(cursor.fetchone()["key"]) == b"\x00k"
    before = recorder.max_notification_id()
    with pytest.raises(IntegrityError):
        recorder.insert_events([StoredEvent(uuid4(), 1, "tests:Awkward", b"x")],
                               message_digests=[("m-2", "d-2"), ("m-1", "d-1")])
    assert recorder.max_notification_id() == before


def test_a_postgres_store_refuses_the_library_path_that_skips_the_side_rows(tmp_path, pg_url, geography,
                                                                             monkeypatch):
    """eventsourcing's database-function insert writes events only: person keys and the ledger would be lost."""
    monkeypatch.setenv("POSTGRES_ENABLE_DB_FUNCTIONS", "y")
    with pytest.raises(Exception, match="POSTGRES_ENABLE_DB_FUNCTIONS must be off"):
        bootstrap(make_config(tmp_path / "gf", GRIDFLOW_EVENT_STORE=pg_url), geography).store.close()
