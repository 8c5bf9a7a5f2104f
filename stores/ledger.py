"""The store's ledger of accepted message ids (table `intake_messages`, written with each batch's events): a
republished message is a duplicate, another message under a used id is refused."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stores.recorders import placeholder

CHUNK = 500


class SqlLedger:
    def __init__(self, recorder: Any):
        self.recorder, self.mark = recorder, placeholder(recorder)

    def digests(self, message_ids: Iterable[str]) -> dict[str, str]:
        wanted, found = sorted(message_ids), {}
        for lo in range(0, len(wanted), CHUNK):
            chunk = wanted[lo:lo + CHUNK]
            with self.recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(f"SELECT message_id, digest FROM intake_messages WHERE message_id IN "
                               f"({','.join([self.mark] * len(chunk))})", chunk)
                found.update((row["message_id"], row["digest"]) for row in cursor.fetchall())
        return found
