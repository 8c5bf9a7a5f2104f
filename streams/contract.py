"""The intake message contract: JSON envelope + one JSON Schema per kind (streams/schemas/), parsed into domain
commands. Anything that does not parse becomes a reject with a stable reason code (domain.errors)."""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson

from domain import commands as c
from domain import errors
from domain.application import IntakeItem
from domain.identity import InvalidIdNumber, validate_id_number

KINDS = ("move_in", "move_out", "rental", "visitor_registration", "priority_movement", "scenic_gate")
SCHEMA_VERSION = 1
SCHEMAS = Path(__file__).resolve().parent / "schemas"


@cache
def schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{kind}.schema.json").read_text("utf-8"))


@cache
def _validator(kind: str):
    return fastjsonschema.compile(schema(kind))


def envelope(kind: str, occurred_at: datetime, source: str, payload: dict[str, Any],
             message_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {"message_id": str(message_id or uuid.uuid4()), "kind": kind, "schema_version": SCHEMA_VERSION,
            "occurred_at": occurred_at.isoformat(), "source": source, "payload": payload}


def encode(message: dict[str, Any]) -> bytes:
    return orjson.dumps(message)


def parse(value: bytes, expected_kind: str | None) -> c.Command:
    """Bytes → command, or raise a domain.errors.Rejected subclass naming why."""
    try:
        message = orjson.loads(value)
    except orjson.JSONDecodeError as e:
        raise errors.MalformedJson(str(e)[:200]) from None
    if not isinstance(message, dict):
        raise errors.MalformedJson("top level is not a JSON object")
    kind = message.get("kind")
    if kind not in KINDS:
        raise errors.UnknownKind(f"kind {str(kind)[:40]!r}")
    if expected_kind is not None and kind != expected_kind:
        raise errors.WrongTopic(f"kind {kind} arrived on the topic for {expected_kind}")
    try:
        _validator(kind)(message)
    except fastjsonschema.JsonSchemaException as e:
        # The validator's message names the path and the rule, never the offending value.
        raise errors.SchemaViolation(e.message[:300]) from None
    occurred_at = datetime.fromisoformat(message["occurred_at"].replace("Z", "+00:00"))
    common = {"message_id": message["message_id"].lower(), "occurred_at": occurred_at, "source": message["source"]}
    return _BUILDERS[kind](message["payload"], common)


def to_item(source: str, position: int, value: bytes, expected_kind: str | None) -> IntakeItem:
    try:
        command = parse(value, expected_kind)
    except errors.Rejected as rejected:
        return IntakeItem(source, position, rejected=rejected, message_id=_message_id_if_any(value))
    return IntakeItem(source, position, command=command, message_id=command.message_id)


def _message_id_if_any(value: bytes) -> str | None:
    try:
        message_id = orjson.loads(value).get("message_id")
        return str(uuid.UUID(str(message_id)))
    except Exception:  # a reject need not have a readable id
        return None


def _person(data: dict[str, Any], where: str) -> c.PersonIdentity:
    try:
        id_number = validate_id_number(data["id_number"])
    except InvalidIdNumber as e:
        raise errors.InvalidIdNumberReject(f"{where}.id_number: {e}") from None
    return c.PersonIdentity(id_number=id_number, name=data.get("name", ""), phone=data.get("phone", ""))


def _move_in(p: dict[str, Any], common: dict[str, Any]) -> c.Command:
    return c.MoveIn(person=_person(p["person"], "person"), dwelling_id=p["dwelling_id"], grid_code=p["grid_code"],
                    household_id=p["household_id"], reason=p["reason"], origin=p.get("origin", ""),
                    dwelling_type=p.get("dwelling_type", ""), dwelling_capacity=p.get("dwelling_capacity"),
                    dwelling_address=p.get("dwelling_address", ""), **common)


def _move_out(p: dict[str, Any], common: dict[str, Any]) -> c.Command:
    return c.MoveOut(person=_person(p["person"], "person"), dwelling_id=p["dwelling_id"], grid_code=p["grid_code"],
                     reason=p["reason"], destination=p.get("destination", ""), **common)


def _rental(p: dict[str, Any], common: dict[str, Any]) -> c.Command:
    if p["action"] == "end":
        return c.EndLease(lease_id=p["lease_id"], **common)
    planned_end = date.fromisoformat(p["planned_end"]) if p.get("planned_end") else None
    return c.StartLease(lease_id=p["lease_id"], dwelling_id=p["dwelling_id"], grid_code=p["grid_code"],
                        landlord=_person(p["landlord"], "landlord"),
                        tenants=tuple(_person(t, f"tenants[{i}]") for i, t in enumerate(p["tenants"])),
                        planned_end=planned_end, dwelling_capacity=p.get("dwelling_capacity"), **common)


def _visitor(p: dict[str, Any], common: dict[str, Any]) -> c.Command:
    if p["action"] == "check_out":
        return c.CheckOut(stay_id=p["stay_id"], **common)
    return c.CheckIn(stay_id=p["stay_id"], lodging_code=p["lodging_code"], guest=_person(p["guest"], "guest"),
                     party_size=p["party_size"], nights=p["nights"], origin_region=p["origin_region"], **common)


def _priority(p: dict[str, Any], common: dict[str, Any]) -> c.Command:
    return c.PriorityMovement(person=_person(p["person"], "person"), category=p["category"],
                              assigned_grid=p["assigned_grid"], responsible_worker=p["responsible_worker"],
                              movement=p["movement"], grid_code=p.get("grid_code", ""), region=p.get("region", ""),
                              place=p.get("place", ""), **common)


def _gate(p: dict[str, Any], common: dict[str, Any]) -> c.Command:
    return c.GateCount(scenic_area=p["scenic_area"], interval_minutes=p["interval_minutes"], entries=p["entries"],
                       exits=p["exits"], **common)


_BUILDERS = {"move_in": _move_in, "move_out": _move_out, "rental": _rental, "visitor_registration": _visitor,
             "priority_movement": _priority, "scenic_gate": _gate}
