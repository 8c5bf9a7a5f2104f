"""`gridflow bench replay`: every projection rebuilt from the event store (`gridflow replay`'s work, into a side
database) beside the store's raw decoded read (every notification read, decrypted and decoded, nothing else), on
the demo's store when there is one and on a store of about a million events built for the purpose (simulated
messages applied straight to the domain, no broker)."""
from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.ingest import print_table, scratch
from gridflow.bootstrap import Gridflow, bootstrap
from gridflow.config import Config
from gridflow.pipeline import progress
from projections.projector import TOPICS_READ
from projections.replay import rebuild
from streams.contract import to_item
from streams.simulator import Simulator
from streams.topics import KIND_OF_TOPIC


def decoded_read_rate(store: Any, topics: tuple[str, ...] = (), page: int = 50_000) -> float:
    """Notifications covered per second by reading and decoding the log (only `topics`' events when given), as
    the log's length over the time taken: the replay rate's own measure."""
    end = store.recorder.max_notification_id() or 0
    started, start = time.monotonic(), 1
    while batch := store.recorder.select_notifications(start=start, limit=page, stop=end, topics=topics):
        for notification in batch:
            store.mapper.to_domain_event(notification)
        start = batch[-1].id + 1
    return end / (time.monotonic() - started)


def replay_against_reads(store: Any, rebuilt: Any) -> dict[str, Any]:
    """Replay beside two raw decoded reads: of the whole log (the issue's measure, target 0.7) and of only the
    events replay reads (the projected topics), which shows what the ClickHouse side costs on its own."""
    whole, projected = decoded_read_rate(store), decoded_read_rate(store, TOPICS_READ)
    return {"notifications": rebuilt.notifications, "whole_log_read_per_s": round(whole),
            "projected_read_per_s": round(projected), "replay_per_s": round(rebuilt.rate),
            "share": round(rebuilt.rate / whole, 2), "share_of_projected_read": round(rebuilt.rate / projected, 2),
            "target": 0.7}


def measure(system: Gridflow, name: str) -> dict[str, Any]:
    side = f"{system.config.clickhouse_database}_benchreplay"
    result = rebuild(system.clickhouse, system.store, system.geography, side,
                     lambda text: progress(f"{name}: {text}"))
    system.clickhouse.command(f"DROP DATABASE IF EXISTS {side} SYNC")
    progress(f"{name}: {result.rate:,.0f}/s", final=True)
    return {"store": name, **replay_against_reads(system.store, result)}


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
    with scratch("gridflow-bench-replay-") as root:
        base_env = {"GRIDFLOW_CIPHER_KEY": config.cipher_key, "GRIDFLOW_PSEUDONYM_KEY": config.pseudonym_key.decode(),
                    "GRIDFLOW_CLICKHOUSE": config.clickhouse_dsn, "GRIDFLOW_CLICKHOUSE_DATABASE": "bench_replay"}
        results.append(measure(built_store(root, base_env, events), f"{events // 1000:,} k events"))
    print_table(results, [("store", "store"), ("notifications", "notifications"),
                          ("raw decoded read/s", "whole_log_read_per_s"), ("replay/s", "replay_per_s"),
                          ("share", "share"), ("target", "target"),
                          ("read of projected topics/s", "projected_read_per_s"),
                          ("replay / that", "share_of_projected_read")],
                "replay: every projection rebuilt into a side database (gridflow replay's work). raw decoded read: "
                "every notification read, decrypted and decoded, nothing else; share = replay / raw decoded read. "
                "Replay reads only the topics that make rows: the last two columns set it beside a decoded read of "
                "just those (all rates: the log's length over the time taken)")
    return results
