"""Event-store recorders that also store new person keys, in the same transaction as the events sealed with them
(so neither can exist without the other). Chosen through eventsourcing's APPLICATION_RECORDER_TOPIC."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
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
