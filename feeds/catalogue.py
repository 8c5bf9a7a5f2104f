"""The feed catalogue (YAML): per consuming department, which event kinds it receives, which fields, at what
granularity (pseudonymised events, or counts per grid or scenic area and hour) and for which administrative scope.
Validated whole at start: the first mistake is one line naming the entry."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.geography import Geography
from feeds.fields import MESSAGE_KIND_OF, MESSAGE_KINDS, PRECISIONS, MessageKind, event_kinds, schema_of

SHIPPED = Path(__file__).resolve().parent / "catalogue.yaml"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
TOPIC_PREFIX = "gridflow.feed."
_DEPARTMENT = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
_KEYS = {"department", "title", "granularity", "kinds", "fields", "scope", "precision", "partitions", "retention_days"}
SCOPE_LEVELS = ("district", "towns", "villages", "grids")


class CatalogueError(ValueError):
    """The catalogue contradicts itself or the reference geography (one line, naming the entry)."""


@dataclass(frozen=True)
class Feed:
    department: str
    title: str
    granularity: str  # events | counts
    kinds: tuple[str, ...]  # event kinds received
    fields: tuple[str, ...]  # optional fields carried
    scope: str  # as written, e.g. "district 370614", "towns 370614001 370614002"
    scope_grids: frozenset[str] | None  # None: the whole district (priority persons seen outside it too)
    precision: str = "minute"  # of the times in pseudonymised events
    partitions: int = 4
    retention_days: int = 30

    @property
    def topic(self) -> str:
        return TOPIC_PREFIX + self.department

    @property
    def message_kinds(self) -> list[MessageKind]:
        names = {MESSAGE_KIND_OF[(self.granularity, k)] for k in self.kinds}
        if self.granularity == "events":
            names.add("erasure")  # an erasure reaches every feed that names persons
        return [m for name, m in MESSAGE_KINDS.items() if name in names]

    def in_scope(self, grid_code: str, assigned_grid: str = "") -> bool:
        """An event is in scope where it happened, or — a priority person's — where the person is assigned."""
        return self.scope_grids is None or grid_code in self.scope_grids or assigned_grid in self.scope_grids

    def schemas(self) -> dict[str, dict[str, Any]]:
        return {m.name: schema_of(self.department, self.title, m, self.fields, self.kinds) for m in self.message_kinds}


def load_catalogue(path: Path | None, geography: Geography) -> list[Feed]:
    import yaml

    path = path or SHIPPED
    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except OSError as e:
        raise CatalogueError(f"cannot read {path}: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise CatalogueError(f"{path} is not YAML: {str(e).splitlines()[0]}") from None
    entries = document.get("feeds") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{path}: expected a top-level `feeds:` list with at least one entry")
    feeds = [parse_entry(entry, n, geography) for n, entry in enumerate(entries, 1)]
    seen: set[str] = set()
    for n, feed in enumerate(feeds, 1):
        if feed.department in seen:
            raise CatalogueError(f"feed {feed.department!r} (entry {n}): department named twice")
        seen.add(feed.department)
    return feeds


def parse_entry(entry: Any, n: int, geography: Geography) -> Feed:
    name = entry.get("department") if isinstance(entry, dict) else None
    where = f"feed {name!r} (entry {n})" if isinstance(name, str) else f"entry {n}"

    def fail(text: str) -> CatalogueError:
        return CatalogueError(f"{where}: {text}")

    if not isinstance(entry, dict):
        raise fail("must be a mapping of department, title, granularity, kinds, fields, scope")
    if unknown := sorted(set(entry) - _KEYS):
        raise fail(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    if not isinstance(name, str) or not _DEPARTMENT.match(name):
        raise fail("department must be lower-case letters, digits and '-' (2–40), it names the topic")
    granularity = entry.get("granularity")
    if granularity not in ("events", "counts"):
        raise fail("granularity must be `events` (pseudonymised) or `counts` (per grid and hour)")
    kinds = _names(entry.get("kinds"), "kinds", fail)
    allowed = event_kinds(granularity)
    for kind in kinds:
        if kind not in allowed:
            raise fail(f"kind {kind!r} is not available as {granularity} (available: {', '.join(allowed)})")
    fields = _names(entry.get("fields", []), "fields", fail, empty_ok=True)
    carried = {f for kind in kinds for f in MESSAGE_KINDS[MESSAGE_KIND_OF[(granularity, kind)]].optional}
    for field in fields:
        if field not in carried:
            raise fail(f"field {field!r} is not carried by these kinds (choose from: {', '.join(sorted(carried))})")
    precision = entry.get("precision", "minute")
    if precision not in PRECISIONS:
        raise fail(f"precision must be one of {', '.join(PRECISIONS)}")
    scope, grids = _scope(entry.get("scope"), geography, fail)
    title = entry.get("title", name)
    if not isinstance(title, str) or not title.strip():
        raise fail("title must be text")
    return Feed(name, title.strip(), granularity, tuple(kinds), tuple(fields), scope, grids, precision,
                _whole(entry.get("partitions", 4), "partitions", 1, 64, fail),
                _whole(entry.get("retention_days", 30), "retention_days", 1, 3650, fail))


def _names(value: Any, key: str, fail: Any, empty_ok: bool = False) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or (not value and not empty_ok):
        raise fail(f"{key} must be a list of names")
    if len(set(value)) != len(value):
        raise fail(f"{key} names something twice")
    return value


def _whole(value: Any, key: str, low: int, high: int, fail: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise fail(f"{key} must be a whole number from {low} to {high}")
    return value


def _scope(value: Any, geography: Geography, fail: Any) -> tuple[str, frozenset[str] | None]:
    """(the scope as written, the grid codes it covers — retired grids too, so history stays in scope)."""
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in SCOPE_LEVELS:
        raise fail(f"scope must name exactly one of {', '.join(SCOPE_LEVELS)}, e.g. `scope: {{towns: [370614001]}}`")
    level, codes = next(iter(value.items()))
    codes = [str(c) for c in codes] if isinstance(codes, list) else [str(codes)]
    if level == "district":
        if codes != [geography.district_code]:
            raise fail(f"scope district must be {geography.district_code}, the reference geography's district")
        return f"district {geography.district_code}", None
    known = {"towns": geography.towns, "villages": geography.villages, "grids": geography.grids}[level]
    if not codes or (unknown := [c for c in codes if c not in known]):
        raise fail(f"scope {level}: unknown code {unknown[0] if codes else '(none given)'}")
    attribute = {"towns": "town_code", "villages": "village_code", "grids": "code"}[level]
    grids = frozenset(g.code for g in geography.grids.values() if getattr(g, attribute) in codes)
    return f"{level} {' '.join(codes)}", grids


def write_schemas(feeds: list[Feed], out: Path = SCHEMAS) -> list[Path]:
    """The published JSON Schemas: <out>/<department>/<message kind>.schema.json (what `gridflow feeds schemas`
    writes; the shipped catalogue's are committed under feeds/schemas/)."""
    import json

    written = []
    for feed in feeds:
        for kind, schema in feed.schemas().items():
            path = out / feed.department / f"{kind}.schema.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", "utf-8")
            written.append(path)
    return written
