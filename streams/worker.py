"""The faust stream worker: consumes every intake topic, hands batches to an IntakeHandler.

Settings follow ../shared/notes/platform.md for the local Tansu broker: short session/rebalance timeouts (B2),
at-least-once only (B4: no idempotent aiokafka producer), concurrency=1 (faust may commit past in-flight
messages otherwise). At-least-once is enough because the handler's effects are idempotent: the Kafka position
is stored with the events, and every aggregate remembers the message ids it applied.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_kafka

from streams.dead_letter import RawMessage
from streams.intake import IntakeHandler, with_retries
from streams.topics import INTAKE

log = logging.getLogger("gridflow.worker")
FETCH_MAX_WAIT_MS = 100


@dataclass(frozen=True)
class WorkerSettings:
    bootstrap: str
    group_id: str = "gridflow-intake"
    batch_size: int = 2000
    datadir: str = "."  # faust keeps its `<group>-data` directory here (the worker's data directory, not the cwd)
    batch_within_s: float = 0.03  # a batch closes when full or after this long: fresh at low rates, full at high


class _PromptConsumerThread(faust_kafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: faust_kafka.Transport) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # faust fixes fetch_max_wait_ms at 1500; the local broker answers a fetch only when that wait ends, even
        # when messages arrived meanwhile, which added up to 1.5 s to every message's way into the store.
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer


class _PromptConsumer(faust_kafka.Consumer):
    def _new_consumer_thread(self) -> faust_kafka.AIOKafkaConsumerThread:
        return _PromptConsumerThread(self, loop=self.loop, beacon=self.beacon)


class PromptTransport(faust_kafka.Transport):
    """faust's Kafka transport with a short fetch wait (see _PromptConsumerThread)."""
    Consumer = _PromptConsumer


def build_app(settings: WorkerSettings, handler: IntakeHandler) -> faust.App:
    Path(settings.datadir).mkdir(parents=True, exist_ok=True)  # faust makes only the last level
    app = faust.App(
        settings.group_id,
        broker=f"kafka://{settings.bootstrap}",
        store="memory://",
        datadir=f"{settings.datadir}/{{conf.name}}-data",
        web_enabled=False,
        topic_allow_declare=False,  # topics are created by gridflow with their final configs
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=10,
        broker_rebalance_timeout=10,
        broker_heartbeat_interval=1,
        broker_max_poll_records=None,
        stream_buffer_maxsize=4 * settings.batch_size,
    )
    app.transport = PromptTransport(app.conf.broker_consumer, app)  # before the first topic asks for it
    intake_topics = app.topic(*(t.name for t in INTAKE), key_serializer="raw", value_serializer="raw")
    # One thread does all store work, in order; the event loop keeps fetching and heartbeating meanwhile.
    store_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gridflow-store")
    timing = {"last_log": time.monotonic(), "waiting_s": 0.0, "handling_s": 0.0, "batches": 0}

    @app.agent(intake_topics, concurrency=1)
    async def intake(stream):  # noqa: ANN001 - faust's stream type
        loop = asyncio.get_running_loop()
        waited_from = time.monotonic()
        async for events in stream.take_events(settings.batch_size, within=settings.batch_within_s):
            started = time.monotonic()
            timing["waiting_s"] += started - waited_from
            records = [RawMessage(e.message.topic, e.message.partition, e.message.offset, e.message.key,
                                  e.message.value) for e in events]
            try:
                await loop.run_in_executor(store_thread, with_retries, handler.handle, records)
            except Exception:
                # faust acknowledges a taken batch even when its consumer fails; leave before it can, so the
                # uncommitted offsets are delivered again after a restart (effects are idempotent).
                log.exception("intake batch failed after retries: stopping without acknowledging it")
                logging.shutdown()
                os._exit(70)
            finished = waited_from = time.monotonic()
            timing["handling_s"] += finished - started
            timing["batches"] += 1
            if finished - timing["last_log"] > 5:
                timing["last_log"] = finished
                log.info("intake totals %s; %d batches, %.1f s handling, %.1f s waiting for input",
                         handler.totals, timing["batches"], timing["handling_s"], timing["waiting_s"])

    return app


def run(settings: WorkerSettings, handler: IntakeHandler, loglevel: str = "info") -> None:
    """Run until SIGTERM/SIGINT."""
    app = build_app(settings, handler)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    finally:
        log.info("intake totals at exit %s", handler.totals)
