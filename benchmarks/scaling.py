"""`gridflow bench scaling`: the production shape on PostgreSQL — 1, 2 and 3 `gridflow worker` processes in one
consumer group (the intake topics have 4 partitions) — messages/s end to end, and how often the store's writers
wait for a lock (pg_stat_activity sampled every 100 ms while the workers run)."""
from __future__ import annotations

import ast
import threading
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.ingest import per_store, print_table, scratch_store
from gridflow.bootstrap import bootstrap
from gridflow.config import Config
from gridflow.pipeline import following, intake_worker, local_stack, progress, wait_until
from gridflow.runtime import tansu_broker
from streams.producer import kafka_producer, publish
from streams.simulator import Simulator
from streams.topics import INTAKE


def lock_sampler(url: str, stop: threading.Event, samples: list[int]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            waiting = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                   "AND datname = current_database()").fetchone()[0]
            samples.append(int(waiting))
            time.sleep(0.1)


def run_with(workers: int, root: Path, messages: list[Any], base_env: dict[str, str]) -> dict[str, Any]:
    with scratch_store("postgres", root) as url, tansu_broker(root / f"tansu-{workers}") as servers:
        config = Config.from_env({**base_env, "GRIDFLOW_DATA_DIR": str(root / f"w{workers}"),
                                  "GRIDFLOW_EVENT_STORE": url, "KAFKA_BOOTSTRAP_SERVERS": servers,
                                  "GRIDFLOW_CLICKHOUSE": f"chdb://{root}/clickhouse",
                                  "GRIDFLOW_CLICKHOUSE_DATABASE": f"scaling_{workers}"})
        with local_stack(config) as stack, ExitStack() as running:
            logs = [root / f"w{workers}-{n}.log" for n in range(workers)]
            procs = [running.enter_context(intake_worker(config, stack.servers, log, group_id=f"scaling-{workers}"))
                     for log in logs]
            # the group settles before any message is there, so a rebalance at start is not timed as throughput
            try:
                wait_until(lambda: settled(logs), lambda: f"{workers} workers joining their group", timeout_s=300,
                           alive=lambda: all(p.poll() is None for p in procs), every_s=0.2)
            except RuntimeError:
                last_lines = [log.read_text(errors="replace").splitlines()[-3:]
                              for log, p in zip(logs, procs, strict=True) if p.poll() is not None]
                raise RuntimeError(f"a worker stopped: {last_lines}") from None
            running.enter_context(following(stack.projector))
            producer = kafka_producer(stack.servers)
            publish(producer, messages)
            producer.close()
            wait_until(lambda: stack.projector.handled > 0, lambda: f"{workers} workers: first message",
                       timeout_s=300, alive=lambda: all(p.poll() is None for p in procs), every_s=0.05)
            stop, samples = threading.Event(), []
            sampler = threading.Thread(target=lock_sampler, args=(url, stop, samples), daemon=True)
            sampler.start()
            started = time.monotonic()
            wait_until(lambda: stack.projector.handled >= len(messages)
                       and stack.projector.position >= (stack.reader.recorder.max_notification_id() or 0),
                       lambda: f"{workers} workers: {stack.projector.handled}/{len(messages)}", timeout_s=1800,
                       alive=lambda: all(p.poll() is None for p in procs), every_s=0.05)
            elapsed = time.monotonic() - started
            stop.set()
            sampler.join(timeout=5)
    batches, again = map(sum, zip(*(totals_at_exit(log) for log in logs), strict=True))
    return {"workers": workers, "messages": len(messages), "seconds": round(elapsed, 1),
            "messages_per_s": round(len(messages) / elapsed),
            "lock_wait_share": round(sum(1 for s in samples if s) / max(1, len(samples)), 2),
            "mean_waiting_writers": round(sum(samples) / max(1, len(samples)), 2),
            "batches": batches, "decided_again": again}


def totals_at_exit(log: Path) -> tuple[int, int]:
    """(batches, batches decided again after a concurrent writer stored first) from a worker's last log line."""
    line = log.read_text(errors="replace").rsplit("intake totals at exit ", 1)[1].splitlines()[0]
    totals, batches = line.rsplit("; ", 1)
    return int(batches.split()[0]), ast.literal_eval(totals)["decided_again"]


def settled(logs: list[Path], quiet_s: float = 2.0) -> bool:
    """Every worker holds partitions, together all of the intake's, and no log changed for `quiet_s`."""
    held = []
    for log in logs:
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        assigned = [line for line in lines if "partitions assigned: " in line]
        if not assigned or time.time() - log.stat().st_mtime < quiet_s:
            return False
        held.append(int(assigned[-1].rsplit(": ", 1)[1]))
    return sum(held) == sum(t.partitions for t in INTAKE) and all(held)


def bench_scaling(config: Config, *, days: int, scale: float, seed: int) -> list[dict[str, Any]]:
    geo = bootstrap(config).geography
    messages = list(Simulator(geo, start=date(2026, 8, 1), days=days, scale=scale, seed=seed,
                              bad_share=0.01).messages())
    progress(f"bench scaling: {len(messages)} messages, PostgreSQL, 1/2/3 workers", final=True)
    base_env = {"GRIDFLOW_CIPHER_KEY": config.cipher_key, "GRIDFLOW_PSEUDONYM_KEY": config.pseudonym_key.decode()}
    results = per_store("postgres", lambda kind, root: [run_with(n, root, messages, base_env) for n in (1, 2, 3)])
    results = [row for rows in results for row in rows]
    print_table(results, [("workers", "workers"), ("messages", "messages"), ("s", "seconds"),
                          ("msg/s", "messages_per_s"), ("lock-wait share", "lock_wait_share"),
                          ("waiting writers", "mean_waiting_writers"), ("batches", "batches"),
                          ("decided again", "decided_again")],
                "one consumer group, 4 partitions per topic; lock-wait share: samples (every 100 ms) in which at "
                "least one writer of the store waited for a lock; decided again: batches re-run because another "
                "worker had stored first (their aggregates or cursors had moved on)")
    return results
