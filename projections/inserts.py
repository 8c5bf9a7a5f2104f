"""Inserts that ask ClickHouse for a table's columns once, not on every call.

clickhouse-connect's `insert` runs a DESCRIBE of the table before each insert: on chdb that was 15 of the 25 ms a
small insert took, and the projector inserts into five or six tables per batch, so a quiet district's rows waited
~90 ms a batch for answers that never change. The answer is kept as an insert context per table and columns."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class Inserter:
    def __init__(self, client: Any):
        self.client = client
        self._contexts: dict[tuple[Any, ...], Any] = {}

    def insert(self, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str],
               settings: dict[str, Any] | None = None) -> None:
        # the settings travel in the context, so they are part of what it is kept under
        key = (self.client.database, table, tuple(columns), tuple(sorted((settings or {}).items())))
        context = self._contexts.get(key)
        if context is None:
            context = self.client.create_insert_context(table, column_names=list(columns), settings=settings)
        context.data = rows
        try:
            self.client.data_insert(context)
        finally:
            context.data = []  # the rows are not kept alive by the cache
        self._contexts[key] = context  # kept only once an insert through it succeeded
