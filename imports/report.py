"""The reject report of an import, as CSV (UTF-8 with a byte-order mark, so Excel shows the Chinese) and XLSX: row
number, stage, reason code and meaning, detail, message id. It never repeats an ID number or a name: details are
masked by the intake already, and masked again here with the row's own names and ID numbers."""
from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from domain import privacy
from domain.errors import REASONS as INTAKE_REASONS
from imports.rows import Row
from imports.values import REASONS as IMPORT_REASONS

HEADER = ("行号 row", "阶段 stage", "原因 reason", "含义 meaning", "说明 detail", "消息编号 message_id")
STAGE = {"mapping": "映射 mapping", "intake": "接入 intake"}
MASK = "[已屏蔽]"


def safe_detail(row: Row) -> str:
    """The detail with ID numbers, phones and the row's names masked; and whatever the row holds in its personal
    columns (an ID number with a wrong check digit, too) replaced, should any of it remain."""
    text = privacy.mask(row.detail, row.personal)
    for value in sorted(row.personal, key=len, reverse=True):
        if len(value) >= 2:
            text = text.replace(value, MASK)
    return text


def lines(rows: Iterable[Row]) -> list[tuple[object, ...]]:
    return [(row.number, STAGE.get(row.stage, row.stage), row.reason,
             IMPORT_REASONS.get(row.reason) or INTAKE_REASONS.get(row.reason, ""), safe_detail(row),
             row.message_id if row.stage == "intake" else "")
            for row in sorted(rows, key=lambda r: r.number) if row.reason]


def write_report(rows: Iterable[Row], prefix: Path) -> tuple[Path, Path]:
    """<prefix>.csv and <prefix>.xlsx, written whole even when nothing was refused (a header alone)."""
    import openpyxl

    table = lines(rows)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = prefix.with_name(prefix.name + ".csv"), prefix.with_name(prefix.name + ".xlsx")
    with csv_path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(table)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "拒收 rejects"
    sheet.append(HEADER)
    for line in table:
        sheet.append(line)
    for column, width in zip("ABCDEF", (8, 14, 26, 50, 60, 38), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    workbook.save(xlsx_path)
    return csv_path, xlsx_path
