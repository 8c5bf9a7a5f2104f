"""The production shape under faults, on PostgreSQL: several `gridflow worker` processes in one consumer group with
one SIGKILLed mid-stream, and the PostgreSQL server restarted mid-stream. In each case the final state equals a
single in-order delivery of the same messages: nothing lost, nothing doubled."""
from __future__ import annotations

import signal
import subprocess
from contextlib import ExitStack
from datetime import date

import pytest

from gridflow.pipeline import following, intake_worker, local_stack, wait_until
from streams.producer import kafka_producer, publish
from streams.simulator import Simulator
from tests.conftest import make_config
from tests.e2e.state import assert_same_as_in_order_delivery


@pytest.fixture
def fresh_kafka(tmp_path):
    from gridflow.runtime import tansu_broker

    with tansu_broker(tmp_path / "tansu") as servers:
        yield servers


def season(geography, seed):
    return list(Simulator(geography, start=date(2026, 8, 1), days=2, scale=0.01, seed=seed,
                          bad_share=0.01).messages())


def handled_all(stack, count: int) -> bool:
    return stack.projector.handled >= count and \
        stack.projector.position >= (stack.reader.recorder.max_notification_id() or 0)


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_in_one_group_one_killed_mid_stream(workers, tmp_path, geography, fresh_kafka, pg_url):
    config = make_config(tmp_path / "gf", KAFKA_BOOTSTRAP_SERVERS=fresh_kafka, GRIDFLOW_EVENT_STORE=pg_url,
                         GRIDFLOW_BATCH_SIZE="200")
    messages = season(geography, seed=30 + workers)
    with local_stack(config, geography) as stack, following(stack.projector), ExitStack() as running:
        producer = kafka_producer(stack.servers)
        publish(producer, messages)
        producer.close()
        procs = [running.enter_context(intake_worker(config, stack.servers, tmp_path / f"worker-{n}.log",
                                                     group_id="production-group")) for n in range(workers)]
        wait_until(lambda: stack.projector.handled > len(messages) // 5, lambda: "workers started",
                   timeout_s=300, alive=lambda: all(p.poll() is None for p in procs), every_s=0.05)
        procs[0].send_signal(signal.SIGKILL)  # mid-stream, no goodbye
        procs[0].wait()
        assert stack.projector.handled < len(messages)
        wait_until(lambda: handled_all(stack, len(messages)),
                   lambda: f"{workers - 1} workers after the kill: {stack.projector.handled}/{len(messages)}",
                   timeout_s=600, alive=lambda: all(p.poll() is None for p in procs[1:]))
        assert_same_as_in_order_delivery(stack, geography, messages, config)
    logs = "".join((tmp_path / f"worker-{n}.log").read_text() for n in range(1, workers))
    assert "accepted" in logs


def restart_postgres() -> None:
    cluster = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout.split()[:2]
    subprocess.run(["pg_ctlcluster", *cluster, "restart"], check=True, timeout=120)


def test_postgres_restarted_mid_stream_the_worker_waits_and_catches_up(tmp_path, geography, fresh_kafka, pg_url):
    config = make_config(tmp_path / "gf", KAFKA_BOOTSTRAP_SERVERS=fresh_kafka, GRIDFLOW_EVENT_STORE=pg_url,
                         GRIDFLOW_BATCH_SIZE="100")
    messages = season(geography, seed=40)
    log = tmp_path / "worker.log"
    with local_stack(config, geography) as stack, following(stack.projector), \
            intake_worker(config, stack.servers, log) as worker:
        producer = kafka_producer(stack.servers)
        publish(producer, messages)
        producer.close()
        wait_until(lambda: stack.projector.handled > len(messages) // 5, lambda: "worker started",
                   timeout_s=300, alive=lambda: worker.poll() is None, every_s=0.05)
        started = postgres_started(pg_url)
        restart_postgres()
        assert postgres_started(pg_url) > started and stack.projector.handled < len(messages)  # mid-stream
        wait_until(lambda: handled_all(stack, len(messages)),
                   lambda: f"after the restart: {stack.projector.handled}/{len(messages)}",
                   timeout_s=600, alive=lambda: worker.poll() is None)
        assert worker.poll() is None
        assert_same_as_in_order_delivery(stack, geography, messages, config)


def postgres_started(url: str):
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0]
