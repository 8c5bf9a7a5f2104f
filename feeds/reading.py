"""The event store's notification log as what feeds are made of: movement and gate-count rows (the projection's
own row functions: pseudonyms and administrative codes only, never identities) and erasures, each with the
store-wide pseudonym of the person it names."""
from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.geography import Geography
from domain.model import Erasure, Person, PriorityPerson, ScenicDay
from feeds.fields import PRIORITY, RESIDENCY
from projections.rows import MOVEMENT_EVENTS, RowMaker, topics_of

log = logging.getLogger("gridflow.feeds")
PERSON_KINDS = frozenset(RESIDENCY + PRIORITY)
IDENTITY_EVENTS = (Person.Registered, PriorityPerson.Enrolled)  # the first event of a person: names the pseudonym
TOPICS = sorted(topics_of(set(MOVEMENT_EVENTS) | {ScenicDay.Counted, Erasure.Forgotten, *IDENTITY_EVENTS}))


@dataclass(frozen=True)
class Item:
    notification_id: int
    seq: int  # rows of one notification, in order
    table: str  # movements | scenic_gate_counts | erasure
    row: dict[str, Any] = field(hash=False)
    pseudonym: str = ""  # the store-wide pseudonym of the person named, if any


class LogReader:
    def __init__(self, store: Any, geography: Geography, remembered: int = 200_000):
        self.store, self.rows = store, RowMaker(geography)
        self.remembered = remembered
        self._pseudonyms: OrderedDict[str, str] = OrderedDict()  # aggregate id (hex) → store-wide pseudonym

    def head(self) -> int:
        return self.store.recorder.max_notification_id() or 0

    def read(self, after: int, limit: int, stop: int | None = None) -> tuple[list[Item], int]:
        """The items of the notifications after `after` (at most `limit` that carry any, up to `stop` or the
        head), and the position they take us to. The store skips notifications that carry nothing for feeds."""
        end = self.head() if stop is None else stop
        if end <= after:
            return [], after
        notifications = self.store.recorder.select_notifications(start=after + 1, limit=limit, stop=end,
                                                                 topics=TOPICS)
        last = notifications[-1].id if len(notifications) == limit else end
        return [item for n in notifications for item in self._items(n)], last

    def _items(self, notification: Any) -> Iterator[Item]:
        try:
            event = self.store.mapper.to_domain_event(notification)
        except Exception as e:  # the projector records it as an anomaly; a feed cannot carry it either
            log.warning("notification %d does not decode (%s): not in any feed", notification.id, type(e).__name__)
            return
        if isinstance(event, IDENTITY_EVENTS):
            self._remember(event.originator_id.hex, event.pseudonym)
        elif isinstance(event, Erasure.Forgotten):
            yield Item(notification.id, 0, "erasure", {"erased_at": event.timestamp}, event.pseudonym)
        else:
            for seq, (table, row) in enumerate(self.rows.rows(notification.id, event)):
                named = self.pseudonym_of(row["subject"]) if row.get("kind") in PERSON_KINDS else ""
                yield Item(notification.id, seq, table, row, named)

    def pseudonym_of(self, subject: str) -> str:
        """The store-wide pseudonym of a person's aggregate: from its first event, seen in the log or read."""
        pseudonym = self._pseudonyms.get(subject)
        if pseudonym is None:
            first = self.store.recorder.select_events(UUID(subject), lte=1)
            pseudonym = self.store.mapper.to_domain_event(first[0]).pseudonym
            self._remember(subject, pseudonym)
        return pseudonym

    def _remember(self, subject: str, pseudonym: str) -> None:
        self._pseudonyms[subject] = pseudonym
        if len(self._pseudonyms) > self.remembered:
            self._pseudonyms.popitem(last=False)

    def erased(self, pseudonyms: set[str]) -> set[str]:
        """Which of these persons have been erased (forget-person), as the store says now."""
        if not pseudonyms:
            return set()
        ids = {Erasure.create_id(p): p for p in pseudonyms}
        stored = self.store.stored_ids(set(ids))
        if stored is None:  # a store without the bulk query (in memory)
            stored = {i for i in ids if self.store.recorder.select_events(i, limit=1)}
        return {ids[i] for i in stored}
