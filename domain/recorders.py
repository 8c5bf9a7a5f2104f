"""The Population application's persistence details: recorders that also store new person keys in the same
transaction as the events sealed with them (chosen through eventsourcing's APPLICATION_RECORDER_TOPIC), a bulk
existence query, and the transcoding snapshots need."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent, Transcoding
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

KEYS_TABLE = "CREATE TABLE IF NOT EXISTS person_keys (pseudonym TEXT PRIMARY KEY, key {blob} NOT NULL)"


class KeyedSQLiteRecorder(SQLiteApplicationRecorder):
    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(KEYS_TABLE.format(blob="BLOB"))

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        keys = kwargs.get("person_keys")
        if keys:
            c.executemany("INSERT INTO person_keys VALUES (?, ?)", keys)
        return super()._insert_events(c, stored_events, **kwargs)


class KeyedPostgresRecorder(PostgresApplicationRecorder):
    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(KEYS_TABLE.format(blob="BYTEA"))

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        keys = kwargs.get("person_keys")
        if keys:
            curs.executemany("INSERT INTO person_keys VALUES (%s, %s)", keys)
        super()._insert_events(curs, stored_events, **kwargs)


RECORDER_FOR = {
    "eventsourcing.sqlite": "domain.recorders:KeyedSQLiteRecorder",
    "eventsourcing.postgres": "domain.recorders:KeyedPostgresRecorder",
}


class NoCipher:
    """Stores configured without encryption (tests) keep person keys as they are."""

    def encrypt(self, data: bytes) -> bytes:
        return data

    def decrypt(self, data: bytes) -> bytes:
        return data


def stored_originator_ids(recorder: Any, ids: set[UUID]) -> set[UUID] | None:
    """Which of `ids` have stored events, in one query; None when the recorder is not SQL we know."""
    if not ids:
        return set()
    table = getattr(recorder, "events_table_name", None)
    datastore = getattr(recorder, "datastore", None)
    if table is None or datastore is None:
        return None
    with datastore.transaction(commit=False) as cursor:
        if isinstance(recorder, PostgresApplicationRecorder):
            cursor.execute(f"SELECT DISTINCT originator_id FROM {table} WHERE originator_id = ANY(%s)", [list(ids)])
            return {UUID(str(row["originator_id"])) for row in cursor.fetchall()}
        if isinstance(recorder, SQLiteApplicationRecorder):
            wanted = [i.hex for i in ids]  # the SQLite recorder stores UUIDs as 32 hex digits
            cursor.execute(f"SELECT DISTINCT originator_id FROM {table} WHERE originator_id IN "
                           f"({','.join('?' * len(wanted))})", wanted)
            return {UUID(str(row["originator_id"])) for row in cursor.fetchall()}
    return None


class SetAsSortedList(Transcoding):
    """Aggregate state holds sets (message ids applied); snapshots need them as JSON."""

    type = set
    name = "set"

    def encode(self, obj: set) -> list:
        return sorted(obj)

    def decode(self, data: list) -> set:
        return set(data)
