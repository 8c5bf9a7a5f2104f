"""The intake's own ledger (the position reached per source, and what was refused) and erasure tombstones."""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.aggregates import aggregate_id


class Erasure(Aggregate):
    """Tombstone of a person forgotten on request (PIPL): their key is destroyed; projections drop what links
    rows to them (`subjects`), counts stay."""

    @staticmethod
    def create_id(pseudonym: str) -> UUID:
        return aggregate_id("erasure", pseudonym)

    @event("Forgotten")
    def __init__(self, pseudonym: str, subjects: list[str], reason: str, requested_by: str) -> None:
        self.pseudonym, self.subjects, self.reason, self.requested_by = pseudonym, subjects, reason, requested_by


class IntakeCursor(Aggregate):
    """Position reached in one ordered intake source (e.g. a Kafka topic partition), saved in the same
    transaction as the effects of the messages up to it; also the ledger of what was refused and why."""

    @staticmethod
    def create_id(source: str) -> UUID:
        return aggregate_id("cursor", source)

    @event("Opened")
    def __init__(self, source: str) -> None:
        self.source = source
        self.position = -1

    @event("Advanced")
    def advance(self, source: str, first: int, last: int, accepted: int, duplicates: int,
                rejected: list[dict], oldest_published_at: datetime | None = None) -> None:
        """`oldest_published_at`: when the stretch's oldest message was published (how long the intake made it
        wait: the event's own timestamp minus this); absent in events recorded before it was kept."""
        self.position = last
