"""One register row → one intake message, or a reject of its own before any message exists. The message id is
derived from the row's content (with the header naming its cells) and how many identical rows came before it:
importing the same file again publishes the very same messages, which the intake takes as duplicates (no second
effect) — and so does a corrected file for the rows that did not change, even with rows inserted or deleted,
while a corrected row is a new message."""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson

from domain import privacy
from imports.files import Cell, Register
from imports.mapping import Mapping, MappingError, Rule
from imports.values import Refused, check_sex, to_date, to_datetime, to_integer
from streams.contract import encode, envelope

NAMESPACE = uuid5(NAMESPACE_URL, "https://gridflow.invalid/imports")
KEYED_BY = {"visitor_registration": ("stay_id",), "rental": ("dwelling_id", "lease_id")}  # README's topic table


@dataclass
class Row:
    number: int  # as a spreadsheet shows it
    message_id: str
    reason: str = ""  # a reject's code
    detail: str = ""
    stage: str = ""  # mapping (no message was published) | intake
    position: tuple[int, int] | None = None  # (partition, offset) of its message
    personal: tuple[str, ...] = field(default=(), repr=False)  # its names and ID numbers: never in a report


class Rows:
    """A mapping bound to a register's header (its columns checked once)."""

    def __init__(self, mapping: Mapping, register: Register, pseudonymize: Callable[[str], str]):
        self.mapping, self.register, self.pseudonymize = mapping, register, pseudonymize
        self.index = {name: i for i, name in enumerate(register.header)}
        for column, needed in mapping.columns():
            if needed and column not in self.index:
                shown = ", ".join(register.header[:15]) + (" …" if len(register.header) > 15 else "")
                raise MappingError(f"{mapping.origin}: column {column!r} is not in the file's header ({shown})")
        self.header = orjson.dumps(register.header)
        self.rules = [(rule, tuple(rule.path.split("."))) for rule in mapping.rules]
        self.personal_columns = [r.column for r in mapping.rules if r.column and r.path.endswith(("name", "id_number"))]
        self.message_ids = self._message_ids()

    def _message_ids(self) -> dict[int, str]:
        """Row number → message id. Not the row number itself: a row inserted above must not renumber the rest."""
        ids, seen = {}, Counter[str]()
        for number, cells in self.register.rows:
            content = orjson.dumps([c.isoformat() if isinstance(c, date) else c for c in cells])
            digest = hashlib.sha256(self.header + content).hexdigest()
            ids[number] = str(uuid5(NAMESPACE, f"{digest}:{seen[digest]}"))  # the n-th identical row
            seen[digest] += 1
        return ids

    def convert(self, number: int, cells: tuple[Cell, ...]) -> tuple[Row, bytes | None, bytes | None]:
        """(the row, its Kafka key and value) — key and value None when the mapping refused it."""
        row = Row(number, self.message_ids[number])

        def cell(column: str) -> Cell:
            return cells[self.index[column]] if column in self.index else ""

        row.personal = tuple(str(c) for c in map(cell, self.personal_columns) if c)
        try:
            payload: dict[str, Any] = {}
            for rule, path in self.rules:
                value = rule.constant if rule.column is None else self._value(rule, cell(rule.column))
                if value is not None:
                    _put(payload, path, value)
            when = cell(self.mapping.time_column)
            if when == "":
                raise Refused("missing_value", f"{self.mapping.time_column}: empty (the business time)")
            occurred_at = to_datetime(when, self.mapping.time_column, self.mapping.zone, self.mapping.default_time)
            if self.mapping.sex_column and cell(self.mapping.sex_column):
                check_sex(str(cell(self.mapping.sex_column)), _id_number(payload), self.mapping.sex_column)
        except Refused as refused:
            row.reason, row.detail, row.stage = refused.reason, refused.detail, "mapping"
            return row, None, None
        message = envelope(self.mapping.kind, occurred_at, self.mapping.source, payload, UUID(row.message_id))
        return row, self._key(payload, cell, row.message_id), encode(message)

    def _value(self, rule: Rule, cell: Cell) -> Any:
        if cell == "":
            if rule.required:
                raise Refused("missing_value", f"{rule.column}: empty (every message needs {rule.path})")
            return None
        if rule.values:
            text = str(cell)
            if text in rule.values:
                return rule.values[text]
            if text not in rule.values.values():
                raise Refused("unmapped_value", f"{rule.column}: not one of {', '.join(list(rule.values)[:10])}")
            return text
        if rule.conversion == "integer":
            return to_integer(cell, rule.column or "")
        if rule.conversion == "date":
            return to_date(cell, rule.column or "").isoformat()
        text = cell.isoformat() if isinstance(cell, date) else str(cell)
        if rule.conversion == "region_of_id":
            return text[:6]
        return text.upper() if rule.path.endswith("id_number") else text  # registers write the check X as x too

    def _key(self, payload: dict[str, Any], cell: Callable[[str], Cell], message_id: str) -> bytes:
        """The topic's key (README): the stay, the dwelling, or a person reference — never the ID number."""
        for name in KEYED_BY.get(self.mapping.kind, ()):
            if payload.get(name):
                return str(payload[name]).encode()
        if self.mapping.key_column:
            reference = str(cell(self.mapping.key_column))
            if reference and not privacy.holds_id_number(reference):
                return reference.encode()
        id_number = _id_number(payload)
        return (self.pseudonymize(id_number) if id_number else message_id).encode()


def _id_number(payload: dict[str, Any]) -> str:
    for holder in ("person", "guest", "landlord"):
        if isinstance(payload.get(holder), dict):
            return str(payload[holder].get("id_number", ""))
    return ""


def _put(payload: dict[str, Any], parts: tuple[str, ...], value: Any) -> None:
    """Set a dotted path's parts, list items by index (tenants.1.id_number)."""
    if len(parts) == 1:
        payload[parts[0]] = value
        return
    node: Any = payload
    for part, following in zip(parts, parts[1:], strict=False):
        child_is_list = following.isdigit()
        if isinstance(node, list):
            index = int(part)
            while len(node) <= index:
                node.append([] if child_is_list else {})
            node = node[index]
        else:
            node = node.setdefault(part, [] if child_is_list else {})
    if isinstance(node, list):
        index = int(parts[-1])
        while len(node) <= index:
            node.append(None)
        node[index] = value
    else:
        node[parts[-1]] = value
