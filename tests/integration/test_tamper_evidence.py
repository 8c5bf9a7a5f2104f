"""The event log's hash chain on the real stores: an untouched store verifies; editing one stored event's bytes,
deleting one, or rewriting the whole chain is found at the first position it affects."""
import pytest

from gridflow.bootstrap import bootstrap
from stores.chain import EventChain
from tests.integration.test_event_store import season_items, store_config  # noqa: F401 (fixture)


@pytest.fixture
def sealed(store_config, geography):  # noqa: F811
    population = bootstrap(store_config, geography).store
    items = season_items(geography)
    for k in range(0, len(items), 250):
        population.process(items[k:k + 250])
    chain = EventChain(population.recorder)
    assert chain.seal() == population.recorder.max_notification_id() > 100
    return population, chain


def execute(population, sql, params=()):
    """`{events}` is the stored events table, `{id}` its notification id column (SQLite: the rowid)."""
    postgres = type(population.recorder).__name__.startswith("KeyedPostgres")
    sql = sql.format(events=population.recorder.events_table_name, id="notification_id" if postgres else "rowid")
    with population.recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(sql.replace("?", "%s" if postgres else "?"), params)


def stored_state(population, notification_id):
    return population.recorder.select_notifications(start=notification_id, limit=1)[0].state


def test_an_untouched_store_verifies_and_new_events_are_reported_unchained(sealed, geography):
    population, chain = sealed
    verdict = chain.verify()
    assert verdict.intact and verdict.checked == population.recorder.max_notification_id()
    population.process(season_items(geography, days=2)[-50:])  # newer positions than the first run's
    assert chain.verify().unchained > 0
    chain.seal()
    assert chain.verify().intact and chain.verify().unchained == 0


def test_editing_one_stored_events_bytes_is_found_at_that_position(sealed):
    population, chain = sealed
    victim = population.recorder.max_notification_id() // 2
    state = bytearray(stored_state(population, victim))
    state[-1] ^= 0x01
    execute(population, "UPDATE {events} SET state = ? WHERE {id} = ?",
            (bytes(state), victim))
    verdict = chain.verify()
    assert (verdict.first_mismatch, verdict.checked) == (victim, victim - 1)
    assert "bytes" in verdict.why


def test_deleting_a_stored_event_is_found(sealed):
    population, chain = sealed
    execute(population, "DELETE FROM {events} WHERE {id} = ?", (42,))
    assert chain.verify().first_mismatch == 42


def test_a_rewritten_chain_is_caught_by_an_anchor_kept_elsewhere(sealed):
    population, chain = sealed
    head_id, head_digest = chain.head()
    victim = head_id - 10
    state = bytearray(stored_state(population, victim))
    state[-1] ^= 0x01
    execute(population, "UPDATE {events} SET state = ? WHERE {id} = ?",
            (bytes(state), victim))
    chain._execute(f"DELETE FROM event_chain WHERE notification_id >= {chain.mark}", (victim,), commit=True)
    chain._head = None
    chain.seal()  # the forger re-chains from the edited event on
    assert chain.verify().intact  # the store alone cannot tell ...
    verdict = chain.verify(anchors={head_id: head_digest})  # ... the anchor in ClickHouse can
    assert verdict.first_mismatch == head_id


def test_a_reader_starting_past_the_chains_head_links_what_lies_between(store_config, geography):  # noqa: F811
    """After a replay the projector resumes past the chain's head: the events in between are chained first."""
    population = bootstrap(store_config, geography).store
    population.process(season_items(geography)[:120])
    chain = EventChain(population.recorder)
    later = population.recorder.select_notifications(start=60, limit=20)
    assert chain.extend(later) == 79  # 1–59 first, then 60–79
    verdict = chain.verify()
    assert verdict.intact and verdict.head[0] == 79
    assert verdict.unchained == population.recorder.max_notification_id() - 79
