"""A generative hostile feed through the real worker on the real broker: envelopes generated from the published
JSON Schemas and from the simulator's season, then mutated as a careless or hostile producer would (impossible
dates and offsets, extreme years, huge strings and keys, control, RTL and zero-width characters, wrong types, null
and empty values, unknown kinds, wrong topics, republished ids with other payloads, ID numbers and names typed
into free text and identifiers). Invariants after every round: produced = stored + duplicates + dead-lettered;
the worker never exits; the projector reaches the end of the store; no ID number or name in ClickHouse."""
from __future__ import annotations

import json
import uuid
from datetime import date

import orjson
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from domain.identity import make_id_number
from gridflow.pipeline import following, intake_worker, local_stack, wait_until
from projections import queries
from streams.contract import KINDS, schema
from streams.dead_letter import read_dead_letters
from streams.simulator import Simulator
from streams.topics import INTAKE, TOPIC_OF_KIND
from tests.conftest import make_config
from tests.e2e.schema_strategies import document

NAMES = [f"测{a}{b}" for a in "甲乙丙丁戊" for b in "子丑寅卯"]  # distinctive, so a leak can be searched for
WEIRD = ["\u202e", "\u200b", "\u0000", "\u0007", "\ufeff", "𝔘𝔫𝔦", "٣٤", "\\", '"', "\n"]


@pytest.fixture(scope="module")
def feed(tmp_path_factory, geography):
    """The pipeline running for the whole module: broker, worker process, projector; and what was produced."""
    from gridflow.runtime import tansu_broker

    root = tmp_path_factory.mktemp("hostile")
    with tansu_broker(root / "tansu") as servers:
        config = make_config(root / "gf", KAFKA_BOOTSTRAP_SERVERS=servers)
        with local_stack(config, geography) as stack, \
                intake_worker(config, stack.servers, root / "worker.log") as worker, following(stack.projector):
            from kafka import KafkaProducer

            producer = KafkaProducer(bootstrap_servers=servers, acks="all", max_request_size=8 * 1024 * 1024)
            yield stack, worker, producer, {"produced": 0}
            producer.close()


@pytest.fixture(scope="module")
def season(geography):
    return list(Simulator(geography, start=date(2026, 8, 1), days=1, scale=0.002, seed=99, bad_share=0).messages())


def _set_time(choices: list[str]):
    def change(message: dict, payload: dict, data: st.DataObject) -> None:
        message["occurred_at"] = data.draw(st.sampled_from(choices))
    return change


def _huge_string(message: dict, payload: dict, data: st.DataObject) -> None:
    payload[data.draw(st.sampled_from(["place", "dwelling_id", "reason", "x"]))] = "长" * data.draw(
        st.sampled_from([70, 300_000, 700_000]))


def _weird_characters(message: dict, payload: dict, data: st.DataObject) -> None:
    for key in ("dwelling_id", "household_id", "stay_id", "lease_id", "place", "source"):
        if isinstance(payload.get(key), str):
            payload[key] = data.draw(st.sampled_from(WEIRD)) + payload[key] + data.draw(st.sampled_from(WEIRD))


def _wrong_type(message: dict, payload: dict, data: st.DataObject) -> None:
    payload[data.draw(st.sampled_from(sorted(payload) or ["payload"]))] = data.draw(
        st.sampled_from([None, [], {}, 1.5, -1, True, "", 2**70]))


def _unknown_kind(message: dict, payload: dict, data: st.DataObject) -> None:
    message["kind"] = data.draw(st.sampled_from(["move_sideways", "", "MOVE_IN", None, 7]))


def _personal_data(message: dict, payload: dict, data: st.DataObject) -> None:
    """A name and an ID number typed where they do not belong (free text, identifiers)."""
    name, id_number = data.draw(st.sampled_from(NAMES)), make_id_number("370614", date(1990, 1, 1), 7)
    for who in ("person", "guest", "landlord"):
        if isinstance(payload.get(who), dict):
            payload[who]["name"] = name
    field = data.draw(st.sampled_from(["place", "dwelling_id", "household_id", "dwelling_address", "source"]))
    (message if field == "source" else payload)[field] = f"{name} 身份证{id_number} 电话13912345678"


