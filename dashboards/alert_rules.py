"""The catalogue's rules (alerting/rules.py) as Grafana-managed alert rules: query A is the rule's one SQL text
(table format: its strings become the alert's labels, `value` its number), condition B fires every row
(value > 0). Labels rule_id + the SQL's grid_code, town_code, severity and finding_key are what
gridflow/webhook.py maps back onto the same Alert as the built-in evaluator's finding. The operations rules
(alerting/operations.py) are built the same way in a group of their own, labelled team=operations.

Built with grafana-foundation-sdk's alerting builders (the HTTP API shape, used by `gridflow grafana push`) and
turned into the file-provisioning shape (`groups` → `rules`) that docker-compose's Grafana reads."""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from grafana_foundation_sdk.builders import alerting as rule_builder
from grafana_foundation_sdk.builders import expr
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.alerting import RelativeTimeRange
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from alerting.operations import OPERATIONS_RULES, TEAM, OperationsRule
from alerting.rules import RULES, Rule
from dashboards.clickhouse_query import DATASOURCE, ClickHouseQueryBuilder

INTERVAL_S = 60
PRIORITY = "priority_"  # rules naming a priority person's pseudonym: kept in the liaison team's folder
OPERATIONS_GROUP = "gridflow-operations"


def group_of(rule: Rule) -> str:
    return "gridflow-priority" if rule.id.startswith(PRIORITY) else "gridflow"


def go_template(summary: str) -> str:
    """The catalogue's summary ("{label}", "{value}") as Grafana's annotation template."""
    def one(m: re.Match[str]) -> str:
        return '{{ printf "%.0f" $values.A.Value }}' if m[1] == "value" else f"{{{{ $labels.{m[1]} }}}}"
    return re.sub(r"\{(\w+)\}", one, summary)


def rule_uid(rule: Rule) -> str:
    return "gridflow-" + rule.id.replace("_", "-")


def api_rule(rule: Rule, folder_uid: str) -> dict[str, Any]:
    """POST/PUT /api/v1/provisioning/alert-rules shape."""
    return _built(rule, rule_uid(rule), 0, {"rule_id": rule.id}, folder_uid, group_of(rule))


def operations_api_rule(rule: OperationsRule, folder_uid: str) -> dict[str, Any]:
    """The same shape for an operations rule: team=operations routes it to the operations contact point."""
    return _built(rule, "gridflow-ops-" + rule.id.replace("_", "-"), rule.pending_s, {"rule_id": rule.id, "team": TEAM},
                  folder_uid, OPERATIONS_GROUP)


def _built(rule: Rule | OperationsRule, uid: str, pending_s: int, labels: dict[str, str], folder_uid: str,
           group: str) -> dict[str, Any]:
    """Query A is the SQL (table format: strings become labels, `value` the number); B fires every row (> 0)."""
    query = (rule_builder.Query("A").datasource_uid(DATASOURCE.uid or "")
             .relative_time_range(RelativeTimeRange(rule.window_s, 0))
             .model(ClickHouseQueryBuilder(rule.sql.strip()).ref_id("A")))
    fires = expr.ExprTypeThresholdConditions().evaluator(
        expr.ExprTypeThresholdConditionsEvaluator().type("gt").params([0]))
    condition = (rule_builder.Query("B").datasource_uid("__expr__").relative_time_range(RelativeTimeRange(0, 0))
                 .model(expr.TypeThreshold().expression("A").conditions([fires]).ref_id("B")
                        .datasource(DataSourceRef("__expr__", "__expr__"))))
    built = (rule_builder.Rule(rule.title).uid(uid).queries([query, condition]).condition("B")
             .for_val(f"{pending_s // 60}m" if pending_s else "0s").no_data_state("OK").exec_err_state("Error")
             .is_paused(False).org_id(1).folder_uid(folder_uid).rule_group(group).labels(labels)
             .annotations({"summary": go_template(rule.summary), "description": rule.description})).build()
    return _json(built)


def _json(model: Any) -> Any:
    import json

    return json.loads(JSONEncoder(sort_keys=True).encode(model))


def rule_groups(folder_uids: dict[str, str]) -> list[dict[str, Any]]:
    """Per group: PUT /api/v1/provisioning/folder/{folderUid}/rule-groups/{group} shape."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for rule in RULES:
        groups.setdefault(group_of(rule), []).append(api_rule(rule, folder_uids[group_of(rule)]))
    groups[OPERATIONS_GROUP] = [operations_api_rule(rule, folder_uids[OPERATIONS_GROUP])
                                for rule in OPERATIONS_RULES]
    return [{"title": name, "folderUid": folder_uids[name], "interval": INTERVAL_S, "rules": rules}
            for name, rules in groups.items()]


FILE_FIELDS = ("uid", "title", "condition", "data", "noDataState", "execErrState", "for", "isPaused", "labels",
               "annotations")


def provisioning_file(groups: Iterable[dict[str, Any]], folder_titles: dict[str, str]) -> dict[str, Any]:
    """The file-provisioning document (apiVersion 1, groups → rules): folders named by title."""
    return {"apiVersion": 1, "groups": [
        {"orgId": 1, "name": group["title"], "folder": folder_titles[group["title"]],
         "interval": f"{group['interval'] // 60}m",
         "rules": [{key: rule[key] for key in FILE_FIELDS} for rule in group["rules"]]}
        for group in groups]}
