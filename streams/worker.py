"""The intake worker as a plain consumer loop: poll a batch, hand it to the IntakeHandler, commit its offsets.

Each poll returns what the broker has for this member, up to a batch: a full batch under load, a small fresh one
when quiet, with no per-message machinery in between. At-least-once, as before: offsets are committed only after
the batch's effects are committed with their Kafka positions in the store, so whatever a crash or a rebalance
redelivers is recognised there and skipped. A rebalance happens only inside `poll`/`consume`, never while a
batch is handled; records of a partition given up in that call are dropped (`polled_records`).

The consumer is librdkafka's (confluent-kafka), not kafka-python's: the worker is bound by one core, and
kafka-python decodes every record in that core's Python thread, 84-120 us of CPU a message (a fifth of the
intake's time), where librdkafka fetches and decodes in its own C threads, about 2 us a message in all
(measured on the bench's 31,515 messages against Tansu). Producers, admin and tools stay on kafka-python.

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

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Consumer, KafkaError, KafkaException, TopicPartition

from streams.dead_letter import RawMessage
from streams.intake import IntakeHandler, with_retries
from streams.topics import INTAKE

log = logging.getLogger("gridflow.worker")
IDLE_POLL_S = 0.5
FETCH_MAX_WAIT_MS = 100
PREFETCH_KB = 16_384  # librdkafka's read-ahead for the whole consumer (default 64 MB): the worker stays small


@dataclass(frozen=True)
class WorkerSettings:
    bootstrap: str
    group_id: str = "gridflow-intake"
    batch_size: int = 2000


def consumer_for(settings: WorkerSettings) -> Consumer:
    consumer = Consumer({"bootstrap.servers": settings.bootstrap, "group.id": settings.group_id,
                         "client.id": f"{settings.group_id}-{os.getpid()}", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "fetch.wait.max.ms": FETCH_MAX_WAIT_MS,
                         "session.timeout.ms": 10_000, "heartbeat.interval.ms": 1_000,
                         # a batch may wait out a store outage (streams.intake.RETRY_DELAYS_S, ~2.5 min)
                         "max.poll.interval.ms": 600_000, "queued.max.messages.kbytes": PREFETCH_KB,
                         "error_cb": log_broker_error})
    # which partitions this worker holds, in its log (operators and `bench scaling` read it)
    consumer.subscribe([t.name for t in INTAKE],
                       on_assign=lambda _, assigned: log.info("partitions assigned: %d", len(assigned)),
                       on_revoke=lambda _, revoked: log.info("partitions revoked: %d", len(revoked)))
    return consumer


def log_broker_error(error: KafkaError) -> None:
    """librdkafka reconnects by itself; a broker away is worth a line, not a stop."""
    log.warning("broker: %s", error)


def next_offsets(records: Iterable[Any]) -> list[TopicPartition]:
    """The offsets to commit after `records`: one past the last record of each partition."""
    last: dict[tuple[str, int], int] = {}
    for r in records:
        key = (r.topic, r.partition)
        last[key] = max(last.get(key, -1), r.offset)
    return [TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in last.items()]


def polled_records(consumer: Consumer, batch_size: int) -> list[RawMessage]:
    """What has arrived, up to a batch. `consume` alone would wait for a full batch or its timeout: at a quiet
    hour's rate every message would wait the whole timeout, so it waits only for the first one.

    librdkafka runs a rebalance's callbacks inside these calls, in queue order with the messages: one call can
    return records of a partition and then give that partition up. Only the records of partitions still held are
    kept; the others belong to the next owner, who gets them from the last committed offset."""
    first = consumer.poll(IDLE_POLL_S)
    if first is None:
        return []
    rest = consumer.consume(num_messages=batch_size - 1, timeout=0) if batch_size > 1 else []
    records = []
    for message in [first, *rest]:
        if message.error() is None:
            kind, at_ms = message.timestamp()
            records.append(RawMessage(message.topic(), message.partition(), message.offset(), message.key(),
                                      message.value(), at_ms if kind != TIMESTAMP_NOT_AVAILABLE else None))
        elif message.offset() is not None and message.offset() >= 0:
            # librdkafka skips a message set it cannot read (CRC, decompression): not silently
            log.error("unreadable message(s) skipped by the consumer at %s:%s@%s: %s", message.topic(),
                      message.partition(), message.offset(), message.error())
        elif message.error().code() != KafkaError._PARTITION_EOF:
            log.warning("consumer: %s", message.error())
    held = {(tp.topic, tp.partition) for tp in consumer.assignment()}
    return [r for r in records if (r.topic, r.partition) in held]


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
            records = polled_records(consumer, settings.batch_size)
            if not records:
                continue
            started = time.monotonic()
            try:
                with_retries(handler.handle, records)
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
        consumer.close()  # leaves the group; nothing is committed automatically
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


def commit(consumer: Consumer, records: list[RawMessage]) -> None:
    # If the group moved on (a rebalance) or the broker is away, the next owner gets these messages again and the
    # store recognises them by their positions, so nothing is lost or applied twice.
    try:
        committed = consumer.commit(offsets=next_offsets(records), asynchronous=False) or []
        reason = "; ".join(f"{tp.topic}:{tp.partition} {tp.error}" for tp in committed if tp.error)
    except KafkaException as e:
        reason = str(e)
    if reason:
        log.warning("offsets not committed (%s); the store skips the redelivery", reason)
