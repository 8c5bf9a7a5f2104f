"""Batch intake: the items a batch holds, what became of each, the unit of work that saves a batch in one
transaction, and the retry of a transaction a concurrent writer beat to the store.

A batch is all-or-nothing in the store, but one message can never sink it: a message whose handling fails
unexpectedly, or that is refused after changing an aggregate, is isolated and the batch decided afresh without it
(`Poisoned`). A batch that fails for any other reason leaves nothing cached behind: the next attempt decides anew.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain import commands as c
from domain import errors

A = TypeVar("A")
T = TypeVar("T")


@dataclass
class IntakeItem:
    """One message from an ordered source: a command, or the reason it was refused before reaching the model."""

    source: str
    position: int
    command: c.Command | None = None
    rejected: errors.Rejected | None = None
    message_id: str | None = None
    digest: str = ""  # of the message's content: a reused message id with other content is refused
    published_at: datetime | None = None  # when the source published it (Kafka's timestamp), if it says


@dataclass
class Outcome:
    item: IntakeItem
    status: str  # accepted | duplicate | redelivered | rejected
    reason: str = ""
    detail: str = ""


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)
    attempts: int = 1  # more when a concurrent writer stored first and the batch was decided again

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rejects(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    def accepted_digests(self) -> list[tuple[str, str]]:
        """(message id, content digest) of every accepted message, for the store's message ledger."""
        return [(o.item.message_id, o.item.digest) for o in self.outcomes
                if o.status == "accepted" and o.item.message_id and o.item.digest]


class Poisoned(Exception):
    """Deciding one item failed in a way that may have left changes behind: decide the batch again with this
    item's outcome fixed in advance, so it touches nothing."""

    def __init__(self, index: int, outcome: Outcome):
        super().__init__(f"item {index}: {outcome.reason}")
        self.index, self.outcome = index, outcome


class UnitOfWork:
    """The aggregates one batch touches, each loaded once (or created), all saved together."""

    def __init__(self, app: Application, absent: set[UUID]):
        self.app = app
        self.touched: dict[UUID, Any] = {}
        self.absent = absent  # ids known (by one bulk query) not to be stored yet
        self.created = 0  # aggregates created: with the events triggered, tells whether an item changed anything

    def get(self, cls: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id in self.touched:
            return self.touched[aggregate_id]
        if aggregate_id in self.absent:
            return None
        try:
            aggregate = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        self.touched[aggregate_id] = aggregate
        return aggregate

    def add(self, aggregate: A) -> A:
        self.absent.discard(aggregate.id)
        self.touched[aggregate.id] = aggregate
        self.created += 1
        return aggregate

    def discard(self) -> None:
        """The transaction failed: drop every cached object it touched (they hold changes never stored)."""
        cache = self.app.repository.cache
        if cache is not None:
            for aggregate_id in self.touched:
                try:
                    cache.get(aggregate_id, evict=True)
                except KeyError:
                    pass


def retry_on_conflict(attempt: Callable[[], T], undo: Callable[[], None], attempts: int = 5) -> T:
    """Run `attempt` (decide and save one transaction); when a concurrent writer stored first (IntegrityError),
    `undo` what was cached and decide again on fresh state. Any other failure is undone and raised."""
    for remaining in range(attempts - 1, -1, -1):
        try:
            return attempt()
        except IntegrityError:
            undo()
            if remaining == 0:
                raise
        except BaseException:
            undo()
            raise
    raise AssertionError("unreachable")
