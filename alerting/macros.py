"""The ClickHouse datasource plugin's backend macro expansion, in Python, so that one SQL text runs the same here
and in Grafana. Ported from grafana-clickhouse-datasource v4.20.0 (the version docker-compose.yml installs):
`pkg/macros/macros.go` on grafana/macropro v1.0.1 — comments are blanked, then every `$__name` / `$__name(args)`
known to the plugin is expanded, innermost first; unknown names stay. This is all an alert rule's query goes
through; a dashboard panel's query first passes the browser's step (dashboards/variables.py).

Times are absolute instants: `toDateTime(<unix s>)` compares correctly with our UTC columns; dates
(`$__dateFilter`) are the UTC dates of the range, as in the plugin's process."""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class MacroError(ValueError):
    """A macro the plugin would refuse (wrong argument count, unbalanced parentheses, unknown format)."""


@dataclass(frozen=True)
class QueryContext:
    """What Grafana hands the plugin: the time range (a panel's, or an alert rule's relative range back from the
    evaluation time) and the interval (alert queries: intervalMs 1000)."""

    start: datetime
    end: datetime
    interval: timedelta = timedelta(seconds=1)
    table: str = ""
    column: str = ""

    @classmethod
    def window(cls, now: datetime, seconds: int, interval: timedelta = timedelta(seconds=1)) -> QueryContext:
        return cls(now - timedelta(seconds=seconds), now, interval)


# -- the backend: macros.go --------------------------------------------------------------------------------------
def _unix(t: datetime) -> int:
    return math.floor(t.timestamp())


