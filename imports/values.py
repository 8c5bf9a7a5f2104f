"""Cell values as registers write them, read into what the intake contract expects: dates such as 2026/8/1 or
2026年8月1日, times, whole numbers, 男/女. A cell that cannot be read is refused with a reason and a detail that
names the column and what was expected — never the cell's value (it may be personal data)."""
from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$|^(\d{4})(\d{2})(\d{2})$")
_DATETIME = re.compile(r"^(?P<date>[^\sT]+?)(?:[\sT]+(?P<h>\d{1,2})\s*[:时]\s*(?P<m>\d{1,2})"
                       r"(?:\s*[:分]\s*(?P<s>\d{1,2})(?:\.\d+)?\s*秒?)?\s*分?)?$")
REASONS = {  # rejects of the import itself, before any message exists (README: "Import rejects")
    "missing_value": "A cell the message needs is empty.",
    "unmapped_value": "A cell holds a word the mapping does not translate (a reason, a type, 男/女).",
    "invalid_date": "A date or time that no accepted format reads, or no calendar date.",
    "invalid_number": "A cell that must hold a whole number does not.",
    "sex_mismatch": "性别 (男/女) disagrees with the ID number's sex digit (its 17th).",
}
SEX = {"男": 1, "女": 0, "男性": 1, "女性": 0}  # the ID number's 17th digit is odd for men, even for women


class Refused(Exception):
    """A row the mapping cannot turn into a message (reason code, detail without the cell's value)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def to_date(cell: object, column: str) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    match = _DATE.match(str(cell).strip())
    if match:
        y, m, d = (int(g) for g in match.groups() if g is not None)
        try:
            return date(y, m, d)
        except ValueError:
            pass
    raise Refused("invalid_date", f"{column}: not a calendar date (e.g. 2026/8/1, 2026-08-01, 2026年8月1日)")


def to_datetime(cell: object, column: str, zone: tzinfo, default_time: time) -> datetime:
    """A local date and time (the mapping's time zone when the cell has no offset; a date alone is at
    `default_time`)."""
    if isinstance(cell, datetime):
        return cell if cell.tzinfo else cell.replace(tzinfo=zone)
    if isinstance(cell, date):
        return datetime.combine(cell, default_time, zone)
    text = str(cell).strip()
    try:
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    except ValueError:
        pass
    match = _DATETIME.match(text)
    if match:
        day = to_date(match["date"], column)
        if match["h"] is None:
            return datetime.combine(day, default_time, zone)
        try:
            return datetime.combine(day, time(int(match["h"]), int(match["m"]), int(match["s"] or 0)), zone)
        except ValueError:
            pass
    raise Refused("invalid_date", f"{column}: not a date and time (e.g. 2026/8/1 14:30, 2026-08-01 14:30:00)")


def to_integer(cell: object, column: str) -> int:
    text = str(cell).strip().removesuffix("人").removesuffix("晚").removesuffix("天")
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not number.is_integer():
        raise Refused("invalid_number", f"{column}: not a whole number")
    return int(number)


def check_sex(cell: str, id_number: str, column: str) -> None:
    """男/女 must agree with the ID number (a register's typing error, or a row of another person)."""
    if cell not in SEX:
        raise Refused("unmapped_value", f"{column}: not one of {', '.join(SEX)}")
    if len(id_number) == 18 and id_number[16].isdigit() and int(id_number[16]) % 2 != SEX[cell]:
        raise Refused("sex_mismatch", f"{column} does not agree with the ID number")
