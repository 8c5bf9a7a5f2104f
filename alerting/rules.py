"""Alert rules, defined once: id, titles, scope level, severity, acknowledgement SLA, thresholds, and the condition
as ONE SQL text over the ClickHouse read models. The built-in evaluator runs that text with the ClickHouse plugin's
macros expanded as the plugin expands them (`alerting.macros`: `$__toTime` is the evaluation time, `$__timeFilter`
the rule's window back from it); Grafana alerting runs the very same text (dashboards/alert_rules.py provisions it).

Every rule's query returns one row per finding: the strings `grid_code`, `town_code`, `severity`, `finding_key`
(and a few more stable strings for the summary), then one number, `value`, greater than zero. Tiers are decided in
the SQL, against capacities held in ClickHouse (projections/reference_tables.py). In Grafana the strings become the
alert's labels; the webhook rebuilds the fingerprint `<rule_id>:<finding_key>` from them, so a Grafana alert and a
built-in finding are the same `Alert`, raised once and repeated."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerting.macros import QueryContext, expand
from domain.geography import CAPACITY_TIERS as TIERS  # noqa: E402 - LB/T 034-2014 practice: share of capacity
from projections.planner import INFLOW_REASONS

SLA_S = {"red": 15 * 60, "orange": 30 * 60, "yellow": 60 * 60}
LABELS = ("grid_code", "town_code", "severity", "finding_key")  # every rule's first four columns


@dataclass(frozen=True)
class Finding:
    fingerprint: str
    grid_code: str
    town_code: str
    severity: str
    summary: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str  # Chinese: the Grafana rule's title and the dashboards' name for it
    description: str
    level: str  # the administrative level that owns it first: grid (escalates to town, district)
    severity: str  # default; tiered rules choose per finding
    ack_sla_s: int
    sql: str  # one text for both evaluators; plugin macros only
    summary: str  # "{label}" and "{value}" placeholders (a Go template in Grafana)
    window_s: int = 600  # how far back $__fromTime / $__timeFilter reach (Grafana: relativeTimeRange.from)
    thresholds: dict[str, float] = field(default_factory=dict)
    depends_on: str = ""  # what else the rule needs from gridflow besides the read models (empty: nothing)

    def query(self, now: datetime) -> str:
        """The SQL as the plugin hands it to ClickHouse at evaluation time `now`."""
        return expand(self.sql, QueryContext.window(now, self.window_s))

    def findings(self, client: Any, now: datetime) -> list[Finding]:
        result = client.query(self.query(now))
        return [self.finding(dict(zip(result.column_names, row, strict=True))) for row in result.result_rows]

    def finding(self, row: dict[str, Any]) -> Finding:
        value = row.pop("value")
        value = int(value) if float(value).is_integer() else round(float(value), 3)
        labels = {k: str(v) for k, v in row.items()}
        details = {k: v for k, v in labels.items() if k not in LABELS}
        summary = self.summary.format_map({**labels, "value": f"{value:.0f}"})
        return Finding(self.fingerprint(labels["finding_key"]), labels["grid_code"], labels["town_code"],
                       labels["severity"] or self.severity, summary, {**details, "value": value})

    def fingerprint(self, finding_key: str) -> str:
        return f"{self.id}:{finding_key}"

    def sla_for(self, severity: str) -> int:
        """The rule's SLA at its default severity, shorter for a higher tier (red: a quarter of yellow's)."""
        if severity == self.severity or severity not in SLA_S or self.severity not in SLA_S:
            return self.ack_sla_s
        return round(self.ack_sla_s * SLA_S[severity] / SLA_S[self.severity])


def tier(load: str) -> str:
    """The severity of a load (a share of capacity) in SQL: '' below the lowest tier."""
    steps = ", ".join(f"{load} >= {share}, '{severity}'" for severity, share in
                      sorted(TIERS.items(), key=lambda item: -item[1]))
    return f"multiIf({steps}, '')"


def _scenic(measure: str, capacity: str) -> str:
    return f"""
SELECT a.grid_code AS grid_code, a.town_code AS town_code, {tier(f"g.{measure} / a.{capacity}")} AS severity,
       concat(a.code, ':', severity) AS finding_key, a.name AS scenic_area,
       toString(round(a.{capacity})) AS capacity, g.{measure} AS value
FROM (SELECT area_code, toInt64(sum(entries)) - toInt64(sum(exits)) AS present, toInt64(sum(entries)) AS entered
      FROM scenic_gate_counts
      WHERE occurred_at >= toStartOfDay($__toTime, 'Asia/Shanghai') AND occurred_at <= $__toTime
      GROUP BY area_code) AS g
