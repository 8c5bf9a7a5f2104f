"""Mobility alerts that grid workers acknowledge, and the escalation loops above them (grid → town → district).

Raised (by a rule over the read models, or by Grafana's webhook) → Acknowledged (by someone responsible for the
grid, with a note) → NoteAdded (handling notes, the feedback) → Resolved (with an outcome). Not acknowledged within
its SLA it is Escalated to the town (the small loop), and after another SLA to the district (the large loop); a
person may also hand it up (上报) with a reason. A rule that fires again while its alert is open is counted on that
alert (`Repeated`), never raised twice. Time comes from the caller (a clock), so the loops are testable."""
from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.aggregates import aggregate_id
from domain.geography import LEVELS
from domain.privacy import mask


class AlertClosed(Exception):
    """The alert is resolved: no more acknowledgements, notes or escalations."""

    def __init__(self, resolved_by: str = ""):
        super().__init__(resolved_by)
        self.resolved_by = resolved_by


class AlreadyAcknowledged(Exception):
    """Someone acknowledged it already."""

    def __init__(self, acknowledged_by: str = ""):
        super().__init__(acknowledged_by)
        self.acknowledged_by = acknowledged_by


class AlreadyAtDistrict(Exception):
    """The alert is at the district already: there is no higher loop to hand it to."""


class AlertMoved(Exception):
    """The alert is no longer at the level the caller saw (it climbed a loop meanwhile): look again first."""

    def __init__(self, level: str):
        super().__init__(level)
        self.level = level


class CommandAlreadyApplied(Exception):
    """This command id was applied to the alert before (a phone's queue sent it twice): no second effect."""


class Alert(Aggregate):
    """One occurrence of a rule firing for one place. Its id follows from the fingerprint and the occurrence
    number, so the evaluator and the webhook name the same alert. Commands from people carry a client-made
    `command_id` (applied once) and the level the person saw (refused if the alert moved since)."""

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
        self.notes = 0
        self.last_seen_at = raised_at
        self.applied_commands: set[str] = set()

    @property
    def status(self) -> str:
        return "resolved" if self.resolved else "acknowledged" if self.acknowledged else "open"

    def check_open(self) -> None:
        if self.resolved is not None:
            raise AlertClosed(self.resolved["by"])

    def check_command(self, command_id: str, seen_level: str) -> None:
        """A command sent twice is applied once; one made on a stale view of the alert is refused."""
        if command_id and command_id in self.applied_commands:
            raise CommandAlreadyApplied(command_id)
        self.check_open()
        if seen_level and seen_level != self.level:
            raise AlertMoved(self.level)

    def _applied(self, command_id: str) -> None:
        if command_id:
            self.applied_commands.add(command_id)

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

    def acknowledge(self, by: str, role: str, note: str, at: datetime, command_id: str = "",
                    seen_level: str = "") -> None:
        self.check_command(command_id, seen_level)
        if self.acknowledged is not None:
            raise AlreadyAcknowledged(self.acknowledged["by"])
        self._acknowledged(by=by, role=role, note=mask(note), at=at,
                           within_sla=at <= self.level_since + timedelta(seconds=self.ack_sla_s),
                           level=self.level, command_id=command_id)

    @event("Acknowledged")
    def _acknowledged(self, by: str, role: str, note: str, at: datetime, within_sla: bool, level: str,
                      command_id: str = "") -> None:
        self.acknowledged = {"by": by, "role": role, "note": note, "at": at, "within_sla": within_sla}
        self._applied(command_id)

    def add_note(self, by: str, role: str, note: str, at: datetime, command_id: str = "",
                 seen_level: str = "") -> None:
        """Feedback while handling it: what was found, what was done so far."""
        self.check_command(command_id, seen_level)
        if not note.strip():
            raise ValueError("a handling note needs some text")
        self._note_added(by=by, role=role, note=mask(note.strip()), at=at, level=self.level, command_id=command_id)

    @event("NoteAdded")
    def _note_added(self, by: str, role: str, note: str, at: datetime, level: str, command_id: str = "") -> None:
        self.notes += 1
        self._applied(command_id)

    def resolve(self, by: str, outcome: str, at: datetime, role: str = "", command_id: str = "",
                seen_level: str = "") -> None:
        self.check_command(command_id, seen_level)
        self._resolved(by=by, outcome=mask(outcome), at=at, role=role, command_id=command_id)

    @event("Resolved")
    def _resolved(self, by: str, outcome: str, at: datetime, role: str = "", command_id: str = "") -> None:
        self.resolved = {"by": by, "outcome": outcome, "at": at}
        self._applied(command_id)

    def escalate_if_due(self, now: datetime) -> bool:
        """Climb one loop if nobody acknowledged within the SLA at the current level."""
        if self.resolved is not None or self.acknowledged is not None or self.level == LEVELS[-1]:
            return False
        if now < self.level_since + timedelta(seconds=self.ack_sla_s):
            return False
        self._escalated(to=LEVELS[LEVELS.index(self.level) + 1], at=now, by="clock", reason="ack SLA passed")
        return True

    def escalate(self, by: str, reason: str, at: datetime, role: str = "", command_id: str = "",
                 seen_level: str = "") -> None:
        """By hand (上报): someone who cannot handle it hands it up to the next loop."""
        self.check_command(command_id, seen_level)
        if self.level == LEVELS[-1]:
            raise AlreadyAtDistrict(str(self.id))
        self._escalated(to=LEVELS[LEVELS.index(self.level) + 1], at=at, by=by, reason=mask(reason), role=role,
                        command_id=command_id)

    @event("Escalated")
    def _escalated(self, to: str, at: datetime, by: str, reason: str, role: str = "", command_id: str = "") -> None:
        self.level, self.level_since = to, at
        self._applied(command_id)


class AccessLog(Aggregate):
    """Every read of person-level data and every denial (PIPL art. 28), one log per day."""

    @staticmethod
    def create_id(day: str) -> UUID:
        return aggregate_id("access-log", day)

    @event("Opened")
    def __init__(self, day: str) -> None:
        self.day = day

    def record(self, at: datetime, account: str, role: str, action: str, resource: str, allowed: bool,
               reason: str) -> None:
        """One entry; it belongs to this day's log and names who did what."""
        if at.date().isoformat() != self.day:
            raise ValueError(f"an entry of {at.date()} does not belong to the log of {self.day}")
        if not account or not action:
            raise ValueError("an access-log entry names its account and its action")
        self._recorded(at=at, account=account, role=role, action=action, resource=resource, allowed=allowed,
                       reason=mask(reason))

    @event("Recorded")
    def _recorded(self, at: datetime, account: str, role: str, action: str, resource: str, allowed: bool,
                  reason: str) -> None:
        pass


class OccurrenceStillOpen(Exception):
    """A rule's place has an open alert: a new occurrence starts only after it is resolved."""


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

    def open_occurrence(self) -> int:
        """The next occurrence starts (its number returned); only when none is open."""
        if self.open:
            raise OccurrenceStillOpen(f"{self.fingerprint}#{self.current}")
        self._occurrence_opened(occurrence=self.current + 1)
        return self.current

    @event("OccurrenceOpened")
    def _occurrence_opened(self, occurrence: int) -> None:
        self.current, self.open = occurrence, True

    def close_occurrence(self, occurrence: int) -> None:
        """The current occurrence was resolved; closing an earlier one changes nothing and records nothing."""
        if self.open and occurrence == self.current:
            self._occurrence_closed(occurrence=occurrence)

    @event("OccurrenceClosed")
    def _occurrence_closed(self, occurrence: int) -> None:
        if occurrence == self.current:
            self.open = False
