"""Dead-letter originals too large to travel in the dead-letter topic (the broker's message limit), kept encrypted
beside the event store in `dead_letter_originals`, keyed by their source position; the dead letter carries the
reference. Kept before the dead letter is published, so a reference never dangles."""
from __future__ import annotations

from typing import Any

from stores.recorders import placeholder


class OriginalsVault:
    def __init__(self, recorder: Any):
        self.recorder, self.mark = recorder, placeholder(recorder)

    def keep(self, source: str, position: int, encrypted: bytes) -> None:
        m = self.mark
        with self.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"INSERT INTO dead_letter_originals VALUES ({m}, {m}, {m}) "
                           "ON CONFLICT (source, position) DO NOTHING", [source, position, encrypted])

    def fetch(self, source: str, position: int) -> bytes | None:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT original FROM dead_letter_originals WHERE source = {self.mark} "
                           f"AND position = {self.mark}", [source, position])
            row = cursor.fetchone()
        return bytes(row["original"]) if row else None
