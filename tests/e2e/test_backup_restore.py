"""`gridflow backup` taken while intake batches are being written (a thread applying them through
Population.process and chaining them, as the projector does), restored by `gridflow restore` into a fresh data
directory (and, for PostgreSQL, an empty database): the same notifications, person keys and event chain as the
store had at one batch boundary, then `gridflow replay` and a clean `gridflow verify`; on SQLite and PostgreSQL.
Operator mistakes are one line each: a target that is not empty, a wrong passphrase, no pg_dump."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from feeds.positions import FeedPosition, SqlitePositions
from gridflow.bootstrap import bootstrap
from gridflow.config import Config
from streams.contract import to_item
from streams.simulator import Simulator
from streams.topics import KIND_OF_TOPIC
from tests.conftest import empty_database

PASSPHRASE = "a passphrase for tests only"


def gridflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridflow.cli", *args], env=env, check=False, capture_output=True,
                          text=True, timeout=600)


def cli_env(tmp_path: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "GRIDFLOW_"))}
    env.update(GRIDFLOW_DATA_DIR=str(data_dir), GRIDFLOW_CLICKHOUSE=f"chdb://{tmp_path / 'chdb'}",
               GRIDFLOW_BACKUP_PASSPHRASE=PASSPHRASE, **extra)
    return env


def one_line_error(done: subprocess.CompletedProcess, says: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert says in done.stderr, done.stderr


class Writer(threading.Thread):
    """Intake batches through Population.process, each one transaction, chained after each as the projector
    would; after every batch the notification head and the number of person keys are recorded."""

    def __init__(self, system: Any, batches: list[list[Any]]):
        super().__init__(daemon=True)
        self.system, self.batches = system, batches
        self.after: list[tuple[int, int]] = []  # (notification head, person keys) after each batch
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for batch in self.batches:
                if self.stop.is_set():
                    return
                self.system.store.process(batch)
                self.system.chain.seal()
                self.after.append((self.system.store.recorder.max_notification_id(), len(person_keys(self.system))))
                time.sleep(0.05)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e

    def wait_for(self, batches: int) -> None:
        deadline = time.monotonic() + 120
        while len(self.after) < batches and self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)


def rows(system: Any, sql: str) -> list[tuple]:
    with system.store.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(sql)
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row.values()) if hasattr(row, "values")
                else tuple(row) for row in cursor.fetchall()]


def person_keys(system: Any) -> dict[str, bytes]:
    return {p: bytes(k) for p, k in rows(system, "SELECT pseudonym, key FROM person_keys")}


def chain(system: Any) -> list[tuple[int, bytes]]:
    if system.config.event_store_url.startswith("sqlite"):
        with sqlite3.connect(f"{system.config.event_store_env()['SQLITE_DBNAME']}.chain") as db:
            found = db.execute("SELECT notification_id, digest FROM event_chain ORDER BY notification_id").fetchall()
    else:
        found = rows(system, "SELECT notification_id, digest FROM event_chain ORDER BY notification_id")
    return [(int(n), bytes(d)) for n, d in found]


def notifications(system: Any, upto: int) -> list[tuple]:
    found = system.store.recorder.select_notifications(start=1, limit=upto + 1, stop=upto)
    return [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in found]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_backup_taken_mid_stream_restores_to_the_same_state_and_verifies(kind, tmp_path, geography, request):
    source_url = request.getfixturevalue("pg_url") if kind == "postgres" else None
    store = {"GRIDFLOW_EVENT_STORE": source_url} if source_url else {}
    config = Config.from_env({"GRIDFLOW_DATA_DIR": str(tmp_path / "live"), **store})
    original = bootstrap(config, geography)
    messages = Simulator(geography, start=date(2026, 8, 1), days=2, scale=0.004, seed=5, bad_share=0.01).messages()
    items = [to_item(f"test:{m.topic}", i, m.value, KIND_OF_TOPIC[m.topic]) for i, m in enumerate(messages)]
    writer = Writer(original, [items[k:k + 40] for k in range(0, len(items), 40)])
    tourism_key = config.feed_key("tourism")  # kept in the data directory; public security's comes by environment
    if kind == "sqlite":  # the feeds' positions: a file beside the store (on PostgreSQL a table in its database)
        published = SqlitePositions(tmp_path / "live" / "events.sqlite")
        published.save([FeedPosition("tourism", 1, {0: 1})])
        published.close()
    given = {"GRIDFLOW_FEED_KEY_PUBLIC_SECURITY": "a-department-key-from-a-secret-store"}

    # -- back up while the writer writes
    writer.start()
    writer.wait_for(3)
    before = len(writer.after)
    backup_dir = tmp_path / "backup"
    # PostgreSQL: the sealed keys are kept apart from the data (--keys-to, then restore --keys)
    keys_path = tmp_path / "apart" / "keys.enc" if kind == "postgres" else backup_dir / "keys.enc"
    keys_to = ["--keys-to", str(keys_path)] if kind == "postgres" else []
    keys_from = ["--keys", str(keys_path)] if kind == "postgres" else []
    backup = gridflow(cli_env(tmp_path, tmp_path / "live", **store, **given), "backup", str(backup_dir), *keys_to)
    during = len(writer.after)
    writer.wait_for(during + 2)
    writer.stop.set()
    writer.join(120)
    assert writer.error is None, repr(writer.error)
    assert backup.returncode == 0, backup.stderr
    assert during > before, "no batch was written while the backup ran"
    assert len(writer.after) > during, "the writer stopped before the backup ended"
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    head = manifest["notification_head"]
    boundaries = {h: keys for h, keys in writer.after[before - 1:during + 1]}
    assert head in boundaries, f"#{head} is not a batch boundary of the window {sorted(boundaries)}"
    assert manifest["person_keys"] == boundaries[head] > 0
    final_head = original.store.recorder.max_notification_id()
    assert final_head > head
    assert {f["path"] for f in manifest["files"]} >= {"reference/grids.csv", "reference/towns.csv"}
    assert (backup_dir / "keys.enc").exists() == (kind == "sqlite")
    keys_file = keys_path.read_text()
    assert config.cipher_key not in keys_file and config.pseudonym_key.decode() not in keys_file
    assert tourism_key.decode() not in keys_file and "a-department-key" not in keys_file

    # -- operator mistakes, one line each
    elsewhere = tmp_path / "elsewhere"  # the restoring command's own data directory is not the target
    wrong = dict(cli_env(tmp_path, elsewhere), GRIDFLOW_BACKUP_PASSPHRASE="not the passphrase at all")
    one_line_error(gridflow(wrong, "restore", str(backup_dir), "--into", str(tmp_path / "r0"), *keys_from),
                   "wrong passphrase")
    assert not (tmp_path / "r0").exists()
    if kind == "postgres":
        one_line_error(gridflow(cli_env(tmp_path, elsewhere), "restore", str(backup_dir), "--into",
                                str(tmp_path / "r1"), "--database", source_url, *keys_from), "is not empty")
        no_tools = dict(cli_env(tmp_path, tmp_path / "live", **store), PATH=str(Path(sys.executable).parent))
        one_line_error(gridflow(no_tools, "backup", str(tmp_path / "b2")), "pg_dump is not installed")
        assert not (tmp_path / "b2").exists()  # no half backup left behind

    # -- restore into fresh places
    with empty_database() if kind == "postgres" else nullcontext() as target_url:
        restored_dir = tmp_path / "restored"
        database = ["--database", target_url] if target_url else []
        restore = gridflow(cli_env(tmp_path, elsewhere), "restore", str(backup_dir), "--into", str(restored_dir),
                           *database, *keys_from)
        assert restore.returncode == 0, restore.stderr
        one_line_error(gridflow(cli_env(tmp_path, elsewhere), "restore", str(backup_dir), "--into",
                                str(restored_dir), *database, *keys_from), "is not empty")

        target = {"GRIDFLOW_EVENT_STORE": target_url} if target_url else {}
        restored = bootstrap(Config.from_env({"GRIDFLOW_DATA_DIR": str(restored_dir), **target,
                                              "GRIDFLOW_REFERENCE_DIR": str(restored_dir / "reference")}))
        original.chain.seal()
        try:
            # each department keeps its pseudonyms: its feed key came back with the others
            assert restored.config.feed_key("tourism") == tourism_key
            assert restored.config.feed_key("public-security") == given["GRIDFLOW_FEED_KEY_PUBLIC_SECURITY"].encode()
            assert not any("feed-" in note for note in restored.config.key_notes)
            if kind == "sqlite":  # the feeds go on from where they were, not from the start
                positions = SqlitePositions(restored_dir / "events.sqlite")
                assert {f: (p.position, p.offsets) for f, p in positions.load().items()} == {"tourism": (1, {0: 1})}
                positions.close()
            assert restored.store.recorder.max_notification_id() == head
            assert notifications(restored, head) == notifications(original, head)
            restored_keys, original_keys = person_keys(restored), person_keys(original)
            assert len(restored_keys) == manifest["person_keys"]
            assert restored_keys == {p: original_keys[p] for p in restored_keys}
            original_chain = chain(original)
            assert chain(restored) == [link for link in original_chain if link[0] <= head]
            position, digest = manifest["chain_head"]["position"], manifest["chain_head"]["digest"]
            assert 0 < position <= head and dict(original_chain)[position].hex() == digest
        finally:
            restored.close()

        # -- the projections are rebuilt and the chain checked
        env = cli_env(tmp_path, restored_dir, GRIDFLOW_REFERENCE_DIR=str(restored_dir / "reference"), **target)
        replay = gridflow(env, "replay")
        assert replay.returncode == 0, replay.stderr
        verify = gridflow(env, "verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        chained = len([link for link in original_chain if link[0] <= head])
        assert f"intact: {chained} positions chained up to #{head}, head {dict(original_chain)[head].hex()}" in \
            verify.stdout
    original.close()
