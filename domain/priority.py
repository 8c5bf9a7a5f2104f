"""Priority persons under management: where they were seen, and when they left or came back to their area."""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregates import IntakeAggregate, aggregate_id
from domain.geography import LEVELS as AREA_LEVELS  # a priority person's assigned area, innermost first


class PriorityPerson(IntakeAggregate):
    """A person under management (category from configuration), with an assigned grid and responsible worker."""

    @staticmethod
    def create_id(pseudonym: str) -> UUID:
        return aggregate_id("priority", pseudonym)

    @event("Enrolled")
    def __init__(self, pseudonym: str, identity: dict, category: str, assigned_grid: str,
                 responsible_worker: str) -> None:
        super().__init__()
        self.pseudonym, self.identity, self.category = pseudonym, identity, category
        self.assigned_grid, self.responsible_worker = assigned_grid, responsible_worker
        self.last_grid: str | None = None
        self.last_seen_at: datetime | None = None
        self.away: set[str] = set()  # levels ("grid", "town", "district") the person is currently outside of

    def record_movement(self, *, message_id: str, occurred_at: datetime, movement: str, grid_code: str,
                        place: str, outside: set[str]) -> None:
        """`outside`: the levels of the assigned area this place lies outside of (the caller knows the map)."""
        self.check_not_applied(message_id)
        is_newest = self.last_seen_at is None or occurred_at >= self.last_seen_at
        self._moved(message_id=message_id, occurred_at=occurred_at, movement=movement, grid_code=grid_code,
                    place=place, category=self.category, assigned_grid=self.assigned_grid)
        if not is_newest:  # a late sighting tells where they were, not where they are
            return
        for level in AREA_LEVELS:
            if level in outside and level not in self.away:
                self._left_assigned_area(level=level, grid_code=grid_code, occurred_at=occurred_at,
                                         assigned_grid=self.assigned_grid)
            elif level not in outside and level in self.away:
                self._returned_to_assigned_area(level=level, grid_code=grid_code, occurred_at=occurred_at,
                                                assigned_grid=self.assigned_grid)

    # assigned_grid: whose worker must know (the alert goes to the assigned grid, not where the person went)
    @event("LeftAssignedArea")
    def _left_assigned_area(self, level: str, grid_code: str, occurred_at: datetime, assigned_grid: str = "") -> None:
        self.away.add(level)

    @event("ReturnedToAssignedArea")
    def _returned_to_assigned_area(self, level: str, grid_code: str, occurred_at: datetime,
                                   assigned_grid: str = "") -> None:
        self.away.discard(level)

    @event("Moved")
    def _moved(self, message_id: str, occurred_at: datetime, movement: str, grid_code: str, place: str,
               category: str, assigned_grid: str) -> None:
        self._applied(message_id)
        if self.last_seen_at is None or occurred_at >= self.last_seen_at:  # late sightings do not move "last known"
            self.last_grid, self.last_seen_at = grid_code, occurred_at
