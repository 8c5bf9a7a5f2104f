"""Alert routes: who I am, my alerts (filtered, a page at a time), the loop on one alert (acknowledge, add a
handling note, resolve, hand up) and its history. Each command carries a `command_id` the phone made (applied
once, however often its queue sends it) and the level the person saw (a 409 when the alert moved since)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from alerting.rules import RULES
from alerting.texts import TEXTS
from domain.alerts import AlertClosed, AlertMoved, AlreadyAcknowledged, AlreadyAtDistrict, CommandAlreadyApplied
from gridflow.accounts import ACTING_ROLES, Account
from gridflow.api import Services, services_of, who
from gridflow.presenting import ALREADY_APPLIED, grid_names, present_alert, refusal
from projections import alert_queries

router = APIRouter()
TEXT = Field(default="", max_length=2000)
REQUIRED_TEXT = Field(min_length=1, max_length=2000)
COMMAND_ID = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_-]*$",
                   description="made by the client; a command sent again with the same id is applied once")
SEEN_LEVEL = Field(default="", description="the level the person saw; the command is refused (409) if it moved")


class Command(BaseModel):
    command_id: str = COMMAND_ID
    seen_level: Literal["", "grid", "town", "district"] = SEEN_LEVEL


class Note(Command):
    note: str = TEXT


class HandlingNote(Command):
    note: str = REQUIRED_TEXT


class Outcome(Command):
    outcome: str = REQUIRED_TEXT


class Reason(Command):
    reason: str = REQUIRED_TEXT


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
    """Who I am, what I may do, the district's time zone, and the choices my filters offer."""
    s = services_of(request)
    scope = account.grid_scope(s.geography)
    geo = s.geography
    rules = [r.id for r in RULES if account.role != "liaison" or r.id.startswith("priority_")]
    return {"name": account.name, "role": account.role, "display": account.display,
            "may_act": account.role in ACTING_ROLES, "timezone": s.timezone,
            "grids": [{"code": g, **grid_names(geo, g)} for g in sorted(scope)] if scope is not None else None,
            "towns": [{"code": t.code, "zh": t.name, "en": t.name_en} for t in geo.towns.values()]
            if scope is None else [],
            "rules": [{"id": r, "zh": TEXTS[r].title.zh, "en": TEXTS[r].title.en} for r in rules]}


@router.get("/api/alerts")
def my_alerts(request: Request, response: Response,
              status: Literal["open", "acknowledged", "resolved", "all"] = "open",
              grid: str | None = Query(default=None, max_length=32),
              town: str | None = Query(default=None, max_length=32),
              severity: Literal["red", "orange", "yellow"] | None = None,
              rule: str | None = Query(default=None, max_length=64),
              limit: int = Query(default=50, ge=1, le=500), offset: int = Query(default=0, ge=0, le=1_000_000),
              account: Account = Depends(who)) -> list[dict[str, Any]]:
    """A page of my alerts, the most urgent first; `X-Total-Count` says how many match in all."""
    s = services_of(request)
    geo = s.geography
    if (grid and grid not in geo.grids) or (town and town not in geo.towns):
        raise HTTPException(422, f"unknown {'grid' if grid and grid not in geo.grids else 'town'}")
    where = (grid,) if grid else tuple(geo.grids_of_town(town)) if town else ()
    if why := account.may("alerts.read", geo, where):
        raise s.deny(account, "list alerts", grid or town or "alerts", why)
    prefix = "priority_" if account.role == "liaison" else ""
    with s.lock:
        rows, total = alert_queries.alerts_page(s.client, account.grid_scope(geo), status, limit, offset, grid=grid,
                                                town=town, severity=severity, rule=rule, prefix=prefix)
        now = s.clock()
    priority = sum(r["rule_id"].startswith("priority_") for r in rows)
    if priority:
        s.audit(account, "list alerts", f"{priority} priority-person alerts", True, "alert list")
    response.headers["X-Total-Count"] = str(total)
    return [present_alert(row, geo, now) for row in rows]


def act(request: Request, alert_id: str, account: Account, action: str, do: Callable[[Services, Any], Any]
        ) -> Any:
    s = services_of(request)
    alert = load_alert(s, alert_id)
    if why := account.may("alerts.act", s.geography, grids_of(alert), alert.rule_id):
        raise s.deny(account, action, alert_id, why)
    try:
        with s.lock:
            changed, applied = do(s, alert), True
    except CommandAlreadyApplied:
        changed, applied = load_alert(s, alert_id), False
    except (AlertClosed, AlreadyAcknowledged, AlreadyAtDistrict, AlertMoved) as e:
        code, message = refusal(e)
        now = load_alert(s, alert_id)
        return JSONResponse({"detail": message["en"], "code": code, "message": message, "status": now.status,
                             "level": now.level}, status_code=409)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    return {"alert_id": alert_id, "status": changed.status, "level": changed.level, "applied": applied,
            **({} if applied else {"message": ALREADY_APPLIED})}


def by(account: Account, body: Command) -> dict[str, str]:
    return {"by": account.name, "role": account.role, "command_id": body.command_id, "seen_level": body.seen_level}


@router.post("/api/alerts/{alert_id}/acknowledge")
def acknowledge(request: Request, alert_id: str, body: Note, account: Account = Depends(who)) -> Any:
    return act(request, alert_id, account, "acknowledge", lambda s, a: s.desk.acknowledge(
        a.id, note=body.note, at=s.clock(), **by(account, body)))


@router.post("/api/alerts/{alert_id}/notes")
def add_note(request: Request, alert_id: str, body: HandlingNote, account: Account = Depends(who)) -> Any:
    """A handling note (the feedback): what was found, what was done so far."""
    return act(request, alert_id, account, "add note", lambda s, a: s.desk.add_note(
        a.id, note=body.note, at=s.clock(), **by(account, body)))


@router.post("/api/alerts/{alert_id}/resolve")
def resolve(request: Request, alert_id: str, body: Outcome, account: Account = Depends(who)) -> Any:
    return act(request, alert_id, account, "resolve", lambda s, a: s.desk.resolve(
        a.id, outcome=body.outcome, at=s.clock(), **by(account, body)))


@router.post("/api/alerts/{alert_id}/escalate")
def escalate(request: Request, alert_id: str, body: Reason, account: Account = Depends(who)) -> Any:
    """Hand it up (上报) to the next loop, with the reason."""
    return act(request, alert_id, account, "escalate", lambda s, a: s.desk.escalate(
        a.id, reason=body.reason, at=s.clock(), **by(account, body)))


@router.get("/api/alerts/{alert_id}/history")
def history(request: Request, alert_id: str, account: Account = Depends(who)) -> list[dict[str, Any]]:
    """What happened to the alert, in order: who, when, what (notes, outcome, reasons)."""
    s = services_of(request)
    alert = load_alert(s, alert_id)
    if why := account.may("alerts.read", s.geography, grids_of(alert), alert.rule_id):
        raise s.deny(account, "alert history", alert_id, why)
    if alert.rule_id.startswith("priority_"):
        s.audit(account, "alert history", alert_id, True, "priority-person alert")
    with s.lock:
        rows = alert_queries.alert_history(s.client, alert.id)
    for row in rows:
        actor = s.accounts.by_name.get(row["actor"])
        row["actor_display"] = actor.display if actor and actor.display else row["actor"]
    return rows
