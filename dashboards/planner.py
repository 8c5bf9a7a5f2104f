"""规划季节负荷 — the planner's season: daily presence per town against capacity, year over year, weekly inflow,
peak days and top grids. Variable: towns (several, or all)."""
from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard as Board
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.panels import TIER_STEPS, bars_panel, finished, table_panel, timeseries_panel, variable
from dashboards.sql import INFLOW, beds_by, daily_peak

UID = "gridflow-planner"


def towns(column: str = "town_code") -> str:
    """The towns chosen in the variable; every town when it says All."""
    return f"$__conditionalAll({column} IN (${{towns}}), $towns)"


def _district_peak(years_back: int = 0) -> str:
    """Per local day: the chosen towns' summed daily peaks against their beds, `years_back` years earlier (drawn on
    this year's dates)."""
    shift = f" - INTERVAL {years_back} YEAR" if years_back else ""
    return f"""
SELECT toDateTime(p.day + INTERVAL {years_back} YEAR, 'Asia/Shanghai') AS time,
       round(100 * sum(p.peak) / sum(b.beds), 1) AS load
FROM ({daily_peak("town_code", towns(), shift)}) AS p
JOIN {beds_by("town_code")} AS b ON b.town_code = p.town_code
GROUP BY p.day"""


def dashboard() -> Dashboard:
    return finished(
        Board("规划季节负荷").uid(UID).tags(["gridflow", "planner"]).time("now-90d", "now")
        .timezone("Asia/Shanghai")
        .description("供规划人员使用：各镇街每日住宿游客峰值对床位、与去年同期对比、每周新迁入、高峰日和负荷最高的网格。")
        .with_variable(variable("towns", "镇街", "SELECT code, name FROM ref_towns ORDER BY code", multi=True,
                                include_all=True))
        .with_panel(timeseries_panel(
            "每日住宿游客峰值占床位（分镇街）",
            "每个镇街每天在住住宿游客的最高值占该镇街床位的百分比；色带为 80/90/100 % 三级。",
            f"""
SELECT toDateTime(p.day, 'Asia/Shanghai') AS time, t.name AS town, round(100 * p.peak / b.beds, 1) AS `峰值占床位`
FROM ({daily_peak("town_code", towns())}) AS p
JOIN {beds_by("town_code")} AS b ON b.town_code = p.town_code
JOIN ref_towns AS t ON t.code = p.town_code
WHERE b.beds > 0
ORDER BY time, town""", unit="percent", steps=TIER_STEPS, bands=True, series="town", w=24, h=9))
        .with_panel(timeseries_panel(
            "与去年同期对比",
            "所选镇街合计：每日住宿游客峰值占床位的百分比，今年与去年同一日期对比（去年无数据则只有今年一条线）。",
            f"""
SELECT time, period, load AS `峰值占床位`
FROM (SELECT time, '今年' AS period, load FROM ({_district_peak()})
      UNION ALL
      SELECT time, '去年同期' AS period, load FROM ({_district_peak(years_back=1)}))
ORDER BY time, period""", unit="percent", steps=TIER_STEPS, series="period", w=12))
        .with_panel(timeseries_panel("每周新迁入人数", "每周（周一起）新迁入及新承租的人数，按镇街堆叠。", f"""
SELECT toDateTime(toMonday(occurred_at, 'Asia/Shanghai'), 'Asia/Shanghai') AS time, t.name AS town,
       count() AS `新迁入人数`
FROM movements JOIN ref_towns AS t ON t.code = movements.town_code
WHERE {INFLOW} AND $__timeFilter(occurred_at) AND {towns('movements.town_code')}
GROUP BY time, town ORDER BY time, town""", unit="none", bars=True, stacked=True, series="town", w=12))
        .with_panel(table_panel("高峰日", "所选镇街合计住宿游客峰值占床位最高的 10 天。", f"""
SELECT toDate(time) AS `日期`, load AS `峰值占床位 %` FROM ({_district_peak()})
ORDER BY load DESC, time LIMIT 10""", w=8, h=9))
        .with_panel(bars_panel(
            "负荷最高的网格",
            "所选时间范围内住宿游客峰值占床位最高的 15 个网格（床位不足 10 张的网格不计）。",
            f"""
SELECT concat(v.name, ' ', p.grid_code) AS `网格`, round(100 * max(p.peak) / any(g.beds), 1) AS `峰值占床位`
FROM ({daily_peak("grid_code", towns())}) AS p
JOIN ref_grids AS g ON g.code = p.grid_code
JOIN ref_villages AS v ON v.code = g.village_code
WHERE g.beds >= 10
GROUP BY p.grid_code, v.name ORDER BY `峰值占床位` DESC, p.grid_code LIMIT 15""",
                               unit="percent", steps=TIER_STEPS, w=16, h=9))
        .with_panel(timeseries_panel(
            "景区每日入园占日承载量",
            "各景区每天入园人次占最大日承载量的百分比（LB/T 034-2014 三级）。",
            f"""
SELECT toDateTime(toDate(g.occurred_at, 'Asia/Shanghai'), 'Asia/Shanghai') AS time, a.name AS area,
       round(100 * sum(g.entries) / any(a.max_daily), 1) AS `入园占日承载`
FROM scenic_gate_counts AS g JOIN ref_scenic_areas AS a ON a.code = g.area_code
WHERE $__timeFilter(g.occurred_at) AND {towns('g.town_code')}
GROUP BY time, area ORDER BY time, area""", unit="percent", steps=TIER_STEPS, bands=True, series="area", w=24))
    )
