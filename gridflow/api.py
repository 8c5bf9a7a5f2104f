"""The HTTP API (FastAPI; OpenAPI docs at /docs, served with their assets, no CDN) and the grid worker's page at /.

Token authentication (`Authorization: Bearer …`); authorization by one policy (`Account.may`). Every read of
person-level data and every denial is recorded in the access log (an event in the store, projected to ClickHouse).
Commands go to the store through the AlertDesk; lists come from ClickHouse. Bad input is a 4xx with one short
message; responses are never cached (they hold person-level data)."""
from __future__ import annotations

import logging
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline

from domain.alert_desk import AlertDesk
from domain.geography import Geography
from gridflow.accounts import Account, Accounts, token_hash

WEB = Path(__file__).resolve().parent / "web"  # the phone page: its shell, scripts and service worker
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8", ".png": "image/png"}
log = logging.getLogger("gridflow.api")


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    desk: AlertDesk
    client: Any
    geography: Geography
    accounts: Accounts
    clock: Callable[[], datetime]
    webhook_token_sha256: str = field(repr=False)
    # One writer to the store and one user of the chdb client at a time; re-entrant, because a request that holds
    # it may ask the (data) clock, which takes it too.
    lock: threading.RLock = field(default_factory=threading.RLock)
    relay: Callable[[list[str]], dict[str, Any]] | None = None  # runs a read-side CLI command here (gridflow.relay)
    relay_authorised: Callable[[str | None], bool] = lambda header: False
    timezone: str = "Asia/Shanghai"  # the district's (GRIDFLOW_TIMEZONE): the page shows times in it

    def webhook_authorised(self, header: str | None) -> bool:
        """Constant-time comparison of the bearer token's hash with the configured one."""
        token = header[7:] if header and header.startswith("Bearer ") else ""
        return secrets.compare_digest(token_hash(token), self.webhook_token_sha256)

    def audit(self, account: Account | None, action: str, resource: str, allowed: bool, reason: str) -> None:
        with self.lock:  # when it happened in the world, whatever business clock the alerts run on
            self.desk.record_access(at=wall_clock(), account=account.name if account else "(anonymous)",
                                    role=account.role if account else "", action=action, resource=resource,
                                    allowed=allowed, reason=reason)

    def deny(self, account: Account | None, action: str, resource: str, why: str, status: int = 403) -> HTTPException:
        self.audit(account, action, resource, False, why)
        return HTTPException(status, why)


def services_of(request: Request) -> Services:
    return request.app.state.services


def who(request: Request, authorization: str | None = Header(default=None)) -> Account:
    s = services_of(request)
    token = authorization.split(" ", 1)[1] if authorization and authorization.startswith("Bearer ") else None
    account = s.accounts.authenticate(token)
    if account is None:
        raise s.deny(None, request.method + " " + request.url.path, request.url.path, "unauthenticated", 401)
    return account


def create_app(services: Services) -> FastAPI:
    from gridflow import api_alerts, api_people, api_priority

    app = FastAPIOffline(title="gridflow", description="Mobility alerts, escalation loops, audited person-level views.")
    app.state.services = services

    @app.middleware("http")
    async def no_store(request: Request, call_next: Callable) -> Any:
        response = await call_next(request)
        if not request.url.path.startswith("/static-offline-docs"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(RequestValidationError)
    async def short_validation_message(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        return JSONResponse({"detail": f"{where}: {first.get('msg', 'invalid')}"}, status_code=422)

    @app.exception_handler(Exception)
    async def incident(request: Request, exc: Exception) -> JSONResponse:  # a bug, never bad input: logged
        incident_id = uuid.uuid4().hex[:12]
        log.error("incident %s on %s %s", incident_id, request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": f"internal error (incident {incident_id})"}, status_code=500)

    shell = {path.name: path for path in WEB.iterdir() if path.suffix in MEDIA_TYPES}

    def asset(name: str) -> Response:
        if name not in shell:
            raise HTTPException(404, "no such file")
        return Response(shell[name].read_bytes(), media_type=MEDIA_TYPES[shell[name].suffix])

    @app.get("/", include_in_schema=False)
    def page() -> Response:
        return asset("index.html")

    @app.get("/sw.js", include_in_schema=False)  # at the root, so that it may serve the whole page offline
    def service_worker() -> Response:
        return asset("sw.js")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        return asset(name)

    app.include_router(api_alerts.router)
    app.include_router(api_priority.router)
    app.include_router(api_people.router)
    return app
