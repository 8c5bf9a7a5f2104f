"""An operator's first hour: every everyday mistake is one line naming the cause and a non-zero exit, never a
traceback, and no unreachable server makes a command hang."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gridflow.bootstrap import bootstrap
from tests.conftest import make_config
from tests.integration.test_event_store import season_items


def gridflow(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "GRIDFLOW_"))}
    clean.update(GRIDFLOW_DATA_DIR=str(data), **env)
    return subprocess.run([sys.executable, "-m", "gridflow.cli", *args], env=clean, capture_output=True, text=True,
                          timeout=40)


def one_line(run: subprocess.CompletedProcess) -> str:
    assert run.returncode != 0, run.stdout[-500:]
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr[-2000:]
    return lines[0]


CASES = {
    "postgres on a closed port": (("as-of", "--at", "2026-08-01", "--town", "370614001"),
                                  {"GRIDFLOW_EVENT_STORE": "postgresql://gridflow:secret@127.0.0.1:1/gridflow"},
                                  "event store postgresql://gridflow:***@127.0.0.1:1/gridflow"),
    "clickhouse unreachable": (("kpi",), {"GRIDFLOW_CLICKHOUSE": "http://gridflow:secret@127.0.0.1:1"},
                               "ClickHouse at http://gridflow:***@127.0.0.1:1"),
    "kafka on a closed port": (("worker",), {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}, "Kafka at 127.0.0.1:1"),
    # 192.0.2.1 (TEST-NET-1) is never routed: a host that swallows connections instead of refusing them; the
    # subprocess's 40 s limit fails the case if the command hangs
    "postgres on a host that never answers": (("verify",), {"GRIDFLOW_EVENT_STORE": "postgresql://u:pw@192.0.2.1/db"},
                                              "event store postgresql://u:***@192.0.2.1/db"),
    "kafka on a host that never answers": (("topics",), {"KAFKA_BOOTSTRAP_SERVERS": "192.0.2.1:9092"},
                                           "Kafka at 192.0.2.1:9092"),
    "worker without a broker": (("worker",), {}, "KAFKA_BOOTSTRAP_SERVERS"),
    "store URL of another kind": (("verify",), {"GRIDFLOW_EVENT_STORE": "mysql://x"}, "sqlite:///… or postgresql://"),
    "cipher key that is no key": (("verify",), {"GRIDFLOW_CIPHER_KEY": "not-base64!"}, "GRIDFLOW_CIPHER_KEY"),
    "batch size that is no number": (("kpi",), {"GRIDFLOW_BATCH_SIZE": "lots"}, "GRIDFLOW_BATCH_SIZE"),
    "report dates backwards": (("report", "season", "--from", "2026-08-31", "--to", "2026-08-01", "--out", "r"), {},
                               "is after --to"),
    "unknown town": (("kpi", "--town", "nowhere"), {}, "unknown town: nowhere"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_mistake_is_one_line_naming_its_cause(case, tmp_path):
    args, env, cause = CASES[case]
    assert cause in one_line(gridflow(tmp_path / "data", *args, **env))


def test_a_data_directory_that_cannot_be_created_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    line = one_line(gridflow(blocker / "data", "kpi"))
    assert "cannot create the data directory" in line and str(blocker / "data") in line


def test_a_wrong_cipher_key_is_named_not_a_decryption_traceback(tmp_path, geography):
    config = make_config(tmp_path / "data")
    bootstrap(config, geography).store.process(season_items(geography)[:20])
    line = one_line(gridflow(tmp_path / "data", "verify", "--no-anchors",
                             GRIDFLOW_CIPHER_KEY="QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="))
    assert "cipher key does not open the event store" in line


@pytest.mark.parametrize("args", [("--days", "-1"), ("--scale", "0"), ("--bad-share", "2"),
                                  ("--start", "2031-01-01"), ("--port", "70000")])
def test_demo_arguments_are_checked_before_anything_is_wiped(args, tmp_path):
    data = tmp_path / "data"
    (data / "clickhouse").mkdir(parents=True)
    (data / "events.sqlite").write_text("an earlier demo's store")
    run = gridflow(data, "demo", "--no-serve", *args)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith(("gridflow demo:", "usage:", "gridflow: error"))
    assert (data / "events.sqlite").read_text() == "an earlier demo's store" and (data / "clickhouse").is_dir()


def test_forgetting_someone_never_stored_says_so(tmp_path, geography):
    config = make_config(tmp_path / "data")
    bootstrap(config, geography).store.process(season_items(geography)[:20])
    run = gridflow(tmp_path / "data", "forget-person", "--id-number", "11010519491231002X", "--reason", "request",
                   "--by", "clerk")
    assert run.returncode == 1 and "no such person" in run.stderr and "key destroyed" not in run.stdout


def test_serve_without_accounts_says_how_to_create_them(tmp_path):
    line = one_line(gridflow(tmp_path / "data", "serve", "--port", "0"))
    assert "no accounts file" in line and "gridflow accounts add" in line


def test_accounts_are_managed_and_their_tokens_kept_only_as_hashes(tmp_path):
    data = tmp_path / "data"
    added = gridflow(data, "accounts", "add", "li.wei", "--role", "grid_worker", "--grid", "37061400100101")
    assert added.returncode == 0, added.stderr
    token = added.stdout.split("token ", 1)[1].split()[0]
    stored = (data / "accounts.json").read_text()
    assert token not in stored and oct((data / "accounts.json").stat().st_mode & 0o777) == "0o600"
    assert "li.wei" in gridflow(data, "accounts", "list").stdout and token not in gridflow(data, "accounts",
                                                                                           "list").stdout
    assert "needs --grid" in one_line(gridflow(data, "accounts", "add", "x", "--role", "grid_worker"))
    assert "exists already" in one_line(gridflow(data, "accounts", "add", "li.wei", "--role", "planner"))
    rotated = gridflow(data, "accounts", "rotate", "li.wei").stdout.split("token ", 1)[1].split()[0]
    assert rotated != token
    from gridflow.accounts import Accounts

    accounts = Accounts.load(data / "accounts.json")
    assert accounts.authenticate(rotated).name == "li.wei" and accounts.authenticate(token) is None
    assert gridflow(data, "accounts", "disable", "li.wei").returncode == 0
    assert Accounts.load(data / "accounts.json").authenticate(rotated) is None


def test_an_accounts_file_of_an_earlier_release_is_hashed_when_read(tmp_path):
    import json

    from gridflow.accounts import Accounts

    path = tmp_path / "accounts.json"
    path.write_text(json.dumps([{"name": "old", "role": "district", "token": "plain-token-of-old"}]))
    assert Accounts.load(path).authenticate("plain-token-of-old").name == "old"
    assert "plain-token-of-old" not in path.read_text()
