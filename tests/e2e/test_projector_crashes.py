"""The projector as its own process (`gridflow project --follow`, as in production), SIGKILLed at random points
while the store keeps growing, restarted each time: the final tables equal a clean replay of the event store
(`gridflow replay --check`, which rebuilds beside them and compares table by table)."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date

from gridflow.bootstrap import bootstrap
from streams.contract import to_item
from streams.simulator import Simulator
from streams.topics import KIND_OF_TOPIC
from tests.conftest import make_config

KILLS = 6


def gridflow(env: dict[str, str], *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gridflow.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


def test_a_projector_killed_at_random_points_ends_equal_to_a_clean_replay(tmp_path, geography):
    data = tmp_path / "gf"
    # chdb allows one data directory per process: the projector subprocesses get their own
    config = make_config(data, GRIDFLOW_CLICKHOUSE=f"chdb://{tmp_path / 'chdb'}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "GRIDFLOW_"))}
    env.update(GRIDFLOW_DATA_DIR=str(data), GRIDFLOW_CLICKHOUSE=config.clickhouse_dsn,
               GRIDFLOW_CLICKHOUSE_DATABASE=config.clickhouse_database, GRIDFLOW_PROJECTOR_BATCH_SIZE="400")
    messages = list(Simulator(geography, start=date(2026, 8, 1), days=4, scale=0.006, seed=11,
                              bad_share=0.01).messages())
    items = [to_item(f"test:{m.topic}", i, m.value, KIND_OF_TOPIC[m.topic]) for i, m in enumerate(messages)]
    store = bootstrap(config, geography).store
    rng = random.Random(2026)
    batches = [items[k:k + 250] for k in range(0, len(items), 250)]
    kills, projector = 0, gridflow(env, "project", "--follow")
    next_kill = time.monotonic() + rng.uniform(1.5, 3.0)  # the first start imports and opens chdb
    for batch in batches:
        store.process(batch)
        time.sleep(rng.uniform(0.0, 0.15))
        if time.monotonic() >= next_kill and kills < KILLS:
            projector.send_signal(signal.SIGKILL)
            projector.wait()
            kills += 1
            projector = gridflow(env, "project", "--follow")
            next_kill = time.monotonic() + rng.uniform(1.5, 3.5)
    while kills < KILLS:  # the stream was shorter than planned: keep killing while the projector catches up
        time.sleep(rng.uniform(1.5, 3.0))
        projector.send_signal(signal.SIGKILL)
        projector.wait()
        kills += 1
        projector = gridflow(env, "project", "--follow")
    projector.send_signal(signal.SIGTERM)
    out, _ = projector.communicate(timeout=60)
    assert kills >= 5

    catch_up = gridflow(env, "project")
    out, _ = catch_up.communicate(timeout=300)
    assert catch_up.returncode == 0, out[-2000:]
    resumed = int(out.split("resuming after notification #")[1].split()[0])
    assert 0 < resumed <= store.recorder.max_notification_id()  # the killed projectors had made progress

    check = gridflow(env, "replay", "--check")
    out, _ = check.communicate(timeout=300)
    assert check.returncode == 0 and "replay --check: no difference" in out, out[-3000:]
    assert "movements" in out and "grid_hourly" in out
