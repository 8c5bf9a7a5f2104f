"""治理闭环 — the work loop against the district's targets (2020 targets of the source study, as thresholds):
basic information collected, priority persons seen or visited within 30 days, alerts handled, acknowledged within
the SLA, and escalations by loop level (grid → town → district)."""
from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard as Board
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.panels import LEVEL_NAME, bars_panel, finished, gauge_panel, table_panel, target_steps, timeseries_panel

UID = "gridflow-governance"
# 基础信息采集率 100 %, 重点人员动态掌控率 100 %, 事件运转处置率 100 %; the study's one target below 100 %
# (矛盾纠纷化解率 ≥ 95 %) is the working target for acknowledging alerts within their SLA.
TARGETS = {"basic_information": 100, "priority_contact": 100, "handled": 100, "ack_within_sla": 95}
RAISED_IN_RANGE = "FROM alerts_current WHERE $__timeFilter(raised_at)"


def _share(part: str, whole: str) -> str:
    return f"if(({whole}) = 0, NULL, round(100 * ({part}) / ({whole}), 1))"


def dashboard() -> Dashboard:
    return finished(
        Board("治理闭环").uid(UID).tags(["gridflow", "governance"]).time("now-30d", "now").timezone("Asia/Shanghai")
        .description("对照区里的工作目标（门槛线）：基础信息采集率、重点人员动态掌控率、预警处置率、时限内确认率，以及微循环→小循环→大循环的逐级上报。")
        .with_panel(gauge_panel(
            "基础信息采集率",
            f"登记居民占参考底数（网格常住人口基线）的百分比；目标 {TARGETS['basic_information']} %。",
            f"""
SELECT {_share("(SELECT sum(residents) FROM grid_population FINAL)", "sum(resident_baseline)")} AS `采集率`
FROM ref_grids WHERE in_force = 1""", steps=target_steps(TARGETS["basic_information"])))
        .with_panel(gauge_panel(
            "重点人员动态掌控率",
            "近 30 天内被见到或走访过的重点人员占全部重点人员的百分比（每月至少走访一次）；"
            f"目标 {TARGETS['priority_contact']} %。",
            f"""
SELECT {_share("uniqExactIf(subject, kind IN ('priority_sighting', 'priority_visit') "
               "AND occurred_at > $__toTime - INTERVAL 30 DAY)", "uniqExact(subject)")} AS `掌控率`
FROM movements WHERE startsWith(kind, 'priority_') AND occurred_at <= $__toTime""",
                                steps=target_steps(TARGETS["priority_contact"])))
        .with_panel(gauge_panel(
            "预警处置率",
            f"所选时间范围内产生的预警中已处置（办结）的百分比；目标 {TARGETS['handled']} %。",
            f"""
SELECT {_share("countIf(status = 'resolved')", "count()")} AS `处置率` {RAISED_IN_RANGE}""",
                                steps=target_steps(TARGETS["handled"])))
        .with_panel(gauge_panel(
            "时限内确认率",
            "已确认的预警中在确认时限（按级别 15/30/60 分钟起）内确认的百分比；"
            f"工作目标 {TARGETS['ack_within_sla']} %。",
            f"""
SELECT {_share("countIf(ack_within_sla = 1)", "countIf(acknowledged_by != '')")} AS `时限内确认率` {RAISED_IN_RANGE}""",
                                steps=target_steps(TARGETS["ack_within_sla"])))
        .with_panel(bars_panel(
            "逐级上报",
            "所选时间范围内产生的预警目前所在的层级：网格内解决（微循环）、上报镇街（小循环）、上报区（大循环）。",
            f"""
SELECT {LEVEL_NAME} AS `层级`, count() AS `预警` {RAISED_IN_RANGE}
GROUP BY level ORDER BY indexOf(['grid', 'town', 'district'], level)""", unit="none", w=8))
        .with_panel(timeseries_panel(
            "每日预警的产生、确认、处置与上报",
            "每天产生、确认、处置（办结）和逐级上报的预警数。",
            """
SELECT toDateTime(toDate(at, 'Asia/Shanghai'), 'Asia/Shanghai') AS time, countIf(kind = 'raised') AS `产生`,
       countIf(kind = 'acknowledged') AS `确认`, countIf(kind = 'resolved') AS `处置`,
       countIf(kind = 'escalated') AS `上报`
FROM alert_events WHERE $__timeFilter(at)
GROUP BY time ORDER BY time""", unit="none", bars=True, w=16))
        .with_panel(table_panel(
            "各镇街闭环情况",
            "每个镇街所选时间范围内产生的预警：数量、处置率、时限内确认率、上报镇街和上报区的数量。",
            f"""
SELECT t.name AS `镇街`, count() AS `预警`, {_share("countIf(a.status = 'resolved')", "count()")} AS `处置率 %`,
       {_share("countIf(a.ack_within_sla = 1)", "countIf(a.acknowledged_by != '')")} AS `时限内确认率 %`,
       countIf(a.escalations >= 1) AS `上报镇街`, countIf(a.escalations >= 2) AS `上报区`
FROM alerts_current AS a JOIN ref_towns AS t ON t.code = a.town_code
WHERE $__timeFilter(a.raised_at)
GROUP BY t.code, t.name ORDER BY t.code""", w=24, h=9))
    )
