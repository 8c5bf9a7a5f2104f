"""区级总览 — the district at a glance: residents and their change per town, new households, leases, lodged
visitors against beds, scenic areas against their capacities (LB/T 034-2014 tiers), open alerts by loop level
and severity."""
from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard as Board
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.panels import (
    LEVEL_NAME,
    TIER_STEPS,
    bars_panel,
    finished,
    gauge_panel,
    stat_panel,
    table_panel,
    timeseries_panel,
)
from dashboards.sql import INFLOW, beds_by, presence_by_hour

UID = "gridflow-overview"


def dashboard() -> Dashboard:
    return finished(
        Board("区级总览").uid(UID).tags(["gridflow"]).time("now-7d", "now").timezone("Asia/Shanghai")
        .description("全区人口流动与游客负荷一览：各镇街居民及变化、新迁入户、租约、住宿游客对床位、景区承载量、待处置预警。")
        .with_panel(stat_panel("登记居民", "全区当前登记居民人数（投影的当前状态，不随时间范围变化）。", """
SELECT sum(residents) AS `登记居民` FROM grid_population FINAL""", unit="none"))
        .with_panel(stat_panel("新迁入户", "所选时间范围内以“新居”为由迁入的户数（按户号去重）。", """
SELECT uniqExact(household) AS `新迁入户` FROM movements
WHERE kind = 'move_in' AND reason = 'new_home' AND $__timeFilter(occurred_at)""", unit="none"))
        .with_panel(stat_panel("有效租约", "全区当前有效（已开始、未结束）的租约数。", """
SELECT sum(active_leases) AS `有效租约` FROM grid_population FINAL""", unit="none"))
        .with_panel(gauge_panel(
            "住宿游客占床位",
            "全区当前在住的住宿游客占全部旅馆床位的比例；80/90/100 % 为黄/橙/红三级。",
            """
SELECT round(100 * (SELECT sum(visitors_present) FROM grid_population FINAL) / sum(beds), 1) AS `床位占用`
FROM ref_grids""", steps=TIER_STEPS))
        .with_panel(table_panel(
            "各镇街居民与变化",
            "每个镇街：当前登记居民；所选时间范围内的净变化（迁入减迁出）、新迁入人数、新迁入户数；当前有效租约。",
            f"""
SELECT t.name AS `镇街`, p.residents AS `登记居民`, ifNull(m.net, 0) AS `净变化`,
       ifNull(m.newcomers, 0) AS `新迁入人数`,
       ifNull(m.households, 0) AS `新迁入户`, p.leases AS `有效租约`
FROM (SELECT town_code, sum(residents) AS residents, sum(active_leases) AS leases
      FROM grid_population FINAL GROUP BY town_code) AS p
JOIN ref_towns AS t ON t.code = p.town_code
LEFT JOIN (SELECT town_code, sum(population_delta) AS net, countIf({INFLOW}) AS newcomers,
                  uniqExactIf(household, kind = 'move_in' AND reason = 'new_home') AS households
           FROM movements WHERE $__timeFilter(occurred_at) GROUP BY town_code) AS m ON m.town_code = p.town_code
ORDER BY t.code""", w=12, h=9))
        .with_panel(timeseries_panel(
            "各镇街住宿游客占床位",
            "各镇街每小时在住的住宿游客占该镇街床位的百分比；背景色带为 80/90/100 % 三级预警线。",
            f"""
SELECT p.hour AS time, t.name AS town, round(100 * p.present / b.beds, 1) AS `占床位`
FROM ({presence_by_hour("town_code")}) AS p
JOIN {beds_by("town_code")} AS b ON b.town_code = p.town_code
JOIN ref_towns AS t ON t.code = p.town_code
WHERE $__timeFilter(p.hour) AND b.beds > 0
ORDER BY time""", unit="percent", steps=TIER_STEPS, bands=True, series="town", w=12, h=9))
        .with_panel(bars_panel(
            "景区瞬时承载",
            "各景区今日当前在园人数占最大瞬时承载量的百分比（LB/T 034-2014：80 % 黄、90 % 橙、100 % 红）。",
            """
SELECT a.name AS `景区`, round(100 * greatest(ifNull(g.present, 0), 0) / a.max_instantaneous, 1) AS `瞬时负荷`
FROM ref_scenic_areas AS a
LEFT JOIN (SELECT area_code, toInt64(sum(entries)) - toInt64(sum(exits)) AS present FROM scenic_gate_counts
           WHERE occurred_at >= toStartOfDay($__toTime, 'Asia/Shanghai') AND occurred_at <= $__toTime
           GROUP BY area_code) AS g ON g.area_code = a.code
ORDER BY a.code""", unit="percent", steps=TIER_STEPS, maximum=120, w=8, h=8))
        .with_panel(bars_panel("景区日承载", "各景区今日累计入园人次占最大日承载量的百分比（三级预警同上）。", """
SELECT a.name AS `景区`, round(100 * ifNull(g.entered, 0) / a.max_daily, 1) AS `日负荷`
FROM ref_scenic_areas AS a
LEFT JOIN (SELECT area_code, toInt64(sum(entries)) AS entered FROM scenic_gate_counts
           WHERE occurred_at >= toStartOfDay($__toTime, 'Asia/Shanghai') AND occurred_at <= $__toTime
           GROUP BY area_code) AS g ON g.area_code = a.code
ORDER BY a.code""", unit="percent", steps=TIER_STEPS, maximum=120, w=8, h=8))
        .with_panel(table_panel("待处置预警（按层级）",
                                "当前未处置的预警：在哪一级循环（网格、镇街、区）等待处置，其中红、橙、黄各几条。", f"""
SELECT {LEVEL_NAME} AS `层级`, countIf(a.severity = 'red') AS `红色`, countIf(a.severity = 'orange') AS `橙色`,
       countIf(a.severity = 'yellow') AS `黄色`, countIf(a.severity != '') AS `合计`
FROM (SELECT arrayJoin(['grid', 'town', 'district']) AS level) AS levels
LEFT JOIN (SELECT level, severity FROM alerts_current WHERE status = 'open') AS a ON a.level = levels.level
GROUP BY level ORDER BY indexOf(['grid', 'town', 'district'], level)""", w=8, h=8))
    )
