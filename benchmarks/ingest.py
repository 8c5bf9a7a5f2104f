"""`gridflow bench ingest`: end-to-end events/s (Kafka → event store → ClickHouse) beside the event store's own
batched-write ceiling on the same events, in the same run, on SQLite and on PostgreSQL."""
from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.naive import naive_pipeline
from gridflow.bootstrap import bootstrap
from gridflow.config import Config
from gridflow.pipeline import (
    following,
    intake_worker,
    local_stack,
    peak_rss_mb,
    progress,
    wait_until,
)
from projections.projector import all_notifications
from streams.producer import kafka_producer, publish
from streams.simulator import Simulator
from streams.worker import relax_garbage_collection

ADMIN_PG = os.environ.get("GRIDFLOW_BENCH_POSTGRES", "postgresql://gridflow:gridflow@127.0.0.1:5432/postgres")


@contextmanager
def scratch_store(kind: str, root: Path) -> Iterator[str]:
    """A fresh, empty event store URL of the given kind, removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite://{root}/bench-{uuid.uuid4().hex[:8]}.sqlite"
        return
    import psycopg

    name = f"gridflow_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_PG, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield ADMIN_PG.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(ADMIN_PG, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def bench_one(kind: str, root: Path, messages: list[Any], base_env: dict[str, str], round_no: int = 1
              ) -> dict[str, Any]:
    with scratch_store(kind, root) as url:
        # chdb opens one data directory per process: every run shares it, each in a database of its own
        config = Config.from_env({**base_env, "GRIDFLOW_DATA_DIR": str(root / f"{kind}-{round_no}"),
                                  "GRIDFLOW_EVENT_STORE": url, "GRIDFLOW_CLICKHOUSE": f"chdb://{root}/clickhouse",
                                  "GRIDFLOW_CLICKHOUSE_DATABASE": f"bench_{kind}_{round_no}"})
        with local_stack(config) as stack:
            producer = kafka_producer(stack.servers)
            publish(producer, messages)  # produced before timing: we measure the consuming side
            producer.close()
            with intake_worker(config, stack.servers, config.data_dir / "logs" / "worker.log") as worker, \
                    following(stack.projector) as follower:
                wait_until(lambda: stack.projector.handled > 0, lambda: "waiting for the worker to join its group",
                           timeout_s=120, alive=lambda: worker.poll() is None, every_s=0.05)
                started = time.monotonic()
                wait_until(lambda: stack.projector.handled >= len(messages)
                           and stack.projector.position >= (stack.reader.recorder.max_notification_id() or 0),
                           lambda: f"{kind}: handled {stack.projector.handled}/{len(messages)}",
                           timeout_s=1800, alive=lambda: worker.poll() is None and follower.is_alive(),
                           every_s=0.05)
                elapsed = time.monotonic() - started
                rss_mb = peak_rss_mb(worker.pid)
            naive = naive_pipeline(stack.servers, len(messages), stack.client, f"naive_{kind}_{round_no}")
            log = (config.data_dir / "logs" / "worker.log").read_text(errors="replace").splitlines()
            progress(next((line.split(" INFO ")[-1] for line in reversed(log) if "intake totals" in line), ""),
                     final=True)
            events = stack.reader.recorder.max_notification_id()
            ceiling, save_ceiling = ceilings(stack.reader, kind, root, len(messages), config.batch_size)
            # the next round starts without this one's tables merging in the background on the same 2 cores
            for database in (f"naive_{kind}_{round_no}", config.clickhouse_database):
                stack.client.command(f"DROP DATABASE IF EXISTS {database} SYNC")
    domain_only, _ = intake_without_kafka(kind, root, messages, base_env)
    e2e = events / elapsed
    return {"store": kind, "round": round_no, "messages": len(messages), "events": events,
            "e2e_seconds": round(elapsed, 2),
            "e2e_events_per_s": round(e2e), "e2e_messages_per_s": round(len(messages) / elapsed),
            "naive_messages_per_s": naive["messages_per_s"],
            "ratio_vs_naive": round(len(messages) / elapsed / naive["messages_per_s"], 2),
            "worker_peak_rss_mb": rss_mb,
            "intake_without_kafka_events_per_s": round(domain_only),
            "ceiling_events_per_s": round(ceiling), "ratio": round(e2e / ceiling, 2),
            "aggregate_save_ceiling_events_per_s": round(save_ceiling), "ratio_vs_save": round(e2e / save_ceiling, 2)}


def ceilings(store: Any, kind: str, root: Path, messages: int, batch_size: int) -> tuple[float, float]:
    """(put ceiling, save ceiling) on the events and side rows in `store`, written in batches of the events the
    worker writes per batch of `batch_size` messages."""
    decoded = [store.mapper.to_domain_event(n) for n in all_notifications(store.recorder)]
    with store.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT pseudonym, key FROM person_keys")
        keys = [(row["pseudonym"], bytes(row["key"])) for row in cursor.fetchall()]
        cursor.execute("SELECT message_id, digest FROM intake_messages")
        digests = [(row["message_id"], row["digest"]) for row in cursor.fetchall()]
    side = {"person_keys": keys, "message_digests": digests}
    batch = max(1, round(batch_size * len(decoded) / max(1, messages)))  # the events of one worker batch
    return (write_ceiling(decoded, side, store, kind, root, through_aggregates=False, batch=batch),
            write_ceiling(decoded, side, store, kind, root, through_aggregates=True, batch=batch))


def intake_without_kafka(kind: str, root: Path, messages: list[Any], base_env: dict[str, str],
                         with_ceilings: bool = False, commands_only: bool = False
                         ) -> tuple[float, tuple[float, float] | None]:
    """The same messages through parse → domain → store in batches of the worker's size, with no broker and
    no projector: where the time goes between the ceiling and end to end. Optionally also the ceilings on the
    events this wrote. `commands_only`: parse first, untimed, and time the commands applied to the domain."""
    from streams.dead_letter import RawMessage
    from streams.intake import IntakeHandler

    class CountRejects:
        def publish(self, rejects: Any) -> int:
            return len(list(rejects))

    from streams.contract import to_item
    from streams.topics import KIND_OF_TOPIC

    with scratch_store(kind, root) as url:
        config = Config.from_env({**base_env, "GRIDFLOW_DATA_DIR": str(root / f"{kind}-domain"),
                                  "GRIDFLOW_EVENT_STORE": url})
        population = bootstrap(config).store
        handler = IntakeHandler(population, CountRejects())
        records = [RawMessage(m.topic, 0, i, m.key, m.value) for i, m in enumerate(messages)]
        batches = [records[k:k + config.batch_size] for k in range(0, len(records), config.batch_size)]
        if commands_only:  # the streams layer's parsing done beforehand: only the domain and the store are timed
            batches = [[to_item(f"{r.topic}:0", r.offset, r.value, KIND_OF_TOPIC[r.topic]) for r in batch]
                       for batch in batches]
        started = time.monotonic()
        for batch in batches:
            if commands_only:
                population.process(batch)
            else:
                handler.handle(batch)
        elapsed = time.monotonic() - started
        events = population.recorder.max_notification_id()
        measured = ceilings(population, kind, root, len(messages), config.batch_size) if with_ceilings else None
        population.close()
    return events / elapsed, measured


def write_ceiling(events: list[Any], side: dict[str, list[tuple]], source: Any, kind: str, root: Path, *,
                  through_aggregates: bool, batch: int) -> float:
    """The store's batched-write ceiling on the same events, in batches the size the worker writes (the events of
    GRIDFLOW_BATCH_SIZE messages), into a fresh store of the same kind, with the same AES-GCM encryption, and with
    the same person-key and message-ledger rows the intake wrote alongside them (spread evenly over the batches).

    through_aggregates=False: `EventStore.put` of the decoded events (mapping, encryption, insert: nothing else).
    through_aggregates=True: the same events triggered anew on their aggregates and saved with
    `Application.save`, a batch at a time (the "batched save of 100–1000 aggregates" of the platform notes)."""
    from eventsourcing.utils import resolve_topic

    meta = ("originator_id", "originator_version", "timestamp", "originator_topic")
    with scratch_store(kind, root) as url:
        config = Config.from_env({"GRIDFLOW_DATA_DIR": str(root / f"{kind}-ceiling"), "GRIDFLOW_EVENT_STORE": url,
                                  "GRIDFLOW_CIPHER_KEY": source.env.get("CIPHER_KEY"),
                                  "GRIDFLOW_PSEUDONYM_KEY": "x" * 32})
        target = bootstrap(config).store
        aggregates: dict[Any, Any] = {}
        batches = max(1, -(-len(events) // batch))
        per_batch = {table: -(-len(rows) // batches) for table, rows in side.items()}
        started = time.monotonic()
        for n, k in enumerate(range(0, len(events), batch)):
            side_rows = {t: rows[n * per_batch[t]:(n + 1) * per_batch[t]] for t, rows in side.items()}
            if not through_aggregates:
                target.events.put(events[k:k + batch], **side_rows)
                continue
            touched = {}
            for event in events[k:k + batch]:
                fields = {n: v for n, v in vars(event).items() if n not in meta}
                if event.originator_version == 1:
                    aggregate = resolve_topic(event.originator_topic)._create(type(event), id=event.originator_id,
                                                                             **fields)
                else:
                    aggregate = aggregates[event.originator_id]
                    aggregate.trigger_event(type(event), **fields)
                aggregates[aggregate.id] = touched[aggregate.id] = aggregate
            target.save(*touched.values(), **side_rows)
        elapsed = time.monotonic() - started
        target.close()
    return len(events) / elapsed


def store_kinds(stores: str) -> list[str]:
    return ["sqlite", "postgres"] if stores == "both" else [stores]


@contextmanager
def scratch(prefix: str = "gridflow-bench-") -> Iterator[Path]:
    """A directory for a bench's stores, brokers and ClickHouse, removed afterwards (they take ~100 MB a run)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def per_store(stores: str, run: Any) -> list[dict[str, Any]]:
    """Run `run(kind, scratch_root)` for each store kind; scratch files are removed afterwards."""
    with scratch() as root:
        return [run(kind, root) for kind in store_kinds(stores)]


