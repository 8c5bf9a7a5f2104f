"""数据接入与审计 — the intake's health and the audit trail, on recording (wall-clock) time: messages per kind,
how long they waited in Kafka, rejects by reason, dead letters, how fresh the projection is, the age of the last
chain anchor, projection anomalies, and reads of person-level data with denials."""
from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard as Board
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.panels import bars_panel, finished, stat_panel, table_panel, timeseries_panel

UID = "gridflow-intake"
KIND = ("transform(extract(source, 'intake[.]([a-z-]+)'), "  # the kind of message, by its source's topic
        "['move-in', 'move-out', 'rental', 'visitor', 'priority', 'scenic-gate'], "
        "['迁入', '迁出', '租赁', '旅客登记', '重点人员', '景区闸机'], '其他')")
FRESH_STEPS = ((None, "green"), (300, "orange"), (3600, "red"))  # seconds: a following projector writes every few


def dashboard() -> Dashboard:
    return finished(
        Board("数据接入与审计").uid(UID).tags(["gridflow", "operations"]).time("now-24h", "now")
        .timezone("Asia/Shanghai")
        .description("接入链路的健康与审计：各类消息量、接入等待、拒收原因、死信、投影新鲜度、哈希链锚点时长、投影异常、个人数据访问与拒绝。按记录时间（系统时钟）统计。")
        .with_panel(timeseries_panel(
            "各类消息量",
            "每个时间段内接入处理的消息数（接收、重复与拒收合计），按消息类别。",
            f"""
SELECT $__timeInterval(recorded_at) AS time, {KIND} AS kind, sum(accepted + duplicates + rejected) AS `消息`
FROM intake_ledger WHERE $__timeFilter(recorded_at)
GROUP BY time, kind ORDER BY time, kind""", unit="none", bars=True, stacked=True, series="kind", w=16))
        .with_panel(stat_panel(
            "死信",
            "所选时间范围内被拒收并写入死信主题（gridflow.dead-letter）的消息数；原文加密保存。",
            """
SELECT count() AS `死信` FROM intake_rejects WHERE $__timeFilter(recorded_at)""", unit="none",
                               steps=((None, "green"), (1, "orange")), w=8))
        .with_panel(bars_panel("拒收原因", "所选时间范围内拒收消息的原因代码（含义见 README 的拒收原因表）。", """
SELECT reason AS `原因`, count() AS `拒收` FROM intake_rejects WHERE $__timeFilter(recorded_at)
GROUP BY reason ORDER BY `拒收` DESC, reason""", unit="none", w=8))
        .with_panel(stat_panel(
            "投影新鲜度",
            "距投影程序最近一次写入 ClickHouse 的秒数；空闲时每分钟也写一次，"
            "超过 5 分钟说明投影停止（运维告警：投影程序停止）。",
            """
SELECT greatest(0, dateDiff('second', max(updated_at), $__toTime)) AS `距上次写入` FROM projection_position""",
                               unit="s", steps=FRESH_STEPS, w=8))
        .with_panel(stat_panel(
            "投影积压",
            "事件库已存而 ClickHouse 尚未投影的通知数（读取最近一批时的事件库末尾减投影位置）；跟随运行时接近 0。",
            """
SELECT toInt64(argMax(store_head, updated_at)) - toInt64(max(position)) AS `积压` FROM projection_position""",
                               unit="none", steps=((None, "green"), (10000, "orange"), (100000, "red")), w=8))
        .with_panel(stat_panel("哈希链锚点时长", "距最近一次写入事件哈希链锚点（gridflow verify 用来核对）的秒数。", """
SELECT greatest(0, dateDiff('second', max(updated_at), $__toTime)) AS `锚点时长`
FROM projection_position WHERE chain_digest != ''""", unit="s", steps=FRESH_STEPS, w=8))
        .with_panel(timeseries_panel(
            "接入等待",
            "每个时间段内各类消息在 Kafka 中等待处理的最长秒数（生产时间到写入事件库）；持续上升说明接入程序跟不上"
            "（运维告警：接入延迟，超过 5 分钟）。",
            f"""
SELECT $__timeInterval(recorded_at) AS time, {KIND} AS kind, max(waited_ms) / 1000 AS `等待秒数`
FROM intake_ledger WHERE $__timeFilter(recorded_at)
GROUP BY time, kind ORDER BY time, kind""", unit="s", series="kind", w=16))
        .with_panel(table_panel(
            "投影异常",
            "投影时不得不修正（超出列范围、缺值）或无法投影的事件，按原因与处理方式统计；不会悄悄丢弃。",
            """
SELECT reason AS `原因`, target AS `目标表`, action AS `处理`, count() AS `次数`
FROM projection_anomalies GROUP BY reason, target, action ORDER BY `次数` DESC""", w=12))
        .with_panel(timeseries_panel(
            "个人数据访问与拒绝",
            "每个时间段内对个人数据（轨迹、重点人员预警）的读取：允许与拒绝的次数（审计日志）。",
            """
SELECT $__timeInterval(at) AS time, countIf(allowed = 1) AS `允许`, countIf(allowed = 0) AS `拒绝`
FROM access_log WHERE $__timeFilter(at)
GROUP BY time ORDER BY time""", unit="none", bars=True, w=12))
    )
