"""Visitors: registered stays at lodgings (hotel registration feeds), and scenic areas' gate counts."""
from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain import errors
from domain.aggregates import IntakeAggregate, aggregate_id

STAY_GRACE = timedelta(hours=6)  # a stay counts as left open this long after its declared nights end


class VisitorStay(IntakeAggregate):
    """One registered stay at a lodging establishment (hotel registration feed)."""

    @staticmethod
    def create_id(stay_id: str) -> UUID:
        return aggregate_id("stay", stay_id)

    class CheckedIn(Aggregate.Created):
        """Version 2: the guest's origin is a GB/T 2260 region code (6 digits); version 1 stored only the
        2-digit province as `origin_province`. Old events are upcast when read, never rewritten."""

        class_version = 2
        stay_id: str
        message_id: str
        occurred_at: datetime
        lodging_code: str
        grid_code: str
        guest: str
        identity: dict
        party_size: int
        nights: int
        origin_region: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["origin_region"] = state.pop("origin_province") + "0000"

    @event(CheckedIn)
    def __init__(self, stay_id: str, message_id: str, occurred_at: datetime, lodging_code: str, grid_code: str,
                 guest: str, identity: dict, party_size: int, nights: int, origin_region: str) -> None:
        super().__init__()
        self._applied(message_id)
        self.stay_id, self.lodging_code, self.grid_code = stay_id, lodging_code, grid_code
        self.guest, self.identity = guest, identity
        self.party_size, self.nights, self.origin_region = party_size, nights, origin_region
        self.checked_in_at = occurred_at
        self.checked_out_at: datetime | None = None
        self.left_open_at: datetime | None = None

    @property
    def due_at(self) -> datetime:
        """When the guest should have checked out: the declared nights, plus the grace a late departure gets."""
        return self.checked_in_at + timedelta(days=self.nights) + STAY_GRACE

    def check_out(self, *, message_id: str, occurred_at: datetime) -> None:
        self.check_not_applied(message_id)
        self.check_not_checked_out()
        self.check_not_before_check_in(occurred_at)
        self._checked_out(message_id=message_id, occurred_at=occurred_at, lodging_code=self.lodging_code,
                          grid_code=self.grid_code, party_size=self.party_size,
                          after_left_open=self.left_open_at is not None)

    def check_not_checked_out(self) -> None:
        if self.checked_out_at is not None:
            raise errors.AlreadyCheckedOut(self.stay_id)

    def check_not_before_check_in(self, occurred_at: datetime) -> None:
        if occurred_at < self.checked_in_at:
            raise errors.EndBeforeStart("check-out before check-in")

    def record_left_open(self, as_of: datetime) -> bool:
        """The clock passed the stay's due time with no check-out: record it as an open-stay fact (the party no
        longer counts as present; a later check-out is still accepted). False when there is nothing to record."""
        if self.checked_out_at is not None or self.left_open_at is not None or as_of < self.due_at:
            return False
        self._left_open(occurred_at=self.due_at, as_of=as_of, lodging_code=self.lodging_code,
                        grid_code=self.grid_code, party_size=self.party_size)
        return True

    @event("LeftOpen")  # occurred_at: when the stay fell due; as_of: when the clock noticed
    def _left_open(self, occurred_at: datetime, as_of: datetime, lodging_code: str, grid_code: str,
                   party_size: int) -> None:
        self.left_open_at = occurred_at

    @event("CheckedOut")  # carries lodging, grid and party size so projections need no lookup
    def _checked_out(self, message_id: str, occurred_at: datetime, lodging_code: str, grid_code: str,
                     party_size: int, after_left_open: bool = False) -> None:
        self._applied(message_id)
        self.checked_out_at = occurred_at


class ScenicDay(IntakeAggregate):
    """Gate counts of one scenic area on one day (ticket-gate counters: numbers only, no persons). One
    aggregate per area-day keeps the message ids it remembers bounded."""

    @staticmethod
    def create_id(area_code: str, day: str) -> UUID:
        return aggregate_id("scenic-day", f"{area_code}:{day}")

    @event("Opened")
    def __init__(self, area_code: str, day: str, grid_code: str) -> None:  # day: ISO date
        super().__init__()
        self.area_code, self.day, self.grid_code = area_code, day, grid_code
        self.intervals: dict[str, list[int]] = {}  # interval start (ISO) → [entries, exits]

    def count(self, *, message_id: str, occurred_at: datetime, interval_minutes: int, entries: int,
              exits: int) -> None:
        self.check_not_applied(message_id)
        self.check_interval_not_counted(occurred_at)
        self._counted(message_id=message_id, occurred_at=occurred_at, interval_minutes=interval_minutes,
                      entries=entries, exits=exits, area_code=self.area_code, grid_code=self.grid_code)

    def check_interval_not_counted(self, occurred_at: datetime) -> None:
        if occurred_at.isoformat() in self.intervals:
            raise errors.IntervalAlreadyCounted(f"{self.area_code} at {occurred_at.isoformat()}")

    @event("Counted")  # occurred_at: the start of the counting interval
    def _counted(self, message_id: str, occurred_at: datetime, interval_minutes: int, entries: int, exits: int,
                 area_code: str, grid_code: str) -> None:
        self._applied(message_id)
        self.intervals[occurred_at.isoformat()] = [entries, exits]
