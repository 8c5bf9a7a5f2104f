"""Crypto-shredding: forgetting a person destroys their key, leaves a tombstone, unlinks their projected rows, and
changes no count."""
from pathlib import Path

import pytest

from domain import commands as c
from domain.keyring import FORGOTTEN
from domain.model import Person
from gridflow.bootstrap import bootstrap
from projections import queries
from tests.conftest import make_config
from tests.integration.test_event_store import projected_season


@pytest.fixture(params=["sqlite", "postgres"])
def store_config(request, tmp_path):
    if request.param == "sqlite":
        return make_config(tmp_path / "gf")
    return make_config(tmp_path / "gf", GRIDFLOW_EVENT_STORE=request.getfixturevalue("pg_url"))


def counts(client):
    return client.query("SELECT count(), sum(population_delta), sum(visitors_delta) FROM movements").result_rows + \
        client.query("SELECT sum(residents) FROM grid_population FINAL").result_rows


def store_files(config) -> bytes:
    if not config.event_store_url.startswith("sqlite"):
        return b""
    path = Path(config.event_store_url.removeprefix("sqlite://"))
    return b"".join(Path(f"{path}{s}").read_bytes() for s in ("", "-wal") if Path(f"{path}{s}").exists())


def test_a_forgotten_person_cannot_be_read_back_and_counts_stay(store_config, geography):
    config = store_config
    population, client, projector, items = projected_season(config, geography)
    before = counts(client)

    zhang = next(i.command.person for i in items if isinstance(i.command, c.MoveIn))
    pseudonym = population.pseudonymize(zhang.id_number)
    person = population.repository.get(Person.create_id(pseudonym))
    assert population.identity_of(pseudonym, person.identity)["id_number"] == zhang.id_number
    subject = person.id.hex
    assert client.query(f"SELECT count() FROM movements WHERE subject = '{subject}'").result_rows[0][0] > 0
    with population.recorder.datastore.transaction(commit=False) as cursor:
        mark = "%s" if "postgres" in config.event_store_url else "?"
        cursor.execute(f"SELECT key FROM person_keys WHERE pseudonym = {mark}", [pseudonym])
        stored_key = bytes(cursor.fetchall()[0]["key"])

    assert population.forget(pseudonym, reason="PIPL art. 47 request #17", requested_by="auditor-1")
    assert not population.forget(pseudonym, reason="again", requested_by="auditor-1")

    # unreadable: here, and for a new process holding the store key
    assert population.identity_of(pseudonym, person.identity) == FORGOTTEN
    fresh = bootstrap(config, geography).store
    assert fresh.identity_of(pseudonym, fresh.repository.get(person.id).identity) == FORGOTTEN
    files = store_files(config)
    assert stored_key not in files and zhang.id_number.encode() not in files
    # projections: the person's rows are unlinked, nothing is lost
    projector.catch_up()
    assert client.query(f"SELECT count() FROM movements WHERE subject = '{subject}'").result_rows[0][0] == 0
    assert client.query("SELECT count() FROM movements WHERE subject = 'forgotten'").result_rows[0][0] > 0
    assert counts(client) == before
    assert queries.plaintext_id_numbers(client) == []
    # a replay into fresh tables ends the same way
    replay = make_config(Path(str(config.data_dir) + "-replay"), GRIDFLOW_EVENT_STORE=config.event_store_url,
                         GRIDFLOW_CIPHER_KEY=config.cipher_key)
    rebuilt_system = bootstrap(replay, geography)
    replay_client = rebuilt_system.clickhouse
    rebuilt_system.recovered_projector().catch_up()
    assert counts(replay_client) == before
    assert replay_client.query(f"SELECT count() FROM movements WHERE subject = '{subject}'").result_rows[0][0] == 0
