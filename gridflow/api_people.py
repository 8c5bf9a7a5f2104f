"""Routes of oversight: KPIs, the access audit, Grafana's webhook, and the relay for read-side CLI commands
(priority persons and their trails: gridflow.api_priority)."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from gridflow.accounts import Account
from gridflow.api import services_of, who
from gridflow.webhook import BadPayload, apply_grafana_payload
from projections import alert_queries

router = APIRouter()
MAX_BODY = 4 * 1024 * 1024


@router.get("/api/kpi")
def kpi(request: Request, grid: str | None = Query(default=None, max_length=32),
        town: str | None = Query(default=None, max_length=32), account: Account = Depends(who)) -> dict[str, Any]:
    s = services_of(request)
    geo = s.geography
    if (grid and grid not in geo.grids) or (town and town not in geo.towns):
        raise HTTPException(404, f"unknown {'grid' if grid else 'town'}")
    grids = (grid,) if grid else tuple(geo.grids_of_town(town)) if town else None
    if why := account.may("kpi", geo, grids):
        raise s.deny(account, "kpi", grid or town or "district", why)
    with s.lock:
        figures = alert_queries.kpis(s.client, grids, s.clock())
    if account.role == "planner":
        figures = alert_queries.suppress_small_cells(figures)
    return {"scope": grid or town or "district", **figures}


@router.get("/api/audit/access")
def access(request: Request, since: str = "1970-01-01T00:00:00+00:00",
           account: Account = Depends(who)) -> list[dict[str, Any]]:
    s = services_of(request)
    if why := account.may("audit.read", s.geography):
        raise s.deny(account, "access log", "access log", why)
    try:
        start = datetime.fromisoformat(since)
    except ValueError:
        raise HTTPException(422, "since: not an ISO 8601 time (e.g. 2026-08-01T00:00:00+08:00)") from None
    with s.lock:
        return alert_queries.access_log(s.client, start if start.tzinfo else start.replace(tzinfo=UTC))


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(413, f"body larger than {MAX_BODY} bytes")
    try:
        return json.loads(body)
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None


@router.post("/api/grafana/webhook")
async def grafana(request: Request, authorization: str | None = Header(default=None)) -> dict[str, Any]:
    """Grafana's webhook contact point (firing and resolved), mapped onto the same Alert aggregate. The token is
    checked before the body is read."""
    s = services_of(request)
    if not s.webhook_authorised(authorization):
        await run_in_threadpool(s.audit, None, "grafana webhook", "webhook", False, "wrong webhook token")
        raise HTTPException(401, "wrong webhook token")
    payload = await _json_body(request)

    def apply() -> dict[str, Any]:
        with s.lock:
            return apply_grafana_payload(s.desk, s.geography, payload, s.clock())

    try:
        return await run_in_threadpool(apply)
    except BadPayload as e:
        raise HTTPException(422, str(e)) from None


@router.post("/internal/cli", include_in_schema=False)
async def relayed_command(request: Request, authorization: str | None = Header(default=None)) -> dict[str, Any]:
    """A read-side CLI command from this machine, run with this server's ClickHouse (gridflow.relay)."""
    s = services_of(request)
    loopback = request.client is not None and request.client.host in ("127.0.0.1", "::1")
    if s.relay is None or not loopback or not s.relay_authorised(authorization):
        raise HTTPException(403, "relay: loopback callers with the data directory's relay token only")
    body = await _json_body(request)
    argv = body.get("argv") if isinstance(body, dict) else None
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise HTTPException(422, "argv must be a list of strings")

    def run() -> dict[str, Any]:
        with s.lock:
            return s.relay(argv)

    return await run_in_threadpool(run)