JOIN ref_scenic_areas AS a ON a.code = g.area_code
WHERE a.{capacity} > 0 AND severity != ''"""


_INFLOW = ", ".join(f"'{reason}'" for reason in INFLOW_REASONS)
_SURGE = {"factor": 2.0, "min_new_residents": 5}
_GROUP = {"min_tenants": 5}
_NO_CONTACT = {"days": 30}

RULES: tuple[Rule, ...] = (
    Rule("scenic_instant_load", "景区瞬时承载量预警",
         "Visitors inside a scenic area reach 80/90/100 % of its instantaneous capacity", "grid", "yellow",
         SLA_S["yellow"], _scenic("present", "max_instantaneous"),
         "{scenic_area}景区内游客 {value} 人，瞬时最大承载量 {capacity} 人", thresholds=TIERS),
    Rule("scenic_daily_load", "景区日承载量预警",
         "A scenic area's entries today reach 80/90/100 % of its daily capacity", "grid", "yellow",
         SLA_S["yellow"], _scenic("entered", "max_daily"),
         "{scenic_area}今日入园 {value} 人次，日最大承载量 {capacity} 人次", thresholds=TIERS),
    Rule("grid_lodging_load", "网格住宿游客负荷预警", "Lodged visitors in a grid reach 80/90/100 % of its beds",
         "grid", "yellow", SLA_S["yellow"], f"""
SELECT p.grid_code AS grid_code, p.town_code AS town_code, {tier("p.visitors_present / g.beds")} AS severity,
       concat(p.grid_code, ':', severity) AS finding_key, toString(round(g.beds)) AS beds,
       p.visitors_present AS value
FROM grid_population AS p FINAL
JOIN ref_grids AS g ON g.code = p.grid_code
WHERE p.visitors_present > 0 AND g.beds >= 10 AND severity != ''""",  # tiny (scaled) grids: noise
         "网格内住宿游客 {value} 人，床位 {beds} 张", thresholds=TIERS),
    Rule("inflow_surge", "网格人口流入激增",
         "New residents and new tenants in a grid over 7 days against its own trailing 4-week baseline", "grid",
         "orange", 4 * 3600, f"""
SELECT grid_code, any(town_code) AS town_code, 'orange' AS severity,
       concat(grid_code, ':', toString(toDate($__toTime - INTERVAL 7 DAY, 'Asia/Shanghai'))) AS finding_key,
       countIf(occurred_at > $__toTime - INTERVAL 7 DAY) AS value
FROM movements
WHERE kind = 'move_in' AND reason IN ({_INFLOW}) AND occurred_at > $__toTime - INTERVAL 35 DAY
      AND occurred_at <= $__toTime
GROUP BY grid_code
HAVING value >= greatest({_SURGE['min_new_residents']},
                         {_SURGE['factor']} * countIf(occurred_at <= $__toTime - INTERVAL 7 DAY) / 4)""",
         "7 天内新迁入及新承租 {value} 人，超过本网格前 4 周周均的 2 倍", thresholds=_SURGE),
    Rule("over_occupied_dwelling", "房屋超员居住",
         "More registered occupants than the dwelling's declared capacity", "grid", "orange", 24 * 3600, """
SELECT grid_code, any(town_code) AS town_code, 'orange' AS severity, place AS finding_key, place AS dwelling,
       splitByChar('/', argMax(reason, occurred_at))[2] AS capacity,
       toUInt32OrZero(splitByChar('/', argMax(reason, occurred_at))[1]) AS value
FROM movements
WHERE kind IN ('dwelling_over_occupied', 'dwelling_within_capacity') AND occurred_at <= $__toTime
GROUP BY grid_code, place
HAVING argMax(kind, occurred_at) = 'dwelling_over_occupied'""",
         "房屋 {dwelling} 登记居住 {value} 人，超过申报可住 {capacity} 人"),
    Rule("group_rental", "疑似群租", "Many tenants registered under one lease (group-rental risk)", "grid",
         "orange", 24 * 3600, f"""
SELECT grid_code, any(town_code) AS town_code, 'orange' AS severity, subject AS finding_key,
       any(place) AS dwelling, count() AS value
FROM movements
WHERE kind = 'lease_tenant_moved_in' AND occurred_at <= $__toTime
      AND subject NOT IN (SELECT subject FROM movements WHERE kind = 'lease_end' AND occurred_at <= $__toTime)
