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
                          "--seed", "3", "--bad-share", "0.03", "--json", str(out), "--no-serve"],
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

    # after a demo run: a rebuild beside the live tables finds no difference, and the event log verifies ...
    def gridflow(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gridflow.cli", *args], env=env, capture_output=True,
                              text=True, timeout=600)

    check = gridflow("replay", "--check")
    assert check.returncode == 0 and "replay --check: no difference" in check.stdout, check.stdout + check.stderr
    verified = gridflow("verify")
    assert verified.returncode == 0 and verified.stdout.startswith("intact:"), verified.stdout + verified.stderr
    assert "; 0 newer events not chained" in verified.stdout
    assert int(verified.stdout.split(" ClickHouse anchor")[0].rsplit(" ", 1)[-1]) >= 1
    # ... until one stored event's bytes are edited: verify names that position
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "events.sqlite") as db:
        state = bytearray(db.execute("SELECT state FROM stored_events WHERE rowid = 777").fetchone()[0])
        state[5] ^= 0xFF
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = 777", (bytes(state),))
    tampered = gridflow("verify")
    assert tampered.returncode == 1 and "TAMPERED at position #777" in tampered.stdout, tampered.stdout
