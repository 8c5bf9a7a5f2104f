"""Commands on alerts and the access log, stored through the Population application (one store, one
notification log, one hash chain). Every command is one transaction; a concurrent writer makes it re-run."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from domain.alerts import AccessLog, Alert, AlertSeries
from domain.intake import retry_on_conflict
from domain.privacy import mask

T = TypeVar("T")


class AlertDesk:
    def __init__(self, app: Application):
        self.app = app

    def _get(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _in_transaction(self, decide: Callable[[list[Any]], T], attempts: int = 5) -> T:
        """`decide(touched)` loads and changes aggregates, appending them to `touched`; saved together."""
        touched: list[Any] = []

        def attempt() -> T:
            touched.clear()
            result = decide(touched)
            if touched:
                self.app.save(*touched)
            return result

        def undo() -> None:  # drop what the failed attempt changed
            cache = self.app.repository.cache
            for aggregate in touched if cache is not None else ():
                try:
                    cache.get(aggregate.id, evict=True)
                except KeyError:
                    pass

        return retry_on_conflict(attempt, undo, attempts)

    def alert(self, alert_id: UUID) -> Alert | None:
        return self._get(alert_id)

    def open_alert(self, fingerprint: str) -> UUID | None:
        """The open alert of this fingerprint, if any."""
        series = self._get(AlertSeries.create_id(fingerprint))
        return Alert.create_id(fingerprint, series.current) if series is not None and series.open else None

    def raise_or_repeat(self, *, fingerprint: str, rule_id: str, severity: str, grid_code: str, town_code: str,
                        summary: str, evidence: dict, ack_sla_s: int, at: datetime, source: str,
                        level: str = "grid") -> tuple[UUID, bool]:
        """(alert id, newly raised?) — an open alert with this fingerprint is counted, not duplicated. Text from
        outside (a Grafana summary, labels) is screened for personal data first."""
        summary, evidence = mask(summary), screened(evidence)
        def decide(touched: list[Any]) -> tuple[UUID, bool]:
            series = self._get(AlertSeries.create_id(fingerprint)) or AlertSeries(fingerprint=fingerprint)
            if series.open:
                alert = self._get(Alert.create_id(fingerprint, series.current))
                if alert.is_news(evidence, at):
                    alert.repeat(at=at, evidence=evidence)
                    touched.append(alert)
                return alert.id, False
            touched.append(series)
            occurrence = series.open_occurrence()
            alert = Alert(fingerprint=fingerprint, occurrence=occurrence, rule_id=rule_id, severity=severity,
                          grid_code=grid_code, town_code=town_code, summary=summary, evidence=evidence,
                          ack_sla_s=ack_sla_s, raised_at=at, source=source, level=level)
            touched.append(alert)
            return alert.id, True

        return self._in_transaction(decide)

    def _change(self, alert_id: UUID, change: Callable[[Alert], None]) -> Alert:
        """One command on one alert, in its own transaction."""
        def decide(touched: list[Any]) -> Alert:
            alert = self._get(alert_id)
            change(alert)
            touched.append(alert)
            return alert

        return self._in_transaction(decide)

    # Commands of people: `command_id` (made by the phone) is applied once; `seen_level`, the level the person saw,
    # refuses a command made on a view the alert has moved on from (AlertMoved).
    def acknowledge(self, alert_id: UUID, *, by: str, role: str, note: str, at: datetime, command_id: str = "",
                    seen_level: str = "") -> Alert:
        return self._change(alert_id, lambda alert: alert.acknowledge(
            by=by, role=role, note=note, at=at, command_id=command_id, seen_level=seen_level))

    def add_note(self, alert_id: UUID, *, by: str, role: str, note: str, at: datetime, command_id: str = "",
                 seen_level: str = "") -> Alert:
        return self._change(alert_id, lambda alert: alert.add_note(
            by=by, role=role, note=note, at=at, command_id=command_id, seen_level=seen_level))

    def resolve(self, alert_id: UUID, *, by: str, outcome: str, at: datetime, role: str = "", command_id: str = "",
                seen_level: str = "") -> Alert:
        def decide(touched: list[Any]) -> Alert:
            alert = self._get(alert_id)
            alert.resolve(by=by, outcome=outcome, at=at, role=role, command_id=command_id, seen_level=seen_level)
            series = self._get(AlertSeries.create_id(alert.fingerprint))
            series.close_occurrence(occurrence=alert.occurrence)
            touched.extend((alert, series))
            return alert

        return self._in_transaction(decide)

    def escalate(self, alert_id: UUID, *, by: str, reason: str, at: datetime, role: str = "", command_id: str = "",
                 seen_level: str = "") -> Alert:
        return self._change(alert_id, lambda alert: alert.escalate(
            by=by, reason=reason, at=at, role=role, command_id=command_id, seen_level=seen_level))

    def escalate_due(self, open_alert_ids: Iterable[UUID], now: datetime) -> int:
        """The clock's part: every open, unacknowledged alert past its SLA climbs one loop."""
        def decide(touched: list[Any]) -> int:
            for alert_id in open_alert_ids:
                alert = self._get(alert_id)
                if alert is not None and alert.escalate_if_due(now):
                    touched.append(alert)
            return len(touched)

        return self._in_transaction(decide)

    def record_access(self, *, at: datetime, account: str, role: str, action: str, resource: str, allowed: bool,
                      reason: str) -> None:
        day = at.date().isoformat()

        def decide(touched: list[Any]) -> None:
            log = self._get(AccessLog.create_id(day)) or AccessLog(day=day)
            log.record(at=at, account=account, role=role, action=action, resource=resource, allowed=allowed,
                       reason=reason)
            touched.append(log)

        self._in_transaction(decide)


def screened(value: Any) -> Any:
    """Every string inside, masked for personal data."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: screened(v) for k, v in value.items()}
    if isinstance(value, list):
        return [screened(v) for v in value]
    return value
