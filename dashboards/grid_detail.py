"""网格详情 — one grid (variables town → grid): residents, leases, over-occupied dwellings, lodged visitors, the
inflow against the grid's own baseline, and its alerts with their acknowledgement state."""
from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard as Board
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.panels import (
    LEVEL_NAME,
    RULE_TITLE,
    SEVERITY_NAME,
    TIER_STEPS,
    finished,
    gauge_panel,
    stat_panel,
    table_panel,
    timeseries_panel,
    variable,
)
from dashboards.sql import INFLOW, presence_by_hour

UID = "gridflow-grid"
GRID = "'${grid}'"
STATE = f"FROM grid_population FINAL WHERE grid_code = {GRID}"


def dashboard() -> Dashboard:
    return finished(
        Board("网格详情").uid(UID).tags(["gridflow"]).time("now-30d", "now").timezone("Asia/Shanghai")
        .description("选择镇街和网格：该网格的居民、租约、超员房屋、住宿游客、人口流入对比本网格基线，以及本网格预警和确认情况。")
        .with_variable(variable("town", "镇街", "SELECT code, name FROM ref_towns ORDER BY code"))
        .with_variable(variable("grid", "网格", """
SELECT g.code, concat(v.name, ' ', g.code) FROM ref_grids AS g JOIN ref_villages AS v ON v.code = g.village_code
WHERE g.town_code = '${town}' AND g.in_force = 1 ORDER BY g.code"""))
        .with_panel(stat_panel(
            "登记居民",
            "本网格当前登记居民人数。",
            f"SELECT ifNull(sum(residents), 0) AS `登记居民` {STATE}",
                               unit="none"))
        .with_panel(stat_panel(
            "有效租约",
            "本网格当前有效的租约数。",
            f"SELECT ifNull(sum(active_leases), 0) AS `有效租约` {STATE}",
                               unit="none"))
        .with_panel(stat_panel("超员房屋", "登记居住人数超过申报可住人数的房屋数（供网格员核实，不是拒收）。",
                               f"SELECT ifNull(sum(over_occupied_dwellings), 0) AS `超员房屋` {STATE}", unit="none",
                               steps=((None, "green"), (1, "orange"))))
        .with_panel(gauge_panel(
            "住宿游客占床位",
            "本网格当前在住的住宿游客占本网格旅馆床位的百分比；无旅馆的网格不显示。",
            f"""
SELECT round(100 * ifNull((SELECT sum(visitors_present) {STATE}), 0) / beds, 1) AS `床位占用`
FROM ref_grids WHERE code = {GRID} AND beds > 0""", steps=TIER_STEPS))
        .with_panel(timeseries_panel(
            "人口流入与本网格基线",
            "每日新迁入及新承租人数（柱），与此前 28 天的日均（线，本网格自己的基线）对比。",
            f"""
SELECT time, inflow AS `新迁入及新承租`, baseline AS `前4周日均`
FROM (SELECT toDateTime(day, 'Asia/Shanghai') AS time, day, inflow,
             round(avg(inflow) OVER (ORDER BY day ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING), 2) AS baseline
      FROM (SELECT toDate(occurred_at, 'Asia/Shanghai') AS day, count() AS inflow FROM movements
            WHERE grid_code = {GRID} AND {INFLOW}
                  AND occurred_at >= $__fromTime - INTERVAL 28 DAY AND occurred_at <= $__toTime
            GROUP BY day
            ORDER BY day WITH FILL FROM toDate($__fromTime - INTERVAL 28 DAY, 'Asia/Shanghai')
                                   TO toDate($__toTime, 'Asia/Shanghai') + 1))
WHERE day >= toDate($__fromTime, 'Asia/Shanghai')
ORDER BY time""", unit="none", w=12))
        .with_panel(timeseries_panel(
            "住宿游客占床位（逐时）",
            "本网格每小时在住的住宿游客占床位的百分比，色带为 80/90/100 % 三级预警线。",
            f"""
SELECT p.hour AS time, round(100 * p.present / g.beds, 1) AS `占床位`
FROM ({presence_by_hour("grid_code", f"grid_code = {GRID}")}) AS p
JOIN ref_grids AS g ON g.code = p.grid_code
WHERE $__timeFilter(p.hour) AND g.beds > 0
ORDER BY time""", unit="percent", steps=TIER_STEPS, bands=True, w=12))
        .with_panel(table_panel(
            "本网格预警及确认",
            "本网格所选时间范围内产生的预警：规则、级别、状态、当前所在层级（网格→镇街→区）、确认人、是否在时限内确认"
            "。",
            f"""
SELECT raised_at AS `发生时间`, {RULE_TITLE} AS `规则`, {SEVERITY_NAME} AS `级别`,
       transform(status, ['open', 'acknowledged', 'resolved'], ['待确认', '已确认', '已处置'], status) AS `状态`,
       {LEVEL_NAME} AS `层级`, acknowledged_by AS `确认人`,
       if(acknowledged_by = '', '', if(ack_within_sla = 1, '是', '否')) AS `时限内确认`, summary AS `内容`
FROM alerts_current WHERE grid_code = {GRID} AND $__timeFilter(raised_at)
ORDER BY raised_at DESC LIMIT 200""", w=16, h=9))
        .with_panel(table_panel("超员房屋", "本网格当前超员的房屋：登记人数/申报可住人数，及超员起始时间。", f"""
SELECT place AS `房屋`, argMax(reason, occurred_at) AS `登记/可住`, max(occurred_at) AS `起始`
FROM movements
WHERE grid_code = {GRID} AND kind IN ('dwelling_over_occupied', 'dwelling_within_capacity')
GROUP BY place HAVING argMax(kind, occurred_at) = 'dwelling_over_occupied'
ORDER BY place""", w=8, h=9))
    )
