"""The PostgreSQL recorder writing the Population's side tables with the events (see stores.recorders)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from stores.recorders import SIDE_TABLES


class KeyedPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.datastore.enable_db_functions:  # that path of the library never writes the side rows
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS must be off: person keys and the message ledger are "
                             "written with the events")
        # The library's insert with the events in binary (%b, not %s): psycopg then sends each state as bytes
        # instead of escaping it into a text array with a regex per field (a worker's batch of 6,000 events:
        # 430 -> 85 ms).
        self.insert_events_statement = SQL(
            "INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state)"
            " SELECT originator_id, originator_version, topic, state"
            " FROM unnest(%b::{schema}.{stored_event_type}[]) RETURNING notification_id"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name),
                 stored_event_type=Identifier(self.stored_event_type_name))

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as cursor:
            for ddl in SIDE_TABLES:
                cursor.execute(ddl.format(blob="BYTEA"))

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        # The side rows as arrays, one statement (not a pipelined statement per row: 9 % of the intake). Synced
        # here, so that a key already stored raises its IntegrityError now: left in the library's pipeline, it
        # could instead surface as "pipeline aborted" at the next statement, an OperationalError the library
        # retries as if the database were away.
        if kwargs.get("person_keys") or kwargs.get("message_digests"):
            with curs.connection.pipeline():
                curs.execute("WITH keys AS (INSERT INTO person_keys SELECT * FROM unnest(%b::text[], %b::bytea[]))"
                             " INSERT INTO intake_messages SELECT * FROM unnest(%b::text[], %b::text[])",
                             side_columns(kwargs))
        super()._insert_events(curs, stored_events, **kwargs)


def side_columns(kwargs: dict[str, Any]) -> list[list[Any]]:
    """The person keys' and the message digests' columns, as four arrays."""
    return [list(column) for rows in (kwargs.get("person_keys") or (), kwargs.get("message_digests") or ())
            for column in (zip(*rows, strict=True) if rows else ((), ()))]


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
