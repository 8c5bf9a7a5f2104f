"""Registers as files: CSV in UTF-8 (with or without a byte-order mark) or GB18030, told apart by decoding, and
Excel workbooks (.xlsx, openpyxl). Rows keep the number a spreadsheet shows (the header is row 1)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

Cell = str | datetime | date


class RegisterError(ValueError):
    """The file cannot be read as a register (one line, naming why)."""


@dataclass
class Register:
    path: Path
    encoding: str  # utf-8 | gb18030 | xlsx
    header: list[str]
    rows: list[tuple[int, tuple[Cell, ...]]]  # (row number as a spreadsheet shows it, cells in header order)
    blank_rows: int  # rows with nothing in them, skipped (and counted)
    sheet: str = ""


def read_register(path: Path, sheet: str | None = None) -> Register:
    if not path.is_file():
        raise RegisterError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    if sheet:
        raise RegisterError("--sheet is for .xlsx workbooks")
    if suffix not in (".csv", ".txt"):
        raise RegisterError(f"{path.name}: expected a .csv or .xlsx file (an .xls workbook: save it as .xlsx)")
    return _read_csv(path)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 when the bytes are UTF-8, else GB18030 (what Chinese Excel and WPS write)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RegisterError("the file is UTF-16 (Excel's 'Unicode text'): save it as CSV (UTF-8) instead")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        raise RegisterError(f"the file is neither UTF-8 nor GB18030 (byte {e.start} cannot be read)") from None


def _read_csv(path: Path) -> Register:
    text, encoding = decode(path.read_bytes())
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as e:
        raise RegisterError(f"not a CSV file: {e}") from None
    return _register(path, encoding, [(n, tuple(cells)) for n, cells in enumerate(lines, 1)])


def _read_xlsx(path: Path, sheet: str | None) -> Register:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises a zoo of errors for files that are not workbooks
        raise RegisterError(f"not an .xlsx workbook ({type(e).__name__})") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise RegisterError(f"no sheet {sheet!r} (sheets: {', '.join(workbook.sheetnames)})")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows = [(n, tuple(_cell(v) for v in values))
                for n, values in enumerate(worksheet.iter_rows(values_only=True), 1)]
        return _register(path, "xlsx", rows, worksheet.title)
    finally:
        workbook.close()


def _cell(value: Any) -> Cell:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _register(path: Path, encoding: str, lines: list[tuple[int, tuple[Cell, ...]]], sheet: str = "") -> Register:
    filled = [(n, cells) for n, cells in lines if any(_text(c) for c in cells)]
    if not filled:
        raise RegisterError("the file has no header row")
    header_number, header_cells = filled[0]
    header = [_text(c) for c in header_cells]
    while header and not header[-1]:
        header.pop()
    if not header or "" in header:
        raise RegisterError(f"row {header_number} (the header) has an empty column name")
    if len(set(header)) != len(header):
        twice = next(h for h in header if header.count(h) > 1)
        raise RegisterError(f"the header names column {twice!r} twice")
    width = len(header)
    rows = [(n, tuple(_strip(c) for c in cells[:width]) + ("",) * (width - len(cells[:width])))
            for n, cells in filled[1:]]
    blank = sum(1 for n, cells in lines if n > header_number and not any(_text(c) for c in cells))
    return Register(path, encoding, header, rows, blank, sheet)


def _text(cell: Cell) -> str:
    return cell.strip().replace("\u3000", " ").strip() if isinstance(cell, str) else str(cell)


def _strip(cell: Cell) -> Cell:
    return _text(cell) if isinstance(cell, str) else cell