def print_table(results: list[dict[str, Any]], columns: list[tuple[str, str]], notes: str = "") -> None:
    """Figures as a table (header, result key), then as JSON for scripts."""
    widths = [max(len(header), *(len(str(r[key])) for r in results)) + 2 for header, key in columns]
    print("\n" + "".join(header.rjust(w) for (header, _), w in zip(columns, widths, strict=False)))
    for r in results:
        print("".join(str(r[key]).rjust(w) for (_, key), w in zip(columns, widths, strict=False)))
    if notes:
        print(notes)
    print(json.dumps(results))


NOTES = """e2e: Kafka → intake worker → event store → ClickHouse, from the first handled message to the last row
projected. naive: kafka-python → json.loads → ClickHouse rows, same messages, same run (no validation, domain or store).
events/s otherwise. no-kafka: parse → domain → store only. save ceiling: the same events triggered on their
aggregates and saved in batches (Application.save). put ceiling: EventStore.put of the same events (mapping,
AES-GCM, insert). Both ceilings also write the same person-key and message-ledger rows."""


def bench_ingest(config: Config, *, stores: str, days: int, scale: float, seed: int, rounds: int = 3
                 ) -> list[dict[str, Any]]:
    """Each store `rounds` times, each round with its own ratios (all figures of a round are taken minutes apart,
    while this VM's speed swings by up to 2x between minutes); the verdicts are on the rounds' medians."""
    relax_garbage_collection()  # as in the worker: the ceilings and the naive pipeline get the same collector
    geo = bootstrap(config).geography
    messages = list(Simulator(geo, start=date(2026, 8, 1), days=days, scale=scale, seed=seed,
                              bad_share=0.01).messages())
    progress(f"bench ingest: {len(messages)} messages ({days} days, scale {scale}); "
             f"stores: {', '.join(store_kinds(stores))}", final=True)
    base_env = {"GRIDFLOW_CIPHER_KEY": config.cipher_key, "GRIDFLOW_PSEUDONYM_KEY": config.pseudonym_key.decode(),
                **({"KAFKA_BOOTSTRAP_SERVERS": config.kafka_bootstrap} if config.kafka_bootstrap else {})}
    results = [result for per_kind in per_store(stores, lambda kind, root: [
        bench_one(kind, root, messages, base_env, n) for n in range(1, rounds + 1)]) for result in per_kind]
    print_table(results, [("store", "store"), ("round", "round"), ("messages", "messages"), ("events", "events"),
                          ("e2e s", "e2e_seconds"), ("e2e msg/s", "e2e_messages_per_s"),
                          ("naive msg/s", "naive_messages_per_s"), ("ratio", "ratio_vs_naive"),
                          ("e2e ev/s", "e2e_events_per_s"), ("no-kafka", "intake_without_kafka_events_per_s"),
                          ("save ceiling", "aggregate_save_ceiling_events_per_s"), ("ratio", "ratio_vs_save"),
                          ("put ceiling", "ceiling_events_per_s"), ("ratio", "ratio"),
                          ("worker MB", "worker_peak_rss_mb")],
                NOTES)
    for kind in store_kinds(stores):
        mine = [r for r in results if r["store"] == kind]
        naive, save = (statistics.median(r[key] for r in mine) for key in ("ratio_vs_naive", "ratio_vs_save"))
        rss = max(r["worker_peak_rss_mb"] for r in mine)
        print(f"{kind}, median of {len(mine)}: end to end ÷ naive {naive:.2f} "
              f"({verdict(naive >= NAIVE_TARGET, f'≥ {NAIVE_TARGET}')}), "
              f"÷ save ceiling {save:.2f} ({verdict(save >= SAVE_TARGET, f'≥ {SAVE_TARGET}')}), "
              f"worker at most {rss} MB ({verdict(rss < RSS_TARGET_MB, f'< {RSS_TARGET_MB} MB')})")
    return results


