"""重点人员 — counts and movements of priority persons by pseudonym and category. ClickHouse holds keyed HMAC
pseudonyms (movements.subject), never names or ID numbers; this dashboard lives in a folder that only the liaison
team may open (dashboards/catalogue.py)."""
from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard as Board
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.panels import bars_panel, finished, stat_panel, table_panel, timeseries_panel, variable

UID = "gridflow-priority"
CATEGORY_NAMES = {"community_correction": "社区矫正", "released_after_sentence": "刑满释放",
                  "mental_illness_risk": "严重精神障碍（有风险）", "drug_rehabilitation": "戒毒康复"}


def category_name(column: str = "category") -> str:
    return "transform({0}, [{1}], [{2}], {0})".format(column, ", ".join(f"'{k}'" for k in CATEGORY_NAMES),
                                                      ", ".join(f"'{v}'" for v in CATEGORY_NAMES.values()))


def movement_name(column: str = "kind") -> str:
    return (f"transform({column}, ['priority_sighting', 'priority_lodging_check_in', 'priority_transport', "
            f"'priority_visit'], ['见到', '入住旅馆', '乘坐交通', '走访'], {column})")


# Each person's category (stated on their movement facts) and assigned grid; only the chosen categories.
PERSONS = """(SELECT subject, anyIf(category, category != '') AS category,
         argMax(assigned_grid, occurred_at) AS assigned
  FROM movements WHERE startsWith(kind, 'priority_') AND occurred_at <= $__toTime GROUP BY subject
  HAVING $__conditionalAll(category IN (${category}), $category))"""


def dashboard() -> Dashboard:
    return finished(
        Board("重点人员").uid(UID).tags(["gridflow", "priority"]).time("now-30d", "now").timezone("Asia/Shanghai")
        .description("重点人员的数量与动态，只显示化名（密钥 HMAC 假名）和类别，不含姓名和身份证号。仅联络专班可见。")
        .with_variable(variable("category", "类别", f"""
SELECT category, {category_name()} FROM movements
WHERE startsWith(kind, 'priority_') AND category != '' GROUP BY category ORDER BY category""",
                                multi=True, include_all=True))
        .with_panel(stat_panel("重点人员", "所选类别的重点人员人数（按化名去重）。", f"""
SELECT count() AS `重点人员` FROM {PERSONS}""", unit="none"))
        .with_panel(bars_panel("各类别人数", "所选类别中每一类的人数。", f"""
SELECT {category_name()} AS `类别`, count() AS `人数` FROM {PERSONS} GROUP BY category ORDER BY category""",
                               unit="none", w=9, h=4))
        .with_panel(stat_panel(
            "逾 30 天未见面或走访",
            "最近一次见到或走访已超过 30 天的人数（每月至少走访一次）。",
            f"""
SELECT count() AS `逾期` FROM (
  SELECT subject, max(occurred_at) AS last FROM movements
  WHERE kind IN ('priority_sighting', 'priority_visit') AND occurred_at <= $__toTime
        AND subject IN (SELECT subject FROM {PERSONS})
  GROUP BY subject HAVING last < $__toTime - INTERVAL 30 DAY)""", unit="none",
                               steps=((None, "green"), (1, "orange")), w=9))
        .with_panel(timeseries_panel("每日动态", "每天记录到的重点人员动态次数：见到、入住旅馆、乘坐交通、走访。", f"""
SELECT toDateTime(toDate(occurred_at, 'Asia/Shanghai'), 'Asia/Shanghai') AS time, {movement_name()} AS movement,
       count() AS `次数`
FROM movements
WHERE kind IN ('priority_sighting', 'priority_lodging_check_in', 'priority_transport', 'priority_visit')
      AND $__timeFilter(occurred_at) AND subject IN (SELECT subject FROM {PERSONS})
GROUP BY time, movement ORDER BY time, movement""", unit="none", bars=True, stacked=True, series="movement", w=24))
        .with_panel(table_panel(
            "目前离开责任区域",
            "最近一次记录为“离开”的人员：化名、类别、责任网格、离开的层级与时间。",
            f"""
SELECT l.subject AS `化名`, {category_name("p.category")} AS `类别`,
       l.assigned_grid AS `责任网格`,
       transform(l.level, ['grid', 'town', 'district'], ['网格', '镇街', '区'], l.level) AS `离开`,
       l.left_time AS `时间`
FROM (SELECT subject, assigned_grid, splitByString('assigned_', kind)[2] AS level,
             argMax(kind, occurred_at) AS last_kind, max(occurred_at) AS left_time
      FROM movements
      WHERE (startsWith(kind, 'priority_left_assigned_') OR startsWith(kind, 'priority_returned_to_assigned_'))
            AND occurred_at <= $__toTime
      GROUP BY subject, assigned_grid, level) AS l
JOIN {PERSONS} AS p ON p.subject = l.subject
WHERE startsWith(l.last_kind, 'priority_left')
ORDER BY l.left_time DESC""", w=12, h=9))
        .with_panel(table_panel("最近动态", "所选时间范围内的动态明细（最多 200 条），只有化名。", f"""
SELECT m.occurred_at AS `时间`, m.subject AS `化名`, {category_name("p.category")} AS `类别`,
       {movement_name("m.kind")} AS `动态`, m.grid_code AS `所在网格`, m.assigned_grid AS `责任网格`
FROM movements AS m JOIN {PERSONS} AS p ON p.subject = m.subject
WHERE m.kind IN ('priority_sighting', 'priority_lodging_check_in', 'priority_transport', 'priority_visit')
      AND $__timeFilter(m.occurred_at)
ORDER BY m.occurred_at DESC LIMIT 200""", w=12, h=9))
    )
