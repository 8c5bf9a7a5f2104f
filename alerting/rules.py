"""Alert rules, defined once: id, description, scope level, severity, acknowledgement SLA, thresholds, and the
condition — a query over the ClickHouse read models. The built-in evaluator runs them; Grafana can run the same
SQL (`Rule.sql`) and post to our webhook. A condition returns findings; each finding's fingerprint names the
rule and the place (and tier), so a rule firing again on an open alert is counted on it, not raised twice."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.geography import Geography
from projections.planner import INFLOW_REASONS

TIERS = ((1.0, "red"), (0.9, "orange"), (0.8, "yellow"))  # LB/T 034-2014 practice
SLA_S = {"red": 15 * 60, "orange": 30 * 60, "yellow": 60 * 60}


@dataclass(frozen=True)
class Finding:
    fingerprint: str
    grid_code: str
    town_code: str
    severity: str
    summary: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Context:
    client: Any
    geography: Geography
    now: datetime  # business time of the evaluation
    capacity_scale: float = 1.0  # capacities × this (simulated data at a scale)


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    level: str  # the administrative level that owns it first: grid (escalates to town, district)
    severity: str  # default; tiered rules choose per finding
    ack_sla_s: int
    sql: str
    thresholds: dict[str, float] = field(default_factory=dict)
    evaluate: Callable[["Rule", Context], list[Finding]] = field(default=lambda rule, ctx: [], repr=False)

    def findings(self, ctx: Context) -> list[Finding]:
        return self.evaluate(self, ctx)

    def sla_for(self, severity: str) -> int:
        """The rule's SLA at its default severity, shorter for a higher tier (red: a quarter of yellow's)."""
        if severity == self.severity or severity not in SLA_S or self.severity not in SLA_S:
            return self.ack_sla_s
        return round(self.ack_sla_s * SLA_S[severity] / SLA_S[self.severity])


def _rows(ctx: Context, sql: str, **params: Any) -> list[tuple]:
    return ctx.client.query(sql, parameters={"now": ctx.now, **params}).result_rows


def _tier(load: float) -> str | None:
    return next((severity for share, severity in TIERS if load >= share), None)


def _grid_town(ctx: Context, grid_code: str) -> str:
    grid = ctx.geography.grids.get(grid_code)
    return grid.town_code if grid else ""


# -- conditions ---------------------------------------------------------------------------------------------
def scenic_load(rule: Rule, ctx: Context) -> list[Finding]:
    daily = rule.id == "scenic_daily_load"
    out = []
    for area_code, present, entries in _rows(ctx, rule.sql):
        area = ctx.geography.scenic_areas.get(area_code)
        if area is None:
            continue
        capacity = (area.max_daily if daily else area.max_instantaneous) * ctx.capacity_scale
        value = entries if daily else present
        severity = _tier(value / capacity) if capacity else None
        if severity:
            what = "entries today" if daily else "visitors inside"
            out.append(Finding(f"{rule.id}:{area_code}:{severity}", area.grid_code, _grid_town(ctx, area.grid_code),
                               severity, f"{area.name} {what} {value} = {value / capacity:.0%} of capacity",
                               {"scenic_area": area_code, "value": int(value), "capacity": round(capacity)}))
    return out


def lodging_load(rule: Rule, ctx: Context) -> list[Finding]:
    beds: dict[str, int] = {}
    for lodging in ctx.geography.lodgings.values():
        beds[lodging.grid_code] = beds.get(lodging.grid_code, 0) + lodging.beds
    out = []
    for grid_code, town_code, present in _rows(ctx, rule.sql):
        capacity = beds.get(grid_code, 0) * ctx.capacity_scale
        severity = _tier(present / capacity) if capacity >= 10 else None  # tiny (scaled) grids: noise
        if severity:
            out.append(Finding(f"{rule.id}:{grid_code}:{severity}", grid_code, town_code, severity,
                               f"{present} lodged visitors = {present / capacity:.0%} of the grid's beds",
                               {"visitors_present": int(present), "beds": round(capacity)}))
    return out


def inflow_surge(rule: Rule, ctx: Context) -> list[Finding]:
    out = []
    for grid_code, town_code, last_week, weekly_baseline in _rows(ctx, rule.sql, reasons=INFLOW_REASONS):
        threshold = max(rule.thresholds["min_new_residents"], rule.thresholds["factor"] * weekly_baseline)
        if last_week >= threshold:
            week = (ctx.now - timedelta(days=7)).date().isoformat()
            out.append(Finding(f"{rule.id}:{grid_code}:{week}", grid_code, town_code, rule.severity,
                               f"{last_week} new residents/tenants in 7 days (baseline {weekly_baseline:.1f}/week)",
                               {"last_7_days": int(last_week), "weekly_baseline": round(weekly_baseline, 1)}))
    return out


def simple(summary: Callable[[tuple], str], evidence: Callable[[tuple], dict],
           fingerprint: Callable[[tuple], str], severity: Callable[[tuple], str] | None = None
           ) -> Callable[[Rule, Context], list[Finding]]:
    """Rows of (grid_code, town_code, *values) → one finding each."""
    def evaluate(rule: Rule, ctx: Context) -> list[Finding]:
        return [Finding(f"{rule.id}:{fingerprint(row)}", row[0], row[1] or _grid_town(ctx, row[0]),
                        severity(row) if severity else rule.severity, summary(row), evidence(row))
                for row in _rows(ctx, rule.sql, **rule.thresholds)]
    return evaluate


LEVEL_SEVERITY = {"grid": "yellow", "town": "orange", "district": "red"}

RULES: tuple[Rule, ...] = (
    Rule("scenic_instant_load", "Visitors inside a scenic area reach 80/90/100 % of its instantaneous capacity",
         "grid", "yellow", SLA_S["yellow"], """
         SELECT area_code, present, entries_today FROM scenic_present_today""", evaluate=scenic_load),
    Rule("scenic_daily_load", "A scenic area's entries today reach 80/90/100 % of its daily capacity",
         "grid", "yellow", SLA_S["yellow"], """
         SELECT area_code, present, entries_today FROM scenic_present_today""", evaluate=scenic_load),
    Rule("grid_lodging_load", "Lodged visitors in a grid reach 80/90/100 % of its beds", "grid", "yellow",
         SLA_S["yellow"], """
         SELECT grid_code, town_code, visitors_present FROM grid_population FINAL WHERE visitors_present > 0""",
         evaluate=lodging_load),
    Rule("inflow_surge", "New residents and new tenants in a grid over 7 days against its own trailing 4-week "
         "baseline", "grid", "orange", 4 * 3600, """
         SELECT grid_code, any(town_code),
                countIf(occurred_at > %(now)s - INTERVAL 7 DAY) AS last_week,
                countIf(occurred_at <= %(now)s - INTERVAL 7 DAY) / 4 AS weekly_baseline
         FROM movements
         WHERE kind = 'move_in' AND reason IN %(reasons)s AND occurred_at > %(now)s - INTERVAL 35 DAY
               AND occurred_at <= %(now)s
         GROUP BY grid_code HAVING last_week > 0""",
         thresholds={"factor": 2.0, "min_new_residents": 5}, evaluate=inflow_surge),
    Rule("over_occupied_dwelling", "More registered occupants than the dwelling's declared capacity", "grid",
         "orange", 24 * 3600, """
         SELECT grid_code, any(town_code), place, argMax(reason, occurred_at) FROM movements
         WHERE kind IN ('dwelling_over_occupied', 'dwelling_within_capacity') AND occurred_at <= %(now)s
         GROUP BY grid_code, place HAVING argMax(kind, occurred_at) = 'dwelling_over_occupied'""",
         evaluate=simple(lambda r: f"dwelling {r[2]}: {r[3]} occupants/capacity",
                         lambda r: {"dwelling": r[2], "occupants_capacity": r[3]}, lambda r: r[2])),
    Rule("group_rental", "Many tenants registered under one lease (group-rental risk)", "grid", "orange",
         24 * 3600, """
         SELECT grid_code, any(town_code), subject, any(place), count() AS tenants FROM movements
         WHERE kind = 'lease_tenant_moved_in' AND occurred_at <= %(now)s
               AND subject NOT IN (SELECT subject FROM movements WHERE kind = 'lease_end')
         GROUP BY grid_code, subject HAVING tenants >= %(min_tenants)s""",
         thresholds={"min_tenants": 5},
         evaluate=simple(lambda r: f"{r[4]} tenants registered under one lease in {r[3]}",
                         lambda r: {"lease": r[2], "dwelling": r[3], "tenants": int(r[4])}, lambda r: r[2])),
    Rule("priority_left_area", "A priority person left their assigned grid, town or district", "grid", "yellow",
         30 * 60, """
         SELECT assigned_grid, '', subject, level, argMax(grid_code, occurred_at), max(occurred_at) FROM (
             SELECT assigned_grid, subject, grid_code, occurred_at, kind,
                    splitByString('assigned_', kind)[2] AS level FROM movements
             WHERE kind LIKE 'priority_left_assigned_%%' OR kind LIKE 'priority_returned_to_assigned_%%')
         WHERE occurred_at <= %(now)s
         GROUP BY assigned_grid, subject, level HAVING argMax(kind, occurred_at) LIKE 'priority_left%%'""",
         evaluate=simple(lambda r: f"priority person left the assigned {r[3]} (seen in {r[4] or 'another region'})",
                         lambda r: {"person": r[2], "level": r[3], "seen_in_grid": r[4], "at": str(r[5])},
                         lambda r: f"{r[2]}:{r[3]}", lambda r: LEVEL_SEVERITY[r[3]])),
    Rule("priority_lodging_check_in", "A priority person checked in at a lodging anywhere", "grid", "orange",
         30 * 60, """
         SELECT assigned_grid, '', subject, grid_code, place, occurred_at FROM movements
         WHERE kind = 'priority_lodging_check_in' AND occurred_at > %(now)s - INTERVAL 1 DAY
               AND occurred_at <= %(now)s""",
         evaluate=simple(lambda r: f"priority person checked in at a lodging in grid {r[3]}",
                         lambda r: {"person": r[2], "grid": r[3], "place": r[4], "at": str(r[5])},
                         lambda r: f"{r[2]}:{r[5].isoformat()}")),
    Rule("priority_no_contact", "No sighting or visit of a priority person for N days (the monthly-visit duty)",
         "grid", "yellow", 24 * 3600, """
         SELECT argMax(assigned_grid, occurred_at), '', subject, max(occurred_at) AS last FROM movements
         WHERE kind IN ('priority_sighting', 'priority_visit') AND occurred_at <= %(now)s
         GROUP BY subject HAVING last < %(now)s - toIntervalDay(%(days)s)""",
         thresholds={"days": 30},
         evaluate=simple(lambda r: f"no sighting or visit since {r[3]:%Y-%m-%d}",
                         lambda r: {"person": r[2], "last_contact": str(r[3])}, lambda r: r[2])),
    Rule("stay_left_open", "Visitor stays open past their declared nights at a lodging", "grid", "yellow",
         4 * 3600, """
         SELECT grid_code, any(town_code), place, toDate(occurred_at, 'Asia/Shanghai') AS day, count() FROM movements
         WHERE kind = 'visitor_left_open' AND occurred_at > %(now)s - INTERVAL 1 DAY AND occurred_at <= %(now)s
         GROUP BY grid_code, place, day""",
         evaluate=simple(lambda r: f"{r[4]} stays left open at lodging {r[2]}",
                         lambda r: {"lodging": r[2], "stays": int(r[4]), "day": str(r[3])},
                         lambda r: f"{r[2]}:{r[3]}")),
)
RULE_BY_ID = {rule.id: rule for rule in RULES}

