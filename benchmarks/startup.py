"""`gridflow bench startup`: how long an operator waits on the demo's data (`make demo` first), each command as a
process of its own, as typed: `gridflow project` with nothing to recover, `gridflow serve` until its API answers,
and `gridflow kpi`. Median of --runs, against the 3 s target."""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from benchmarks.ingest import print_table
from gridflow.config import Config
from gridflow.errors import OperatorError
from gridflow.pipeline import progress
from gridflow.serving import free_port

TARGET_S = 3.0


def _gridflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "gridflow.cli", *args]


def timed_run(args: tuple[str, ...], env: dict[str, str]) -> float:
    started = time.monotonic()
    done = subprocess.run(_gridflow(*args), env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise OperatorError(f"gridflow {' '.join(args)} failed: {done.stderr.strip().splitlines()[-1:]}")
    return time.monotonic() - started


def serve_ready(env: dict[str, str]) -> float:
    """From starting `gridflow serve` to its API answering (a 401 without a token is an answer)."""
    port = free_port()
    started = time.monotonic()
    server = subprocess.Popen(_gridflow("serve", "--port", str(port), "--clock", "data"), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/me", timeout=1)
            except urllib.error.HTTPError:
                return time.monotonic() - started
            except OSError:
                if server.poll() is not None:
                    raise OperatorError(f"gridflow serve stopped: {server.stderr.read().strip()[-300:]}") from None
                if time.monotonic() - started > 120:
                    raise OperatorError("gridflow serve did not answer within 120 s") from None
                time.sleep(0.02)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def bench_startup(config: Config, runs: int) -> list[dict[str, Any]]:
    if not (config.data_dir / "events.sqlite").exists() or not config.accounts_file.exists():
        raise OperatorError(f"no demo data in {config.data_dir}: run `make demo` first (or set GRIDFLOW_DATA_DIR)")
    env = {**os.environ, "GRIDFLOW_DATA_DIR": str(config.data_dir)}
    measures = {"gridflow project (nothing to recover)": lambda: timed_run(("project",), env),
                "gridflow serve (until the API answers)": lambda: serve_ready(env),
                "gridflow kpi": lambda: timed_run(("kpi",), env)}
    results = []
    for name, measure in measures.items():
        seconds = []
        for n in range(runs):
            progress(f"{name}: run {n + 1}/{runs}")
            seconds.append(measure())
        median = statistics.median(seconds)
        results.append({"command": name, "median_s": round(median, 2), "min_s": round(min(seconds), 2),
                        "max_s": round(max(seconds), 2), "target_s": TARGET_S,
                        "met": "yes" if median < TARGET_S else "no"})
    progress("startup measured", final=True)
    print_table(results, [("command", "command"), ("median s", "median_s"), ("min", "min_s"), ("max", "max_s"),
                          ("target", "target_s"), ("met", "met")],
                f"each command a process of its own, as an operator types it, on {config.data_dir}")
    return results
