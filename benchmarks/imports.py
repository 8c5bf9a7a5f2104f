"""`gridflow bench import`: rows/s of a register imported end to end (GB18030 CSV → mapping → Kafka → the worker →
the event store → ClickHouse), beside `bench ingest`'s end-to-end messages/s measured in the same run on the same
store kind, and their ratio."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.ingest import bench_one, per_store, print_table, scratch_store
from gridflow.bootstrap import bootstrap
from gridflow.config import Config
from gridflow.pipeline import following, intake_worker, local_stack, progress, wait_until
from imports.registers import move_in_register, write_csv
from streams.simulator import Simulator

MAPPING = Path(__file__).resolve().parents[1] / "imports" / "examples" / "grid-office-move-in.yaml"


def import_once(stack: Any, path: Path, report: Path) -> tuple[int, int]:
    """(rows, rejected) of `gridflow import` of `path` in a process of its own (as an operator runs it), waited
    for until ClickHouse has every row."""
    config = stack.config
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=stack.servers, GRIDFLOW_DATA_DIR=str(config.data_dir),
               GRIDFLOW_EVENT_STORE=config.event_store_url, GRIDFLOW_CIPHER_KEY=config.cipher_key,
               GRIDFLOW_PSEUDONYM_KEY=config.pseudonym_key.decode(), GRIDFLOW_CLICKHOUSE=config.clickhouse_dsn)
    command = [sys.executable, "-m", "gridflow.cli", "import", str(path), "--kind", "move_in", "--mapping",
               str(MAPPING), "--report", str(report)]
    run = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)  # its progress goes to stderr
    if run.returncode != 0:
        raise RuntimeError("gridflow import failed (its error is above)")
    summary = run.stdout.splitlines()[0]  # "N rows: A accepted (…), R rejected (…)"
    head = stack.reader.recorder.max_notification_id() or 0
    wait_until(lambda: stack.projector.position >= head, lambda: f"projected to #{stack.projector.position}",
               timeout_s=1800, every_s=0.05)
    return int(summary.split()[0]), int(summary.split("), ")[1].split()[0])


def bench_import_run(root: Path, rows: int, seed: int, base_env: dict[str, str], geo: Any) -> dict[str, Any]:
    table, _ = move_in_register(geo, rows, seed=seed, bad_every=1000)
    register = write_csv(root / "register.csv", table, "gb18030")
    warm_up = write_csv(root / "warm-up.csv", move_in_register(geo, 1, seed=seed + 1)[0], "gb18030")
    with scratch_store("sqlite", root) as url:
        config = Config.from_env({**base_env, "GRIDFLOW_DATA_DIR": str(root / "import"), "GRIDFLOW_EVENT_STORE": url,
                                  "GRIDFLOW_CLICKHOUSE": f"chdb://{root}/clickhouse",
                                  "GRIDFLOW_CLICKHOUSE_DATABASE": "bench_import"})
        with local_stack(config, geo) as stack, \
                intake_worker(config, stack.servers, config.data_dir / "logs" / "worker.log") as worker, \
                following(stack.projector):
            import_once(stack, warm_up, root / "warm-up")  # the worker joins its group first (not timed)
            started = time.monotonic()
            imported, rejected = import_once(stack, register, root / "rejects")
            elapsed = time.monotonic() - started
            if worker.poll() is not None:
                raise RuntimeError("the intake worker stopped during the import")
    return {"rows": imported, "rejected": rejected, "import_seconds": round(elapsed, 1),
            "import_rows_per_s": round(imported / elapsed)}


def bench_import(config: Config, *, rows: int, seed: int, days: int, scale: float) -> list[dict[str, Any]]:
    geo = bootstrap(config).geography
    base_env = {"GRIDFLOW_CIPHER_KEY": config.cipher_key, "GRIDFLOW_PSEUDONYM_KEY": config.pseudonym_key.decode(),
                **({"KAFKA_BOOTSTRAP_SERVERS": config.kafka_bootstrap} if config.kafka_bootstrap else {})}
    messages = list(Simulator(geo, start=date(2026, 8, 1), days=days, scale=scale, seed=seed,
                              bad_share=0.01).messages())
    progress(f"bench import: a {rows}-row GB18030 move-in register; then bench ingest's season ({len(messages)} "
             f"messages, {days} days, scale {scale}) on the same store kind (SQLite)", final=True)

    def run(kind: str, root: Path) -> dict[str, Any]:
        imported = bench_import_run(root, rows, seed, base_env, geo)
        ingest = bench_one(kind, root, messages, base_env)
        return {"store": kind, **imported, "ingest_messages_per_s": ingest["e2e_messages_per_s"],
                "ratio": round(imported["import_rows_per_s"] / ingest["e2e_messages_per_s"], 2)}

    results = per_store("sqlite", run)
    print_table(results, [("store", "store"), ("rows", "rows"), ("rejected", "rejected"),
                          ("import s", "import_seconds"), ("import rows/s", "import_rows_per_s"),
                          ("ingest msg/s", "ingest_messages_per_s"), ("ratio", "ratio")],
                "import: `gridflow import` in a process of its own, from its start to the last row projected into\n"
                "ClickHouse (reading, mapping, publishing, the worker, the store, the projector, the reject report).\n"
                "ingest: bench ingest's end-to-end messages/s (messages produced beforehand), same store, same run.")
    return results
