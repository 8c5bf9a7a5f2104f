"""Rebuild every projection from the event store into fresh tables beside the live ones; then either swap them
in (`gridflow replay`) or compare them with the live ones table by table (`gridflow replay --check`).

The live tables are compared in a canonical form: what a reader sees, not how batches happened to cut it
(the hourly rollup summed per cell, current state FINAL without its version, the position without its time)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.geography import Geography
from projections.projector import Projector
from projections.schema import COLUMNS, GRID_STATE, open_database

_HOURLY_KEY = "hour, town_code, village_code, grid_code"
_HOURLY_SUMS = ", ".join(f"sum({c})" for c in COLUMNS["grid_hourly"][5:])
CANONICAL: dict[str, str] = {
    **{table: f"SELECT {', '.join(columns)} FROM {{db}}.{table}" for table, columns in COLUMNS.items()},
    "grid_hourly": f"SELECT {_HOURLY_KEY}, {_HOURLY_SUMS} FROM {{db}}.grid_hourly GROUP BY {_HOURLY_KEY}",
    "grid_population": f"SELECT grid_code, village_code, town_code, {', '.join(GRID_STATE)} "
                       "FROM {db}.grid_population FINAL",
    "projection_position": "SELECT projector, max(position) FROM {db}.projection_position GROUP BY projector",
}
SWAPPED = tuple(CANONICAL)


@dataclass
class TableDiff:
    table: str
    live_rows: int
    replay_rows: int
    only_live: int
    only_replay: int

    @property
    def equal(self) -> bool:
        return self.live_rows == self.replay_rows and self.only_live == self.only_replay == 0


@dataclass
class ReplayResult:
    database: str
    notifications: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.notifications / self.seconds if self.seconds else 0.0


def rebuild(client: Any, store: Any, geography: Geography, database: str,
            progress: Callable[[str], None] = lambda _: None, batch_size: int = 50_000) -> ReplayResult:
    """Project the whole store into a fresh `database` (dropped first if it exists). Uses the caller's client
    (its default database is restored afterwards): a second chdb connection in one process halves insert speed."""
    live = client.database
    client.database = "system"  # a database that always exists, while ours is dropped and made anew
    client.command(f"DROP DATABASE IF EXISTS {database} SYNC")
    open_database(client, database)
    try:
        return _project_all(client, store, geography, database, progress, batch_size)
    finally:
        client.database = live


def _project_all(client: Any, store: Any, geography: Geography, database: str, progress: Callable[[str], None],
                 batch_size: int) -> ReplayResult:
    projector = Projector(client, store, geography, batch_size=batch_size)
    projector.recover()  # (a fresh database: nothing to recover, but the position and row guard are read)
    end = store.recorder.max_notification_id() or 0
    started = time.monotonic()
    projector.catch_up(lambda at: progress(f"replayed #{at}/{end} ({at / max(end, 1):.0%})"))
    return ReplayResult(database, projector.position, time.monotonic() - started)


def compare(client: Any, live: str, replay: str) -> list[TableDiff]:
    diffs = []
    for table, canonical in CANONICAL.items():
        live_q, replay_q = canonical.format(db=live), canonical.format(db=replay)

        def count(sql: str) -> int:
            return int(client.query(f"SELECT count() FROM ({sql})").result_rows[0][0])

        diffs.append(TableDiff(table, count(live_q), count(replay_q),
                               count(f"{live_q} EXCEPT {replay_q}"), count(f"{replay_q} EXCEPT {live_q}")))
    return diffs


def swap_in(client: Any, live: str, replay: str) -> None:
    """Exchange each live table with its rebuilt twin (atomic per table), then drop the old ones."""
    for table in SWAPPED:
        client.command(f"EXCHANGE TABLES {live}.{table} AND {replay}.{table}")
    client.command(f"DROP DATABASE IF EXISTS {replay} SYNC")
