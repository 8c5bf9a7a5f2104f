"""Events a store holds keep loading when the model's classes move between modules: `store-2026-11.sqlite` was
written by the release before the model was split (topics `domain.model:Person.MovedIn` …, snapshots among
them); this release reads every event, rebuilds the aggregates (from snapshots too) and projects them."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from uuid import UUID

import orjson

from gridflow.bootstrap import bootstrap
from streams.contract import to_item
from tests.conftest import make_config
from tests.unit.test_contract import envelope

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures"


def test_a_store_written_before_the_model_moved_still_loads_and_projects(tmp_path, geography):
    expected = json.loads((FIXTURE / "store-2026-11.json").read_text())
    (tmp_path / "gf").mkdir()
    shutil.copy(FIXTURE / "store-2026-11.sqlite", tmp_path / "gf" / "events.sqlite")
    config = make_config(tmp_path / "gf", **{k: v for k, v in expected["env"].items() if k != "GRIDFLOW_DATA_DIR"})
    system = bootstrap(config, geography)
    store = system.store
    notifications = store.recorder.select_notifications(start=1, limit=10**6)
    assert {n.topic for n in notifications} == set(expected["topics"])  # the old topics, as written
    decoded = [store.mapper.to_domain_event(n) for n in notifications]
    assert len(decoded) == sum(expected["topics"].values())
    for aggregate_id, state in expected["aggregates"].items():
        aggregate = store.repository.get(UUID(aggregate_id))
        assert (type(aggregate).__name__, aggregate.version) == (state["type"], state["version"])
    assert store.snapshots is not None and all(
        list(store.snapshots.get(UUID(a))) for a in expected["snapshotted"])
    projector = system.recovered_projector()
    projector.catch_up()
    client = system.clickhouse
    assert projector.position == len(notifications)
    assert client.query("SELECT count() FROM projection_anomalies").result_rows == [(0,)]
    ledger = client.query("SELECT count(), max(waited_ms) FROM intake_ledger").result_rows[0]
    assert ledger[0] > 0 and ledger[1] == 0  # cursor events from before the wait was kept: known as 0, not an error
    assert client.query("SELECT countIf(kind = 'lease_start'), countIf(kind = 'lease_end'), "
                        "countIf(kind = 'dwelling_over_occupied') FROM movements").result_rows == [(3, 1, 1)]
    # new events carry today's topics, and the projector reads both kinds side by side
    store.process([to_item("after-the-move:0", 0, orjson.dumps(envelope()), "move_in")])
    newest = store.recorder.select_notifications(start=len(notifications) + 1, limit=100)
    assert {n.topic.split(":")[0] for n in newest} >= {"domain.residency"}
    projector.catch_up()
    assert client.query("SELECT count() FROM movements WHERE place = 'D1'").result_rows == [(1,)]
