"""Running a dashboard's own queries outside Grafana, as Grafana would: the variables resolved in order by their
queries, every panel's SQL expanded as the ClickHouse plugin expands it (alerting.macros), run on ClickHouse, and
the result checked against what its panel type can draw. The offline checks and `gridflow grafana preview` both
use this, so what they show is what the exported JSON asks for."""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerting.macros import QueryContext
from dashboards.variables import ALL, Variable, interpolate

NUMERIC = re.compile(r"^(Nullable\()?(U?Int\d+|Float\d+|Decimal.*)\)?$")
TEXT = re.compile(r"^(Nullable\(|LowCardinality\()*(String|FixedString\(\d+\))\)*$")
TIME = re.compile(r"^(Nullable\()?(DateTime64\(.*\)|DateTime(\(.*\))?|Date|Date32)\)?$")
POINTS = 1000  # Grafana asks for about one point per pixel; a panel is about this wide


@dataclass
class PanelResult:
    panel: dict[str, Any]
    sql: str
    columns: list[str]
    types: list[str]
    rows: list[tuple]

    @property
    def title(self) -> str:
        return self.panel.get("title", "")

    def problems(self) -> list[str]:
        """What keeps the panel from drawing this result (empty: it can)."""
        kind, types = self.panel["type"], self.types
        numeric = [t for t in types if NUMERIC.match(t)]
        if kind == "timeseries":
            if len(types) < 2 or not TIME.match(types[0]):
                return [f"a time series needs the time first, got {types}"]
            if not numeric:
                return [f"a time series needs a number, got {types}"]
            times = [row[0] for row in self.rows]
            if times != sorted(times):
                return ["a time series must come ordered by time (sqlds turns it wide only then)"]
        elif kind in ("stat", "gauge", "bargauge"):
            if not numeric or any(not (NUMERIC.match(t) or TEXT.match(t)) for t in types):
                return [f"a {kind} needs numbers and, to name them, strings; got {types}"]
        elif not types:
            return ["no columns"]
        return []


def targets(dashboard: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            yield panel, target


def context(start: datetime, end: datetime) -> QueryContext:
    """A panel's range with the interval Grafana would pick for it (at least a second)."""
    return QueryContext(start, end, max((end - start) / POINTS, timedelta(seconds=1)))


def resolve_variables(client: Any, dashboard: Mapping[str, Any], ctx: QueryContext,
                      chosen: Mapping[str, str] | None = None) -> dict[str, Variable]:
    """Each variable's options from its own query (earlier variables already replaced); its value: the one chosen,
    else All where offered, else the first option."""
    variables: dict[str, Variable] = {}
    for model in dashboard.get("templating", {}).get("list", []):
        name = model["name"]
        options = [str(row[0]) for row in client.query(interpolate(model["query"], ctx, variables)).result_rows]
        if chosen and name in chosen:
            value: str | list[str] = chosen[name]
        elif model.get("includeAll"):
            value = [ALL]
        else:
            value = options[0] if options else ""
        if model.get("multi") and isinstance(value, str):
            value = [value]
        variables[name] = Variable(value, options, model.get("allValue"))
    return variables


def run_panels(client: Any, dashboard: Mapping[str, Any], ctx: QueryContext,
               chosen: Mapping[str, str] | None = None) -> list[PanelResult]:
    variables = resolve_variables(client, dashboard, ctx, chosen)
    results = []
    for panel, target in targets(dashboard):
        sql = interpolate(target["rawSql"], ctx, variables)
        result = client.query(sql)
        columns, types = list(result.column_names), [t.name for t in result.column_types]
        if not columns:  # an empty answer names no columns: ask ClickHouse what they would be
            described = client.query(f"DESCRIBE ({sql})").result_rows
            columns, types = [row[0] for row in described], [row[1] for row in described]
        results.append(PanelResult(panel, sql, columns, types, list(result.result_rows)))
    return results
