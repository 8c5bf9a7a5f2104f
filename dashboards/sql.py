"""SQL pieces more than one dashboard reads: presence of lodged visitors over time (a running sum of the hourly
rollup's arrivals minus departures since the first fact), capacities from the reference tables, the inflow
definition. Every piece is plain ClickHouse SQL with the plugin's macros, nothing Python fills in."""
from __future__ import annotations

from projections.planner import INFLOW_REASONS

INFLOW = "kind = 'move_in' AND reason IN ({})".format(", ".join(f"'{r}'" for r in INFLOW_REASONS))
LOCAL_DAY = "toDate({}, 'Asia/Shanghai')"


def presence_by_hour(key: str, where: str = "1", shift: str = "") -> str:
    """Lodged visitors present per `key` (town_code or grid_code) at every hour with a change, up to $__toTime
    (moved back by `shift`, e.g. " - INTERVAL 1 YEAR")."""
    return f"""
SELECT {key}, hour, sum(delta) OVER (PARTITION BY {key} ORDER BY hour) AS present
FROM (SELECT {key}, hour, toInt64(sum(visitor_arrivals)) - toInt64(sum(visitor_departures)) AS delta
      FROM grid_hourly WHERE hour <= $__toTime{shift} AND {where} GROUP BY {key}, hour)"""


def beds_by(key: str) -> str:
    """Beds (at the data's scale) per town_code or grid_code."""
    column = "code" if key == "grid_code" else "town_code"
    return f"(SELECT {column} AS {key}, sum(beds) AS beds FROM ref_grids GROUP BY {column})"


def daily_peak(key: str, where: str = "1", shift: str = "") -> str:
    """Per `key` and local day inside the time range (moved back by `shift`): the day's highest hourly presence."""
    window = f"hour >= $__fromTime{shift} AND hour <= $__toTime{shift}" if shift else "$__timeFilter(hour)"
    return f"""
SELECT {key}, {LOCAL_DAY.format('hour')} AS day, max(present) AS peak
FROM ({presence_by_hour(key, where, shift)})
WHERE {window}
GROUP BY {key}, day"""
