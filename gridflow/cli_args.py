"""Argument types of the command line: checked when parsed, so a wrong value is one line naming it."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

DISTRICT_TZ = timezone(timedelta(hours=8))


def aware_datetime(text: str) -> datetime:
    """ISO 8601; without an offset it is read as the district's local time (UTC+8)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2026-08-01T09:00)") from None
    return value if value.tzinfo else value.replace(tzinfo=DISTRICT_TZ)


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (e.g. 2026-08-01)") from None


def bounded(kind: Callable[[str], Any], low: float, high: float) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {getattr(kind, '__name__', 'number')}: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, not {text}")
        return value
    return parse


DAYS, SCALE, SHARE = bounded(int, 1, 366), bounded(float, 0.001, 1.0), bounded(float, 0.0, 0.5)
PORT, SECONDS, COUNT = bounded(int, 0, 65535), bounded(float, 0.05, 3600), bounded(int, 1, 10_000_000)


def season_options(p: argparse.ArgumentParser, days: int, scale: float) -> None:
    p.add_argument("--days", type=DAYS, default=days)
    p.add_argument("--scale", type=SCALE, default=scale, help="1.0 = Penglai's full size")
    p.add_argument("--seed", type=int, default=42)
