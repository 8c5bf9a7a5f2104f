"""Mobility alerts that grid workers acknowledge, and the escalation loops above them (grid → town → district).

Raised (by a rule over the read models, or by Grafana's webhook) → Acknowledged (by someone responsible for the
grid, with a note) → Resolved (with an outcome). Not acknowledged within its SLA it is Escalated to the town (the
small loop), and after another SLA to the district (the large loop). A rule that fires again while its alert is
open is counted on that alert (`Repeated`), never raised twice. Time comes from the caller (a clock), so the
loops are testable."""
from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.aggregates import aggregate_id
from domain.privacy import mask

LEVELS = ("grid", "town", "district")


class AlertClosed(Exception):
    """The alert is resolved: no more acknowledgements or escalations."""


class AlreadyAcknowledged(Exception):
    """Someone acknowledged it already."""


class AlreadyAtDistrict(Exception):
    """The alert is at the district already: there is no higher loop to hand it to."""


class Alert(Aggregate):
    """One occurrence of a rule firing for one place. Its id follows from the fingerprint and the occurrence
    number, so the evaluator and the webhook name the same alert."""

    @staticmethod
    def create_id(fingerprint: str, occurrence: int) -> UUID:
        return aggregate_id("alert", f"{fingerprint}#{occurrence}")

    @event("Raised")
    def __init__(self, fingerprint: str, occurrence: int, rule_id: str, severity: str, grid_code: str,
                 town_code: str, summary: str, evidence: dict, ack_sla_s: int, raised_at: datetime,
                 source: str, level: str = "grid") -> None:
        self.fingerprint, self.occurrence, self.rule_id, self.severity = fingerprint, occurrence, rule_id, severity
        self.grid_code, self.town_code, self.summary, self.evidence = grid_code, town_code, summary, evidence
        self.ack_sla_s, self.raised_at, self.source = ack_sla_s, raised_at, source
        self.level = level  # who must act now: the grid, unless the alert could not be placed in one
        self.level_since = raised_at
        self.acknowledged: dict | None = None
        self.resolved: dict | None = None
        self.repeats = 0
        self.last_seen_at = raised_at

    @property
    def status(self) -> str:
        return "resolved" if self.resolved else "acknowledged" if self.acknowledged else "open"

    def check_open(self) -> None:
        if self.resolved is not None:
            raise AlertClosed(str(self.id))

    REPEAT_EVERY = timedelta(minutes=10)

    def is_news(self, evidence: dict, at: datetime) -> bool:
        """Firing again with other figures, and not within minutes of the last count (the evaluator runs often)."""
        return evidence != self.evidence and at - self.last_seen_at >= self.REPEAT_EVERY

    def repeat(self, at: datetime, evidence: dict) -> None:
        self.check_open()
        self._repeated(at=at, evidence=evidence)

    @event("Repeated")
    def _repeated(self, at: datetime, evidence: dict) -> None:
        self.repeats += 1
        self.last_seen_at, self.evidence = at, evidence

    def acknowledge(self, by: str, role: str, note: str, at: datetime) -> None:
        self.check_open()
        if self.acknowledged is not None:
            raise AlreadyAcknowledged(self.acknowledged["by"])
        self._acknowledged(by=by, role=role, note=mask(note), at=at,
                           within_sla=at <= self.level_since + timedelta(seconds=self.ack_sla_s),
                           level=self.level)

    @event("Acknowledged")
    def _acknowledged(self, by: str, role: str, note: str, at: datetime, within_sla: bool, level: str) -> None:
        self.acknowledged = {"by": by, "role": role, "note": note, "at": at, "within_sla": within_sla}

    def resolve(self, by: str, outcome: str, at: datetime) -> None:
        self.check_open()
        self._resolved(by=by, outcome=mask(outcome), at=at)

    @event("Resolved")
    def _resolved(self, by: str, outcome: str, at: datetime) -> None:
        self.resolved = {"by": by, "outcome": outcome, "at": at}

    def escalate_if_due(self, now: datetime) -> bool:
        """Climb one loop if nobody acknowledged within the SLA at the current level."""
        if self.resolved is not None or self.acknowledged is not None or self.level == LEVELS[-1]:
            return False
        if now < self.level_since + timedelta(seconds=self.ack_sla_s):
            return False
        self._escalated(to=LEVELS[LEVELS.index(self.level) + 1], at=now, by="clock", reason="ack SLA passed")
        return True

    def escalate(self, by: str, reason: str, at: datetime) -> None:
        """By hand: a grid worker who cannot handle it hands it up."""
        self.check_open()
        if self.level == LEVELS[-1]:
            raise AlreadyAtDistrict(str(self.id))
        self._escalated(to=LEVELS[LEVELS.index(self.level) + 1], at=at, by=by, reason=mask(reason))

    @event("Escalated")
    def _escalated(self, to: str, at: datetime, by: str, reason: str) -> None:
        self.level, self.level_since = to, at


class AccessLog(Aggregate):
    """Every read of person-level data and every denial (PIPL art. 28), one log per day."""

    @staticmethod
    def create_id(day: str) -> UUID:
        return aggregate_id("access-log", day)

    @event("Opened")
    def __init__(self, day: str) -> None:
        self.day = day

    @event("Recorded")
    def record(self, at: datetime, account: str, role: str, action: str, resource: str, allowed: bool,
               reason: str) -> None:
        pass


class AlertSeries(Aggregate):
    """The occurrences of one fingerprint (rule + place): which one is current, and whether it is still open."""

    @staticmethod
    def create_id(fingerprint: str) -> UUID:
        return aggregate_id("alert-series", fingerprint)

    @event("Started")
    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self.current = 0
        self.open = False

    @event("OccurrenceOpened")
    def occurrence_opened(self, occurrence: int) -> None:
        self.current, self.open = occurrence, True

    @event("OccurrenceClosed")
    def occurrence_closed(self, occurrence: int) -> None:
        if occurrence == self.current:
            self.open = False
