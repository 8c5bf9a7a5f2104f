"""Recorders that write the Population's side tables in the same transaction as the events (chosen through
eventsourcing's APPLICATION_RECORDER_TOPIC): new person keys (crypto-shredding) and the ledger of accepted
message ids with their content digests. Plus the bulk existence query the intake asks once per batch."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteAggregateRecorder, SQLiteApplicationRecorder

SIDE_TABLES = (
    "CREATE TABLE IF NOT EXISTS person_keys (pseudonym TEXT PRIMARY KEY, key {blob} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS intake_messages (message_id TEXT PRIMARY KEY, digest TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS dead_letter_originals (source TEXT NOT NULL, position BIGINT NOT NULL, "
    "original {blob} NOT NULL, PRIMARY KEY (source, position))",
)


class KeyedSQLiteRecorder(SQLiteApplicationRecorder):
    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as cursor:
            for ddl in SIDE_TABLES:
                cursor.execute(ddl.format(blob="BLOB"))

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        if kwargs.get("person_keys"):
            c.executemany("INSERT INTO person_keys VALUES (?, ?)", kwargs["person_keys"])
        if kwargs.get("message_digests"):
            c.executemany("INSERT INTO intake_messages VALUES (?, ?)", kwargs["message_digests"])
        if not stored_events:
            return []
        # The library's application recorder inserts one event per execute to read each rowid back (~2 % of the
        # intake); its aggregate recorder, one executemany. In one write transaction nothing else inserts, and each
        # new rowid is the largest plus one, so the batch's rowids (its notification ids) are the last one's and
        # those just before it.
        SQLiteAggregateRecorder._insert_events(self, c, stored_events)
        c.execute("SELECT last_insert_rowid()")
        last = c.fetchone()[0]
        return list(range(last - len(stored_events) + 1, last + 1))


RECORDER_FOR = {
    "eventsourcing.sqlite": "stores.recorders:KeyedSQLiteRecorder",
    "eventsourcing.postgres": "stores.postgres:KeyedPostgresRecorder",  # imported only when used (psycopg)
}


def is_postgres(recorder: Any) -> bool:
    return not isinstance(recorder, SQLiteApplicationRecorder)


def placeholder(recorder: Any) -> str:
    return "%s" if is_postgres(recorder) else "?"


def stored_originator_ids(recorder: Any, ids: set[UUID]) -> set[UUID]:
    """Which of `ids` have stored events, in one query."""
    if not ids:
        return set()
    table = recorder.events_table_name
    with recorder.datastore.transaction(commit=False) as cursor:
        if is_postgres(recorder):
            cursor.execute(f"SELECT DISTINCT originator_id FROM {table} WHERE originator_id = ANY(%s)", [list(ids)])
        else:
            wanted = [i.hex for i in ids]  # the SQLite recorder stores UUIDs as 32 hex digits
            cursor.execute(f"SELECT DISTINCT originator_id FROM {table} WHERE originator_id IN "
                           f"({','.join('?' * len(wanted))})", wanted)
        return {UUID(str(row["originator_id"])) for row in cursor.fetchall()}
