"""What the API adds to rows of the read models for people to read: places by name (grids and villages from the
reference geography), each rule's texts in Chinese and English computed from the current evidence, the SLA still
left, a priority alert's person handle, and why a command was refused, in both languages."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from alerting.texts import LANGUAGES, LEVEL_NAMES, describe, grid_name, town_name
from domain.alerts import AlertClosed, AlertMoved, AlreadyAcknowledged, AlreadyAtDistrict
from domain.geography import Geography

OUTSIDE = {"zh": "区外", "en": "outside the district"}


def place(geo: Geography, grid_code: str, town_code: str = "") -> dict[str, str]:
    """'town · grid' in each language; an alert not placed in a grid names its town or the district."""
    grid = geo.grids.get(grid_code)
    town = grid.town_code if grid else town_code
    names = {}
    for lang in LANGUAGES:
        parts = [town_name(geo, town, lang)] if town else [geo.district_name if lang == "zh" else "the district"]
        if grid_code:
            parts.append(grid_name(geo, grid_code, lang))
        names[lang] = " · ".join(parts)
    return names


def grid_names(geo: Geography, grid_code: str) -> dict[str, str]:
    return {lang: grid_name(geo, grid_code, lang) for lang in LANGUAGES} if grid_code else dict(OUTSIDE)


def person_handle(rule_id: str, fingerprint: str, evidence: dict[str, Any]) -> str | None:
    """The priority person a priority alert is about, as the trail takes it: the evidence's `person`, or else the
    first part of its finding key (the rules key priority findings by the person's `movements` subject)."""
    if not rule_id.startswith("priority_"):
        return None
    if isinstance(evidence.get("person"), str):
        return evidence["person"]
    key = fingerprint.split(":", 2)
    return key[1] if len(key) > 1 and len(key[1]) == 32 else None


def present_alert(row: dict[str, Any], geo: Geography, now: datetime) -> dict[str, Any]:
    row["place"] = place(geo, row["grid_code"], row["town_code"])
    row["texts"] = {lang: describe(row["rule_id"], row["evidence"], row["summary"], lang, geo) for lang in LANGUAGES}
    row["person"] = person_handle(row["rule_id"], row.pop("fingerprint", ""), row["evidence"])
    due = datetime.fromisoformat(row["level_since"] or row["raised_at"]) + timedelta(seconds=row["ack_sla_s"])
    row["sla_due_at"] = due.isoformat()
    row["sla_remaining_s"] = int((due - now).total_seconds()) if row["status"] == "open" else None
    return row


def refusal(error: Exception) -> tuple[str, dict[str, str]]:
    """(code, message per language) for a command the alert refused: it moved on since the person looked."""
    if isinstance(error, AlertMoved):
        level = LEVEL_NAMES.get(error.level, (error.level, error.level))
        return "moved", {"zh": f"该预警已上报至{level[0]}，请刷新后再处理",
                         "en": f"This alert has moved up to the {level[1]} meanwhile: look at it again"}
    if isinstance(error, AlertClosed):
        return "closed", {"zh": f"该预警已由 {error.resolved_by} 处置完毕",
                          "en": f"This alert was resolved by {error.resolved_by} meanwhile"}
    if isinstance(error, AlreadyAcknowledged):
        return "taken", {"zh": f"该预警已由 {error.acknowledged_by} 确认",
                         "en": f"This alert was acknowledged by {error.acknowledged_by} already"}
    if isinstance(error, AlreadyAtDistrict):
        return "top", {"zh": "该预警已在区级，无法继续上报",
                       "en": "The alert is at the district already: there is no higher level"}
    raise error


ALREADY_APPLIED = {"zh": "该操作此前已提交，未重复执行", "en": "Already applied earlier: not applied twice"}
