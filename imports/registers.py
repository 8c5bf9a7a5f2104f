"""Synthetic registers as bureaus keep them — a grid office's move-in register (CSV) and a hotel's visitor register
(XLSX) — with seeded bad rows, each with the reason gridflow must give it. For the shipped examples, the tests and
`gridflow bench import`; the people in them do not exist."""
from __future__ import annotations

import csv
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from domain.geography import Geography
from domain.identity import make_id_number
from streams.season import GIVEN, LOCAL_REGIONS, NON_LOCAL_REGIONS, SURNAMES

MOVE_IN_HEADER = ("序号", "姓名", "性别", "公民身份号码", "联系电话", "现住址", "房屋编号", "网格编码", "户编号",
                  "入住日期", "迁入原因", "迁出地区划", "房屋类型", "核定人数")
VISITOR_HEADER = ("入住单号", "旅馆编码", "旅客姓名", "性别", "证件号码", "联系电话", "同住人数", "入住时间",
                  "预住天数")
REASON_WORDS = ("购房", "租住", "投亲靠友", "务工", "就学", "其他")
Rows = list[list[object]]


def _person(rng: random.Random, i: int, regions: tuple[str, ...]) -> tuple[str, str, str, str]:
    """(name, 男/女, ID number, mobile) of the i-th synthetic person: ID numbers are unique per i."""
    birth = date(1950, 1, 1) + timedelta(days=i % 20_000)
    id_number = make_id_number(regions[i % len(regions)], birth, i // 20_000 * 7 + 1 + i % 2)
    sex = "男" if int(id_number[16]) % 2 else "女"
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return name, sex, id_number, f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _broken_id(id_number: str) -> str:
    return id_number[:17] + ("0" if id_number[17] != "0" else "1")


def move_in_register(geography: Geography, rows: int, seed: int = 7, bad_every: int = 0,
                     start: date = date(2026, 7, 1)) -> tuple[Rows, dict[int, str]]:
    """The rows (header first) and, per seeded bad row's number, the reason code it must get."""
    rng = random.Random(seed)
    grids = sorted(g.code for g in geography.grids.values() if g.valid_to is None)
    table: Rows = [list(MOVE_IN_HEADER)]
    expected: dict[int, str] = {}
    for i in range(rows):
        name, sex, id_number, phone = _person(rng, seed * 1_000_003 + i, LOCAL_REGIONS + NON_LOCAL_REGIONS)
        grid = grids[i % len(grids)]
        day = start + timedelta(days=i % 28)
        row: list[object] = [i + 1, name, sex, id_number, phone, f"蓬莱区钟楼路{i % 300 + 1}号{i % 6 + 1}单元",
                             f"FW{seed}-{i:06d}", grid, f"HH{seed}-{i:06d}", f"{day.year}/{day.month}/{day.day}",
                             REASON_WORDS[i % len(REASON_WORDS)], rng.choice(NON_LOCAL_REGIONS),
                             "自有" if i % 3 else "租赁", 4]
        number = i + 2  # the header is row 1
        if bad_every and i % bad_every == bad_every // 2:
            expected[number] = _spoil_move_in(row, i // bad_every)
        table.append(row)
    return table, expected


_MOVE_IN_FAULTS: tuple[tuple[str, Callable[[list[object]], None]], ...] = (
    ("invalid_id_number", lambda r: r.__setitem__(3, _broken_id(str(r[3])))),
    ("invalid_date", lambda r: r.__setitem__(9, "2026/13/45")),
    ("unmapped_value", lambda r: r.__setitem__(10, "搬家")),
    ("sex_mismatch", lambda r: r.__setitem__(2, "女" if r[2] == "男" else "男")),
    ("missing_value", lambda r: r.__setitem__(8, "")),
    ("unknown_grid", lambda r: r.__setitem__(7, "37061499999999")),
    ("personal_data_in_identifier", lambda r: r.__setitem__(6, f"{r[1]}家")),
    ("outside_time_window", lambda r: r.__setitem__(9, "2099/1/1")),
)


def _spoil_move_in(row: list[object], n: int) -> str:
    reason, spoil = _MOVE_IN_FAULTS[n % len(_MOVE_IN_FAULTS)]
    spoil(row)
    return reason


def visitor_register(geography: Geography, rows: int, seed: int = 11, bad_every: int = 0,
                     start: datetime = datetime(2026, 8, 1, 14, 0)) -> tuple[Rows, dict[int, str]]:
    """A hotel's check-in register: times as Excel dates and as typed text, ID numbers with a lower-case x."""
    rng = random.Random(seed)
    lodgings = sorted(geography.lodgings)
    table: Rows = [list(VISITOR_HEADER)]
    expected: dict[int, str] = {}
    for i in range(rows):
        name, sex, id_number, phone = _person(rng, seed * 1_000_003 + i, NON_LOCAL_REGIONS)
        at = start + timedelta(minutes=37 * i)
        when: object = at if i % 2 else f"{at.year}/{at.month}/{at.day} {at.hour}:{at.minute:02d}"
        row: list[object] = [f"ZS{seed}-{i:05d}", lodgings[i % len(lodgings)], name, sex,
                             id_number.lower() if i % 5 == 0 else id_number, phone, 1 + i % 4, when, 1 + i % 3]
        if bad_every and i % bad_every == bad_every // 2:
            reason, spoil = _VISITOR_FAULTS[(i // bad_every) % len(_VISITOR_FAULTS)]
            spoil(row)
            expected[i + 2] = reason
        table.append(row)
    return table, expected


_VISITOR_FAULTS: tuple[tuple[str, Callable[[list[object]], None]], ...] = (
    ("invalid_number", lambda r: r.__setitem__(6, "两人")),
    ("missing_value", lambda r: r.__setitem__(7, "")),
    ("unknown_lodging", lambda r: r.__setitem__(1, "L0000000000000000")),
    ("invalid_id_number", lambda r: r.__setitem__(4, _broken_id(str(r[4]).upper()))),
    ("schema_violation", lambda r: r.__setitem__(6, 0)),
)


def write_csv(path: Path, table: Rows, encoding: str = "gb18030") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(table)
    return path


def write_xlsx(path: Path, table: Rows, sheet: str = "住宿登记") -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in table:
        worksheet.append(row)
    workbook.save(path)
    return path
