"""Where each feed stands, kept beside the event store: the last notification published, and the offset each
partition of its topic had reached then. Written after the broker acknowledged the batch; what a crash published
past it is found in the topic from those offsets on (see feeds.publisher). One publisher at a time holds the lock.

SQLite: a file of its own beside the store (`<store>.feeds`), so the publisher never waits for the intake's write
lock; PostgreSQL: the table `feed_positions` in the store's database, and an advisory lock."""
from __future__ import annotations

import fcntl
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DDL = ("CREATE TABLE IF NOT EXISTS feed_positions (feed TEXT PRIMARY KEY, position BIGINT NOT NULL, "
       "offsets TEXT NOT NULL, updated_at TEXT NOT NULL)")
LOCK_ID = 0x67726964666565  # the PostgreSQL advisory lock of the feed publisher ("gridfee")


class PublisherBusy(RuntimeError):
    """Another feed publisher holds the lock."""


@dataclass
class FeedPosition:
    feed: str
    position: int = 0  # the last notification id published (0: none)
    offsets: dict[int, int] = field(default_factory=dict)  # partition → offset after what was published
    updated_at: str = ""


def _row(feed: str, position: int, offsets: str, updated_at: str) -> FeedPosition:
    return FeedPosition(feed, int(position), {int(p): int(o) for p, o in json.loads(offsets).items()}, updated_at)


class MemoryPositions:
    def __init__(self) -> None:
        self.kept: dict[str, FeedPosition] = {}

    def lock(self) -> None:
        pass

    def load(self) -> dict[str, FeedPosition]:
        return {k: FeedPosition(v.feed, v.position, dict(v.offsets), v.updated_at) for k, v in self.kept.items()}

    def save(self, positions: list[FeedPosition]) -> None:
        for p in positions:
            self.kept[p.feed] = FeedPosition(p.feed, p.position, dict(p.offsets), _now())

    def close(self) -> None:
        pass


class SqlitePositions(MemoryPositions):
    def __init__(self, store_path: Path):
        super().__init__()
        self.path = Path(f"{store_path}.feeds")
        self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")  # `gridflow feeds` reads while the publisher writes
        with self.db:
            self.db.execute(DDL)
        self._lock_file: Any = None

    def lock(self) -> None:
        self._lock_file = open(f"{self.path}.lock", "a")  # held for the publisher's lifetime
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublisherBusy(f"another feed publisher runs on this store (lock {self.path}.lock)") from None

    def load(self) -> dict[str, FeedPosition]:
        rows = self.db.execute("SELECT feed, position, offsets, updated_at FROM feed_positions").fetchall()
        return {r[0]: _row(*r) for r in rows}

    def save(self, positions: list[FeedPosition]) -> None:
        with self.db:  # one transaction for every feed of the batch
            self.db.executemany("INSERT INTO feed_positions VALUES (?, ?, ?, ?) ON CONFLICT (feed) DO UPDATE SET "
                                "position = excluded.position, offsets = excluded.offsets, "
                                "updated_at = excluded.updated_at", [_values(p) for p in positions])

    def close(self) -> None:
        self.db.close()
        if self._lock_file is not None:
            self._lock_file.close()


class PostgresPositions(MemoryPositions):
    def __init__(self, url: str):
        import psycopg

        super().__init__()
        self.db = psycopg.connect(url, autocommit=True, connect_timeout=5)
        self.db.execute(DDL)

    def lock(self) -> None:
        if not self.db.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_ID]).fetchone()[0]:
            raise PublisherBusy("another feed publisher runs on this store (PostgreSQL advisory lock)")

    def load(self) -> dict[str, FeedPosition]:
        rows = self.db.execute("SELECT feed, position, offsets, updated_at FROM feed_positions").fetchall()
        return {r[0]: _row(*r) for r in rows}

    def save(self, positions: list[FeedPosition]) -> None:
        with self.db.transaction(), self.db.cursor() as cursor:
            cursor.executemany("INSERT INTO feed_positions VALUES (%s, %s, %s, %s) ON CONFLICT (feed) DO UPDATE SET "
                               "position = excluded.position, offsets = excluded.offsets, "
                               "updated_at = excluded.updated_at", [_values(p) for p in positions])

    def close(self) -> None:
        # Released here, not left to the session's end: closing returns before the server has ended the session,
        # so a publisher taking over at once could still find the lock held. A crashed publisher's lock still goes
        # with its session.
        import psycopg

        if not self.db.closed:
            try:
                self.db.execute("SELECT pg_advisory_unlock_all()")
            except psycopg.Error:  # the connection is already gone, and its lock with it
                pass
        self.db.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _values(p: FeedPosition) -> tuple[str, int, str, str]:
    return p.feed, p.position, json.dumps({str(k): v for k, v in sorted(p.offsets.items())}), _now()