def _unix_ms(t: datetime) -> int:
    return (t - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _date(t: datetime) -> str:
    return f"toDate('{t.astimezone(UTC):%Y-%m-%d}')"


def _datetime(t: datetime) -> str:
    return f"toDateTime({_unix(t)})"


def _datetime64(t: datetime) -> str:
    return f"fromUnixTimestamp64Milli({_unix_ms(t)})"


def _one(name: str, args: list[str], want: int = 1) -> list[str]:
    if len(args) != want:
        raise MacroError(f"{name} expected {want} argument(s), received {len(args)}")
    return args


def _between(col: str, low: str, high: str) -> str:
    return f"{col} >= {low} AND {col} <= {high}"


def _seconds(ctx: QueryContext) -> int:
    return int(max(ctx.interval.total_seconds(), 1))


def _format_duration(d: timedelta) -> str:
    """macropro.FormatDuration: the largest whole unit."""
    ms = abs(d // timedelta(milliseconds=1))
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _time_group(ctx: QueryContext, args: list[str]) -> str:
    col, period = _one("$__timeGroup", args, 2)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", period.strip().strip("'\""))
    if not match:
        raise MacroError(f"$__timeGroup: invalid interval {period!r}")
    seconds = round(float(match[1]) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match[2]])
    if seconds <= 0:
        raise MacroError(f"$__timeGroup: interval must be positive, got {period!r}")
    return f"toStartOfInterval(toDateTime({col.strip()}), INTERVAL {seconds} second)"


def _needs(value: str, what: str) -> str:
    if not value:
        raise MacroError(f"$__{what}: no {what} name in query context")
    return value


Macro = Callable[[QueryContext, list[str]], str]
MACROS: dict[str, Macro] = {
    "interval": lambda c, a: _format_duration(c.interval),
    "interval_ms": lambda c, a: str(c.interval // timedelta(milliseconds=1)),
    "table": lambda c, a: _needs(c.table, "table"),
    "column": lambda c, a: _needs(c.column, "column"),
    "timeFilter": lambda c, a: _between(_one("$__timeFilter", a)[0], _datetime(c.start), _datetime(c.end)),
    "timeFrom": lambda c, a: f"{_one('$__timeFrom', a)[0]} >= {_datetime(c.start)}",
    "timeTo": lambda c, a: f"{_one('$__timeTo', a)[0]} <= {_datetime(c.end)}",
    "timeGroup": _time_group,
    "fromTime": lambda c, a: _datetime(c.start),
    "toTime": lambda c, a: _datetime(c.end),
    "fromTime_ms": lambda c, a: _datetime64(c.start),
    "toTime_ms": lambda c, a: _datetime64(c.end),
    "timeFilter_ms": lambda c, a: _between(_one("$__timeFilter_ms", a)[0], _datetime64(c.start), _datetime64(c.end)),
    "dateFilter": lambda c, a: _between(_one("$__dateFilter", a)[0], _date(c.start), _date(c.end)),
    "dateTimeFilter": lambda c, a: _date_time_filter(c, a, "$__dateTimeFilter"),
    "dt": lambda c, a: _date_time_filter(c, a, "$__dt"),
    "timeInterval": lambda c, a: (f"toStartOfInterval(toDateTime({_one('$__timeInterval', a)[0]}), "
                                  f"INTERVAL {_seconds(c)} second)"),
    "timeInterval_ms": lambda c, a: (f"toStartOfInterval(toDateTime64({_one('$__timeInterval_ms', a)[0]}, 3), "
                                     f"INTERVAL {max(c.interval // timedelta(milliseconds=1), 1)} millisecond)"),
    "interval_s": lambda c, a: str(_seconds(c)),
}


def _date_time_filter(ctx: QueryContext, args: list[str], name: str) -> str:
    date_col, time_col = _one(name, args, 2)
    return (f"({_between(date_col, _date(ctx.start), _date(ctx.end))}) AND "
            f"({_between(time_col, _datetime(ctx.start), _datetime(ctx.end))})")


def _literal_end(s: str, i: int) -> int:
    """The index after the quoted literal or identifier starting at s[i] ('…', "…", `…`), with ClickHouse's
    backslash escapes and doubled quotes; unterminated: the end of s."""
    quote, j = s[i], i + 1
    while j < len(s):
        if s[j] == "\\" and quote != "`":
            j += 2
        elif s[j] == quote:
            if j + 1 < len(s) and s[j + 1] == quote:
                j += 2
            else:
                return j + 1
        else:
            j += 1
    return len(s)


_DOLLAR_TAG = re.compile(r"\$([A-Za-z0-9_]*)\$")


def strip_comments(sql: str) -> str:
    """`--` and `/* */` comments become spaces of the same length; literals and $tag$…$tag$ strings are kept."""
    out, i = [], 0
    while i < len(sql):
        c = sql[i]
        if c in "'\"`":
            j = _literal_end(sql, i)
        elif c == "$" and (tag := _DOLLAR_TAG.match(sql, i)) and (k := sql.find(tag[0], tag.end())) >= 0:
            j = k + len(tag[0])
        elif sql.startswith("--", i):
            j = min((k for k in (sql.find("\n", i), sql.find("\r", i)) if k >= 0), default=len(sql))
            out.append(" " * (j - i))
            i = j
            continue
        elif sql.startswith("/*", i):
            k = sql.find("*/", i + 2)
            j = len(sql) if k < 0 else k + 2
            out.append(" " * (j - i))
            i = j
            continue
        else:
            j = i + 1
        out.append(sql[i:j])
        i = j
    return "".join(out)


def _closing_paren(s: str, open_at: int) -> int:
    depth, i = 0, open_at
    while i < len(s):
        if s[i] in "'\"":
            i = _literal_end(s, i)
            continue
        depth += {"(": 1, ")": -1}.get(s[i], 0)
        if depth == 0:
            return i
        i += 1
    return -1


def _split_args(raw: str) -> list[str]:
    raw = raw.strip()
    if not raw:
        return []
    args, depth, start, i = [], 0, 0, 0
    while i < len(raw):
        if raw[i] in "'\"":
            i = _literal_end(raw, i)
            continue
        if raw[i] == "(":
            depth += 1
        elif raw[i] == ")":
            depth -= 1
        elif raw[i] == "," and depth == 0:
            args.append(raw[start:i].strip())
            start = i + 1
        i += 1
    return [*args, raw[start:].strip()]


_NAME = re.compile(r"[A-Za-z0-9_]+")


def _expand_macros(s: str, ctx: QueryContext) -> str:
    out, i = [], 0
    while (j := s.find("$__", i)) >= 0:
        word = _NAME.match(s, j + 3)
        name = word[0] if word else ""
        after = j + 3 + len(name)
        if name not in MACROS:  # unknown to the plugin: left as it is
            out.append(s[i:after])
            i = after
            continue
        out.append(s[i:j])
        args: list[str] = []
        if s.startswith("(", after) and (close := _closing_paren(s, after)) >= 0:
            args = [_expand_macros(arg, ctx) for arg in _split_args(s[after + 1:close])]  # innermost first
            after = close + 1
        out.append(MACROS[name](ctx, args))
        i = after
    return "".join(out) + s[i:]


def expand(sql: str, ctx: QueryContext) -> str:
    """The backend's expansion (macros.Interpolate): what Grafana alerting runs, and every panel after the browser."""
    return _expand_macros(strip_comments(sql), ctx)
