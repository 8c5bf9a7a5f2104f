"""Shared fixtures: the real Tansu broker (one per session), PostgreSQL databases (one per test), chdb dirs."""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from domain.geography import Geography
from gridflow.config import Config
from gridflow.reference import load_geography

PG = {"host": "127.0.0.1", "port": 5432, "user": os.environ.get("GRIDFLOW_PG_USER", "gridflow"),
      "password": os.environ.get("GRIDFLOW_PG_PASSWORD", "gridflow")}
T0 = datetime(2026, 8, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture(scope="session")
def geography() -> Geography:
    return load_geography()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from gridflow.runtime import tansu_broker

    with tansu_broker(tmp_path_factory.mktemp("tansu")) as bootstrap:
        yield bootstrap


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (the server is started by `make test`)."""
    with empty_database() as url:
        yield url


@contextmanager
def empty_database() -> Iterator[str]:
    import psycopg

    name = f"gridflow_t_{uuid.uuid4().hex[:10]}"
    admin = f"postgresql://{PG['user']}:{PG['password']}@{PG['host']}:{PG['port']}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://{PG['user']}:{PG['password']}@{PG['host']}:{PG['port']}/{name}"
    finally:
        drop_database(admin, name)


def drop_database(admin: str, name: str, attempts: int = 20) -> None:
    """DROP … WITH (FORCE) may not end an autovacuum worker that has just entered the database (a superuser's
    process: "must be a member of the role whose process is being terminated"); it is gone a moment later."""
    import psycopg

    for attempt in range(attempts):
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)


# chdb allows one data directory per process: every in-process test shares this one, each in its own database.
CHDB_DIR = Path(os.environ.get("GRIDFLOW_TEST_CHDB", f"/tmp/gridflow-test-chdb-{os.getpid()}"))


def make_config(data_dir: Path, **env: str) -> Config:
    defaults = {"GRIDFLOW_DATA_DIR": str(data_dir), "GRIDFLOW_CLICKHOUSE": f"chdb://{CHDB_DIR}",
                "GRIDFLOW_CLICKHOUSE_DATABASE": f"t_{uuid.uuid4().hex[:12]}"}
    return Config.from_env({**defaults, **env})


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path / "gf")


@pytest.fixture(scope="session", autouse=True)
def _remove_shared_chdb_dir() -> Iterator[None]:
    yield
    import shutil

    shutil.rmtree(CHDB_DIR, ignore_errors=True)
