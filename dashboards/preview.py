"""`gridflow grafana preview`: each dashboard drawn as one PNG, its panels where Grafana places them (gridPos),
from the very same SQL (dashboards/running.py) on our ClickHouse — what a user will see in Grafana, without one.
Chinese text needs a CJK font: Debian's fonts-wqy-microhei (scripts/ensure-fonts.sh)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from dashboards.catalogue import dashboards  # noqa: E402
from dashboards.running import NUMERIC, TEXT, PanelResult, context, run_panels  # noqa: E402

LOCAL = timezone(timedelta(hours=8))
CJK_FONT = "WenQuanYi Micro Hei"
COLORS = {"green": "#56a64b", "yellow": "#f2cc0c", "orange": "#ff9830", "red": "#e02f44", "blue": "#3274d9"}
UNIT = {"percent": "%", "s": " 秒", "none": ""}
ROW_PX, COLUMN_PX, DPI = 34, 62, 100  # a Grafana grid row is 30 px plus its margin; 24 columns
AXIS_ROOM = {"timeseries": 52, "bargauge": 118}  # px left of the plot for tick labels and bar names


class CannotPreview(LookupError):
    """No CJK font (Chinese titles would render as empty boxes), or no data to preview; the message is one line."""


def use_cjk_font() -> None:
    for path in font_manager.findSystemFonts():
        if "wqy-microhei" in path.lower():
            font_manager.fontManager.addfont(path)
            plt.rcParams["font.family"] = [CJK_FONT, "DejaVu Sans"]
            plt.rcParams["axes.unicode_minus"] = False
            return
    raise CannotPreview("no CJK font for the Chinese titles: install Debian's fonts-wqy-microhei "
                      "(bash scripts/ensure-fonts.sh)")


def _color(steps: list[dict[str, Any]], value: float | None) -> str:
    color = "blue"
    for step in steps:
        if step.get("value") is None or (value is not None and value >= step["value"]):
            color = step["color"]
    return COLORS.get(color, color)


def _steps(panel: dict[str, Any]) -> list[dict[str, Any]]:
    return panel.get("fieldConfig", {}).get("defaults", {}).get("thresholds", {}).get("steps", [])


def _unit(panel: dict[str, Any]) -> str:
    return UNIT.get(panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "none"), "")


def _number(value: Any) -> str:
    if value is None:
        return "无数据"
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"


def _series(result: PanelResult) -> dict[str, tuple[list[datetime], list[float]]]:
    """Long rows (time, strings…, numbers…) → one series per string value and number column."""
    labels = [n for n, t in enumerate(result.types) if n and TEXT.match(t)]
    values = [n for n, t in enumerate(result.types) if n and NUMERIC.match(t)]
    series: dict[str, tuple[list[datetime], list[float]]] = {}
    for row in result.rows:
        when = row[0] if isinstance(row[0], datetime) else datetime.combine(row[0], datetime.min.time(), LOCAL)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        for n in values:
            name = " ".join(str(row[k]) for k in labels) or result.columns[n]
            if labels and len(values) > 1:
                name += f" {result.columns[n]}"
            times, numbers = series.setdefault(name, ([], []))
            times.append(when)
            numbers.append(float(row[n]) if row[n] is not None else float("nan"))
    return series


def draw_timeseries(ax: Any, result: PanelResult, span: tuple[datetime, datetime]) -> None:
    custom = result.panel.get("fieldConfig", {}).get("defaults", {}).get("custom", {})
    bars = custom.get("drawStyle") == "bars"
    stacked = custom.get("stacking", {}).get("mode") == "normal"
    series = _series(result)
    bottoms: dict[datetime, float] = {}
    width = _bar_width(series)
    for name, (times, numbers) in series.items():
        if bars:
            base = [bottoms.get(t, 0.0) if stacked else 0.0 for t in times]
            ax.bar(times, numbers, width=width, bottom=base, label=name, alpha=0.85)
            for t, b, v in zip(times, base, numbers, strict=True):
                bottoms[t] = b + v
        else:
            # Grafana's points "auto" marks a series too sparse for a line (a lone point draws nothing otherwise)
            ax.plot(times, numbers, label=name, linewidth=1.2, marker="o" if len(times) < 3 else None, markersize=3)
    steps = [s for s in _steps(result.panel) if s.get("value") is not None]
    if custom.get("thresholdsStyle", {}).get("mode") == "line+area" and steps:
        top = max([s["value"] for s in steps] + [v for _, ns in series.values() for v in ns if v == v]) * 1.1
        for low, high in zip(steps, [*steps[1:], {"value": top}], strict=True):
            ax.axhspan(low["value"], high["value"], color=COLORS.get(low["color"]), alpha=0.12, linewidth=0)
            ax.axhline(low["value"], color=COLORS.get(low["color"]), linewidth=0.8, linestyle="--")
        ax.set_ylim(0, top)
    locator = mdates.AutoDateLocator(tz=LOCAL)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(
        locator, tz=LOCAL, formats=["%Y", "%m月", "%m-%d", "%H:%M", "%H:%M", "%S"],
        zero_formats=["", "%Y", "%m月", "%m-%d", "%H:%M", "%H:%M"], offset_formats=[""] * 6))
    ax.set_xlim(*span)  # Grafana's x axis is the time range, whatever the data cover
    ax.tick_params(labelsize=7)
    if _unit(result.panel) == "%":
        ax.set_ylabel("%", fontsize=7)
    if series:
        ax.legend(fontsize=6, ncol=min(4, len(series)), loc="upper left", frameon=False)


def _bar_width(series: dict[str, tuple[list[datetime], list[float]]]) -> float:
    times = sorted({t for ts, _ in series.values() for t in ts})
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    return (min(gaps) if gaps else 86400) / 86400 * 0.8  # matplotlib dates count in days


def _named_values(result: PanelResult) -> list[tuple[str, float | None]]:
    names = [n for n, t in enumerate(result.types) if TEXT.match(t)]
    numbers = [n for n, t in enumerate(result.types) if NUMERIC.match(t)]
    return [(" ".join(str(row[n]) for n in names) or result.columns[k], row[k])
            for row in result.rows for k in numbers]


def draw_values(ax: Any, result: PanelResult, span: Any = None) -> None:
    """stat: the numbers themselves, coloured by the thresholds."""
    values = _named_values(result) or [("", None)]
    ax.axis("off")
    for n, (name, value) in enumerate(values):
        x = (n + 0.5) / len(values)
        ax.text(x, 0.5, _number(value) + (_unit(result.panel) if value is not None else ""), ha="center",
                va="center", fontsize=22 if len(values) == 1 else 15, fontweight="bold",
                color=_color(_steps(result.panel), value), transform=ax.transAxes)
        if len(values) > 1:
            ax.text(x, 0.12, name, ha="center", va="center", fontsize=8, transform=ax.transAxes)


def draw_gauge(ax: Any, result: PanelResult, span: Any = None) -> None:
    """A half ring from min to max: the thresholds as a thin outer band, the value as the thick inner arc."""
    from matplotlib.patches import Wedge

    defaults = result.panel.get("fieldConfig", {}).get("defaults", {})
    low, high = defaults.get("min", 0), defaults.get("max", 100)
    value = next((v for _, v in _named_values(result)), None)

    def angle(x: float) -> float:
        return 180 - 180 * (min(max(x, low), high) - low) / (high - low)

    steps = _steps(result.panel)
    for step, nxt in zip(steps, [*steps[1:], {"value": high}], strict=True):
        start = low if step.get("value") is None else step["value"]
        ax.add_patch(Wedge((0, 0), 1.0, angle(nxt["value"]), angle(start), width=0.08,
                           color=COLORS.get(step["color"], step["color"])))
    ax.add_patch(Wedge((0, 0), 0.88, 0, 180, width=0.3, color="#e9e9e9"))
    if value is not None:
        ax.add_patch(Wedge((0, 0), 0.88, angle(value), 180, width=0.3, color=_color(steps, value)))
    ax.text(0, 0.1, _number(value) + (_unit(result.panel) if value is not None else ""), ha="center",
            fontsize=16, color=_color(steps, value))
    ax.set_xlim(-1.1, 1.1)
    ax.set_ylim(-0.1, 1.1)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_bars(ax: Any, result: PanelResult, span: Any = None) -> None:
    values = [(name, value or 0) for name, value in _named_values(result)]
    names, numbers = [n for n, _ in values][::-1], [v for _, v in values][::-1]
    ax.barh(names, numbers, color=[_color(_steps(result.panel), v) for v in numbers])
    for y, v in enumerate(numbers):
        ax.text(v, y, f" {_number(v)}{_unit(result.panel)}", va="center", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.set_xlim(0, result.panel.get("fieldConfig", {}).get("defaults", {}).get("max") or max(numbers + [1]) * 1.25)


def draw_table(ax: Any, result: PanelResult, span: Any = None) -> None:
    ax.axis("off")
    rows = max(3, result.panel["gridPos"]["h"] * ROW_PX // 19 - 2)  # as many as the panel's height holds
    cells = [[_cell(v) for v in row] for row in result.rows[:rows]]
    table = ax.table(cellText=cells, colLabels=result.columns, loc="upper center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(6.5)
    table.scale(1, 1.15)


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(LOCAL).strftime("%m-%d %H:%M")
    if isinstance(value, float):
        return _number(value)
    text = str(value)
    return text if len(text) <= 22 else text[:21] + "…"


DRAW = {"timeseries": draw_timeseries, "stat": draw_values, "gauge": draw_gauge, "bargauge": draw_bars,
        "table": draw_table}


def render(model: dict[str, Any], results: list[PanelResult], path: Path, span: tuple[datetime, datetime]) -> Path:
    bottom = max(r.panel["gridPos"]["y"] + r.panel["gridPos"]["h"] for r in results)
    width, height = 24 * COLUMN_PX, bottom * ROW_PX + 60
    fig = plt.figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    subtitle = f"{span[0].astimezone(LOCAL):%Y-%m-%d %H:%M} — {span[1].astimezone(LOCAL):%Y-%m-%d %H:%M}"
    fig.suptitle(f"{model['title']}    {subtitle}", x=0.01, ha="left", fontsize=12)
    for result in results:
        pos = result.panel["gridPos"]
        room = AXIS_ROOM.get(result.panel["type"], 0)
        left, top = pos["x"] * COLUMN_PX + 8 + room, 40 + pos["y"] * ROW_PX + 22
        ax = fig.add_axes((left / width, 1 - (top + pos["h"] * ROW_PX - 34) / height,
                           (pos["w"] * COLUMN_PX - 30 - room) / width, (pos["h"] * ROW_PX - 40) / height))
        fig.text((pos["x"] * COLUMN_PX + 8) / width, 1 - (top - 6) / height, result.title, fontsize=9)
        if result.rows or result.panel["type"] in ("stat", "gauge"):
            DRAW[result.panel["type"]](ax, result, span)
        else:  # as Grafana says it
            ax.axis("off")
            ax.text(0.5, 0.5, "无数据", ha="center", va="center", fontsize=10, transform=ax.transAxes)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _latest(client: Any, sql: str) -> datetime:
    latest = client.query(sql).result_rows[0][0]
    if latest is None or latest.year <= 1970:  # ClickHouse's max() of nothing is the epoch
        raise CannotPreview("nothing projected yet to preview: run the projector first, or give --to")
    # the next whole minute: the plugin's time filter ends on a whole second, the latest row may be past it
    return latest.replace(tzinfo=UTC, second=0, microsecond=0) + timedelta(minutes=1)


def render_all(client: Any, out: Path, start: datetime | None = None, end: datetime | None = None,
               chosen: dict[str, str] | None = None, span: timedelta = timedelta(days=7)) -> list[Path]:
    """One PNG per dashboard in `out`; the range ends at the latest fact (the intake dashboard: the latest
    recording) unless given."""
    use_cjk_font()
    out.mkdir(parents=True, exist_ok=True)
    latest = {"business": "SELECT max(occurred_at) FROM movements",
              "recorded": "SELECT max(recorded_at) FROM intake_ledger"}  # the position row is rewritten idle
    written = []
    for board, model in dashboards():
        until = end or _latest(client, latest[board.clock])
        since = start or until - span
        results = run_panels(client, model, context(since, until), chosen)
        written.append(render(model, results, out / f"{model['uid']}.png", (since, until)))
    return written
