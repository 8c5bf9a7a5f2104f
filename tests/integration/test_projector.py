"""The projector on the real embedded ClickHouse (chdb): counts, current state, crash recovery, idempotency."""
import re
import time
from datetime import UTC, datetime

import pytest

from domain import errors
from gridflow.bootstrap import bootstrap
from projections import queries
from projections.projector import ProjectionAheadOfStore
from projections.schema import table_counts
from tests.integration.test_event_store import season_items


@pytest.fixture
def system(config, geography):
    """A small simulated season (with a few refusals) applied to a SQLite store; ClickHouse not projected yet."""
    system = bootstrap(config, geography)
    items = season_items(geography, days=2)
    items[3].rejected, items[3].command = errors.MalformedJson("test"), None
    for k in range(0, len(items), 300):
        system.store.process(items[k:k + 300])
    return system


@pytest.fixture
def stored(system):
    return system.store


def projected(system):
    system.recovered_projector().catch_up()
    return system.clickhouse


def rows(client, sql):
    return client.query(sql).result_rows


def test_projected_rows_match_the_store(config, geography, system, stored):
    client = projected(system)
    counts = {}
    for n in stored.recorder.select_notifications(start=1, limit=10**6):
        counts[n.topic.split(":")[1]] = counts.get(n.topic.split(":")[1], 0) + 1
    by_kind = queries.movement_counts(client)
    assert by_kind["move_in"] == counts["Person.MovedIn"]
    assert by_kind.get("move_out", 0) == counts.get("Person.MovedOut", 0)
    assert by_kind["visitor_check_in"] == counts["VisitorStay.CheckedIn"]
    assert table_counts(client)["intake_ledger"] == counts["IntakeCursor.Advanced"]
    assert table_counts(client)["scenic_gate_counts"] == counts["ScenicDay.Counted"] > 0
    assert queries.rejects_by_reason(client) == {"malformed_json": 1}
    # the hourly rollup adds up to the facts it summarises
    assert rows(client, "SELECT sum(move_ins), sum(check_ins), sum(residents_delta) FROM grid_hourly") == \
        rows(client, "SELECT countIf(kind = 'move_in'), countIf(kind = 'visitor_check_in'), sum(population_delta) "
                     "FROM movements")
    # current population per grid equals the sum of the movement facts
    assert rows(client, "SELECT sum(residents) FROM grid_population FINAL") == \
        rows(client, "SELECT sum(population_delta) FROM movements")


def test_no_identity_reaches_clickhouse(config, geography, system, stored):
    client = projected(system)
    dump = "\n".join(str(r) for r in rows(client, "SELECT * FROM movements"))
    assert not re.search(r"\b\d{17}[\dX]\b", dump)


def test_a_crash_between_writes_neither_loses_nor_doubles_rows(config, geography, system, stored):
    client = system.clickhouse
    projector = system.projector
    projector.batch_size = 700
    projector.recover()
    projector.run_once()
    projector.run_once()
    # simulate a crash after the fact rows of the next batch were written, before its position was
    saved = projector.position
    original_insert = client.data_insert

    def insert_then_crash(context, *args, **kwargs):
        original_insert(context, *args, **kwargs)
        if context.table.strip("`") == "grid_population":
            raise KeyboardInterrupt("crash")

    client.data_insert = insert_then_crash
    with pytest.raises(KeyboardInterrupt):
        projector.run_once()
    client.data_insert = original_insert
    restarted = bootstrap(config, geography).projector
    assert restarted.recover() == saved
    restarted.catch_up()
    expected = {}
    for n in stored.recorder.select_notifications(start=1, limit=10**6):
        if n.topic.endswith("Person.MovedIn"):
            expected["move_in"] = expected.get("move_in", 0) + 1
    assert queries.movement_counts(client)["move_in"] == expected["move_in"]
    assert rows(client, "SELECT count() FROM (SELECT notification_id, seq FROM movements "
                        "GROUP BY notification_id, seq HAVING count() > 1)") == [(0,)]
    assert rows(client, "SELECT sum(residents) FROM grid_population FINAL") == \
        rows(client, "SELECT sum(population_delta) FROM movements")


def test_tables_from_another_store_are_refused(config, geography, system, stored, tmp_path):
    projected(system)
    from tests.conftest import make_config

    other = make_config(tmp_path / "other", GRIDFLOW_CLICKHOUSE_DATABASE=config.clickhouse_database)
    with pytest.raises(ProjectionAheadOfStore):
        bootstrap(other, geography).projector.recover()


def test_the_town_summary_covers_towns_with_residents(config, geography, system, stored):
    client = projected(system)
    summary = queries.town_summary(client, datetime(2026, 8, 1, tzinfo=UTC))
    assert set(summary) <= set(geography.towns) and len(summary) == 12
    assert sum(t["residents"] for t in summary.values()) == \
        rows(client, "SELECT sum(population_delta) FROM movements")[0][0]
    assert any(t.get("peak_visitors", 0) > 0 for t in summary.values())


def test_the_privacy_scan_finds_a_planted_id_number_and_nothing_else(config, geography, system, stored):
    client = projected(system)
    assert queries.plaintext_id_numbers(client) == []
    client.command("INSERT INTO intake_rejects (notification_id, seq, source, position, message_id, reason) "
                   "VALUES (999999, 0, 'x', 0, 'leaked 11010519491231002X here', 'test')")
    assert queries.plaintext_id_numbers(client) == [("intake_rejects.message_id", "leaked 11010519491231002X here")]


def test_an_idle_follower_rewrites_its_position_row_keeping_the_chain_anchor(config, geography, system, stored):
    """Operations alert when the position row goes stale: an idle projector must still write it, and the row it
    writes must keep the anchor `gridflow verify` reads at that position."""
    system.recovered_projector().catch_up()
    client = system.clickhouse
    before = rows(client, "SELECT position, updated_at, chain_digest FROM projection_position FINAL")
    assert len(before) == 1 and before[0][2]
    restarted = bootstrap(config, geography)  # a restart on a quiet store: its chain knows no head in memory yet
    projector = restarted.recovered_projector()
    started = time.monotonic()
    projector.follow(lambda: time.monotonic() - started > 1.0, heartbeat_s=0.3)
    after = rows(client, "SELECT position, updated_at, chain_digest, store_head FROM projection_position FINAL")
    assert after[0][0] == before[0][0] and after[0][1] > before[0][1]  # same position, written again
    assert after[0][2] == before[0][2] and after[0][3] == stored.recorder.max_notification_id()
    assert queries.chain_anchors(client) == {before[0][0]: bytes.fromhex(before[0][2])}
    assert system.chain.verify().intact
    projector.position += 1_000  # as if the store had been replaced by an older one under the follower
    with pytest.raises(ProjectionAheadOfStore, match="was replaced"):
        projector.heartbeat()  # raised, never hidden under a fresh row
