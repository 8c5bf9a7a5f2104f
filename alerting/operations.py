"""Alert rules for the people who run gridflow, not for grid workers: the projector stopped or fell behind, the
intake fell behind its feeds or silent in the daytime, a feed's messages are being refused. Grafana evaluates
them (provisioned by dashboards/alert_rules.py into the folder 运维告警, labelled team=operations, routed to the
operations contact point); the built-in evaluator does not, since it raises grid alerts; `gridflow health`
checks them once (for cron or a monitoring agent: exit status 1 when one holds). docs/operations.md section 8
says what to do about each.

Each query returns one row per firing instance: strings (its labels), then one number `value` > 0. Plugin macros
only ($__toTime is the evaluation time, $__timeFilter the rule's window back from it), as for the grid rules."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerting.macros import QueryContext, expand

TEAM = "operations"
DISTRICT_TZ = "Asia/Shanghai"
FEED = "extract(source, 'intake[.]([a-z-]+)')"  # the intake topic a source names: move-in, rental, …


@dataclass(frozen=True)
class OperationsRule:
    id: str
    title: str  # Chinese: the Grafana rule's title
    description: str
    sql: str
    summary: str  # "{label}" and "{value}" placeholders (a Go template in Grafana)
    window_s: int = 900  # how far back $__timeFilter reaches
    pending_s: int = 0  # how long the condition must hold before the alert fires (Grafana's `for`)

    def firing(self, client: Any, now: datetime) -> list[str]:
        """The summaries of the instances whose condition holds at `now`, the macros expanded as the plugin does
        (Grafana also waits `pending_s` before it alerts)."""
        result = client.query(expand(self.sql, QueryContext.window(now, self.window_s)))
        rows = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
        return [self.summary.format_map({**{k: str(v) for k, v in row.items()}, "value": f"{row['value']:.0f}"})
                for row in rows if row["value"] > 0]


STALE_S, BACKLOG, SILENT_MIN, DAY_HOURS, WAIT_S = 300, 10_000, 30, (8, 21), 300
REJECTS_MIN, REJECT_SHARE = 50, 0.1

OPERATIONS_RULES = (
    OperationsRule(
        "projector_stopped", "投影程序停止",
        f"投影程序超过 {STALE_S // 60} 分钟未写入位置（空闲时每分钟也会写一次）：看板、预警与哈希链都停在那一刻。",
        f"""
SELECT projector, toFloat64(dateDiff('second', max(updated_at), $__toTime)) AS value
FROM projection_position GROUP BY projector HAVING value > {STALE_S}""",
        "投影程序 {projector} 已 {value} 秒未写入"),
    OperationsRule(
        "projection_backlog", "投影积压",
        f"事件库中尚未投影到 ClickHouse 的通知超过 {BACKLOG:,} 条并持续 5 分钟：投影跟不上接入。",
        f"""
SELECT projector, toFloat64(toInt64(argMax(store_head, updated_at)) - toInt64(max(position))) AS value
FROM projection_position GROUP BY projector HAVING value > {BACKLOG}""",
        "投影程序 {projector} 积压 {value} 条通知", pending_s=300),
    OperationsRule(
        "intake_lag", "接入延迟",
        f"10 分钟内某一数据源有消息在 Kafka 中等了 {WAIT_S // 60} 分钟以上才被处理：接入程序跟不上数据源"
        "（旺季高峰、事件库变慢），或刚从停机中恢复、正在追赶。",
        f"""
SELECT {FEED} AS feed, toFloat64(intDiv(max(waited_ms), 60000)) AS value
FROM intake_ledger WHERE $__timeFilter(recorded_at)
GROUP BY feed HAVING max(waited_ms) > {WAIT_S * 1000}""",
        "数据源 {feed} 的消息等了 {value} 分钟才被处理", window_s=600),
    OperationsRule(
        "intake_silent", "接入中断",
        f"白天（{DAY_HOURS[0]}:00–{DAY_HOURS[1] + 1}:00，区时）超过 {SILENT_MIN} 分钟没有任何接入消息被处理："
        "接入程序、Kafka 或各数据源停了。夜里不计：早上从 8:00 起算；22:00 起不再检查（告警随之解除）。"
        "从未接入过消息的新系统不算。",
        # silence counted from the later of the last message and this morning's start, to the second
        f"""
SELECT 'intake' AS component,
       toFloat64(intDiv(dateDiff('second', greatest(max(recorded_at),
           toStartOfDay($__toTime, '{DISTRICT_TZ}') + INTERVAL {DAY_HOURS[0]} HOUR), $__toTime), 60)) AS value
FROM intake_ledger
HAVING count() > 0 AND value >= {SILENT_MIN}
   AND toHour($__toTime, '{DISTRICT_TZ}') BETWEEN {DAY_HOURS[0]} AND {DAY_HOURS[1]}""",
        "已 {value} 分钟没有处理任何接入消息"),
    OperationsRule(
        "reject_surge", "数据源拒收激增",
        f"15 分钟内某一数据源（接入主题）被拒收的消息不少于 {REJECTS_MIN} 条且占其消息的 {REJECT_SHARE:.0%} 以上："
        "多为数据源改了格式或基础数据滞后；原因见看板「数据接入与审计」的拒收原因，或 gridflow dead-letters。",
        # one alert per feed: a label naming the commonest reason would end it and start another when that changes
        f"""
SELECT r.feed AS feed, toFloat64(r.rejects) AS value
FROM (SELECT {FEED} AS feed, count() AS rejects
      FROM intake_rejects WHERE $__timeFilter(recorded_at) GROUP BY feed) AS r
INNER JOIN (SELECT {FEED} AS feed, sum(accepted + duplicates + rejected) AS messages
            FROM intake_ledger WHERE $__timeFilter(recorded_at) GROUP BY feed) AS l ON r.feed = l.feed
WHERE r.rejects >= {REJECTS_MIN} AND r.rejects >= {REJECT_SHARE} * l.messages""",
        "数据源 {feed} 15 分钟内拒收 {value} 条"),
)