GROUP BY grid_code, subject
HAVING value >= {_GROUP['min_tenants']}""",
         "房屋 {dwelling} 一份租约下登记 {value} 名承租人", thresholds=_GROUP),
    Rule("priority_left_area", "重点人员离开责任区域", "A priority person left their assigned grid, town or district",
         "grid", "yellow", 30 * 60, """
SELECT l.assigned_grid AS grid_code, g.town_code AS town_code,
       multiIf(l.level = 'grid', 'yellow', l.level = 'town', 'orange', 'red') AS severity,
       concat(l.subject, ':', l.level) AS finding_key, l.level AS level,
       multiIf(l.level = 'grid', '网格', l.level = 'town', '镇街', '区') AS level_name,
       formatDateTime(l.left_time, '%Y-%m-%d %H:%i', 'Asia/Shanghai') AS left_at, 1 AS value
FROM (SELECT assigned_grid, subject, splitByString('assigned_', kind)[2] AS level,
             argMax(kind, occurred_at) AS last_kind, max(occurred_at) AS left_time
      FROM movements
      WHERE (startsWith(kind, 'priority_left_assigned_') OR startsWith(kind, 'priority_returned_to_assigned_'))
            AND occurred_at <= $__toTime
      GROUP BY assigned_grid, subject, level) AS l
LEFT JOIN ref_grids AS g ON g.code = l.assigned_grid
WHERE startsWith(l.last_kind, 'priority_left')""",
         "重点人员于 {left_at} 离开责任{level_name}"),
    Rule("priority_lodging_check_in", "重点人员入住旅馆", "A priority person checked in at a lodging anywhere",
         "grid", "orange", 30 * 60, """
SELECT m.assigned_grid AS grid_code, g.town_code AS town_code, 'orange' AS severity,
       concat(m.subject, ':', toString(toUnixTimestamp64Milli(m.occurred_at))) AS finding_key,
       m.place AS lodging, m.grid_code AS lodging_grid,
       formatDateTime(m.occurred_at, '%Y-%m-%d %H:%i', 'Asia/Shanghai') AS checked_in_at, 1 AS value
FROM movements AS m
LEFT JOIN ref_grids AS g ON g.code = m.assigned_grid
WHERE m.kind = 'priority_lodging_check_in' AND $__timeFilter(m.occurred_at)""",
         "重点人员于 {checked_in_at} 入住网格 {lodging_grid} 的旅馆 {lodging}", window_s=24 * 3600),
    Rule("priority_no_contact", "重点人员逾期未见面走访",
         "No sighting or visit of a priority person for N days (the monthly-visit duty)", "grid", "yellow",
         24 * 3600, f"""
SELECT c.grid_code AS grid_code, g.town_code AS town_code, 'yellow' AS severity, c.subject AS finding_key,
       formatDateTime(c.last_contact, '%Y-%m-%d', 'Asia/Shanghai') AS last_contact_day,
       dateDiff('day', c.last_contact, $__toTime) AS value
FROM (SELECT subject, argMax(assigned_grid, occurred_at) AS grid_code, max(occurred_at) AS last_contact
      FROM movements
      WHERE kind IN ('priority_sighting', 'priority_visit') AND occurred_at <= $__toTime
      GROUP BY subject
      HAVING last_contact < $__toTime - INTERVAL {_NO_CONTACT['days']} DAY) AS c
LEFT JOIN ref_grids AS g ON g.code = c.grid_code""",
         "重点人员自 {last_contact_day} 起 {value} 天未见面或走访", thresholds=_NO_CONTACT),
    Rule("stay_left_open", "旅客逾期未退房", "Visitor stays open past their declared nights at a lodging", "grid",
         "yellow", 4 * 3600, """
SELECT grid_code, any(town_code) AS town_code, 'yellow' AS severity,
       toString(toDate(occurred_at, 'Asia/Shanghai')) AS day, concat(place, ':', day) AS finding_key,
       place AS lodging, count() AS value
FROM movements
WHERE kind = 'visitor_left_open' AND $__timeFilter(occurred_at)
GROUP BY grid_code, place, day""",
         "旅馆 {lodging} 有 {value} 起住宿逾期未退房", window_s=24 * 3600,
         depends_on="gridflow's clock: the evaluator of `gridflow serve` records stays left open (visitor_left_open) "
                    "each round; with Grafana alone nobody records them"),
)
RULE_BY_ID = {rule.id: rule for rule in RULES}
