"""A mapping file (YAML) says how a bureau's register becomes the published intake envelope: which column fills
which payload field, how its values read (dates, 男/女, the bureau's own words for a reason), constants, and where
business time comes from. Without one, the file's headers are the payload's own field names (person.id_number,
grid_code, …, and occurred_at). Paths and types are checked against the kind's published JSON Schema."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from streams.contract import KINDS, schema

IMPORTABLE = tuple(k for k in KINDS if k != "scenic_gate")  # gate counters are machines, not registers
CONVERSIONS = ("text", "integer", "date", "region_of_id")
_DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_RULE_KEYS = {"column", "values", "as", "optional"}
_KEYS = {"kind", "source", "timezone", "occurred_at", "fields", "constants", "key", "sex"}


class MappingError(ValueError):
    """The mapping contradicts the kind's schema or the file's header (one line, naming the entry)."""


@dataclass(frozen=True)
class Leaf:
    """A field of the payload the schema defines: its conversion and whether the schema requires it."""

    conversion: str
    required: bool


@dataclass(frozen=True)
class Rule:
    path: str  # inside the payload, dotted; list items by index (tenants.0.id_number)
    column: str | None = None  # None: a constant
    constant: Any = None
    values: dict[str, str] = field(default_factory=dict)  # the register's words → the contract's
    conversion: str = "text"
    required: bool = False
    optional_column: bool = False  # the column may be absent from the file


@dataclass
class Mapping:
    kind: str
    source: str
    zone: tzinfo
    time_column: str
    default_time: time
    rules: list[Rule]
    key_column: str | None = None
    sex_column: str | None = None
    origin: str = "(no mapping: the header names the fields)"

    def columns(self) -> list[tuple[str, bool]]:
        """(column, whether the file must have it)."""
        named = [(self.time_column, True)] + [(r.column, not r.optional_column) for r in self.rules if r.column]
        named += [(c, False) for c in (self.key_column, self.sex_column) if c]
        return named


def payload_leaves(kind: str, action: str | None = None) -> dict[str, Leaf]:
    """Every leaf field of the kind's payload (list items as index 0), in the variant for `action` if the payload
    has several; required only where every variant that has it requires it."""
    payload = schema(kind)["properties"]["payload"]
    variants = payload.get("oneOf", [payload])
    if action is not None:
        variants = [v for v in variants if v["properties"].get("action", {}).get("const") in (None, action)]
    found: dict[str, list[Leaf]] = {}
    for variant in variants:
        _walk(variant, "", True, found)
    return {path: Leaf(leaves[0].conversion, len(leaves) == len(variants) and all(x.required for x in leaves))
            for path, leaves in found.items()}


def _walk(node: dict[str, Any], prefix: str, required: bool, found: dict[str, list[Leaf]]) -> None:
    if node.get("type") == "object" or "properties" in node:
        for name, child in node.get("properties", {}).items():
            _walk(child, f"{prefix}{name}.", required and name in node.get("required", ()), found)
    elif node.get("type") == "array":
        _walk(node["items"], f"{prefix}0.", required and node.get("minItems", 0) > 0, found)
    else:
        conversion = "integer" if node.get("type") == "integer" else \
            "date" if node.get("pattern") == _DATE_PATTERN else "text"
        found.setdefault(prefix[:-1], []).append(Leaf(conversion, required))


def _schema_path(path: str) -> str:
    return re.sub(r"\.\d+\.", ".0.", path)


def default_mapping(kind: str, header: list[str]) -> Mapping:
    """The identity mapping: columns named as the payload's fields, those the file has."""
    leaves = payload_leaves(kind)
    rules = [Rule(path, path, conversion=leaf.conversion, required=leaf.required, optional_column=not leaf.required)
             for path, leaf in leaves.items()]
    rules += [Rule(c, c, conversion=leaves[_schema_path(c)].conversion, optional_column=True) for c in header
              if re.search(r"\.[1-9]\d*\.", c) and _schema_path(c) in leaves]  # tenants.1.id_number, …
    return Mapping(kind, f"import-{kind}", ZoneInfo("Asia/Shanghai"), "occurred_at", time(0, 0), rules)


