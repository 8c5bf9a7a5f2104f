"""`gridflow bench replay`: every projection rebuilt from the event store (`gridflow replay`'s work, into a side
database) beside the store's raw decoded read of the same events (read, decrypted and decoded, nothing else), on
the demo's store when there is one and on a store of about a million events built for the purpose (simulated
messages applied straight to the domain, no broker)."""
from __future__ import annotations

import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.ingest import print_table
from gridflow.bootstrap import Gridflow, bootstrap
from gridflow.config import Config
from gridflow.pipeline import progress
from projections.projector import TOPICS_READ, all_notifications
from projections.replay import rebuild
from streams.contract import to_item
from streams.simulator import Simulator
from streams.topics import KIND_OF_TOPIC


def raw_read_of_projected(store: Any, page: int = 50_000) -> float:
    """Notifications covered per second by reading and decoding only the events replay reads (the same
    selection, the same measure as the replay rate: the log's length over the time taken)."""
    end = store.recorder.max_notification_id() or 0
    started, start = time.monotonic(), 1
    while batch := store.recorder.select_notifications(start=start, limit=page, stop=end, topics=TOPICS_READ):
        for notification in batch:
            store.mapper.to_domain_event(notification)
        start = batch[-1].id + 1
    return end / (time.monotonic() - started)


def measure(system: Gridflow, name: str) -> dict[str, Any]:
    store = system.store
    started = time.monotonic()
    count = sum(1 for n in all_notifications(store.recorder) if store.mapper.to_domain_event(n) is not None)
    whole = count / (time.monotonic() - started)
    raw = raw_read_of_projected(store)
    side = f"{system.config.clickhouse_database}_benchreplay"
    result = rebuild(system.clickhouse, store, system.geography, side, lambda text: progress(f"{name}: {text}"))
    system.clickhouse.command(f"DROP DATABASE IF EXISTS {side} SYNC")
    progress(f"{name}: {result.rate:,.0f}/s", final=True)
    return {"store": name, "notifications": count, "whole_log_read_per_s": round(whole),
            "raw_decoded_read_per_s": round(raw), "replay_per_s": round(result.rate),
            "share": round(result.rate / raw, 2), "target": 0.7}


def built_store(root: Path, base_env: dict[str, str], events: int) -> Gridflow:
    """A SQLite store of at least `events` events: a simulated district, applied in batches of 2,000 messages."""
    system = bootstrap(Config.from_env({**base_env, "GRIDFLOW_DATA_DIR": str(root)}))
    season = Simulator(system.geography, start=date(2026, 7, 1), days=62, scale=0.6, seed=7, bad_share=0.0)
    batch: list[Any] = []
    for n, message in enumerate(season.messages()):
        batch.append(to_item(f"bench:{message.topic}", n, message.value, KIND_OF_TOPIC[message.topic]))
        if len(batch) == 2000:
            system.store.process(batch)
            batch = []
            stored = system.store.recorder.max_notification_id() or 0
            progress(f"building a store of {events:,} events: {stored:,}")
            if stored >= events:
                break
    if batch:
        system.store.process(batch)
    progress(f"built a store of {system.store.recorder.max_notification_id():,} events", final=True)
    return system


def bench_replay(config: Config, *, events: int) -> list[dict[str, Any]]:
    results = []
    if (config.data_dir / "events.sqlite").exists():
        results.append(measure(bootstrap(config), f"demo ({config.data_dir.name})"))
    root = Path(tempfile.mkdtemp(prefix="gridflow-bench-replay-"))
    try:
        base_env = {"GRIDFLOW_CIPHER_KEY": config.cipher_key, "GRIDFLOW_PSEUDONYM_KEY": config.pseudonym_key.decode(),
                    "GRIDFLOW_CLICKHOUSE": config.clickhouse_dsn, "GRIDFLOW_CLICKHOUSE_DATABASE": "bench_replay"}
        results.append(measure(built_store(root, base_env, events), f"{events // 1000:,} k events"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print_table(results, [("store", "store"), ("notifications", "notifications"),
                          ("whole log read/s", "whole_log_read_per_s"),
                          ("raw decoded read/s", "raw_decoded_read_per_s"), ("replay/s", "replay_per_s"),
                          ("share", "share"), ("target", "target")],
                "replay: every projection rebuilt into a side database (gridflow replay's work). raw decoded read: "
                "the events replay reads (projected topics), read, decrypted and decoded, nothing else; both as the "
                "log's length over the time taken, so share = replay / raw. whole log read: every notification, "
                "decoded (what replay read before it skipped the topics that make no rows)")
    return results
