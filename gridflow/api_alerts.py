"""Alert routes: my alerts, acting on one (acknowledge, resolve, hand up), its history."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from domain.alerts import AlertClosed, AlreadyAcknowledged, AlreadyAtDistrict
from gridflow.accounts import ACTING_ROLES, Account
from gridflow.api import Services, services_of, who
from projections import alert_queries

router = APIRouter()
TEXT = Field(default="", max_length=2000)


class Note(BaseModel):
    note: str = TEXT


class Outcome(BaseModel):
    outcome: str = Field(min_length=1, max_length=2000)


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


def load_alert(s: Services, alert_id: str) -> Any:
    try:
        alert = s.desk.alert(UUID(alert_id))
    except ValueError:
        alert = None
    if alert is None:
        raise HTTPException(404, "no such alert")
    return alert


def grids_of(alert: Any) -> tuple[str, ...] | None:
    """Where an alert lies, for the policy: its grid, or (unplaced) the whole of its town or the district."""
    return (alert.grid_code,) if alert.grid_code else None


@router.get("/api/me")
def me(request: Request, account: Account = Depends(who)) -> dict[str, Any]:
    s = services_of(request)
    scope = account.grid_scope(s.geography)
    return {"name": account.name, "role": account.role, "display": account.display,
            "grids": sorted(scope) if scope is not None and len(scope) < 50 else None,
            "may_act": account.role in ACTING_ROLES}


@router.get("/api/alerts")
def my_alerts(request: Request, status: Literal["open", "acknowledged", "resolved", "all"] = "open",
              account: Account = Depends(who)) -> list[dict[str, Any]]:
    s = services_of(request)
    if why := account.may("alerts.read", s.geography):
        raise s.deny(account, "list alerts", "alerts", why)
    prefix = "priority_" if account.role == "liaison" else ""
    with s.lock:
        rows = alert_queries.alerts(s.client, account.grid_scope(s.geography), status, prefix)
    priority = sum(r["rule_id"].startswith("priority_") for r in rows)
    if priority:
        s.audit(account, "list alerts", f"{priority} priority-person alerts", True, "alert list")
    return rows


def act(request: Request, alert_id: str, account: Account, action: str, do: Callable[[Services, Any], Any]
        ) -> dict[str, Any]:
    s = services_of(request)
    alert = load_alert(s, alert_id)
    if why := account.may("alerts.act", s.geography, grids_of(alert), alert.rule_id):
        raise s.deny(account, action, alert_id, why)
    try:
        with s.lock:
            changed = do(s, alert)
    except (AlertClosed, AlreadyAcknowledged, AlreadyAtDistrict) as e:
        raise HTTPException(409, f"{type(e).__name__}: {e}") from None
    return {"alert_id": alert_id, "status": changed.status, "level": changed.level}


@router.post("/api/alerts/{alert_id}/acknowledge")
def acknowledge(request: Request, alert_id: str, body: Note, account: Account = Depends(who)) -> dict[str, Any]:
    return act(request, alert_id, account, "acknowledge", lambda s, a: s.desk.acknowledge(
        a.id, by=account.name, role=account.role, note=body.note, at=s.clock()))


@router.post("/api/alerts/{alert_id}/resolve")
def resolve(request: Request, alert_id: str, body: Outcome, account: Account = Depends(who)) -> dict[str, Any]:
    return act(request, alert_id, account, "resolve", lambda s, a: s.desk.resolve(
        a.id, by=account.name, outcome=body.outcome, at=s.clock()))


@router.post("/api/alerts/{alert_id}/escalate")
def escalate(request: Request, alert_id: str, body: Reason, account: Account = Depends(who)) -> dict[str, Any]:
    return act(request, alert_id, account, "escalate", lambda s, a: s.desk.escalate(
        a.id, by=account.name, reason=body.reason, at=s.clock()))


@router.get("/api/alerts/{alert_id}/history")
def history(request: Request, alert_id: str, account: Account = Depends(who)) -> list[dict[str, Any]]:
    s = services_of(request)
    alert = load_alert(s, alert_id)
    if why := account.may("alerts.read", s.geography, grids_of(alert), alert.rule_id):
        raise s.deny(account, "alert history", alert_id, why)
    if alert.rule_id.startswith("priority_"):
        s.audit(account, "alert history", alert_id, True, "priority-person alert")
    with s.lock:
        return alert_queries.alert_history(s.client, alert.id)
