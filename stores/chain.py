"""Tamper evidence for the event log: a hash chain over the notification log, stored beside it.

digest(n) = SHA-256(digest(previous) ‖ id ‖ originator id ‖ version ‖ topic ‖ stored bytes), in notification order,
so changing, removing or inserting any stored event changes every digest from there on. The chain is extended by
whoever reads the log in order (the projector, every batch) and checked from the start by `gridflow verify`, which
names the first position that does not match.
Events are covered from the moment they are chained (the projector's lag: well under a second when it runs).
On SQLite the chain lives in a file of its own beside the store, so chaining never waits for the intake's lock.
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import IntegrityError

from stores.recorders import is_postgres

GENESIS = hashlib.sha256(b"gridflow event chain v1").digest()
PAGE = 20_000


def link(previous: bytes, notification: Any) -> bytes:
    h = hashlib.sha256(previous)
    h.update(notification.id.to_bytes(8, "big"))
    h.update(notification.originator_id.bytes)
    h.update(notification.originator_version.to_bytes(8, "big"))
    h.update(notification.topic.encode())
    h.update(b"\0")
    h.update(notification.state)
    return h.digest()


@dataclass
class Verdict:
    checked: int  # chained positions recomputed
    head: tuple[int, bytes]  # the last chained position and its digest
    unchained: int  # stored events after the head, not yet chained
    first_mismatch: int | None = None
    why: str = ""

    @property
    def intact(self) -> bool:
        return self.first_mismatch is None


class EventChain:
    """PostgreSQL: the `event_chain` table in the store's database. SQLite: a file of its own beside the store
    (`<store>.chain`), because SQLite locks the whole file per writer and the chain must not hold up the intake."""

    def __init__(self, recorder: Any):
        self.recorder = recorder
        self.postgres = is_postgres(recorder)
        self.mark = "%s" if self.postgres else "?"
        self._sqlite = None
        if not self.postgres:
            self._sqlite = sqlite3.connect(f"{recorder.datastore.pool.db_name}.chain", check_same_thread=False,
                                           timeout=30)
            self._sqlite.execute("PRAGMA journal_mode=WAL")
            self._sqlite.execute("PRAGMA synchronous=NORMAL")  # a lost tail is re-chained from the store
        self._execute(f"CREATE TABLE IF NOT EXISTS event_chain (notification_id BIGINT PRIMARY KEY, "
                      f"digest {'BYTEA' if self.postgres else 'BLOB'} NOT NULL)", commit=True)
        self._head: tuple[int, bytes] | None = None

    def _execute(self, sql: str, params: Sequence[Any] = (), *, many: bool = False, commit: bool = False
                 ) -> list[tuple[int, bytes]]:
        """Run one statement; rows as (notification id, digest)."""
        if self._sqlite is not None:
            with self._sqlite:  # a transaction, committed on success
                cursor = self._sqlite.executemany(sql, params) if many else self._sqlite.execute(sql, params)
                return [(int(r[0]), bytes(r[1])) for r in cursor.fetchall()] if not many else []
        with self.recorder.datastore.transaction(commit=commit) as cursor:
            if many:
                cursor.executemany(sql, params)
                return []
            cursor.execute(sql, params)
            return [(int(r["notification_id"]), bytes(r["digest"])) for r in cursor.fetchall()] \
                if cursor.description else []

    def head(self) -> tuple[int, bytes]:
        rows = self._execute("SELECT notification_id, digest FROM event_chain ORDER BY notification_id DESC LIMIT 1")
        return rows[0] if rows else (0, GENESIS)

    def extend(self, notifications: Sequence[Any]) -> int:
        """Chain the notifications past the head (they are read in order); return how many were added."""
        if self._head is None:
            self._head = self.head()
        last_id, digest = self._head
        if notifications and notifications[0].id > last_id + 1:  # the reader started past the head (a replay)
            notifications = [*self._between(last_id, notifications[0].id), *notifications]
        rows = []
        for notification in notifications:
            if notification.id <= last_id:
                continue
            digest = link(digest, notification)
            last_id = notification.id
            rows.append((last_id, digest))
        if not rows:
            return 0
        try:
            self._execute(f"INSERT INTO event_chain VALUES ({self.mark}, {self.mark})", rows, many=True, commit=True)
        except (IntegrityError, sqlite3.IntegrityError):  # another reader chained them first: take its head next
            self._head = None
            return 0
        self._head = (last_id, digest)
        return len(rows)

    def _between(self, after: int, before: int) -> list[Any]:
        """Stored notifications after `after` and before `before`, read a page at a time."""
        found: list[Any] = []
        while page := self.recorder.select_notifications(start=after + 1, limit=min(PAGE, before - after - 1)):
            found.extend(n for n in page if n.id < before)
            after = page[-1].id
            if after >= before - 1:
                break
        return found

    def anchor(self, notification_id: int) -> str:
        """The chain digest at this position as hex, if it is the head we know; else empty."""
        if self._head is not None and self._head[0] == notification_id:
            return self._head[1].hex()
        return ""

    def stored_anchor(self, notification_id: int) -> str:
        """The chain digest stored at this position as hex (empty if not chained yet): read, not remembered."""
        rows = self._execute(f"SELECT notification_id, digest FROM event_chain WHERE notification_id = {self.mark}",
                             (notification_id,))
        return rows[0][1].hex() if rows else ""

    def seal(self) -> int:
        """Chain everything stored past the head."""
        added, start = 0, self.head()[0] + 1
        while page := self.recorder.select_notifications(start=start, limit=PAGE):
            added += self.extend(page)
            start = page[-1].id + 1
        return added

    def _chained(self) -> Iterator[tuple[int, bytes]]:
        after = 0
        while True:
            rows = self._execute(f"SELECT notification_id, digest FROM event_chain WHERE notification_id > "
                                 f"{self.mark} ORDER BY notification_id LIMIT {PAGE}", (after,))
            if not rows:
                return
            yield from rows
            after = rows[-1][0]

    def _stored(self) -> Iterator[Any]:
        start = 1
        while page := self.recorder.select_notifications(start=start, limit=PAGE):
            yield from page
            start = page[-1].id + 1

    def verify(self, progress: Callable[[int], None] = lambda _: None,
               anchors: dict[int, bytes] | None = None) -> Verdict:
        """Recompute the chain from the start; stop at the first position that does not match. `anchors`:
        digests recorded elsewhere (ClickHouse), which a rewrite of the whole chain would not match."""
        digest, checked, last = GENESIS, 0, 0
        stored, chained = self._stored(), self._chained()
        event, link_row = next(stored, None), next(chained, None)
        while link_row is not None:
            chained_id, chained_digest = link_row
            if event is None or event.id > chained_id:
                return Verdict(checked, (last, digest), 0, chained_id, "chained event is missing from the store")
            if event.id < chained_id:
                return Verdict(checked, (last, digest), 0, event.id, "stored event was never chained (inserted?)")
            digest = link(digest, event)
            if digest != chained_digest:
                return Verdict(checked, (last, digest), 0, event.id, "stored bytes do not match the chain")
            if anchors and event.id in anchors and anchors[event.id] != digest:
                return Verdict(checked, (last, digest), 0, event.id, "chain does not match the anchor in ClickHouse")
            checked, last = checked + 1, event.id
            if checked % PAGE == 0:
                progress(checked)
            event, link_row = next(stored, None), next(chained, None)
        unchained = 0
        while event is not None:
            unchained += 1
            event = next(stored, None)
        return Verdict(checked, (last, digest), unchained)
