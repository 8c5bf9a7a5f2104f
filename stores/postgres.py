"""The PostgreSQL recorder writing the Population's side tables with the events (see stores.recorders)."""
from __future__ import annotations

from collections.abc import Sequence
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
