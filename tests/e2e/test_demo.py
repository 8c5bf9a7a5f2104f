"""`gridflow demo` exactly as `make demo` runs it (smaller), on embedded defaults: its own Tansu, SQLite, chdb."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from eventsourcing.utils import get_topic

from domain.model import IntakeCursor


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
        get_topic(IntakeCursor.Advanced)]
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


def test_a_second_demo_verifies_and_a_second_terminal_works_beside_the_server(tmp_path):
    """`make demo` twice, then `gridflow verify` is clean (the first demo's chain went with its store); while
    `gridflow serve` holds the embedded ClickHouse, read-side commands in another terminal run through it."""
    import signal
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "GRIDFLOW_"))}
    env["GRIDFLOW_DATA_DIR"] = str(tmp_path / "data")

    def gridflow(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gridflow.cli", *args], env=env, capture_output=True,
                              text=True, timeout=600)

    for seed in ("4", "5"):
        demo = gridflow("demo", "--days", "1", "--scale", "0.005", "--seed", seed, "--no-serve")
        assert demo.returncode == 0, demo.stderr[-2000:]
    verified = gridflow("verify")
    assert verified.returncode == 0 and verified.stdout.startswith("intact:"), verified.stdout + verified.stderr

    server = subprocess.Popen([sys.executable, "-m", "gridflow.cli", "serve", "--port", "0", "--clock", "data"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("gridflow serve: http://127.0.0.1:"), line + server.stderr.read()[-2000:]
        deadline = time.monotonic() + 30
        while not (tmp_path / "data" / "serve.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        for args in (("kpi",), ("verify",), ("audit", "access", "--since", "2026-01-01"),
                     ("report", "season", "--from", "2026-08-01", "--to", "2026-08-01", "--out",
                      str(tmp_path / "report")), ("replay", "--check")):
            run = gridflow(*args)
            assert run.returncode == 0 and "Traceback" not in run.stderr, (args, run.stderr[-2000:])
            assert "running there" in run.stderr
        assert (tmp_path / "report" / "index.html").exists()
        as_of = gridflow("as-of", "--at", "2026-08-01T12:00+08:00", "--town", "370614001")  # the store only: itself
        assert as_of.returncode == 0 and '"residents"' in as_of.stdout, as_of.stderr[-2000:]
        refused = gridflow("replay")  # swapping tables under the running server is refused, with one line
        assert refused.returncode == 2 and "stop the server first" in refused.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 0 and not (tmp_path / "data" / "serve.json").exists()
