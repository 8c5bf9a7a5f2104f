"""`gridflow report season`: the planner's season report as PNG plots and one HTML page that shows them.

Plots: lodged visitors present per town by day against the capacity tiers (80/90/100 % of beds); scenic areas'
daily entries and peak present against their daily and instantaneous capacity (LB/T 034-2014); top grids by peak
load; new-resident inflow by week and town; year over year when last year's data exists. No external assets:
the page works on an intranet."""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from domain.geography import CAPACITY_TIERS, Geography  # noqa: E402
from projections import planner  # noqa: E402

TIER_COLOURS = {CAPACITY_TIERS["yellow"]: "#e6b800", CAPACITY_TIERS["orange"]: "#ff8c00",
                CAPACITY_TIERS["red"]: "#d62728"}


@dataclass
class Plot:
    filename: str
    title: str
    caption: str


def _tiers(ax: Any, capacity: float, label: str) -> None:
    for share, colour in TIER_COLOURS.items():
        ax.axhline(capacity * share, color=colour, linewidth=1, linestyle="--",
                   label=f"{share:.0%} of {label}")


def _grid_of_axes(n: int, width: float = 4.2, height: float = 2.6) -> tuple[Any, list[Any]]:
    cols = min(4, max(1, n))
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    flat = [a for row in axes for a in row]
    for extra in flat[n:]:
        extra.set_visible(False)
    return fig, flat[:n]


def _small_multiple(ax: Any, title: str) -> None:
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.tick_params(axis="x", rotation=45)


def _save(fig: Any, out: Path, filename: str, title: str | None = None) -> None:
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out / filename, dpi=90)
    plt.close(fig)


def plot_visitors_by_town(out: Path, daily: dict[str, list], geo: Geography, capacity_scale: float) -> Plot:
    beds = planner.beds_by_town(geo)
    fig, axes = _grid_of_axes(len(daily))
    for ax, (town, days) in zip(axes, sorted(daily.items()), strict=False):
        ax.plot([d for d, _, _ in days], [p for _, p, _ in days], label="peak", color="#1f77b4")
        ax.plot([d for d, _, _ in days], [a for _, _, a in days], label="average", color="#7fb3d5")
        if beds.get(town):
            _tiers(ax, beds[town] * capacity_scale, "beds")
        _small_multiple(ax, geo.towns[town].name_en if town in geo.towns else town)
    axes[0].legend(fontsize=6)
    _save(fig, out, "visitors_by_town.png", "Lodged visitors present per day, by town, against 80/90/100 % of beds")
    return Plot("visitors_by_town.png", "Visitors present by day per town",
                "Peak and average lodged visitors each day; dashed lines are 80/90/100 % of the town's beds.")


def plot_scenic(out: Path, scenic: dict[str, list], geo: Geography, capacity_scale: float) -> Plot:
    fig, axes = _grid_of_axes(max(1, len(scenic)))
    for ax, (code, days) in zip(axes, sorted(scenic.items()), strict=False):
        area = geo.scenic_areas[code]
        ax.bar([d for d, _, _ in days], [100 * e / (area.max_daily * capacity_scale) for _, e, _ in days],
               color="#9ecae1", label="entries / daily capacity")
        ax.plot([d for d, _, _ in days], [100 * p / (area.max_instantaneous * capacity_scale) for _, _, p in days],
                color="#08519c", marker=".", label="peak present / instantaneous capacity")
        for share, colour in TIER_COLOURS.items():
            ax.axhline(100 * share, color=colour, linewidth=1, linestyle="--")
        ax.set_ylabel("% of capacity", fontsize=7)
        _small_multiple(ax, area.name_en)
    axes[0].legend(fontsize=6)
    _save(fig, out, "scenic_areas.png",
          "Scenic areas: daily entries and peak present against carrying capacity (LB/T 034-2014)")
    return Plot("scenic_areas.png", "Scenic areas against carrying capacity",
                "Bars: the day's gate entries as a share of the daily capacity; line: the day's peak of visitors "
                "inside as a share of the instantaneous capacity; dashed: 80/90/100 %.")


def plot_top_grids(out: Path, top: list[dict[str, Any]], capacity_scale: float) -> Plot:
    fig, ax = plt.subplots(figsize=(9, 0.35 * max(4, len(top)) + 1))
    labels = [row["grid_code"] for row in reversed(top)]
    peaks = [row["peak"] for row in reversed(top)]
    loads = [(row["peak"] / (row["beds"] * capacity_scale)) if row["beds"] else 0 for row in reversed(top)]
    colours = [next((c for s, c in sorted(TIER_COLOURS.items(), reverse=True) if load >= s), "#1f77b4")
               for load in loads]
    ax.barh(labels, peaks, color=colours)
    for y, (peak, load) in enumerate(zip(peaks, loads, strict=False)):
        ax.text(peak, y, f" {load:.0%} of beds", va="center", fontsize=7)
    ax.set_xlabel("peak lodged visitors present")
    ax.set_title("Top grids by peak load")
    _save(fig, out, "top_grids.png")
    return Plot("top_grids.png", "Top grids by peak load",
                "The grids with the most lodged visitors at their peak hour; colour marks the capacity tier reached.")


