"""Panel and variable builders shared by every dashboard: each panel is a title, a description that explains the
figure, one ClickHouse SQL text and how to draw it. Thresholds are the catalogue's (alerting.rules.TIERS) or the
governance targets, never numbers typed twice."""
from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import bargauge, gauge, stat, table, timeseries
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ReduceDataOptions,
    StackingConfig,
    VizLegendOptions,
)
from grafana_foundation_sdk.builders.dashboard import Dashboard as DashboardBuilder
from grafana_foundation_sdk.builders.dashboard import QueryVariable, ThresholdsConfig
from grafana_foundation_sdk.models.common import (
    BarGaugeDisplayMode,
    GraphDrawStyle,
    GraphThresholdsStyleMode,
    LegendDisplayMode,
    LegendPlacement,
    StackingMode,
    VizOrientation,
)
from grafana_foundation_sdk.models.dashboard import (
    Dashboard,
    Threshold,
    ThresholdsMode,
    VariableHide,
    VariableRefresh,
    VariableSort,
)

from alerting.rules import RULES, TIERS
from dashboards.clickhouse_query import DATASOURCE, TABLE, TIME_SERIES, ClickHouseQueryBuilder

Steps = Sequence[tuple[float | None, str]]
COLORS = {"yellow": "yellow", "orange": "orange", "red": "red"}
TIER_STEPS: Steps = ((None, "green"), *((100 * share, COLORS[s]) for s, share in sorted(TIERS.items(),
                                                                                           key=lambda i: i[1])))
RULE_TITLE = ("transform(rule_id, [{}], [{}], rule_id)".format(
    ", ".join(f"'{r.id}'" for r in RULES), ", ".join(f"'{r.title}'" for r in RULES)))
SEVERITY_NAME = "transform(severity, ['red', 'orange', 'yellow'], ['红色', '橙色', '黄色'], severity)"
LEVEL_NAME = ("transform(level, ['grid', 'town', 'district'], "
              "['网格（微循环）', '镇街（小循环）', '区（大循环）'], level)")


def target_steps(target: float) -> Steps:
    """A governance target: red below it, green from it."""
    return (None, "red"), (target, "green")


def _thresholds(steps: Steps) -> ThresholdsConfig:
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
        [Threshold(value=value, color=color) for value, color in steps])


def _common(panel, title: str, description: str, sql: str, fmt: int, w: int, h: int, unit: str | None,
            steps: Steps | None):
    panel = (panel.title(title).description(description).datasource(DATASOURCE)
             .with_target(ClickHouseQueryBuilder(sql.strip(), fmt).ref_id("A")).span(w).height(h))
    if unit:
        panel = panel.unit(unit)
    if steps:
        panel = panel.thresholds(_thresholds(steps))
    return panel


def timeseries_panel(title: str, description: str, sql: str, *, unit: str | None = None,
                     steps: Steps | None = None, bands: bool = False, bars: bool = False, stacked: bool = False,
                     series: str | None = None, w: int = 12, h: int = 8) -> timeseries.Panel:
    """Columns: the time first, then numbers; a string column (`series`) splits them into one line each."""
    panel = _common(timeseries.Panel(), title, description, sql, TIME_SERIES, w, h, unit, steps)
    panel = panel.legend(VizLegendOptions().show_legend(True).display_mode(LegendDisplayMode.LIST)
                         .placement(LegendPlacement.BOTTOM).calcs([]))
    if bands:  # the thresholds drawn as coloured bands behind the lines (80/90/100 % of capacity)
        panel = panel.thresholds_style(GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.LINE_AND_AREA))
    if bars:
        panel = panel.draw_style(GraphDrawStyle.BARS).fill_opacity(80)
    if stacked:
        panel = panel.stacking(StackingConfig().mode(StackingMode.NORMAL))
    if series:
        panel = panel.display_name(f"${{__field.labels.{series}}}")
    return panel


def _reduce(every_row: bool) -> ReduceDataOptions:
    return ReduceDataOptions().values(every_row).calcs([] if every_row else ["lastNotNull"])


def stat_panel(title: str, description: str, sql: str, *, unit: str | None = None, steps: Steps | None = None,
               every_row: bool = False, w: int = 6, h: int = 4) -> stat.Panel:
    """One number (or one per row when `every_row`, named by the row's string column)."""
    panel = _common(stat.Panel(), title, description, sql, TABLE, w, h, unit, steps or ((None, "blue"),))
    return panel.reduce_options(_reduce(every_row))


def gauge_panel(title: str, description: str, sql: str, *, steps: Steps, every_row: bool = False, w: int = 6,
                h: int = 5) -> gauge.Panel:
    """A share in per cent against its thresholds."""
    panel = _common(gauge.Panel(), title, description, sql, TABLE, w, h, "percent", steps)
    return panel.min(0).max(100).reduce_options(_reduce(every_row))


def bars_panel(title: str, description: str, sql: str, *, unit: str | None = None, steps: Steps | None = None,
               maximum: float | None = None, w: int = 12, h: int = 8) -> bargauge.Panel:
    """One horizontal bar per row: the string column names it, the number is its length."""
    panel = _common(bargauge.Panel(), title, description, sql, TABLE, w, h, unit, steps or ((None, "blue"),))
    panel = (panel.reduce_options(_reduce(True)).orientation(VizOrientation.HORIZONTAL)
             .display_mode(BarGaugeDisplayMode.BASIC).min(0))
    return panel.max(maximum) if maximum is not None else panel


def table_panel(title: str, description: str, sql: str, *, w: int = 12, h: int = 8) -> table.Panel:
    return _common(table.Panel(), title, description, sql, TABLE, w, h, None, None)


def variable(name: str, label: str, sql: str, *, multi: bool = False, include_all: bool = False,
             description: str = "") -> QueryVariable:
    """A ClickHouse query variable: the first column is the value, the second the text shown."""
    return (QueryVariable(name).label(label).description(description).datasource(DATASOURCE).query(sql.strip())
            .refresh(VariableRefresh.ON_DASHBOARD_LOAD).sort(VariableSort.DISABLED)
            .multi(multi).include_all(include_all).hide(VariableHide.DONT_HIDE))


def finished(board: DashboardBuilder) -> Dashboard:
    built = board.build()
    for model in built.templating.list_val or []:  # interval-variable fields the SDK sets on every kind
        model.auto = model.auto_min = model.auto_count = None
    return built
