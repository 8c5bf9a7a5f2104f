"""The ClickHouse plugin's query as a grafana-foundation-sdk data query, registered the way the SDK's own
`examples/python/custom-query` registers one (the SDK ships no ClickHouse type). The fields are the plugin's
(`CHSqlQuery`, src/types/sql.ts): editorType "sql", rawSql, format (sqlds: 0 time series, 1 table), queryType,
pluginVersion."""
from __future__ import annotations

from typing import Any, Self

from grafana_foundation_sdk.cog import builder, variants
from grafana_foundation_sdk.cog.runtime import DataqueryConfig, register_dataquery_variant
from grafana_foundation_sdk.models.dashboard import DataSourceRef

PLUGIN = "grafana-clickhouse-datasource"
PLUGIN_VERSION = "4.20.0"  # the version docker-compose.yml installs; alerting.macros follows its expansion
DATASOURCE = DataSourceRef(type_val=PLUGIN, uid="gridflow-clickhouse")
TIME_SERIES, TABLE = 0, 1
QUERY_TYPE = {TIME_SERIES: "timeseries", TABLE: "table"}


class ClickHouseQuery(variants.Dataquery):
    def __init__(self, raw_sql: str, format_val: int = TABLE, ref_id: str | None = None, hide: bool | None = None):
        self.raw_sql = raw_sql
        self.format_val = format_val
        self.ref_id = ref_id
        self.hide = hide

    def to_json(self) -> dict[str, object]:
        payload: dict[str, object] = {
            "datasource": DATASOURCE.to_json(), "editorType": "sql", "rawSql": self.raw_sql,
            "format": self.format_val, "queryType": QUERY_TYPE[self.format_val], "pluginVersion": PLUGIN_VERSION,
        }
        if self.ref_id is not None:
            payload["refId"] = self.ref_id
        if self.hide is not None:
            payload["hide"] = self.hide
        return payload

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(data.get("rawSql", ""), data.get("format", TABLE), data.get("refId"), data.get("hide"))


class ClickHouseQueryBuilder(builder.Builder[ClickHouseQuery]):
    def __init__(self, raw_sql: str, format_val: int = TABLE):
        self._internal = ClickHouseQuery(raw_sql, format_val)

    def build(self) -> ClickHouseQuery:
        return self._internal

    def ref_id(self, ref_id: str) -> Self:
        self._internal.ref_id = ref_id
        return self


# So cog can read dashboards holding this query back (the example's `register_dataquery_variant`).
register_dataquery_variant(DataqueryConfig(identifier=PLUGIN, from_json_hook=ClickHouseQuery.from_json))
