"""No row can stop a projection: values a ClickHouse column cannot hold are clamped into its range (or replaced by
its default when missing or of the wrong type), and every such change — like every stored event that cannot be
decoded into rows at all — is recorded in `projection_anomalies` with a named reason, where an auditor reads it.

The ranges come from the columns' declared types (system.columns), so they follow the schema."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

ANOMALY_COLUMNS = ("notification_id", "seq", "topic", "target", "action", "reason", "value")
_INTS = {"UInt8": (0, 2**8 - 1), "UInt16": (0, 2**16 - 1), "UInt32": (0, 2**32 - 1), "UInt64": (0, 2**64 - 1),
         "Int8": (-2**7, 2**7 - 1), "Int16": (-2**15, 2**15 - 1), "Int32": (-2**31, 2**31 - 1),
         "Int64": (-2**63, 2**63 - 1)}
_TIMES = {  # ClickHouse's documented ranges (UTC)
    "DateTime64": (datetime(1900, 1, 1, tzinfo=UTC), datetime(2299, 12, 31, 23, 59, 59, tzinfo=UTC)),
    "DateTime": (datetime(1970, 1, 1, tzinfo=UTC), datetime(2106, 2, 7, 6, 28, 15, tzinfo=UTC)),
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _bounds(ch_type: str) -> tuple[str, Any, Any] | None:
    base = re.sub(r"^(LowCardinality|Nullable)\((.*)\)$", r"\2", ch_type).split("(")[0]
    if base in _INTS:
        return ("int", *_INTS[base])
    if base in _TIMES:
        return ("time", *_TIMES[base])
    return None


class RowGuard:
    def __init__(self, column_types: dict[str, dict[str, str]]):
        """`column_types`: table → column → ClickHouse type, as system.columns lists them."""
        self.checks = {table: [(column, *b) for column, t in columns.items() if (b := _bounds(t))]
                       for table, columns in column_types.items()}

    @classmethod
    def of(cls, client: Any, tables: tuple[str, ...]) -> RowGuard:
        types: dict[str, dict[str, str]] = {}
        for table, column, ch_type in client.query(
                "SELECT table, name, type FROM system.columns WHERE database = currentDatabase() "
                "AND table IN %(t)s", parameters={"t": tables}).result_rows:
            types.setdefault(table, {})[column] = ch_type
        return cls(types)

    def fit(self, table: str, rows: list[dict[str, Any]], topics: dict[int, str],
            anomalies: list[dict[str, Any]]) -> None:
        """Bring every checked value of `rows` into its column's range, recording each change (`topics`: the
        stored-event topic of each notification id, for the record)."""
        for column, kind, low, high in self.checks.get(table, ()):
            wanted = int if kind == "int" else datetime
            for row in rows:
                value = row.get(column)
                if type(value) is wanted and (kind == "int" or value.tzinfo is not None) and low <= value <= high:
                    continue  # the common case, checked inline: this runs for every row the projector writes
                fitted, reason = _fit(value, kind, low, high)
                if reason:
                    row[column] = fitted
                    nid = row.get("notification_id", 0)
                    anomalies.append(anomaly(nid, topics.get(nid, ""), f"{table}.{column}", "clamped", reason, value))


def _fit(value: Any, kind: str, low: Any, high: Any) -> tuple[Any, str]:
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return (0, "missing") if value is None else (0, "wrong_type")
    elif not isinstance(value, datetime):
        return (EPOCH, "missing") if value is None else (EPOCH, "wrong_type")
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value < low:
        return low, "below_range"
    if value > high:
        return high, "above_range"
    return value, ""


def anomaly(notification_id: int, topic: str, target: str, action: str, reason: str, value: Any) -> dict[str, Any]:
    return {"notification_id": notification_id, "seq": 0, "topic": topic, "target": target, "action": action,
            "reason": reason, "value": str(value)[:200]}
