"""What the intake made of an import's messages, read from the intake's own outcomes: each source's ledger in the
event store (the `IntakeCursor` of a topic partition: positions handled, every reject with its reason and message
id — what ClickHouse's `intake_rejects` projects) joined, by source position, with the dead letters (reason and the
masked detail). Read from the store, so the import needs no ClickHouse of its own."""
from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

import orjson

from domain.model import IntakeCursor
from streams.dead_letter import RawMessage
from streams.intake import IntakeHandler
from streams.tail import ends, read_to_end
from streams.topics import DEAD_LETTER

Position = tuple[int, int]  # (partition, offset) in the intake topic


class NoWorker(TimeoutError):
    """Nothing handled the published messages for a while: no intake worker runs."""


class IntakeWatch:
    """Opened before the messages are published: remembers where each ledger and the dead-letter topic stood."""

    def __init__(self, store: Any, servers: str, cluster: str, topic: str, partitions: int):
        self.store, self.servers, self.topic = store, servers, topic
        naming = IntakeHandler(store, None, cluster)  # the worker's names for its sources
        self.cursors = {p: IntakeCursor.create_id(naming.source_of(RawMessage(topic, p, 0, None, None)))
                        for p in range(partitions)}
        self.versions = {p: self._version(cursor) for p, cursor in self.cursors.items()}
        self.reached = dict.fromkeys(self.cursors, -1)
        self.rejected: dict[Position, dict[str, Any]] = {}  # position → {message_id, reason}
        self.letters_from = ends(servers, [(DEAD_LETTER.name, 0)])[(DEAD_LETTER.name, 0)]

    def _version(self, cursor: Any) -> int:
        last = self.store.recorder.select_events(cursor, desc=True, limit=1)
        return last[0].originator_version if last else 0

    def poll(self) -> None:
        """Read what each ledger recorded since the last look."""
        for partition, cursor in self.cursors.items():
            for stored in self.store.recorder.select_events(cursor, gt=self.versions[partition]):
                self.versions[partition] = stored.originator_version
                event = self.store.mapper.to_domain_event(stored)
                if not isinstance(event, IntakeCursor.Advanced):
                    continue
                self.reached[partition] = max(self.reached[partition], event.last)
                for reject in event.rejected:
                    self.rejected[(partition, reject["position"])] = reject

    def wait(self, offsets: dict[int, list[int]], progress: Callable[[int], None], idle_s: float) -> None:
        """Until the intake has handled every one of these offsets (sorted, per partition); NoWorker after
        `idle_s` without any progress."""
        handled, since = -1, time.monotonic()
        while True:
            self.poll()
            now = sum(bisect_right(mine, self.reached[p]) for p, mine in offsets.items())
            if now == sum(len(mine) for mine in offsets.values()):
                progress(now)
                return
            if now != handled:
                handled, since = now, time.monotonic()
                progress(now)
            elif time.monotonic() - since > idle_s:
                raise NoWorker(f"the intake handled nothing for {idle_s:.0f} s")
            time.sleep(0.25)

    def details(self, positions: set[Position]) -> dict[Position, dict[str, Any]]:
        """The dead letters of these positions (a letter published twice by a crash is the same letter)."""
        if not positions:
            return {}
        records, _ = read_to_end(self.servers, {(DEAD_LETTER.name, 0): self.letters_from})
        letters = {}
        for record in records:
            letter = orjson.loads(record.value)
            source = letter.get("source", {})
            position = (source.get("partition"), source.get("offset"))
            if source.get("topic") == self.topic and position in positions:
                letters[position] = letter
        return letters
