"""A failure at any step of a batch, on the real stores and the real broker: the batch is retried as the worker
retries it, and in the end every accepted message is stored once, every reject has its dead letter, and the
intake cursor is exactly past the batch (nothing was skipped as "already redelivered")."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from eventsourcing.persistence import OperationalError

from domain.model import IntakeCursor
from gridflow.bootstrap import bootstrap
from streams.dead_letter import DeadLetterPublisher, RawMessage, make_cipher, open_original, read_dead_letters
from streams.intake import IntakeHandler, with_retries
from streams.producer import kafka_producer
from streams.simulator import Simulator
from streams.topics import TOPIC_OF_KIND, TopicSpec, ensure_topics
from tests.conftest import make_config
from tests.integration.test_event_store import store_config  # noqa: F401 (fixture)

STEPS = ("keys", "existence", "ledger", "decide", "publish", "save", "after_save")


class FailOnce:
    """Fault injection: wraps one real method so that its first call raises (as a database or broker would)."""

    def __init__(self, target: object, name: str, error: Exception):
        self.target, self.name, self.error = target, name, error
        self.real = getattr(target, name)
        self.fired = False

    def __call__(self, *args, **kwargs):
        if not self.fired:
            self.fired = True
            raise self.error
        return self.real(*args, **kwargs)


def inject(step: str, system, handler, monkeypatch) -> FailOnce:
    store, error = system.store, OperationalError(f"injected at {step}")
    target, name = {
        "keys": (store.keyring, "prefetch"), "existence": (store, "stored_ids"), "ledger": (store.ledger, "digests"),
        "decide": (store.repository, "get"), "publish": (handler.dead_letters, "publish"),
        "save": (store.events, "put"), "after_save": (store, "take_snapshot"),
    }[step]
    fault = FailOnce(target, name, error if step != "publish" else TimeoutError("broker did not acknowledge"))
    monkeypatch.setattr(target, name, fault)
    return fault


HOSTILE = {10: b"not json", 60: None, 90: b"", 120: b'{"kind": "move_in", "pad": "' + b"x" * 2_000_000 + b'"}',
           150: b'{"message_id": "0b0b6a5e-1d7c-4b9e-8f5c-1a2b3c4d5e6f", "kind": "move_in"}'}


@pytest.fixture(scope="module")
def records(geography):
    """Move-ins from one source (so every message moves the same cursor), a tombstone, an empty value and a ~2 MB
    original (above the broker's message limit) among them, which all need dead letters."""
    season = Simulator(geography, start=date(2026, 8, 1), days=1, scale=0.002, seed=21, bad_share=0).messages()
    moves = [m for m in season if m.topic == TOPIC_OF_KIND["move_in"]][:200]
    return [RawMessage(m.topic, 0, n, m.key, HOSTILE.get(n, m.value) if n in HOSTILE else m.value)
            for n, m in enumerate(moves)]


def intake(system, servers):
    topic = TopicSpec(f"gridflow.test.dead-letter.{uuid.uuid4().hex[:8]}", None, 1, "key", 1)
    ensure_topics(servers, (topic,))
    publisher = DeadLetterPublisher(kafka_producer(servers), make_cipher(system.config.cipher_key), topic.name,
                                    system.vault())
    return IntakeHandler(system.store, publisher), topic.name


def stored_events(store) -> list[tuple]:
    return [(n.originator_id, n.originator_version, n.topic) for n in
            store.recorder.select_notifications(start=1, limit=10**6) if "IntakeCursor" not in n.topic]


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_any_step_loses_and_skips_nothing(step, store_config, geography, kafka_bootstrap, records,  # noqa: F811
                                                      tmp_path, monkeypatch):
    system = bootstrap(store_config, geography)
    system.store.snapshotting_intervals = {t: 3 for t in system.store.snapshotting_intervals}  # after_save happens
    handler, dead_letter_topic = intake(system, kafka_bootstrap)
    handler.handle(records[:50])
    fault = inject(step, system, handler, monkeypatch)
    with_retries(handler.handle, records[50:], delays_s=(0, 0, 0))
    assert fault.fired
    # the same as a run without the fault, in a store of its own
    clean = bootstrap(make_config(tmp_path / "clean", GRIDFLOW_CIPHER_KEY=store_config.cipher_key,
                                  GRIDFLOW_PSEUDONYM_KEY=store_config.pseudonym_key.decode()), geography)
    clean_handler, _ = intake(clean, kafka_bootstrap)
    first, expected = clean_handler.handle(records[:50]), clean_handler.handle(records[50:])
    assert sorted(stored_events(system.store)) == sorted(stored_events(clean.store))
    cursor = system.store.repository.get(IntakeCursor.create_id(handler.source_of(records[0])))
    assert cursor.position == 199  # nothing skipped as "already redelivered", nothing left behind
    accepted = {o.item.message_id for o in expected.outcomes if o.status == "accepted"}
    assert accepted and set(system.store.ledger.digests(accepted)) == accepted
    # every reject has its dead letter (a retry may have published one twice: readers deduplicate by position)
    rejected = {o.item.position for result in (first, expected) for o in result.rejects}
    letters = read_dead_letters(kafka_bootstrap, expected=len(rejected), topic=dead_letter_topic, idle_s=1)
    assert rejected >= set(HOSTILE) and {x["source"]["offset"] for x in letters} == rejected
    kept = next(x for x in letters if x["source"]["offset"] == 120)
    assert "original_ref" in kept and open_original(kept, make_cipher(store_config.cipher_key),
                                                    system.vault()) == HOSTILE[120]
