"""`gridflow demo` exactly as `make demo` runs it (smaller), on embedded defaults: its own Tansu, SQLite, chdb."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def test_the_demo_accounts_for_every_message(tmp_path):
    out = tmp_path / "summary.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "GRIDFLOW_"))}
    env["GRIDFLOW_DATA_DIR"] = str(tmp_path / "data")
    run = subprocess.run([sys.executable, "-m", "gridflow.cli", "demo", "--days", "2", "--scale", "0.01",
                          "--seed", "3", "--bad-share", "0.03", "--json", str(out)],
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(out.read_text())
    assert summary["events_produced"] == summary["events_stored"] + summary["events_dead_lettered"]
    assert summary["events_dead_lettered"] == summary["rejected_in_store"]
    seeded = summary["seeded_bad_messages"]
    assert seeded["published"] > 0
    assert seeded["published"] == seeded["in_dead_letter_topic"] == seeded["reason_as_expected"] \
        == seeded["original_bytes_intact"]
    assert summary["projected_facts"] == summary["store_facts_projectable"]
    assert summary["projected_rows"]["intake_ledger"] == summary["stored_events_by_type"][
        "domain.model:IntakeCursor.Advanced"]
    assert summary["plaintext_id_numbers_in_clickhouse"] == 0
    assert len(summary["towns"]) == 12 and summary["elapsed_s"] > 0
    assert "登州街道" in run.stdout  # the per-town table is printed
    # keys were generated and kept beside the data, readable only by their owner
    keys = tmp_path / "data" / "keys"
    assert oct((keys / "cipher.key").stat().st_mode & 0o777) == "0o600"
