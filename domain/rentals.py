"""Leases: a rental of one dwelling, its landlord and tenants, and the tenants who registered under it."""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain import errors
from domain.aggregates import IntakeAggregate, aggregate_id


class Lease(IntakeAggregate):
    """A rental of one dwelling: landlord, tenants, start and end."""

    @staticmethod
    def create_id(lease_id: str) -> UUID:
        return aggregate_id("lease", lease_id)

    @event("Started")
    def __init__(self, lease_id: str, message_id: str, occurred_at: datetime, dwelling_id: str, grid_code: str,
                 landlord: str, tenants: list[str], identities: dict, planned_end: str | None) -> None:
        super().__init__()
        self._applied(message_id)
        self.lease_id, self.dwelling_id, self.grid_code = lease_id, dwelling_id, grid_code
        self.landlord, self.tenants, self.identities = landlord, tenants, identities
        self.started_at = occurred_at
        self.ended_at: datetime | None = None
        self.resident_tenants: dict[str, datetime] = {}  # tenants who registered in the dwelling under it

    def link_tenant(self, person: str, occurred_at: datetime) -> None:
        """A tenant of this lease registered in its dwelling: the registration is linked to the lease."""
        if person in self.tenants and person not in self.resident_tenants:
            self._tenant_moved_in(person=person, occurred_at=occurred_at, dwelling_id=self.dwelling_id,
                                  grid_code=self.grid_code)

    @event("TenantMovedIn")
    def _tenant_moved_in(self, person: str, occurred_at: datetime, dwelling_id: str, grid_code: str) -> None:
        self.resident_tenants[person] = occurred_at

    def end(self, *, message_id: str, occurred_at: datetime) -> None:
        self.check_not_applied(message_id)
        self.check_not_ended()
        self.check_not_before_start(occurred_at)
        self._ended(message_id=message_id, occurred_at=occurred_at, dwelling_id=self.dwelling_id,
                    grid_code=self.grid_code)

    def check_not_ended(self) -> None:
        if self.ended_at is not None:
            raise errors.LeaseAlreadyEnded(self.lease_id)

    def check_not_before_start(self, occurred_at: datetime) -> None:
        if occurred_at < self.started_at:
            raise errors.EndBeforeStart(f"end {occurred_at.isoformat()} before start {self.started_at.isoformat()}")

    @staticmethod
    def check_planned_end(start: datetime, planned_end: datetime | None) -> None:
        if planned_end is not None and planned_end < start:
            raise errors.EndBeforeStart(f"planned end {planned_end.date()} before start {start.date()}")

    @event("Ended")  # carries dwelling and grid so projections need no lookup
    def _ended(self, message_id: str, occurred_at: datetime, dwelling_id: str, grid_code: str) -> None:
        self._applied(message_id)
        self.ended_at = occurred_at