def load_mapping(path: Path, kind: str) -> Mapping:
    import yaml

    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except OSError as e:
        raise MappingError(f"cannot read {path}: {e.strerror or e}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise MappingError(f"{path.name} is not YAML (UTF-8): {str(e).splitlines()[0]}") from None
    if not isinstance(document, dict):
        raise MappingError(f"{path.name}: expected a mapping with kind, occurred_at and fields")
    return parse_mapping(document, kind, path.name)


def parse_mapping(document: dict[str, Any], kind: str, name: str) -> Mapping:
    def fail(text: str) -> MappingError:
        return MappingError(f"{name}: {text}")

    if unknown := sorted(set(document) - _KEYS):
        raise fail(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    if document.get("kind", kind) != kind:
        raise fail(f"this mapping is for {document.get('kind')!r}, not --kind {kind}")
    constants = document.get("constants") or {}
    fields = document.get("fields")
    if not isinstance(fields, dict) or not fields or not isinstance(constants, dict):
        raise fail("`fields` must map payload fields to columns (and `constants` fields to values)")
    leaves = payload_leaves(kind, constants.get("action"))
    rules = [_rule(path, spec, leaves, fail) for path, spec in fields.items()]
    for path, value in constants.items():
        if _schema_path(str(path)) not in leaves:
            raise fail(f"constants.{path}: not a field of {kind} payloads")
        rules.append(Rule(str(path), constant=value))
    named = {r.path for r in rules}
    if missing := [p for p, leaf in leaves.items() if leaf.required and p not in named]:
        raise fail(f"no column or constant for {missing[0]}, which every {kind} message needs")
    when = document.get("occurred_at")
    when = {"column": when} if isinstance(when, str) else when
    if not isinstance(when, dict) or not isinstance(when.get("column"), str):
        raise fail("occurred_at must name the column of business time: `occurred_at: {column: 入住日期}`")
    try:
        zone = ZoneInfo(str(document.get("timezone", "Asia/Shanghai")))
        default_time = time.fromisoformat(str(when.get("time", "00:00")))
    except (ZoneInfoNotFoundError, ValueError):
        raise fail("timezone must be an IANA name (Asia/Shanghai) and occurred_at.time HH:MM") from None
    source = str(document.get("source", f"import-{kind}"))
    if not 1 <= len(source) <= 128:
        raise fail("source must be 1 to 128 characters")
    return Mapping(kind, source, zone, when["column"], default_time, rules, _column(document.get("key"), "key", fail),
                   _column(document.get("sex"), "sex", fail), name)


def _column(value: Any, key: str, fail: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise fail(f"{key} must name one column")
    return value


def _rule(path: Any, spec: Any, leaves: dict[str, Leaf], fail: Any) -> Rule:
    leaf = leaves.get(_schema_path(str(path)))
    if leaf is None:
        raise fail(f"fields.{path}: not a field of this kind's payload (fields: {', '.join(leaves)})")
    spec = {"column": spec} if isinstance(spec, str) else spec
    if not isinstance(spec, dict) or not isinstance(spec.get("column"), str):
        raise fail(f"fields.{path}: name a column, or give {{column: …, values: {{…}}, as: …, optional: true}}")
    if unknown := sorted(set(spec) - _RULE_KEYS):
        raise fail(f"fields.{path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_RULE_KEYS))})")
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        raise fail(f"fields.{path}.values must map the register's words to the contract's values")
    conversion = spec.get("as", leaf.conversion)
    if conversion not in CONVERSIONS:
        raise fail(f"fields.{path}.as must be one of {', '.join(CONVERSIONS)}")
    return Rule(str(path), spec["column"], values={str(k): v for k, v in values.items()}, conversion=conversion,
                required=leaf.required, optional_column=bool(spec.get("optional", False)))
