"""Our ClickHouse database: its tables (schema.sql), the changes to tables created by earlier versions, and which
columns each projected table takes. The DDL runs only when the schema changed: a start with nothing to change is
one query, not dozens of statements."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from projections.guard import ANOMALY_COLUMNS
from projections.rollup import HOURLY_COLUMNS
from projections.rows import (
    ACCESS_COLUMNS,
    ALERT_COLUMNS,
    ERASURE_COLUMNS,
    GATE_COLUMNS,
    LEDGER_COLUMNS,
    MOVEMENT_COLUMNS,
    REJECT_COLUMNS,
)

DDL = (Path(__file__).resolve().parent / "schema.sql").read_text("utf-8")
MIGRATIONS = (  # idempotent changes to tables created by earlier versions
    "ALTER TABLE movements MODIFY SETTING enable_block_number_column = 1, enable_block_offset_column = 1",
    "ALTER TABLE grid_population ADD COLUMN IF NOT EXISTS visitors_present Int64, "
    "ADD COLUMN IF NOT EXISTS active_leases Int64, ADD COLUMN IF NOT EXISTS over_occupied_dwellings Int64",
    "ALTER TABLE projection_position ADD COLUMN IF NOT EXISTS chain_digest String",
    "ALTER TABLE movements ADD COLUMN IF NOT EXISTS assigned_grid LowCardinality(String)",
    "ALTER TABLE projection_position ADD COLUMN IF NOT EXISTS store_head UInt64",
    "ALTER TABLE intake_ledger ADD COLUMN IF NOT EXISTS waited_ms UInt32",
)
SCHEMA_VERSION = hashlib.sha256((DDL + "\n".join(MIGRATIONS)).encode()).hexdigest()[:16]
# Tables of rows that carry the notification id they came from (deleted past the position on recovery).
COLUMNS = {"movements": MOVEMENT_COLUMNS, "intake_ledger": LEDGER_COLUMNS, "intake_rejects": REJECT_COLUMNS,
           "erasures": ERASURE_COLUMNS, "scenic_gate_counts": GATE_COLUMNS, "grid_hourly": HOURLY_COLUMNS,
           "alert_events": ALERT_COLUMNS, "access_log": ACCESS_COLUMNS, "projection_anomalies": ANOMALY_COLUMNS}
GRID_STATE = ("residents", "visitors_present", "active_leases", "over_occupied_dwellings")


def open_database(client: Any, database: str) -> Any:
    """Create our Atomic database if needed, make it the client's default, bring its tables up to date."""
    client.command(f"CREATE DATABASE IF NOT EXISTS {database} ENGINE = Atomic")
    client.database = database
    if _stored_version(client) != SCHEMA_VERSION:
        create_schema(client)
    return client


def _stored_version(client: Any) -> str:
    rows = client.query("SELECT comment FROM system.tables WHERE database = currentDatabase() "
                        "AND name = 'projection_position'").result_rows
    return rows[0][0] if rows else ""


def create_schema(client: Any) -> None:
    code = "\n".join(line for line in DDL.splitlines() if not line.strip().startswith("--"))
    for statement in code.split(";"):
        if statement.strip():
            client.command(statement.strip())
    for migration in MIGRATIONS:
        client.command(migration)
    client.command(f"ALTER TABLE projection_position MODIFY COMMENT '{SCHEMA_VERSION}'")


def table_counts(client: Any) -> dict[str, int]:
    counts = {t: int(client.query(f"SELECT count() FROM {t}").result_rows[0][0]) for t in COLUMNS}
    counts["grid_population"] = int(client.query("SELECT count() FROM grid_population FINAL").result_rows[0][0])
    return counts
