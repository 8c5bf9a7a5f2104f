"""`gridflow feeds` end to end: a season through the real pipeline (Tansu, the worker process, SQLite, chdb), then the
feed publisher — in-process with crashes injected between the broker's acknowledgement and the saved position and
in the middle of a batch, and as its own process SIGKILLed mid-stream and restarted — and an independent consumer
(confluent-kafka) that reads each feed using only its published JSON Schemas: every run ends with exactly the
messages of one clean run, in the same order per partition (so per key), none lost or repeated."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, TopicPartition
from jsonschema import Draft7Validator

from domain.identity import Pseudonymizer
from domain.model import Person, PriorityPerson
from feeds.catalogue import load_catalogue
from feeds.positions import MemoryPositions, SqlitePositions
from feeds.publisher import FeedPublisher
from feeds.reading import LogReader
from gridflow.pipeline import local_stack, stream_through
from gridflow.runtime import tansu_broker
from projections.projector import all_notifications
from streams.simulator import Simulator
from streams.tail import ends
from tests.conftest import make_config

SCHEMAS = Path(__file__).resolve().parents[2] / "feeds" / "schemas"
BATCH = "20"  # notifications per batch, in every run (batches make the count messages)
TOPICS = {"tourism": "gridflow.feed.tourism", "civil-affairs": "gridflow.feed.civil-affairs",
          "public-security": "gridflow.feed.public-security"}


def read_feed(servers: str, department: str) -> dict[int, list[tuple[bytes, dict]]]:
    """The independent consumer: librdkafka, JSON, and the department's published schemas — nothing of gridflow.
    Every partition from its start to its end (partition EOF), each message checked against its kind's schema."""
    topic = TOPICS[department]
    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"reader-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": False, "enable.partition.eof": True, "auto.offset.reset": "earliest"})
    try:
        partitions = sorted(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        read: dict[int, list[tuple[bytes, dict]]] = {p: [] for p in partitions}
        at_end: set[int] = set()
        deadline = time.monotonic() + 60
        while len(at_end) < len(partitions) and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                assert message.error().code() == KafkaError._PARTITION_EOF, message.error()
                at_end.add(message.partition())
                continue
            body = json.loads(message.value())
            schema = json.loads((SCHEMAS / department / f"{body['kind']}.schema.json").read_text("utf-8"))
            Draft7Validator(schema).validate(body)
            read[message.partition()].append((message.key(), body))
        assert len(at_end) == len(partitions), "a partition was not read to its end"
        return read
    finally:
        consumer.close()


def read_all(servers: str) -> dict[str, dict[int, list[tuple[bytes, dict]]]]:
    return {department: read_feed(servers, department) for department in TOPICS}


@pytest.fixture(scope="module")
def season(tmp_path_factory, geography):
    """A season in the store (and in ClickHouse), and the feeds of one clean, uninterrupted run."""
    root = tmp_path_factory.mktemp("feeds")
    with tansu_broker(root / "tansu") as servers:
        config = make_config(root / "gf", KAFKA_BOOTSTRAP_SERVERS=servers)
        messages = Simulator(geography, start=date(2026, 8, 1), days=4, scale=0.005, seed=3, bad_share=0.0).messages()
        with local_stack(config, geography) as stack:
            stream_through(stack, messages)
            feeds = load_catalogue(None, geography)
            with tansu_broker(root / "clean") as clean:
                run_in_process(stack, feeds, clean, MemoryPositions())
                stack.clean = read_all(clean)
            stack.feeds = feeds
            yield stack


def run_in_process(stack, feeds, servers, positions, producer=None) -> FeedPublisher:
    keys = {f.department: stack.config.feed_key(f.department) for f in feeds}
    publisher = FeedPublisher(feeds, LogReader(stack.reader, stack.geo), positions, keys, servers,
                              producer=producer, batch_size=int(BATCH))
    try:
        publisher.start()
        publisher.catch_up()
    finally:
        publisher.close()
    return publisher


class Crash(Exception):
    pass


class DiesBeforeSaving(MemoryPositions):
    """The process dies after the broker acknowledged a batch and before its position is saved."""

    def __init__(self, at: int):
        super().__init__()
        self.saves, self.at = 0, at

    def save(self, positions):
        self.saves += 1
        if self.saves == self.at:
            raise Crash
        super().save(positions)

    def close(self):
        pass


class DiesMidBatch:
    """The process dies in the middle of a batch — after a feed's first messages of it, before the rest: what was
    sent before is on the broker, the rest is not."""

    def __init__(self, servers: str, after: int):
        from feeds.publisher import feed_producer

        self.producer, self.sends, self.after, self.last = feed_producer(servers), 0, after, None

    def send(self, topic, key=None, value=None, headers=None):
        self.sends += 1
        if self.sends > self.after and self.last == (topic, headers):  # the same feed, the same batch
            self.producer.flush()
            raise Crash
        self.last = (topic, headers)
        return self.producer.send(topic, key=key, value=value, headers=headers)

    def flush(self):
        self.producer.flush()

    def close(self):
        self.producer.close()


def test_crashes_in_process_leave_the_feeds_of_one_clean_run(season, tmp_path, caplog):
    caplog.set_level("WARNING", logger="gridflow.feeds")
    with tansu_broker(tmp_path / "tansu") as servers:
        positions = DiesBeforeSaving(at=3)
        with pytest.raises(Crash):
            run_in_process(season, season.feeds, servers, positions)
        positions.at = 0
        with pytest.raises(Crash):
            run_in_process(season, season.feeds, servers, positions, DiesMidBatch(servers, after=700))
        run_in_process(season, season.feeds, servers, positions)
        assert read_all(servers) == season.clean
    finished = [r.args for r in caplog.records if "was interrupted" in r.getMessage()]
    assert any(present and not missing for _, _, present, missing in finished)  # acknowledged, not saved
    assert any(present and missing for _, _, present, missing in finished)  # cut in the middle


def gridflow(stack, *args: str, servers: str | None = None) -> subprocess.Popen:
    config = stack.config
    env = dict(os.environ, GRIDFLOW_DATA_DIR=str(config.data_dir), GRIDFLOW_EVENT_STORE=config.event_store_url,
               GRIDFLOW_CIPHER_KEY=config.cipher_key, GRIDFLOW_PSEUDONYM_KEY=config.pseudonym_key.decode(),
               GRIDFLOW_CLICKHOUSE=config.clickhouse_dsn, KAFKA_BOOTSTRAP_SERVERS=servers or stack.servers)
    return subprocess.Popen([sys.executable, "-m", "gridflow.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def saved(stack) -> dict:
    return SqlitePositions(Path(stack.config.event_store_url.removeprefix("sqlite://"))).load()


def positions_now(stack) -> int:
    now = saved(stack)
    return min((now[d].position if d in now else 0) for d in TOPICS)


def unsaved_messages(stack) -> bool:
    """Whether a feed's topic holds messages past the offsets saved with its position: the publisher was between
    sending a batch and saving its position (or in the middle of sending it)."""
    now = saved(stack)
    offsets = {(topic, p): now[d].offsets.get(p, 0) if d in now else 0 for d, topic in TOPICS.items()
               for p in range(4)}
    return any(end > offsets[tp] for tp, end in ends(stack.servers, offsets).items())


def test_a_publisher_process_killed_mid_stream_and_restarted_neither_loses_nor_repeats(season):
    head = season.reader.recorder.max_notification_id()
    rng, between_send_and_save = random.Random(13), 0
    for share in (0.25, 0.6):
        publisher = gridflow(season, "feeds", "publish", "--follow", "--batch-size", BATCH)
        deadline = time.monotonic() + 120
        while positions_now(season) < share * head and time.monotonic() < deadline and publisher.poll() is None:
            time.sleep(0.01)
        assert publisher.poll() is None, publisher.communicate()[1][-2000:]
        for probe in range(100):  # freeze it at random points until it is caught with messages sent but not saved
            publisher.send_signal(signal.SIGSTOP)
            if unsaved_messages(season):
                between_send_and_save += 1
                print(f"caught between a send and its saved position at probe {probe}")
                break
            publisher.send_signal(signal.SIGCONT)
            time.sleep(rng.uniform(0, 0.01))
        publisher.send_signal(signal.SIGKILL)
        publisher.wait()
    assert 0 < positions_now(season) < head and between_send_and_save >= 1  # killed mid-stream, mid-batch
    finish = gridflow(season, "feeds", "publish", "--batch-size", BATCH)
    _, err = finish.communicate(timeout=300)
    assert finish.returncode == 0 and "Traceback" not in err, err[-2000:]
    assert read_all(season.servers) == season.clean
    listing = gridflow(season, "feeds")
    out, err = listing.communicate(timeout=60)
    assert listing.returncode == 0, err
    for topic in TOPICS.values():
        row = next(line for line in out.splitlines() if line.startswith(topic)).split()
        assert row[2:4] == [str(head), "0"]  # position at the store's head, no lag


def first_person_of(stack, event_type) -> str:
    return next(stack.reader.mapper.to_domain_event(n).pseudonym for n in all_notifications(stack.reader.recorder)
                if n.topic.endswith(event_type.__qualname__))


def test_an_erasure_reaches_every_pseudonymised_feed_as_a_tombstone_for_its_own_pseudonym(season):
    resident, watched = first_person_of(season, Person.Registered), first_person_of(season, PriorityPerson.Enrolled)
    assert season.reader.forget(resident, reason="PIPL art. 47 request", requested_by="tester")
    assert season.reader.forget(watched, reason="PIPL art. 47 request", requested_by="tester")
    run = gridflow(season, "feeds", "publish")
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err[-2000:]
    feeds = read_all(season.servers)
    as_seen_by = {d: {p: Pseudonymizer(season.config.feed_key(d))(p) for p in (resident, watched)}
                  for d in ("civil-affairs", "public-security")}
    for department, pseudonyms in as_seen_by.items():
        messages = [body for partition in feeds[department].values() for _, body in partition]
        tombstones = [m["person"] for m in messages if m["kind"] == "erasure"]
        assert sorted(tombstones) == sorted(pseudonyms.values())
        assert resident not in json.dumps(messages) and watched not in json.dumps(messages)
    # each department's pseudonym of a person is its own: the two feeds cannot be joined on it
    assert not set(as_seen_by["civil-affairs"].values()) & set(as_seen_by["public-security"].values())
    civil = [body for partition in feeds["civil-affairs"].values() for _, body in partition]
    named = [m for m in civil if m["person"] == as_seen_by["civil-affairs"][resident]]
    assert named[-1]["kind"] == "erasure" and len(named) > 1  # the person's changes, then the tombstone
    assert not any(m["kind"] == "erasure" for p in feeds["tourism"].values() for _, m in p)  # counts name no one


def test_counts_and_events_agree_with_the_projections(season):
    client = season.client
    tourism = [body for partition in season.clean["tourism"].values() for _, body in partition]
    lodged = [m for m in tourism if m["kind"] == "grid_hour_counts"]
    arrivals, departures = client.query("SELECT sum(visitor_arrivals), sum(visitor_departures) FROM grid_hourly"
                                        ).result_rows[0]
    assert sum(m["visitor_arrivals"] for m in lodged) == arrivals > 0
    assert sum(m["visitor_departures"] for m in lodged) == departures
    assert sum(m["visitors_delta"] for m in lodged) == arrivals - departures
    entries = client.query("SELECT sum(entries) FROM scenic_gate_counts").result_rows[0][0]
    assert sum(m["entries"] for m in tourism if m["kind"] == "scenic_hour_counts") == entries > 0
    changes = client.query("SELECT count() FROM movements WHERE kind IN ('move_in', 'move_out', "
                           "'move_out_settled')").result_rows[0][0]
    civil = [body for partition in season.clean["civil-affairs"].values() for _, body in partition]
    assert len(civil) == changes and {m["kind"] for m in civil} == {"residency_change"}
    keys = {key.decode() for partition in season.clean["civil-affairs"].values() for key, _ in partition}
    assert keys == {m["person"] for m in civil}  # keyed by the department's pseudonym


def test_a_feed_mistake_is_one_line_naming_its_cause(tmp_path):
    from tests.e2e.test_operator_mistakes import gridflow as run
    from tests.e2e.test_operator_mistakes import one_line

    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("feeds:\n  - {department: police, granularity: events, kinds: [priority_sighting],\n"
                         "     fields: [entries], scope: {district: 370614}}\n", "utf-8")
    line = one_line(run(tmp_path / "data", "feeds", "--catalogue", str(catalogue)))
    assert "feed catalogue" in line and "feed 'police' (entry 1): field 'entries' is not carried" in line
    assert "needs KAFKA_BOOTSTRAP_SERVERS" in one_line(run(tmp_path / "data", "feeds", "publish"))
