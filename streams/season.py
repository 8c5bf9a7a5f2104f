"""The shape of a Penglai season for the simulator: rates at full size, seasonality and holidays, where visitors
come from, names, and the seeded faults."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))
# Per day at scale 1 (district-wide); tourists from 12 M visits/year, ~45 % staying overnight, 2.6 per party.
NEW_HOUSEHOLDS_PER_DAY = 10
INTERNAL_MOVES_PER_DAY = 40
DEPARTURES_PER_DAY = 25
LEASE_STARTS_PER_DAY = 30
STAYS_PER_YEAR = 12_000_000 * 0.45 / 2.6
PRIORITY_PERSONS = 600
DAY_VISITS = 12_000_000 / 365  # scenic-area visits per day on average
MEAN_SEASON_FACTOR = 0.67  # the mean of season_factor over a year
SCENIC_SHARE = {"S01": 0.30, "S02": 0.18, "S03": 0.12, "S04": 0.10, "S05": 0.18, "S06": 0.12}
HOLIDAYS = {(5, d): 2.0 for d in range(1, 6)} | {(10, d): 2.4 for d in range(1, 8)} | {(4, 5): 1.5, (6, 19): 1.5}
NON_LOCAL_REGIONS = ("110105", "120101", "130102", "210202", "220102", "230102", "310115", "320106", "330106",
                     "370102", "370202", "410105", "420106", "510104", "610113", "140105")
LOCAL_REGIONS = ("370602", "370611", "370612", "370613", "370614")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志海鹏飞宇浩然欣怡子涵"
BAD_KINDS = ("malformed_json", "unknown_kind", "invalid_id_number", "stay_not_found", "end_before_start",
             "not_resident", "lease_overlap")


@dataclass
class SimMessage:
    topic: str
    key: bytes
    value: bytes
    occurred_at: datetime
    expected_reject: str | None = None  # the reason code gridflow must give a seeded bad message


def season_factor(day: date) -> float:
    """Relative tourist arrivals: a summer peak (early August), weekends and national holidays on top."""
    summer = 1.0 + 2.2 * math.exp(-(((day.timetuple().tm_yday - 215) / 32) ** 2))
    weekend = 1.25 if day.weekday() >= 5 else 1.0
    return 0.45 * summer * weekend * HOLIDAYS.get((day.month, day.day), 1.0)