def plot_inflow(out: Path, inflow: dict[str, list], geo: Geography) -> Plot:
    fig, ax = plt.subplots(figsize=(10, 4))
    weeks = sorted({w for rows in inflow.values() for w, _, _ in rows})
    bottom = [0] * len(weeks)
    for town, rows in sorted(inflow.items()):
        by_week = {w: people for w, people, _ in rows}
        heights = [by_week.get(w, 0) for w in weeks]
        ax.bar([w.isoformat() for w in weeks], heights, bottom=bottom,
               label=geo.towns[town].name_en if town in geo.towns else town)
        bottom = [b + h for b, h in zip(bottom, heights, strict=False)]
    ax.set_ylabel("new residents (move-ins)")
    ax.set_title("New-resident inflow by week and town")
    ax.tick_params(axis="x", rotation=45, labelsize=7)
    if inflow:
        ax.legend(fontsize=6, ncol=2)
    _save(fig, out, "inflow_by_week.png")
    return Plot("inflow_by_week.png", "New-resident inflow by week",
                "Move-ins of new residents (new homes, rentals, work, study) per week, stacked by town.")


def plot_year_over_year(out: Path, this_year: dict[str, list], last_year: dict[str, list]) -> Plot:
    def district(daily: dict[str, list]) -> list[int]:
        days = len(next(iter(daily.values()))) if daily else 0
        return [sum(rows[i][1] for rows in daily.values()) for i in range(days)]

    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot(district(this_year), label="this season", color="#1f77b4")
    ax.plot(district(last_year), label="a year earlier", color="#aaaaaa")
    ax.set_xlabel("day of the period")
    ax.set_ylabel("district peak lodged visitors")
    ax.legend()
    ax.set_title("Year over year")
    _save(fig, out, "year_over_year.png")
    return Plot("year_over_year.png", "Year over year", "District-wide daily peak of lodged visitors, this "
                "season beside the same dates a year earlier.")


def write_report(client: Any, geo: Geography, start: date, end: date, out: Path, *, town: str | None = None,
                 capacity_scale: float = 1.0) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    daily = planner.visitors_present_daily(client, start, end, town)
    scenic = planner.scenic_load_daily(client, start, end, town)
    top = planner.top_grids_by_peak(client, geo, start, end, town)
    inflow = planner.inflow_weekly(client, start, end, town)
    plots = [plot_visitors_by_town(out, daily, geo, capacity_scale), plot_scenic(out, scenic, geo, capacity_scale),
             plot_top_grids(out, top, capacity_scale), plot_inflow(out, inflow, geo)]
    year_ago = (start - timedelta(days=365), end - timedelta(days=365))
    if planner.has_data(client, *year_ago):
        plots.append(plot_year_over_year(out, daily, planner.visitors_present_daily(client, *year_ago, town)))
    page = out / "index.html"
    page.write_text(render_page(plots, geo, start, end, town, capacity_scale, daily, top), "utf-8")
    return page


def render_page(plots: list[Plot], geo: Geography, start: date, end: date, town: str | None,
                capacity_scale: float, daily: dict[str, list], top: list[dict[str, Any]]) -> str:
    where = f"{geo.towns[town].name} ({geo.towns[town].name_en})" if town else f"{geo.district_name} (all towns)"
    beds = planner.beds_by_town(geo)
    town_rows = "".join(
        f"<tr><td>{html.escape(geo.towns[t].name)}</td><td>{max(p for _, p, _ in days)}</td>"
        f"<td>{round(beds.get(t, 0) * capacity_scale)}</td>"
        f"<td>{(max(p for _, p, _ in days) / (beds[t] * capacity_scale)):.0%}</td></tr>"
        for t, days in sorted(daily.items()) if t in geo.towns and beds.get(t))
    figures = "".join(
        f'<figure><img src="{p.filename}" alt="{html.escape(p.title)}"><figcaption><b>{html.escape(p.title)}.'
        f"</b> {html.escape(p.caption)}</figcaption></figure>" for p in plots)
    note = "" if capacity_scale == 1 else \
        f"<p class=note>Capacities are multiplied by {capacity_scale} to compare with simulated data at that scale.</p>"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>季节客流报告 Season report {start} – {end}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:1em auto;padding:0 1em}}
figure{{margin:1.5em 0}}img{{max-width:100%;border:1px solid #ddd}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}td:first-child{{text-align:left}}
.note{{color:#666}}</style>
</head><body>
<h1>季节客流与承载力报告 · Season load report</h1>
<p>{html.escape(where)} · {start} – {end} · {len(top)} hottest grids shown</p>{note}
<h2>Peak lodged visitors per town</h2>
<table><tr><th>town</th><th>peak present</th><th>beds</th><th>peak / beds</th></tr>{town_rows}</table>
{figures}
</body></html>
"""
