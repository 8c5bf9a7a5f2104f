"""Base of the intake aggregates: deterministic ids from natural keys, and memory of the messages applied."""
from __future__ import annotations

from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

NAMESPACE = uuid5(NAMESPACE_URL, "https://gridflow.invalid/aggregates")


@lru_cache(maxsize=200_000)  # hot path: every message names its aggregates by natural key
def aggregate_id(kind: str, natural_key: str) -> UUID:
    """Deterministic ids: re-creating from a redelivered message names the same aggregate."""
    return uuid5(NAMESPACE, f"{kind}:{natural_key}")


class DuplicateMessage(Exception):
    """This message was already applied to the aggregate: no second effect."""


class IntakeAggregate(Aggregate):
    """Base: keeps the ids of applied intake messages (idempotency across redeliveries and republishing)."""

    triggered = 0  # events triggered on any intake aggregate: lets a batch tell whether a refused item changed state

    def __init__(self) -> None:
        self.applied_messages: set[str] = set()

    def trigger_event(self, event_class: type, **kwargs: object) -> None:
        IntakeAggregate.triggered += 1
        super().trigger_event(event_class, **kwargs)

    def check_not_applied(self, message_id: str) -> None:
        if message_id in self.applied_messages:
            raise DuplicateMessage(message_id)

    def _applied(self, message_id: str) -> None:
        self.applied_messages.add(message_id)
