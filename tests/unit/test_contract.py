"""The intake contract: envelopes + JSON Schemas, parsed into commands or refused with a reason code."""
import json
from datetime import date

import jsonschema
import orjson
import pytest

from domain import commands as c
from domain import errors
from streams.contract import KINDS, parse, schema, to_item
from streams.simulator import Simulator
from streams.topics import INTAKE, KIND_OF_TOPIC, TOPIC_OF_KIND


@pytest.fixture(scope="module")
def season(geography):
    return list(Simulator(geography, start=date(2026, 8, 1), days=3, scale=0.005, seed=7, bad_share=0.05).messages())


def test_every_kind_has_a_topic_and_a_schema_file():
    assert set(KINDS) == {t.kind for t in INTAKE}
    for kind in KINDS:
        assert schema(kind)["properties"]["kind"] == {"const": kind}


def test_good_simulated_messages_follow_the_schema_by_an_independent_validator(season):
    good = [m for m in season if m.expected_reject is None]
    assert {KIND_OF_TOPIC[m.topic] for m in good} == set(KINDS)
    for message in good:
        document = json.loads(message.value)
        jsonschema.Draft7Validator(schema(document["kind"])).validate(document)
        assert isinstance(parse(message.value, KIND_OF_TOPIC[message.topic]), c.Command)


def test_seeded_bad_messages_are_refused_for_their_reason_at_parse_time(season):
    parse_reasons = {"malformed_json", "unknown_kind", "invalid_id_number"}
    bad = [m for m in season if m.expected_reject in parse_reasons]
    assert bad
    for message in bad:
        item = to_item("test:0", 0, message.value, KIND_OF_TOPIC[message.topic])
        assert item.command is None and item.rejected.reason == message.expected_reject


def envelope(kind="move_in", **payload_changes):
    payload = {"person": {"id_number": "11010519491231002X"}, "dwelling_id": "D1", "grid_code": "37061400100101",
               "household_id": "H1", "reason": "new_home"}
    payload.update(payload_changes)
    return {"message_id": "0b0b6a5e-1d7c-4b9e-8f5c-1a2b3c4d5e6f", "kind": kind, "schema_version": 1,
            "occurred_at": "2026-08-01T09:00:00+08:00", "source": "test", "payload": payload}


def test_a_message_on_the_wrong_topic_is_refused():
    with pytest.raises(errors.WrongTopic):
        parse(orjson.dumps(envelope()), "rental")


def test_a_schema_violation_names_the_field_but_not_the_value():
    with pytest.raises(errors.SchemaViolation) as refused:
        parse(orjson.dumps(envelope(grid_code="not-a-grid")), "move_in")
    assert "grid_code" in refused.value.detail and "not-a-grid" not in refused.value.detail


def test_an_invalid_id_number_is_refused_without_echoing_it():
    with pytest.raises(errors.InvalidIdNumber) as refused:
        parse(orjson.dumps(envelope(person={"id_number": "110105194912310021"})), "move_in")
    assert "110105194912310021" not in str(refused.value)


def test_a_non_object_is_malformed():
    with pytest.raises(errors.MalformedJson):
        parse(b"[1, 2]", "move_in")


def test_every_reason_code_is_documented():
    assert set(errors.REASONS) >= {"malformed_json", "unknown_kind", "schema_violation", "invalid_id_number",
                                   "not_resident", "stay_not_found", "end_before_start", "unknown_lease"}
    assert all(errors.REASONS.values())


def test_the_topic_table_is_consistent():
    assert {TOPIC_OF_KIND[k] for k in KINDS} == {t.name for t in INTAKE}
    assert all(t.partitions >= 1 and "retention.ms" in t.configs for t in INTAKE)
    assert all(t.configs["message.timestamp.type"] == "LogAppendTime" for t in INTAKE)  # waits on the broker's clock


def test_every_event_that_yields_rows_is_a_projected_topic(geography, season):
    """A topic missing from PROJECTED_TOPICS would be skipped by the projector without a word."""
    from domain.application import Population
    from domain.identity import Pseudonymizer
    from projections.rows import PROJECTED_TOPICS, RowMaker
    from streams.topics import KIND_OF_TOPIC

    population = Population({}, geography=geography, pseudonymize=Pseudonymizer(b"k" * 32))
    population.process([to_item(m.topic, i, m.value, KIND_OF_TOPIC[m.topic]) for i, m in enumerate(season)])
    population.record_open_stays([], season[-1].occurred_at)
    maker, yielding = RowMaker(geography), set()
    for n in population.recorder.select_notifications(start=1, limit=10**6):
        event = population.mapper.to_domain_event(n)
        if list(maker.rows(n.id, event)):
            yielding.add(n.topic)
    assert yielding and yielding <= PROJECTED_TOPICS
