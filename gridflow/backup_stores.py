"""Consistent copies of the event store, and putting them back. What one copy holds is read from the copy itself
(or from the very snapshot it was dumped from): the notification head, the event chain's head and the number of
person keys, so the manifest describes exactly what was saved.

- SQLite: the online backup API, the feeds' positions (`<store>.feeds`) and the chain file (`<store>.chain`)
  first and the store last. Both only ever cover events already stored, so copied first they never reach past
  the store copied after them.
- PostgreSQL: `pg_dump` of an exported snapshot; the heads are read in the transaction that exported it, and the
  chain (table `event_chain`) lives in the same database, so all of it is one point in time.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridflow.errors import OperatorError, first_line
from stores.chain import GENESIS

SQLITE_FILE, CHAIN_SUFFIX, FEEDS_SUFFIX, PG_DUMP_FILE = "events.sqlite", ".chain", ".feeds", "events.pgdump"


@dataclass(frozen=True)
class Heads:
    notification: int  # the last notification id in the copy
    chain: tuple[int, str]  # the chain's last position and its digest (hex)
    person_keys: int

    def as_dict(self) -> dict[str, Any]:
        return {"notification_head": self.notification, "person_keys": self.person_keys,
                "chain_head": {"position": self.chain[0], "digest": self.chain[1]}}


def _chain_head(rows: list[Any]) -> tuple[int, str]:
    return (int(rows[0][0]), bytes(rows[0][1]).hex()) if rows else (0, GENESIS.hex())


# -- SQLite ---------------------------------------------------------------------------------------------------------
def sqlite_copy(source: Path, target: Path) -> None:
    """One consistent copy through the online backup API (writers carry on meanwhile), as a single file."""
    src, dst = sqlite3.connect(source, timeout=30), sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # no -wal file beside the copy
    finally:
        dst.close()
        src.close()


def sqlite_heads(store: Path, chain: Path | None, events: str) -> Heads:
    """`events`: the table of the notification log (the recorder's events_table_name)."""
    with sqlite3.connect(store) as db:
        head = db.execute(f"SELECT max(rowid) FROM {events}").fetchone()[0] or 0
        keys = db.execute("SELECT count(*) FROM person_keys").fetchone()[0]
    rows = []
    if chain is not None and chain.exists():
        with sqlite3.connect(chain) as db:
            rows = db.execute("SELECT notification_id, digest FROM event_chain "
                              "ORDER BY notification_id DESC LIMIT 1").fetchall()
    return Heads(int(head), _chain_head(rows), int(keys))


def backup_sqlite(store: Path, target: Path, events: str) -> tuple[list[Path], Heads]:
    # the feeds' positions, then the chain, then the store: no copy reaches past the one made after it
    files = []
    for suffix in (FEEDS_SUFFIX, CHAIN_SUFFIX):
        if Path(f"{store}{suffix}").exists():
            files.append(target / f"{SQLITE_FILE}{suffix}")
            sqlite_copy(Path(f"{store}{suffix}"), files[-1])
    sqlite_copy(store, target / SQLITE_FILE)
    chain = target / f"{SQLITE_FILE}{CHAIN_SUFFIX}"
    heads = sqlite_heads(target / SQLITE_FILE, chain if chain.exists() else None, events)
    if heads.chain[0] > heads.notification:  # cannot happen when the chain is copied first: say so if it does
        raise OperatorError(f"the chain copy reaches #{heads.chain[0]} past the store copy's #{heads.notification}")
    return [target / SQLITE_FILE, *files], heads


def restore_sqlite(source: Path, data_dir: Path) -> Path:
    store = data_dir / SQLITE_FILE
    shutil.copyfile(source / SQLITE_FILE, store)
    for suffix in (CHAIN_SUFFIX, FEEDS_SUFFIX):
        if (source / f"{SQLITE_FILE}{suffix}").exists():
            shutil.copyfile(source / f"{SQLITE_FILE}{suffix}", data_dir / f"{SQLITE_FILE}{suffix}")
    return store


# -- PostgreSQL -----------------------------------------------------------------------------------------------------
def _connection(env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """libpq connection string without the password, and an environment carrying it (not in `ps` output)."""
    from stores.postgres import conninfo

    password = env.get("POSTGRES_PASSWORD")
    return conninfo(env, connect_timeout="10"), {**os.environ, **({"PGPASSWORD": password} if password else {})}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise OperatorError(f"{name} is not installed: it comes with PostgreSQL's client programs (Debian: "
                            f"apt-get install postgresql-client; its major version must be at least the server's)")
    return path


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise OperatorError(f"{what} failed: {first_line(Exception(done.stderr or done.stdout))}")


def _connect(env: dict[str, str]) -> Any:
    import psycopg

    conninfo, _ = _connection(env)
    try:
        return psycopg.connect(conninfo, **({"password": env["POSTGRES_PASSWORD"]} if env.get("POSTGRES_PASSWORD")
                                            else {}))
    except psycopg.Error as e:
        raise OperatorError(f"cannot open the database {env['POSTGRES_DBNAME']} on {env['POSTGRES_HOST']}: "
                            f"{first_line(e)}") from None


def backup_postgres(env: dict[str, str], target: Path, events: str) -> tuple[list[Path], Heads]:
    from psycopg import IsolationLevel

    pg_dump = _tool("pg_dump")
    conninfo, tool_env = _connection(env)
    dump = target / PG_DUMP_FILE
    with _connect(env) as conn:
        conn.isolation_level, conn.read_only = IsolationLevel.REPEATABLE_READ, True
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        heads = _postgres_heads(conn, events)
        # the exporting transaction stays open until pg_dump has taken the snapshot over
        _run([pg_dump, f"--snapshot={snapshot}", "--format=custom", "--no-owner", "--no-privileges",
              f"--file={dump}", f"--dbname={conninfo}"], tool_env, "pg_dump")
    return [dump], heads


def _postgres_heads(conn: Any, events: str) -> Heads:
    head = conn.execute(f"SELECT max(notification_id) FROM {events}").fetchone()[0] or 0
    keys = conn.execute("SELECT count(*) FROM person_keys").fetchone()[0]
    chained = conn.execute("SELECT to_regclass('event_chain') IS NOT NULL").fetchone()[0]
    rows = conn.execute("SELECT notification_id, digest FROM event_chain ORDER BY notification_id DESC "
                        "LIMIT 1").fetchall() if chained else []
    return Heads(int(head), _chain_head(rows), int(keys))


def postgres_heads(env: dict[str, str], events: str) -> Heads:
    with _connect(env) as conn:
        return _postgres_heads(conn, events)


def check_empty(env: dict[str, str]) -> None:
    """A restore never writes into a database that holds tables."""
    with _connect(env) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                              "('pg_catalog', 'information_schema')").fetchone()[0]
    if tables:
        raise OperatorError(f"the database {env['POSTGRES_DBNAME']} on {env['POSTGRES_HOST']} is not empty "
                            f"({tables} tables): restore into a new, empty database")


def restore_postgres(source: Path, env: dict[str, str]) -> None:
    pg_restore = _tool("pg_restore")
    conninfo, tool_env = _connection(env)
    _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={conninfo}", str(source / PG_DUMP_FILE)], tool_env, "pg_restore")


def tool_version(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        return ""
    return subprocess.run([path, "--version"], check=False, capture_output=True, text=True).stdout.strip()
