"""Priority persons, for the police liaison: the persons in scope (handle, category, grids, last seen, last visit —
never a name or an ID number), a person's trail after breaking the glass with a stated reason, and the audited
look-up from an ID number to the handle. Every answer and every refusal is in the access log.

The handle is the person's `movements` subject (a keyed derivative of the HMAC pseudonym), the one a priority
alert carries; the trail also takes the 32-hex HMAC pseudonym itself."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from domain.errors import InvalidIdNumber
from domain.identity import validate_id_number
from domain.model import PriorityPerson
from gridflow.accounts import Account
from gridflow.api import Services, services_of, who
from gridflow.presenting import grid_names
from projections import alert_queries

router = APIRouter()
MIN_REASON = 5


class Lookup(BaseModel):
    id_number: str = Field(min_length=1, max_length=32)
    reason: str = Field(default="", max_length=500)


def trail_of(s: Services, handle_or_pseudonym: str) -> tuple[str, dict[str, Any]]:
    """(handle, trail) — tried as a handle first, then as the HMAC pseudonym it derives from."""
    key = handle_or_pseudonym.lower()
    with s.lock:
        found = alert_queries.priority_trail(s.client, key)
        if found["assigned_grid"] is None:
            key = PriorityPerson.create_id(key).hex
            found = alert_queries.priority_trail(s.client, key)
    return key, found


def check_reason(s: Services, account: Account, action: str, resource: str, reason: str) -> str:
    if len(reason.strip()) < MIN_REASON:
        raise s.deny(account, action, resource, "break-the-glass needs a stated reason")
    return reason.strip()


def check_person(s: Services, account: Account, action: str, resource: str, assigned: str | None) -> None:
    if assigned is None:
        raise s.deny(account, action, resource, "no such priority person", 404)
    if account.may("priority.trail", s.geography, (assigned,)):
        raise s.deny(account, action, resource, "assigned outside the liaison's jurisdiction")


@router.get("/api/priority/persons")
def persons(request: Request, response: Response, limit: int = Query(default=50, ge=1, le=500),
            offset: int = Query(default=0, ge=0, le=1_000_000), account: Account = Depends(who)
            ) -> list[dict[str, Any]]:
    """The priority persons assigned in my scope, the least recently visited first; `X-Total-Count` in all."""
    s = services_of(request)
    if why := account.may("priority.list", s.geography):
        raise s.deny(account, "list priority persons", "priority persons", why)
    with s.lock:
        rows, total = alert_queries.priority_persons(s.client, account.grid_scope(s.geography), s.clock(), limit,
                                                     offset)
    s.audit(account, "list priority persons", f"{len(rows)} priority persons", True, "priority-person list")
    for row in rows:
        row["assigned_grid_name"] = grid_names(s.geography, row["assigned_grid"])
        row["last_seen_grid_name"] = grid_names(s.geography, row["last_seen_grid"]) if row["last_seen_at"] else None
    response.headers["X-Total-Count"] = str(total)
    return rows


@router.get("/api/priority/{handle}/trail")
def trail(request: Request, handle: str, reason: str = Query(default="", max_length=500),
          account: Account = Depends(who)) -> dict[str, Any]:
    """Break the glass: a liaison (own town) or an auditor, with a stated reason; always recorded."""
    s = services_of(request)
    resource = f"priority person {handle[:64]}"
    if why := account.may("priority.trail", s.geography):
        raise s.deny(account, "priority trail", resource, why)
    stated = check_reason(s, account, "priority trail", resource, reason)
    key, found = trail_of(s, handle)
    resource = f"priority person {key}" if found["assigned_grid"] is not None else resource
    check_person(s, account, "priority trail", resource, found["assigned_grid"])
    s.audit(account, "priority trail", resource, True, stated)
    for row in found["trail"]:
        row["grid_name"] = grid_names(s.geography, row["grid_code"])
    return {"handle": key, **found, "assigned_grid_name": grid_names(s.geography, found["assigned_grid"])}


@router.post("/api/priority/lookup")
def lookup(request: Request, body: Lookup, account: Account = Depends(who)) -> dict[str, Any]:
    """ID number → handle, for liaisons only, with a stated reason. The ID number is validated and pseudonymised
    here and written nowhere; a wrong one is a 422, recorded like every refusal."""
    s = services_of(request)
    resource = "ID number look-up"
    if why := account.may("priority.lookup", s.geography):
        raise s.deny(account, "priority look-up", resource, why)
    stated = check_reason(s, account, "priority look-up", resource, body.reason)
    try:
        id_number = validate_id_number(body.id_number)
    except InvalidIdNumber as e:
        raise s.deny(account, "priority look-up", resource, f"not a valid ID number: {e}", 422) from None
    handle = PriorityPerson.create_id(s.desk.app.pseudonymize(id_number)).hex
    with s.lock:
        found = alert_queries.priority_trail(s.client, handle)
    resource = f"priority person {handle}" if found["assigned_grid"] is not None else resource
    check_person(s, account, "priority look-up", resource, found["assigned_grid"])
    s.audit(account, "priority look-up", resource, True, stated)
    return {"handle": handle, "assigned_grid": found["assigned_grid"],
            "assigned_grid_name": grid_names(s.geography, found["assigned_grid"])}
