"""Grafana's webhook contact point → the Alert aggregate, so a production Grafana can evaluate the same rules.

Documented payload (Grafana alerting, webhook notifier): {"receiver", "status": "firing"|"resolved", "alerts": [
{"status", "labels": {...}, "annotations": {...}, "startsAt", "endsAt", "fingerprint", "values", ...}], "groupLabels",
"commonLabels", "commonAnnotations", "externalURL", "version": "1", "groupKey", "truncatedAlerts", "title", "state",
"message"}. We read per alert: status, fingerprint, labels.rule_id (else alertname), labels.grid_code (else
labels.town_code), labels.severity, annotations.summary, startsAt/endsAt, values.

The payload is checked before anything is stored; a malformed one is refused whole (`BadPayload`, a 422). An
alert whose grid label is missing or not in the reference geography is not refused — Grafana would drop it — but
routed to its town (by the town_code label) or else to the district from the start, with the reason in its
evidence (`unplaced`). Operations alerts (label team=operations) are not grid alerts: the notification policy
routes them elsewhere, and one that arrives here anyway (a contact-point test, an edited policy) is ignored and
counted."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from alerting.operations import TEAM as OPERATIONS_TEAM
from alerting.rules import RULE_BY_ID, SLA_S
from domain.alert_desk import AlertDesk
from domain.alerts import AlertClosed
from domain.geography import Geography

MAX_ALERTS = 1000


class BadPayload(ValueError):
    """The body is not Grafana's webhook payload; the message names the field."""


@dataclass(frozen=True)
class GrafanaAlert:
    status: str
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    values: dict[str, Any]


def _time(value: Any, where: str) -> datetime | None:
    if value in (None, "") or (isinstance(value, str) and value.startswith("0001-")):
        return None  # Grafana's "not set"
    if not isinstance(value, str):
        raise BadPayload(f"{where} is not a time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadPayload(f"{where} is not an RFC 3339 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _strings(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise BadPayload(f"{where} must be an object of strings")
    return value


def parse_payload(payload: Any) -> list[GrafanaAlert]:
    if not isinstance(payload, dict):
        raise BadPayload("the body must be a JSON object")
    items = payload.get("alerts", [])
    if not isinstance(items, list):
        raise BadPayload("alerts must be a list")
    if len(items) > MAX_ALERTS:
        raise BadPayload(f"at most {MAX_ALERTS} alerts per call")
    alerts = []
    for n, item in enumerate(items):
        where = f"alerts[{n}]"
        if not isinstance(item, dict):
            raise BadPayload(f"{where} must be an object")
        fingerprint, status = item.get("fingerprint"), item.get("status", "firing")
        if not isinstance(fingerprint, str) or not 0 < len(fingerprint) <= 200:
            raise BadPayload(f"{where}.fingerprint must be a non-empty string")
        if status not in ("firing", "resolved"):
            raise BadPayload(f"{where}.status must be firing or resolved")
        values = item.get("values") or {}
        if not isinstance(values, dict):
            raise BadPayload(f"{where}.values must be an object")
        alerts.append(GrafanaAlert(status, fingerprint, _strings(item.get("labels"), f"{where}.labels"),
                                   _strings(item.get("annotations"), f"{where}.annotations"),
                                   _time(item.get("startsAt"), f"{where}.startsAt"),
                                   _time(item.get("endsAt"), f"{where}.endsAt"), values))
    return alerts


def apply_grafana_payload(desk: AlertDesk, geo: Geography, payload: Any, now: datetime) -> dict[str, Any]:
    raised = repeated = resolved = unplaced = ignored = 0
    for alert in parse_payload(payload):
        labels, annotations = alert.labels, alert.annotations
        if labels.get("team") == OPERATIONS_TEAM:  # for whoever runs gridflow (a misrouted one): not a grid alert
            ignored += 1
            continue
        rule_id = labels.get("rule_id") or labels.get("alertname", "grafana")
        rule = RULE_BY_ID.get(rule_id)
        # A catalogue rule's alert names its finding (labels rule_id + finding_key, from the rule's own SQL): it
        # gets the built-in evaluator's fingerprint, so both evaluators raise and repeat one Alert.
        fingerprint = rule.fingerprint(labels["finding_key"]) if rule and labels.get("finding_key") \
            else f"grafana:{alert.fingerprint}"
        if alert.status == "resolved":
            open_id = desk.open_alert(fingerprint)
            if open_id is not None:
                try:
                    desk.resolve(open_id, by="grafana", outcome=annotations.get("summary", "resolved in Grafana"),
                                 at=alert.ends_at or now)
                    resolved += 1
                except AlertClosed:
                    pass
            continue
        grid = geo.grids.get(labels.get("grid_code", ""))
        town = geo.towns.get(grid.town_code if grid else labels.get("town_code", ""))
        evidence: dict[str, Any] = {"values": alert.values, "labels": labels}
        if grid is None:
            unplaced += 1
            evidence["unplaced"] = (f"grid label {labels['grid_code']!r} is not in the reference geography"
                                    if labels.get("grid_code") else "the alert names no grid")
        severity = labels.get("severity") if labels.get("severity") in SLA_S else rule.severity if rule else "yellow"
        sla_s = rule.sla_for(severity) if rule else SLA_S[severity]
        _, new = desk.raise_or_repeat(
            fingerprint=fingerprint, rule_id=rule_id, severity=severity, grid_code=grid.code if grid else "",
            town_code=town.code if town else "", summary=annotations.get("summary") or labels.get("alertname", ""),
            evidence=evidence, ack_sla_s=sla_s, at=alert.starts_at or now, source="grafana",
            level="grid" if grid else "town" if town else "district")
        raised, repeated = raised + new, repeated + (not new)
    return {"raised": raised, "repeated": repeated, "resolved": resolved, "unplaced": unplaced, "ignored": ignored}