NAIVE_TARGET, SAVE_TARGET, RSS_TARGET_MB = 0.3, 0.8, 400


def verdict(met: bool, target: str) -> str:
    return f"target {target}: {'met' if met else 'NOT met'}"


def bench_domain(config: Config, *, stores: str, messages: int, seed: int) -> list[dict[str, Any]]:
    """`gridflow bench domain`: a realistic mix of intake commands (the simulator's, bad ones included; parsed
    beforehand) applied to the domain and saved in batches with encryption and per-person keys, beside the
    store's ceilings on the same events."""
    relax_garbage_collection()  # as in the worker
    geo = bootstrap(config).geography
    season = Simulator(geo, start=date(2026, 7, 1), days=92, scale=0.1, seed=seed, bad_share=0.01).messages()
    mix = [m for _, m in zip(range(messages), season, strict=False)]
    progress(f"bench domain: {len(mix)} messages; stores: {', '.join(store_kinds(stores))}", final=True)
    base_env = {"GRIDFLOW_CIPHER_KEY": config.cipher_key, "GRIDFLOW_PSEUDONYM_KEY": config.pseudonym_key.decode()}

    def run(kind: str, root: Path) -> dict[str, Any]:
        rate, (put, save) = intake_without_kafka(kind, root, mix, base_env, with_ceilings=True, commands_only=True)
        progress(f"{kind}: done", final=True)
        return {"store": kind, "messages": len(mix), "domain_events_per_s": round(rate),
                "put_ceiling_events_per_s": round(put), "save_ceiling_events_per_s": round(save),
                "share_of_put": round(rate / put, 2), "share_of_save": round(rate / save, 2)}

    results = per_store(stores, run)
    print_table(results, [("store", "store"), ("messages", "messages"), ("domain ev/s", "domain_events_per_s"),
                          ("put ceiling", "put_ceiling_events_per_s"), ("share", "share_of_put"),
                          ("save ceiling", "save_ceiling_events_per_s"), ("share", "share_of_save")])
    return results
