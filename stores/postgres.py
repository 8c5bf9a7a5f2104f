"""The PostgreSQL recorder writing the Population's side tables with the events (see stores.recorders)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from stores.recorders import SIDE_TABLES, side_rows


class KeyedPostgresRecorder(PostgresApplicationRecorder):
    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as cursor:
            for ddl in SIDE_TABLES:
                cursor.execute(ddl.format(blob="BYTEA"))

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        side_rows(curs, "%s", kwargs)
        super()._insert_events(curs, stored_events, **kwargs)


def conninfo(env: dict[str, str], connect_timeout: str) -> str:
    """libpq connection string of the store the eventsourcing settings `env` name, without its password."""
    from psycopg.conninfo import make_conninfo

    return make_conninfo(host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], dbname=env["POSTGRES_DBNAME"],
                         user=env["POSTGRES_USER"], connect_timeout=connect_timeout)


SCHEMA_LOCK = 0x67726964736368  # the advisory lock held while an application makes its tables ("gridsch")


@contextmanager
def tables_made_one_at_a_time(env: dict[str, str]) -> Iterator[None]:
    """Workers starting together on a new database each make the tables, types and functions (events, snapshots,
    side tables) if missing; at once, PostgreSQL refuses some ("tuple concurrently updated", a duplicate pg_type
    row). Opening the application under this lock, the others find them made."""
    import psycopg

    with psycopg.connect(conninfo(env, env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
                         password=env.get("POSTGRES_PASSWORD") or None, autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", [SCHEMA_LOCK])
        try:
            yield
        finally:
            lock.execute("SELECT pg_advisory_unlock(%s)", [SCHEMA_LOCK])
