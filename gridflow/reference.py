"""Load and validate the reference geography: the shipped Penglai default or an operator's CSV directory.

grids.csv may carry `valid_from`, `valid_to` (ISO dates) and `replaced_by` (space-separated codes): a split or
merge is recorded by retiring the old grid and adding its successors, never by editing the old row away."""
from __future__ import annotations

import csv
from dataclasses import MISSING
from datetime import date
from pathlib import Path
from typing import Any

from domain.geography import (
    Geography,
    Grid,
    InvalidGeography,
    Lodging,
    ScenicArea,
    Town,
    Village,
)

SHIPPED = Path(__file__).resolve().parent / "data" / "penglai"
FILES = ("towns.csv", "villages.csv", "grids.csv", "lodgings.csv", "scenic_areas.csv")


def _rows(text: str, filename: str, required: set[str]) -> list[dict[str, Any]]:
    reader = csv.DictReader(text.splitlines())
    missing = required - set(reader.fieldnames or [])
    if missing:
        raise InvalidGeography(f"{filename}: missing columns {sorted(missing)}")
    return list(reader)


def _bool(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes")


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value and value.strip() else None


def load_geography(directory: Path | None = None) -> Geography:
    def read(filename: str) -> str:
        if directory is None:
            return (SHIPPED / filename).read_text("utf-8")
        return (directory / filename).read_text("utf-8")

    def rows(filename: str, cls: type) -> list[dict[str, Any]]:
        required = {name for name, f in cls.__dataclass_fields__.items() if f.default is MISSING}
        return _rows(read(filename), filename, required)

    try:
        towns = {r["code"]: Town(r["code"], r["name"], r["name_en"], r["kind"], _bool(r["synthetic"]))
                 for r in rows("towns.csv", Town)}
        villages = {r["code"]: Village(r["code"], r["town_code"], r["name"], r["kind"], _bool(r["new_community"]),
                                       _bool(r["synthetic"])) for r in rows("villages.csv", Village)}
        grids = {r["code"]: Grid(r["code"], r["village_code"], r["town_code"], int(r["resident_baseline"]),
                                 int(r["dwellings"]), _bool(r["synthetic"]), _date(r.get("valid_from")),
                                 _date(r.get("valid_to")), tuple((r.get("replaced_by") or "").split()))
                 for r in rows("grids.csv", Grid)}
        lodgings = {r["code"]: Lodging(r["code"], r["grid_code"], r["name"], r["kind"], int(r["beds"]),
                                       _bool(r["synthetic"])) for r in rows("lodgings.csv", Lodging)}
        scenic = {r["code"]: ScenicArea(r["code"], r["name"], r["name_en"], r["grid_code"],
                                        int(r["max_instantaneous"]), int(r["max_daily"]), _bool(r["synthetic"]))
                  for r in rows("scenic_areas.csv", ScenicArea)}
    except (KeyError, ValueError) as e:
        if isinstance(e, InvalidGeography):
            raise
        raise InvalidGeography(f"unreadable reference row: {e}") from e
    return Geography("370614", "蓬莱区", towns, villages, grids, lodgings, scenic)