CHANGES = {
    "impossible_time": _set_time(["2026-02-30T10:00:00+08:00", "2026-08-01T10:00:00+99:99", "2026-08-01T24:61:00Z"]),
    "extreme_year": _set_time(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-08:00", "1900-01-01T00:00:00+08:00"]),
    "huge_string": _huge_string, "weird_characters": _weird_characters, "wrong_type": _wrong_type,
    "unknown_kind": _unknown_kind, "personal_data": _personal_data,
}
RAW = {"null_value": lambda data: None, "empty_value": lambda data: b"",
       "not_json": lambda data: data.draw(st.binary(min_size=1, max_size=64))}


def mutate(message: dict, mutation: str, data: st.DataObject, earlier: list[dict]) -> tuple[str | None, bytes | None]:
    """(topic override, value) for one mutation of a message dict."""
    if mutation in RAW:
        return None, RAW[mutation](data)
    if mutation == "wrong_topic":
        return data.draw(st.sampled_from([t.name for t in INTAKE])), json.dumps(message).encode()
    if mutation == "reused_id" and earlier:
        message["message_id"] = data.draw(st.sampled_from(earlier))["message_id"]
    elif mutation in CHANGES:
        CHANGES[mutation](message, message.setdefault("payload", {}), data)
    return None, json.dumps(message).encode()


MUTATIONS = ("none", "none", "impossible_time", "extreme_year", "huge_string", "weird_characters", "wrong_type",
             "null_value", "empty_value", "not_json", "unknown_kind", "wrong_topic", "reused_id", "personal_data")


@given(data=st.data())
@settings(max_examples=3, deadline=None, database=None, phases=[Phase.generate])
def run_round(feed, season, data) -> None:
    stack, worker, producer, count = feed
    plan = data.draw(st.lists(st.tuples(st.booleans(), st.sampled_from(KINDS), st.integers(0, len(season) - 1),
                                        st.sampled_from(MUTATIONS)), min_size=60, max_size=90))
    earlier: list[dict] = []
    for from_schema, kind, pick, mutation in plan:
        if from_schema:
            message = data.draw(document(schema(kind)))
        else:
            base = season[pick]
            message, kind = orjson.loads(base.value), orjson.loads(base.value)["kind"]
        topic, value = mutate(message, mutation, data, earlier)
        earlier.append(message if isinstance(message, dict) and "message_id" in message else {"message_id": "x"})
        key = data.draw(st.sampled_from([b"k", uuid.uuid4().bytes, None, b"K" * 5000]))
        producer.send(topic or TOPIC_OF_KIND[kind], key=key if value is not None else key or b"k", value=value)
    producer.flush()
    count["produced"] += len(plan)
    wait_until(lambda: stack.projector.handled >= count["produced"]
               and stack.projector.position >= (stack.reader.recorder.max_notification_id() or 0),
               lambda: f"hostile feed: {stack.projector.handled}/{count['produced']} handled",
               timeout_s=300, alive=lambda: worker.poll() is None, every_s=0.2)
    totals = queries.intake_totals(stack.client)
    assert totals["accepted"] + totals["duplicates"] + totals["rejected"] == count["produced"]
    assert accepted_in_the_store(stack.reader) == totals["accepted"]  # counted accepted = really stored
    letters = read_dead_letters(stack.servers, expected=totals["rejected"], idle_s=2)
    assert len(letters) == totals["rejected"]
    assert worker.poll() is None
    assert queries.plaintext_id_numbers(stack.client) == []
    assert names_in_clickhouse(stack.client) == []


def accepted_in_the_store(store) -> int:
    """Accepted messages as the store's own ledger holds them (written in each batch's transaction), not as the
    projected counts say: counts that add up while messages go missing is what this feed is here to catch."""
    with store.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT count(*) AS n FROM intake_messages")
        return cursor.fetchone()["n"]


def names_in_clickhouse(client) -> list[str]:
    found = []
    for table, column in client.query(
            "SELECT table, name FROM system.columns WHERE database = currentDatabase() AND type LIKE '%String%' "
            "AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() "
            "AND engine NOT LIKE '%View%')").result_rows:
        hits = client.query(f"SELECT count() FROM `{table}` WHERE multiSearchAny(toString(`{column}`), %(n)s)",
                            parameters={"n": NAMES}).result_rows[0][0]
        if hits:
            found.append(f"{table}.{column}")
    return found


def test_a_hostile_feed_stops_nothing_and_loses_nothing(feed, season):
    run_round(feed, season)
    stack, worker, _, count = feed
    assert count["produced"] >= 180 and worker.poll() is None
    reasons = queries.rejects_by_reason(stack.client)
    assert {"invalid_time", "outside_time_window", "empty_message", "malformed_json"} <= set(reasons)
