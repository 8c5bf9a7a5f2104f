"""The intake message contract: JSON envelope + one JSON Schema per kind (streams/schemas/), parsed into domain
commands. Anything that does not parse becomes a reject with a stable reason code (domain.errors)."""
from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson

from domain import commands as c
from domain import errors, privacy
from domain.identity import validate_id_number
from domain.intake import IntakeItem

KINDS = ("move_in", "move_out", "rental", "visitor_registration", "priority_movement", "scenic_gate")
SCHEMA_VERSION = 1
SCHEMAS = Path(__file__).resolve().parent / "schemas"
log = logging.getLogger("gridflow.contract")


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


# The accepted business-time window: from the Unix epoch (every read model can hold it) to a day after the message
# was received (feeds' clocks drift; a move-in dated next year is a feed error, not a fact).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)
LATEST_PLANNED_END = date(2100, 12, 31)
# Fields that name things: refused when they hold an ID number (masking would merge different things).
IDENTIFIER_FIELDS = ("dwelling_id", "household_id", "lease_id", "stay_id", "lodging_code", "responsible_worker",
                     "category", "scenic_area")
FREE_TEXT_FIELDS = ("place", "dwelling_address")  # masked: ID and phone numbers, and the message's own names


def parse(value: bytes | None, expected_kind: str | None, received_at: datetime | None = None) -> c.Command:
    """Bytes → command, or raise a domain.errors.Rejected subclass naming why."""
    return _read(value, expected_kind, received_at)[0]


def _read(value: bytes | None, expected_kind: str | None, received_at: datetime | None) -> tuple[c.Command, str]:
    """(command, digest of what the message says, whatever its formatting): republishing the same content under
    its id is a duplicate; other content under an id already used is refused."""
    message = _envelope(value, expected_kind)
    content_digest = hashlib.sha256(orjson.dumps(message, option=orjson.OPT_SORT_KEYS)).hexdigest()
    occurred_at = instant(message["occurred_at"], "occurred_at")
    check_in_window(occurred_at, received_at or datetime.now(UTC))
    screen(message)
    common = {"message_id": message["message_id"].lower(), "occurred_at": occurred_at, "source": message["source"]}
    return _BUILDERS[message["kind"]](message["payload"], common), content_digest


def _envelope(value: bytes | None, expected_kind: str | None) -> dict[str, Any]:
    if not value:
        raise errors.EmptyMessage("null value (a Kafka tombstone)" if value is None else "zero bytes")
    try:
        message = orjson.loads(value)
    except orjson.JSONDecodeError as e:
        raise errors.MalformedJson(str(e)[:200]) from None
    if not isinstance(message, dict):
        raise errors.MalformedJson("top level is not a JSON object")
    kind = message.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise errors.UnknownKind("kind is missing or not a string" if not isinstance(kind, str)
                                 else f"kind {privacy.mask(kind[:40])!r}")
    if expected_kind is not None and kind != expected_kind:
        raise errors.WrongTopic(f"kind {kind} arrived on the topic for {expected_kind}")
    try:
        _validator(kind)(message)
    except fastjsonschema.JsonSchemaException as e:
        # The validator's message names the path and the rule, never the offending value.
        raise errors.SchemaViolation(e.message[:300]) from None
    return message


def instant(text: str, field: str) -> datetime:
    """An RFC 3339 time the schema's pattern admitted, as an aware datetime; InvalidTime if it is no real instant."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise errors.InvalidTime(f"{field} is not a real instant (date, time of day or UTC offset)") from None


def check_in_window(occurred_at: datetime, received_at: datetime) -> None:
    try:
        too_early, too_late = occurred_at < EARLIEST, occurred_at > received_at + FUTURE_TOLERANCE
    except OverflowError:  # the offset pushes the instant past what a datetime holds
        too_early = too_late = True
    if too_early or too_late:
        raise errors.OutsideTimeWindow(f"occurred_at must lie between {EARLIEST:%Y-%m-%d} and a day after the "
                                       f"message was received ({received_at:%Y-%m-%d})")


def screen(message: dict[str, Any]) -> None:
    """Refuse identifiers holding an ID number or a name the message carries; mask ID numbers, phones and those
    names in free text."""
    payload = message["payload"]
    names = [p.get("name", "") for p in _identities(payload)]
    identifiers = {"source": message["source"], **{k: payload[k] for k in IDENTIFIER_FIELDS
                                                    if isinstance(payload.get(k), str)}}
    for field, value in identifiers.items():
        if privacy.holds_id_number(value) or privacy.holds_name(value, names):
            raise errors.PersonalDataInIdentifier(f"{field} holds an ID number or a name")
    for name in FREE_TEXT_FIELDS:
        if isinstance(payload.get(name), str):
            payload[name] = privacy.mask(payload[name], names)


def _identities(payload: dict[str, Any]) -> list[dict[str, Any]]:
    found = [payload[k] for k in ("person", "guest", "landlord") if isinstance(payload.get(k), dict)]
    return found + [t for t in payload.get("tenants", ()) if isinstance(t, dict)]


def to_item(source: str, position: int, value: bytes | None, expected_kind: str | None,
            received_at: datetime | None = None, published_at: datetime | None = None) -> IntakeItem:
    """One record → an intake item; never raises: whatever goes wrong reading it becomes a reject."""
    try:
        command, content_digest = _read(value, expected_kind, received_at)
    except errors.Rejected as rejected:
        return IntakeItem(source, position, rejected=rejected, message_id=_message_id_if_any(value),
                          published_at=published_at)
    except Exception as e:  # a bug reading one message must not stop the intake: isolate it
        log.exception("unexpected failure reading %s@%d", source, position)
        return IntakeItem(source, position, rejected=errors.Unprocessable(f"reading it failed ({type(e).__name__})"),
                          message_id=_message_id_if_any(value), published_at=published_at)
    return IntakeItem(source, position, command=command, message_id=command.message_id, digest=content_digest,
                      published_at=published_at)


def _message_id_if_any(value: bytes | None) -> str | None:
    try:
        message_id = orjson.loads(value).get("message_id")
        return str(uuid.UUID(str(message_id)))
    except Exception:  # a reject need not have a readable id
        return None


def _person(data: dict[str, Any], where: str) -> c.PersonIdentity:
    try:
        id_number = validate_id_number(data["id_number"])
    except errors.InvalidIdNumber as e:
        raise errors.InvalidIdNumber(f"{where}.id_number: {e}") from None
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
    planned_end = _planned_end(p["planned_end"]) if p.get("planned_end") else None
    return c.StartLease(lease_id=p["lease_id"], dwelling_id=p["dwelling_id"], grid_code=p["grid_code"],
                        landlord=_person(p["landlord"], "landlord"),
                        tenants=tuple(_person(t, f"tenants[{i}]") for i, t in enumerate(p["tenants"])),
                        planned_end=planned_end, dwelling_capacity=p.get("dwelling_capacity"), **common)


def _planned_end(text: str) -> date:
    try:
        planned = date.fromisoformat(text)
    except ValueError:
        raise errors.InvalidTime("planned_end is not a calendar date") from None
    if not EARLIEST.date() <= planned <= LATEST_PLANNED_END:
        raise errors.OutsideTimeWindow(f"planned_end must lie between {EARLIEST:%Y-%m-%d} and {LATEST_PLANNED_END}")
    return planned


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
