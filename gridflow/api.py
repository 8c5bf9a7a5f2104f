"""The HTTP API (FastAPI, OpenAPI docs at /docs) and the grid worker's page at /.

Token authentication (`Authorization: Bearer …`); authorization by role and administrative scope
(gridflow.accounts). Every read of person-level data and every denial is recorded in the access log (an event
in the store, projected to ClickHouse). Commands go to the store through the AlertDesk; lists come from ClickHouse."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from domain.alert_desk import AlertDesk
from domain.alerts import AlertClosed, AlreadyAcknowledged
from domain.geography import Geography
from domain.model import PriorityPerson
from gridflow.accounts import ACTING_ROLES, Account, Accounts
from gridflow.webhook import apply_grafana_payload
from projections import alert_queries

PAGE = Path(__file__).resolve().parent / "page.html"


@dataclass
class Services:
    desk: AlertDesk
    client: Any
    geography: Geography
    accounts: Accounts
    clock: Callable[[], datetime]
    webhook_token: str
    lock: threading.Lock = field(default_factory=threading.Lock)  # one writer to the store, one chdb user


class Note(BaseModel):
    note: str = ""


class Outcome(BaseModel):
    outcome: str


class Reason(BaseModel):
    reason: str


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="gridflow", description="Mobility alerts, escalation loops, audited person-level views.")
    s = services

    def audit(account: Account | None, action: str, resource: str, allowed: bool, reason: str) -> None:
        with s.lock:  # when it happened in the world, whatever business clock the alerts run on
            s.desk.record_access(at=wall_clock(), account=account.name if account else "(anonymous)",
                                 role=account.role if account else "", action=action, resource=resource,
                                 allowed=allowed, reason=reason)

    def deny(account: Account | None, action: str, resource: str, why: str, status: int = 403) -> HTTPException:
        audit(account, action, resource, False, why)
        return HTTPException(status, why)

    def who(request: Request, authorization: str | None = Header(default=None)) -> Account:
        token = authorization.split(" ", 1)[1] if authorization and authorization.startswith("Bearer ") else None
        account = s.accounts.authenticate(token)
        if account is None:
            raise deny(None, request.method + " " + request.url.path, request.url.path, "unauthenticated", 401)
        return account

    def load_alert(alert_id: str) -> Any:
        try:
            alert = s.desk.alert(UUID(alert_id))
        except ValueError:
            alert = None
        if alert is None:
            raise HTTPException(404, "no such alert")
        return alert

    def may_read_alert(account: Account, alert: Any) -> bool:
        if account.role == "planner":
            return False
        if account.role == "liaison" and not alert.rule_id.startswith("priority_"):
            return False
        return account.covers(s.geography, alert.grid_code)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return PAGE.read_text("utf-8")

    @app.get("/api/me")
    def me(account: Account = Depends(who)) -> dict[str, Any]:
        scope = account.grid_scope(s.geography)
        return {"name": account.name, "role": account.role, "display": account.display,
                "grids": sorted(scope) if scope is not None and len(scope) < 50 else None,
                "may_act": account.role in ACTING_ROLES}

    @app.get("/api/alerts")
    def my_alerts(status: str = "open", account: Account = Depends(who)) -> list[dict[str, Any]]:
        if account.role == "planner":
            raise deny(account, "list alerts", "alerts", "planners see aggregates only")
        prefix = "priority_" if account.role == "liaison" else ""
        with s.lock:
            rows = alert_queries.alerts(s.client, account.grid_scope(s.geography), status, prefix)
        if any(r["rule_id"].startswith("priority_") for r in rows):
            audit(account, "list alerts", f"{sum(r['rule_id'].startswith('priority_') for r in rows)} "
                                          "priority-person alerts", True, "alert list")
        return rows

    def act(alert_id: str, account: Account, action: str, do: Callable[[Any], Any]) -> dict[str, Any]:
        alert = load_alert(alert_id)
        if account.role not in ACTING_ROLES:
            raise deny(account, action, alert_id, f"role {account.role} does not act on alerts")
        if not account.covers(s.geography, alert.grid_code):
            raise deny(account, action, alert_id, f"grid {alert.grid_code} is outside the account's scope")
        try:
            with s.lock:
                changed = do(alert)
        except (AlertClosed, AlreadyAcknowledged) as e:
            raise HTTPException(409, f"{type(e).__name__}: {e}") from None
        return {"alert_id": alert_id, "status": changed.status, "level": changed.level}

    @app.post("/api/alerts/{alert_id}/acknowledge")
    def acknowledge(alert_id: str, body: Note, account: Account = Depends(who)) -> dict[str, Any]:
        return act(alert_id, account, "acknowledge", lambda a: s.desk.acknowledge(
            a.id, by=account.name, role=account.role, note=body.note, at=s.clock()))

    @app.post("/api/alerts/{alert_id}/resolve")
    def resolve(alert_id: str, body: Outcome, account: Account = Depends(who)) -> dict[str, Any]:
        return act(alert_id, account, "resolve", lambda a: s.desk.resolve(
            a.id, by=account.name, outcome=body.outcome, at=s.clock()))

    @app.post("/api/alerts/{alert_id}/escalate")
    def escalate(alert_id: str, body: Reason, account: Account = Depends(who)) -> dict[str, Any]:
        return act(alert_id, account, "escalate", lambda a: s.desk.escalate(
            a.id, by=account.name, reason=body.reason, at=s.clock()))

    @app.get("/api/alerts/{alert_id}/history")
    def history(alert_id: str, account: Account = Depends(who)) -> list[dict[str, Any]]:
        alert = load_alert(alert_id)
        if not may_read_alert(account, alert):
            raise deny(account, "alert history", alert_id, "outside the account's scope or role")
        if alert.rule_id.startswith("priority_"):
            audit(account, "alert history", alert_id, True, "priority-person alert")
        with s.lock:
            return alert_queries.alert_history(s.client, alert.id)

    @app.get("/api/priority/{pseudonym}/trail")
    def trail(pseudonym: str, reason: str = "", account: Account = Depends(who)) -> dict[str, Any]:
        """Break the glass: a liaison (own town) or an auditor, with a stated reason; always recorded."""
        resource = f"priority person {pseudonym}"
        if account.role not in ("liaison", "auditor"):
            raise deny(account, "priority trail", resource, f"role {account.role} may not see whereabouts")
        if len(reason.strip()) < 5:
            raise deny(account, "priority trail", resource, "break-the-glass needs a stated reason")
        with s.lock:
            found = alert_queries.priority_trail(s.client, PriorityPerson.create_id(pseudonym).hex)
        assigned = found["assigned_grid"]
        if assigned is None:
            raise deny(account, "priority trail", resource, "no such priority person", 404)
        if not account.covers(s.geography, assigned):
            raise deny(account, "priority trail", resource, "assigned outside the liaison's jurisdiction")
        audit(account, "priority trail", resource, True, reason.strip())
        return found

    @app.get("/api/kpi")
    def kpi(grid: str | None = None, town: str | None = None, account: Account = Depends(who)) -> dict[str, Any]:
        if account.role == "liaison":
            raise deny(account, "kpi", grid or town or "district", "liaisons have no KPI view")
        if grid:
            grids: tuple[str, ...] | None = (grid,)
        elif town:
            grids = tuple(s.geography.grids_of_town(town))
        else:
            grids = None
        scope = account.grid_scope(s.geography)
        if account.role not in ("planner",) and scope is not None and (grids is None or not set(grids) <= scope):
            raise deny(account, "kpi", grid or town or "district", "outside the account's scope")
        with s.lock:
            figures = alert_queries.kpis(s.client, grids, s.clock())
        if account.role == "planner":
            figures = alert_queries.suppress_small_cells(figures)
        return {"scope": grid or town or "district", **figures}

    @app.get("/api/audit/access")
    def access(since: str = "1970-01-01T00:00:00+00:00", account: Account = Depends(who)) -> list[dict[str, Any]]:
        if account.role != "auditor":
            raise deny(account, "access log", "access log", "auditors only")
        with s.lock:
            return alert_queries.access_log(s.client, datetime.fromisoformat(since))

    @app.post("/api/grafana/webhook")
    def grafana(payload: dict[str, Any], authorization: str | None = Header(default=None)) -> dict[str, Any]:
        """Grafana's webhook contact point (firing and resolved), mapped onto the same Alert aggregate."""
        if authorization != f"Bearer {s.webhook_token}":
            raise deny(None, "grafana webhook", "webhook", "wrong webhook token", 401)
        with s.lock:
            return apply_grafana_payload(s.desk, s.geography, payload, s.clock())

    return app


def wall_clock() -> datetime:
    return datetime.now(timezone.utc)
