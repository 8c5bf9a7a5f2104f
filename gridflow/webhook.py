"""Grafana's webhook contact point → the Alert aggregate, so a production Grafana can evaluate the same rules.

Documented payload (Grafana alerting, webhook notifier): {"receiver", "status": "firing"|"resolved", "alerts": [
{"status", "labels": {...}, "annotations": {...}, "startsAt", "endsAt", "fingerprint", "values", ...}], "groupLabels",
"commonLabels", "commonAnnotations", "externalURL", "version": "1", "groupKey", "truncatedAlerts", "title", "state",
"message"}. We read per alert: status, fingerprint, labels.rule_id (else alertname), labels.grid_code,
labels.severity, annotations.summary, startsAt/endsAt, values."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.alert_desk import AlertDesk
from domain.alerts import AlertClosed
from domain.geography import Geography
from dashboards.rules import RULE_BY_ID, SLA_S


def _time(value: str | None, default: datetime) -> datetime:
    if not value or value.startswith("0001-"):
        return default
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def apply_grafana_payload(desk: AlertDesk, geo: Geography, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    raised = repeated = resolved = 0
    for item in payload.get("alerts", []):
        labels, annotations = item.get("labels", {}), item.get("annotations", {})
        fingerprint = f"grafana:{item['fingerprint']}"
        if item.get("status") == "resolved":
            open_id = desk.open_alert(fingerprint)
            if open_id is not None:
                try:
                    desk.resolve(open_id, by="grafana",
                                 outcome=annotations.get("summary", "resolved in Grafana"),
                                 at=_time(item.get("endsAt"), now))
                    resolved += 1
                except AlertClosed:
                    pass
            continue
        rule_id = labels.get("rule_id") or labels.get("alertname", "grafana")
        grid_code = labels.get("grid_code", "")
        grid = geo.grids.get(grid_code)
        severity = labels.get("severity", RULE_BY_ID[rule_id].severity if rule_id in RULE_BY_ID else "yellow")
        _, new = desk.raise_or_repeat(
            fingerprint=fingerprint, rule_id=rule_id, severity=severity, grid_code=grid_code,
            town_code=grid.town_code if grid else labels.get("town_code", ""),
            summary=annotations.get("summary") or labels.get("alertname", ""),
            evidence={"values": item.get("values") or {}, "labels": labels},
            ack_sla_s=SLA_S.get(severity, 3600), at=_time(item.get("startsAt"), now), source="grafana")
        raised, repeated = raised + new, repeated + (not new)
    return {"raised": raised, "repeated": repeated, "resolved": resolved}
