"""The Population application: applies batches of intake commands and saves each batch in one transaction,
together with the position reached in every intake source, the new person keys and the ledger of accepted
message ids (so a redelivered or republished message has no second effect).

Persistence is the composition root's choice: the store's keyring, message ledger and bulk existence query are
plugged in (stores/); in memory by default."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder, PersistenceError, Transcoding

from domain import commands as c
from domain import errors
from domain.geography import Geography, NoReference
from domain.handlers import HANDLERS
from domain.identity import Pseudonymizer
from domain.intake import BatchResult, IntakeItem, Outcome, Poisoned, UnitOfWork, retry_on_conflict
from domain.keyring import FORGOTTEN, MemoryKeyring, seal, unseal
from domain.model import (
    DuplicateMessage,
    Dwelling,
    Erasure,
    IntakeAggregate,
    IntakeCursor,
    Person,
    PriorityPerson,
    VisitorStay,
)

log = logging.getLogger("gridflow.domain")
# Failures of the store while a message is decided are no fault of the message: they fail the batch (retried).
INFRASTRUCTURE = (PersistenceError, OSError, TimeoutError)
DEFAULT_PRIORITY_CATEGORIES = (
    "community_correction", "released_after_sentence", "mental_illness_risk", "drug_rehabilitation",
)


class MessageLedger(Protocol):
    def digests(self, message_ids: Iterable[str]) -> dict[str, str]:
        """The content digest of each of these message ids already accepted."""


class MemoryLedger:
    def __init__(self) -> None:
        self.stored: dict[str, str] = {}

    def digests(self, message_ids: Iterable[str]) -> dict[str, str]:
        return {m: self.stored[m] for m in message_ids if m in self.stored}

    def saved(self, rows: list[tuple[str, str]]) -> None:
        self.stored.update(rows)


class SetAsSortedList(Transcoding):
    """Aggregate state holds sets (message ids applied); snapshots need them as JSON."""

    type = set
    name = "set"

    def encode(self, obj: set) -> list:
        return sorted(obj)

    def decode(self, data: list) -> set:
        return set(data)


class Population(Application):
    name = "Population"
    # Dwellings and priority persons live for years and gather many events: read them from a snapshot.
    snapshotting_intervals: ClassVar[dict[type, int]] = {Dwelling: 100, PriorityPerson: 100}
    env = {
        "AGGREGATE_CACHE_MAXSIZE": "200000",
        # One writer per store: cached aggregates need no re-read, and copying them per command is waste.
        "AGGREGATE_CACHE_FASTFORWARD": "n",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    }

    def __init__(self, env: dict[str, str] | None = None, *, geography: Geography | None = None,
                 pseudonymize: Pseudonymizer | None = None,
                 priority_categories: Sequence[str] = DEFAULT_PRIORITY_CATEGORIES):
        super().__init__(env)
        self.geography: Geography | NoReference = geography if geography is not None else NoReference()
        self.pseudonymize = pseudonymize
        self.priority_categories = frozenset(priority_categories)
        # The store's side tables; stores/ plugs in SQL versions written in the batch's transaction.
        self.keyring: Any = MemoryKeyring()
        self.ledger: Any = MemoryLedger()
        self.stored_ids: Callable[[set[UUID]], set[UUID] | None] = lambda ids: None
        self._cursors: dict[str, IntakeCursor] = {}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SetAsSortedList())

    # -- the intake command ---------------------------------------------------------------------------------
    def process(self, batch: Sequence[IntakeItem], before_commit: Callable[[BatchResult], None] | None = None,
                attempts: int = 5) -> BatchResult:
        """Apply a batch; call `before_commit` with the outcomes (e.g. to publish rejects), then save it all in
        one transaction. A concurrent writer makes the batch re-run on fresh state; a poisoned item is decided
        in advance and the batch re-run without it; any other failure leaves nothing cached behind."""
        self.keyring.prefetch(self.pseudonym(p) for item in batch if item.command
                              for p in HANDLERS[type(item.command)].identities(item.command))
        fixed: dict[int, Outcome] = {}
        units: list[UnitOfWork] = []

        def attempt() -> BatchResult:
            unit = UnitOfWork(self, self._absent_ids(batch))
            units.append(unit)
            result = self._decide(unit, batch, fixed)
            if before_commit is not None:
                before_commit(result)
            self._save(unit, self.keyring.take_new(), result.accepted_digests())
            return result

        while True:
            try:
                result = retry_on_conflict(attempt, lambda: self._discard(units[-1]), attempts)
                result.attempts = len(units)
                return result
            except Poisoned as poisoned:
                fixed[poisoned.index] = poisoned.outcome

    def _decide(self, unit: UnitOfWork, batch: Sequence[IntakeItem], fixed: dict[int, Outcome]) -> BatchResult:
        result = BatchResult()
        by_source: dict[str, list[Outcome]] = {}
        known = self.ledger.digests({i.message_id for i in batch if i.command is not None and i.message_id})
        for index, item in enumerate(batch):
            if item.position <= self._cursor(unit, item.source).position:
                result.outcomes.append(Outcome(item, "redelivered"))
                continue
            outcome = fixed.get(index) or self._apply_isolated(unit, index, item, known)
            if outcome.status == "accepted" and item.message_id:
                known[item.message_id] = item.digest
            result.outcomes.append(outcome)
            by_source.setdefault(item.source, []).append(outcome)
        for source, outcomes in by_source.items():
            rejected = [{"position": o.item.position, "message_id": o.item.message_id, "reason": o.reason}
                        for o in outcomes if o.status == "rejected"]
            published = [o.item.published_at for o in outcomes if o.item.published_at is not None]
            self._cursor(unit, source).advance(
                source=source, first=outcomes[0].item.position, last=max(o.item.position for o in outcomes),
                accepted=sum(o.status == "accepted" for o in outcomes),
                duplicates=sum(o.status == "duplicate" for o in outcomes), rejected=rejected,
                oldest_published_at=min(published) if published else None)
        return result

    def _apply_isolated(self, unit: UnitOfWork, index: int, item: IntakeItem, known: dict[str, str]) -> Outcome:
        """Apply one item; if it fails unexpectedly, or is refused after changing something, have the batch
        decided again with this item's outcome fixed (so nothing it did half-way is saved)."""
        triggered, created = IntakeAggregate.triggered, unit.created
        try:
            outcome = self._apply(unit, item, known)
        except INFRASTRUCTURE:
            raise  # the store failed, not the message: the whole batch is retried
        except Exception as e:
            log.exception("isolating %s@%d: applying it failed", item.source, item.position)
            rejected = errors.Unprocessable(f"applying it failed ({type(e).__name__})")
            raise Poisoned(index, Outcome(item, "rejected", rejected.reason, rejected.detail)) from e
        if outcome.status != "accepted" and (IntakeAggregate.triggered, unit.created) != (triggered, created):
            raise Poisoned(index, outcome)
        return outcome

    def _apply(self, unit: UnitOfWork, item: IntakeItem, known: dict[str, str]) -> Outcome:
        if item.rejected is not None:
            return Outcome(item, "rejected", item.rejected.reason, item.rejected.detail)
        assert item.command is not None
        applied = known.get(item.message_id or "")
        if applied is not None:
            if applied == item.digest or not item.digest:
                return Outcome(item, "duplicate")
            reused = errors.MessageIdReused("this message id was applied before with other content")
            return Outcome(item, "rejected", reused.reason, reused.detail)
        try:
            HANDLERS[type(item.command)].apply(self, unit, item.command)
        except DuplicateMessage:
            return Outcome(item, "duplicate")
        except errors.Rejected as rejected:
            return Outcome(item, "rejected", rejected.reason, rejected.detail)
        return Outcome(item, "accepted")

    def _cursor(self, unit: UnitOfWork, source: str) -> IntakeCursor:
        cursor = self._cursors.get(source)
        if cursor is None:
            cursor = unit.get(IntakeCursor, IntakeCursor.create_id(source)) or IntakeCursor(source=source)
            self._cursors[source] = cursor
        unit.add(cursor)
        return cursor

    def _absent_ids(self, batch: Sequence[IntakeItem]) -> set[UUID]:
        """One query per batch instead of one per new aggregate."""
        cache = self.repository.cache.cache if self.repository.cache is not None else {}
        wanted = {i for item in batch if item.command is not None
                  for i in HANDLERS[type(item.command)].touches(self.pseudonym, item.command) if i not in cache}
        stored = self.stored_ids(wanted) if wanted else set()
        return set() if stored is None else wanted - stored

    def _save(self, unit: UnitOfWork, new_keys: list[tuple[str, bytes]],
              message_digests: list[tuple[str, str]]) -> None:
        """Application.save, minus its per-object protocol checks (measurable at thousands of aggregates per
        batch): every touched object here is one of our aggregates. Same store call, cache updates, snapshots."""
        pending = {aggregate.id: aggregate.collect_events() for aggregate in unit.touched.values()}
        self.events.put([event for events in pending.values() for event in events], person_keys=new_keys,
                        message_digests=message_digests)
        if isinstance(self.ledger, MemoryLedger):
            self.ledger.saved(message_digests)
        for aggregate in unit.touched.values():
            if self.repository.cache is not None:
                self.repository.cache.put(aggregate.id, aggregate)
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval and any(e.originator_version % interval == 0 for e in pending[aggregate.id]):
                self.take_snapshot(aggregate.id)

    def _discard(self, unit: UnitOfWork) -> None:
        """The batch was not stored: nothing it decided may stay cached (cursors, aggregates, new keys)."""
        self._cursors.clear()
        unit.discard()
        self.keyring.forget_new(self.keyring.take_new())

    # -- identities -----------------------------------------------------------------------------------------
    def pseudonym(self, person: c.PersonIdentity) -> str:
        assert self.pseudonymize is not None, "a Pseudonymizer is needed to apply commands"
        return self.pseudonymize(person.id_number)

    def sealed_identity(self, person: c.PersonIdentity) -> dict[str, str]:
        """Personal data sealed with the person's own key (crypto-shredding), inside the encrypted event."""
        identity = {"id_number": person.id_number, "name": person.name, "phone": person.phone}
        return {"sealed": seal(self.keyring.key_for(self.pseudonym(person)), identity)}

    def identity_of(self, pseudonym: str, sealed: dict[str, str]) -> dict[str, Any]:
        """The identity in an event, or a forgotten marker once the person's key is destroyed."""
        key = self.keyring.existing_key(pseudonym)
        return FORGOTTEN if key is None else unseal(key, sealed["sealed"])

    def is_known(self, pseudonym: str) -> bool:
        """Whether the store holds anything about this person (a key, a registration or an enrolment)."""
        return self.keyring.existing_key(pseudonym) is not None or any(
            self._exists(i) for i in (Person.create_id(pseudonym), PriorityPerson.create_id(pseudonym)))

    def _exists(self, aggregate_id: UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    # -- erasure --------------------------------------------------------------------------------------------
    def forget(self, pseudonym: str, reason: str, requested_by: str) -> bool:
        """Destroy the person's key and record a tombstone; False if already forgotten. Counts are untouched:
        events stay, only the personal fields in them become unreadable."""
        if self._exists(Erasure.create_id(pseudonym)):
            return False
        self.keyring.destroy(pseudonym)
        subjects = [Person.create_id(pseudonym).hex, PriorityPerson.create_id(pseudonym).hex]
        self.save(Erasure(pseudonym=pseudonym, subjects=subjects, reason=reason, requested_by=requested_by))
        return True

    # -- the clock ------------------------------------------------------------------------------------------
    def record_open_stays(self, stays: Sequence[UUID], as_of: datetime, attempts: int = 5) -> int:
        """Stays past their declared nights with no check-out become open-stay facts (one transaction).
        Candidates come from a read model; the stay decides."""
        units: list[UnitOfWork] = []

        def attempt() -> int:
            unit = UnitOfWork(self, set())
            units.append(unit)
            recorded = sum(stay.record_left_open(as_of) for stay_id in stays
                           if (stay := unit.get(VisitorStay, stay_id)) is not None)
            self._save(unit, [], [])
            return recorded

        return retry_on_conflict(attempt, lambda: units[-1].discard(), attempts)
