"""End to end on the real parts: Tansu broker, the intake worker process, SQLite or PostgreSQL store, chdb."""
from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from gridflow.cli import build_parser, run
from gridflow.pipeline import local_stack, stream_through
from projections import queries
from projections.projector import all_notifications
from projections.rows import MOVEMENT_TOPICS
from streams.dead_letter import make_cipher, open_original, read_dead_letters
from streams.simulator import Simulator
from tests.conftest import make_config
from tests.e2e.state import assert_same_as_in_order_delivery, assert_state_equal, reference_state


@pytest.fixture
def fresh_kafka(tmp_path: Path):
    """A broker of its own per test: dead-letter topics and offsets start empty."""
    from gridflow.runtime import tansu_broker

    with tansu_broker(tmp_path / "tansu") as bootstrap:
        yield bootstrap


def season(geography, seed=11, bad_share=0.03):
    return list(Simulator(geography, start=date(2026, 8, 1), days=2, scale=0.004, seed=seed,
                          bad_share=bad_share).messages())


def stored_projectable_facts(reader) -> int:
    return sum(1 for n in all_notifications(reader.recorder) if n.topic in MOVEMENT_TOPICS)


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_season_streams_through_kafka_into_the_store_and_clickhouse(request, store, tmp_path, geography,
                                                                      fresh_kafka, capsys):
    env = {"KAFKA_BOOTSTRAP_SERVERS": fresh_kafka}
    if store == "postgres":
        env["GRIDFLOW_EVENT_STORE"] = request.getfixturevalue("pg_url")
    config = make_config(tmp_path / "gf", **env)
    messages = season(geography)
    with local_stack(config, geography) as stack:
        started = time.monotonic()
        published = stream_through(stack, messages)
        totals = queries.intake_totals(stack.client)
        # how long messages waited in Kafka, from their Kafka timestamps: known for every stretch, within the run
        waits = "SELECT min(waited_ms), max(waited_ms) FROM intake_ledger"
        shortest, longest = stack.client.query(waits).result_rows[0]
        assert 0 < shortest <= longest <= (time.monotonic() - started) * 1000
        letters = read_dead_letters(stack.servers, expected=totals["rejected"])
        # nothing lost: every message is stored or dead-lettered, exactly once
        assert published.count == len(messages)
        assert published.count == totals["accepted"] + len(letters)
        assert totals["duplicates"] == 0 and totals["rejected"] == len(letters)
        # every seeded bad message is in the dead-letter topic with its reason and its original bytes
        cipher = make_cipher(config.cipher_key)
        by_position = {(x["source"]["topic"], x["source"]["partition"], x["source"]["offset"]): x for x in letters}
        assert published.bad
        for position, (reason, original) in published.bad.items():
            assert by_position[position]["reason"] == reason
            assert open_original(by_position[position], cipher) == original
        # the operator's view of the same: `gridflow dead-letters --original`, one line per letter and its original
        assert run(stack.system, build_parser().parse_args(["dead-letters", "--original"])) == 0
        out, err = capsys.readouterr()
        assert err.strip().endswith(f"{len(letters)} dead letters")
        listed = [line for line in out.splitlines() if not line.startswith("    ")]
        assert len(listed) == len(letters) and {r for r, _ in published.bad.values()} <= {
            line.split()[1] for line in listed}
        assert sum(1 for line in out.splitlines() if line.startswith("    ")) == len(letters)
        # the projection holds one row per projectable stored fact, and the state the messages imply
        assert queries.projected_fact_count(stack.client) == stored_projectable_facts(stack.reader)
        expected = reference_state(geography, messages, config.pseudonym_key)
        assert expected["accepted"] == totals["accepted"]
        assert_state_equal(stack.client, expected)


def test_delivering_every_message_twice_has_the_effect_of_delivering_once(tmp_path, geography, fresh_kafka):
    config = make_config(tmp_path / "gf", KAFKA_BOOTSTRAP_SERVERS=fresh_kafka)
    messages = season(geography, seed=5)
    twice = [m for m in messages for _ in range(2)]
    with local_stack(config, geography) as stack:
        stream_through(stack, twice)
        totals = queries.intake_totals(stack.client)
        expected = reference_state(geography, messages, config.pseudonym_key)
        assert totals["accepted"] == expected["accepted"]
        assert totals["duplicates"] == expected["accepted"]  # every second copy of a good message: no effect
        assert totals["rejected"] == 2 * expected["rejected"]  # a bad message stays bad, each copy dead-lettered
        assert_state_equal(stack.client, expected)
        # no message had a second effect in the facts either
        doubled = stack.client.query("SELECT count() FROM (SELECT message_id, kind, subject FROM movements "
                                     "WHERE reason != 'implicit_by_move_in' "
                                     "GROUP BY message_id, kind, subject HAVING count() > 1)").result_rows
        assert doubled == [(0,)]


def test_a_worker_killed_mid_stream_and_restarted_loses_and_doubles_nothing(tmp_path, geography, fresh_kafka):
    import signal

    from gridflow.pipeline import following, intake_worker, wait_until
    from streams.producer import kafka_producer, publish

    config = make_config(tmp_path / "gf", KAFKA_BOOTSTRAP_SERVERS=fresh_kafka)
    messages = list(Simulator(geography, start=date(2026, 8, 1), days=2, scale=0.03, seed=8,
                              bad_share=0.01).messages())
    with local_stack(config, geography) as stack, following(stack.projector):
        producer = kafka_producer(stack.servers)
        publish(producer, messages)
        producer.close()
        log = config.data_dir / "logs" / "worker.log"
        with intake_worker(config, stack.servers, log, group_id="restart-test") as first:
            wait_until(lambda: stack.projector.handled > 0, lambda: "first worker",
                       timeout_s=300, alive=lambda: first.poll() is None, every_s=0.02)
            first.send_signal(signal.SIGKILL)  # no goodbye: offsets committed so far are all it leaves
            first.wait()
        stored_by_first = stack.reader.recorder.max_notification_id()
        wait_until(lambda: stack.projector.position >= stored_by_first, lambda: "projecting", timeout_s=120)
        assert 0 < stack.projector.handled < len(messages)  # killed mid-stream
        with intake_worker(config, stack.servers, log, group_id="restart-test") as second:
            wait_until(lambda: stack.projector.handled >= len(messages)
                       and stack.projector.position >= (stack.reader.recorder.max_notification_id() or 0),
                       lambda: "second worker", timeout_s=600, alive=lambda: second.poll() is None)
        second_totals = log.read_text().rsplit("intake totals at exit", 1)[1].splitlines()[0]
        assert "'accepted': 0," not in second_totals  # the second worker did the rest
        assert_same_as_in_order_delivery(stack, geography, messages, config)
