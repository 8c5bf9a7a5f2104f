"""The intake worker as a plain consumer loop: poll a batch, hand it to the IntakeHandler, commit its offsets.

Each poll returns what the broker has for this member, up to a batch: a full batch under load, a small fresh one
when quiet, with no per-message machinery in between. At-least-once, as before: offsets are committed only after
the batch's effects are committed with their Kafka positions in the store, so whatever a crash or a rebalance
redelivers is recognised there and skipped. A rebalance can only happen inside `poll`, never during a batch.

Settings follow ../shared/notes/platform.md for the local Tansu broker: a session timeout of 10 s (B2), a short
fetch wait (Tansu answers a fetch only when the wait ends, even when messages arrived meanwhile).
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from streams.dead_letter import RawMessage
from streams.intake import IntakeHandler, with_retries
from streams.topics import INTAKE

log = logging.getLogger("gridflow.worker")
IDLE_POLL_MS = 500
FETCH_MAX_WAIT_MS = 100


@dataclass(frozen=True)
class WorkerSettings:
    bootstrap: str
    group_id: str = "gridflow-intake"
    batch_size: int = 2000


def consumer_for(settings: WorkerSettings) -> KafkaConsumer:
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap, group_id=settings.group_id,
                             client_id=f"{settings.group_id}-{os.getpid()}", enable_auto_commit=False,
                             auto_offset_reset="earliest", max_poll_records=settings.batch_size,
                             fetch_max_wait_ms=FETCH_MAX_WAIT_MS, session_timeout_ms=10_000,
                             heartbeat_interval_ms=1_000,
                             # a batch may wait out a store outage (streams.intake.RETRY_DELAYS_S, ~2.5 min)
                             max_poll_interval_ms=600_000)
    consumer.subscribe([t.name for t in INTAKE], listener=LoggedAssignments())
    return consumer


class LoggedAssignments(ConsumerRebalanceListener):
    """Which partitions this worker holds, in its log (operators and `bench scaling` read it)."""

    def on_partitions_revoked(self, revoked: Any) -> None:
        log.info("partitions revoked: %d", len(revoked))

    def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("partitions assigned: %d", len(assigned))


def next_offsets(records: Iterable[Any]) -> dict[Any, Any]:
    """The offsets to commit after `records`: one past the last record of each partition."""
    last: dict[Any, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        last[tp] = max(last.get(tp, -1), r.offset)
    return {tp: OffsetAndMetadata(offset + 1, "", -1) for tp, offset in last.items()}


def run(settings: WorkerSettings, handler: IntakeHandler) -> None:
    """Run until SIGTERM/SIGINT; the batch in hand is finished and committed first."""
    logging.getLogger("kafka").setLevel(logging.WARNING)
    relax_garbage_collection()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    consumer = consumer_for(settings)
    timing = {"last_log": time.monotonic(), "handling_s": 0.0, "batches": 0}
    try:
        while not stop.is_set():
            polled = consumer.poll(timeout_ms=IDLE_POLL_MS, max_records=settings.batch_size)
            records = [r for batch in polled.values() for r in batch]
            if not records:
                continue
            started = time.monotonic()
            try:
                with_retries(handler.handle, [RawMessage(r.topic, r.partition, r.offset, r.key, r.value)
                                              for r in records])
            except Exception:
                # the offsets stay uncommitted, so the batch is delivered again after a restart
                log.exception("intake batch failed after retries: stopping without committing it")
                logging.shutdown()
                os._exit(70)
            commit(consumer, records)
            finished = time.monotonic()
            timing["handling_s"] += finished - started
            timing["batches"] += 1
            if finished - timing["last_log"] > 5:
                timing["last_log"] = finished
                log.info("intake totals %s; %d batches, %.1f s handling", handler.totals, timing["batches"],
                         timing["handling_s"])
    finally:
        consumer.close(autocommit=False)
        log.info("intake totals at exit %s; %d batches", handler.totals, timing["batches"])


def relax_garbage_collection() -> None:
    """The intake allocates hundreds of objects a message but leaves almost no cyclic garbage (25,661 objects after
    the bench's 31,518 messages). With Python's default thresholds (700, 10, 10) the collector still made 12 full
    passes over the growing heap there, up to 424 ms each and 15 % of the worker's time: a stall for every message
    waiting. Collections of young objects every 50,000 allocations instead: no full pass in that run, the longest
    pause 164 ms, ~1.25x the messages/s, and freshness p99 at 1 k events/s 554 instead of 914-1,090 ms. What
    start-up built (reference data, schemas, modules) lives as long as the process: left out of every pass."""
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)


def commit(consumer: KafkaConsumer, records: list[Any]) -> None:
    try:
        consumer.commit(next_offsets(records))
    except KafkaError as e:  # CommitFailedError among them
        # the group moved on (a rebalance) or the broker is away: the next owner gets these messages again and
        # the store recognises them by their positions, so nothing is lost or applied twice
        log.warning("offsets not committed (%s: %s); the store skips the redelivery", type(e).__name__, e)
