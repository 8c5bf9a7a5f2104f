"""The pipeline a team would write instead of gridflow, for comparison in the same run on the same messages: a
kafka-python consumer, `json.loads`, rows into ClickHouse (the same embedded engine) in batches — no validation, no
domain, no event store, no dead letters, no encryption."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

from streams.topics import INTAKE

BATCH = 5000


def naive_pipeline(servers: str, expected: int, client: Any, database: str) -> dict[str, Any]:
    """Consume every intake message once into `database`.naive_messages; messages/s from first to last row."""
    from kafka import KafkaConsumer

    live = client.database
    client.command(f"CREATE DATABASE IF NOT EXISTS {database} ENGINE = Atomic")
    client.command(f"CREATE TABLE IF NOT EXISTS {database}.naive_messages (topic LowCardinality(String), "
                   "partition UInt16, offset UInt64, kind LowCardinality(String), message_id String, "
                   "occurred_at String, payload String) ENGINE = MergeTree ORDER BY (topic, partition, offset)")
    consumer = KafkaConsumer(*(t.name for t in INTAKE), bootstrap_servers=servers, group_id=f"naive-{uuid.uuid4()}",
                             auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=BATCH,
                             session_timeout_ms=10_000, heartbeat_interval_ms=1_000)
    seen, started, deadline = 0, None, time.monotonic() + 600
    try:
        while seen < expected and time.monotonic() < deadline:
            polled = consumer.poll(timeout_ms=500, max_records=BATCH)
            rows = []
            for records in polled.values():
                for record in records:
                    started = started or time.monotonic()
                    try:
                        message = json.loads(record.value)
                        rows.append([record.topic, record.partition, record.offset, str(message.get("kind")),
                                     str(message.get("message_id")), str(message.get("occurred_at")),
                                     json.dumps(message.get("payload"), ensure_ascii=False)])
                    except (ValueError, TypeError, AttributeError):
                        rows.append([record.topic, record.partition, record.offset, "", "", "", ""])
            if rows:
                client.insert(f"{database}.naive_messages", rows,
                              column_names=["topic", "partition", "offset", "kind", "message_id", "occurred_at",
                                            "payload"])
                seen += len(rows)
        elapsed = time.monotonic() - (started or time.monotonic())
    finally:
        consumer.close()
        client.database = live
    return {"messages": seen, "seconds": round(elapsed, 2), "messages_per_s": round(seen / elapsed) if elapsed else 0}
