"""Registers and mappings without a broker: encodings told apart, cell formats read as the contract expects, message
ids that follow each row's content, mistakes in one line naming the entry, and the shipped examples mapping into
messages the intake's own parser reads."""
from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from domain import privacy
from domain.application import Population
from domain.identity import Pseudonymizer
from imports.files import RegisterError, read_register
from imports.mapping import MappingError, default_mapping, load_mapping, parse_mapping
from imports.registers import move_in_register, visitor_register, write_csv, write_xlsx
from imports.report import safe_detail
from imports.rows import Row, Rows
from imports.values import Refused, check_sex, to_date, to_datetime, to_integer
from streams.contract import to_item

EXAMPLES = Path(__file__).resolve().parents[2] / "imports" / "examples"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PSEUDONYMS = Pseudonymizer(b"unit-test-key-0123")


def test_a_register_reads_the_same_in_utf8_and_gb18030_and_its_message_ids_follow_each_rows_content(tmp_path,
                                                                                                     geography):
    table, _ = move_in_register(geography, 50, seed=4)
    utf8 = read_register(write_csv(tmp_path / "a.csv", table, "utf-8-sig"))
    gb = read_register(write_csv(tmp_path / "b.csv", table, "gb18030"))
    assert (utf8.encoding, gb.encoding) == ("utf-8", "gb18030")
    assert utf8.header == gb.header and utf8.rows == gb.rows and utf8.header[1] == "姓名"
    mapping = load_mapping(EXAMPLES / "grid-office-move-in.yaml", "move_in")
    ids = [i for r in (utf8, gb) for i in Rows(mapping, r, PSEUDONYMS).message_ids.values()]
    assert ids[:50] == ids[50:] and len(set(ids[:50])) == 50
    table[7][5] = "蓬莱区更正后的地址"  # a corrected row: a new message; the others stay the same messages
    table.insert(3, list(table[20]))  # a forgotten row inserted above, a copy of another: the rest keep their ids
    corrected = read_register(write_csv(tmp_path / "c.csv", table, "gb18030"))
    new_ids = list(Rows(mapping, corrected, PSEUDONYMS).message_ids.values())
    assert len(new_ids) == 51 and len(set(new_ids)) == 51  # two identical rows are two messages
    kept = set(ids[:50]) & set(new_ids)
    assert len(kept) == 49 and ids[6] not in kept  # only the corrected row's id changed


def test_files_that_are_no_register_are_one_line(tmp_path):
    cases = {"u16.csv": "姓名\n张三\n".encode("utf-16"), "bin.csv": b"\x80\xff\xfe\x00abc",
             "empty.csv": b"\n\n", "twice.csv": "姓名,姓名\n1,2\n".encode(), "book.xls": b"x"}
    expected = {"u16.csv": "UTF-16", "bin.csv": "neither UTF-8 nor GB18030", "empty.csv": "no header row",
                "twice.csv": "names column '姓名' twice", "book.xls": "save it as .xlsx"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(RegisterError, match=expected[name]):
            read_register(tmp_path / name)
    (tmp_path / "fake.xlsx").write_text("not a workbook")
    with pytest.raises(RegisterError, match="not an .xlsx workbook"):
        read_register(tmp_path / "fake.xlsx")


def test_cells_read_as_the_contract_expects():
    for text in ("2026/8/1", "2026-08-01", "2026.8.1", "2026年8月1日", "20260801", date(2026, 8, 1),
                 datetime(2026, 8, 1, 23, 59)):
        assert to_date(text, "入住日期") == date(2026, 8, 1)
    at = datetime(2026, 8, 1, 14, 30, tzinfo=SHANGHAI)
    for text in ("2026/8/1 14:30", "2026-08-01 14:30:00", "2026年8月1日 14时30分", "2026-08-01T14:30:00+08:00",
                 datetime(2026, 8, 1, 14, 30)):
        assert to_datetime(text, "入住时间", SHANGHAI, time(9)) == at
    assert to_datetime("2026/8/1", "入住时间", SHANGHAI, time(9)) == datetime(2026, 8, 1, 9, tzinfo=SHANGHAI)
    assert [to_integer(v, "同住人数") for v in ("3", "3人", 3, "3.0", "2晚")] == [3, 3, 3, 3, 2]
    for bad, reason in ((lambda: to_date("2026/2/30", "入住日期"), "invalid_date"),
                        (lambda: to_datetime("明天下午", "入住时间", SHANGHAI, time(9)), "invalid_date"),
                        (lambda: to_integer("两人", "同住人数"), "invalid_number"),
                        (lambda: check_sex("女", "370614198503120217", "性别"), "sex_mismatch"),
                        (lambda: check_sex("M", "370614198503120217", "性别"), "unmapped_value")):
        with pytest.raises(Refused) as refused:
            bad()
        assert refused.value.reason == reason
    check_sex("男", "370614198503120217", "性别")


def test_a_mapping_mistake_is_one_line_naming_the_entry(tmp_path):
    good = yaml.safe_load((EXAMPLES / "grid-office-move-in.yaml").read_text("utf-8"))
    mistakes = {
        "unknown field": ({"fields": {**good["fields"], "person.nam": "姓名"}}, "fields.person.nam: not a field"),
        "required field without a column": ({"fields": {k: v for k, v in good["fields"].items() if k != "grid_code"}},
                                            "no column or constant for grid_code"),
        "another kind": ({"kind": "move_out"}, "this mapping is for 'move_out'"),
        "conversion": ({"fields": {**good["fields"], "origin": {"column": "x", "as": "roman"}}}, "origin.as must be"),
        "time zone": ({"timezone": "Mars/Olympus"}, "timezone must be an IANA name"),
        "typo": ({"feilds": {}}, "unknown key 'feilds'"),
    }
    for change, cause in mistakes.values():
        with pytest.raises(MappingError) as raised:
            parse_mapping({**good, **change}, "move_in", "m.yaml")
        assert "\n" not in str(raised.value) and str(raised.value).startswith("m.yaml: ") and cause in str(raised.value)
    register = read_register(write_csv(tmp_path / "r.csv", [["姓名", "入住日期"], ["王芳", "2026/8/1"]]))
    with pytest.raises(MappingError, match="column '公民身份号码' is not in the file's header"):
        Rows(parse_mapping(good, "move_in", "m.yaml"), register, PSEUDONYMS)


def test_without_a_mapping_the_header_names_the_payload_fields(tmp_path):
    table = [["occurred_at", "action", "lease_id", "dwelling_id", "grid_code", "landlord.id_number",
              "tenants.0.id_number", "tenants.1.id_number", "planned_end"],
             ["2026-08-01 10:00", "start", "LS-1", "D-9", "37061400100101", "370602196211300086",
              "320106197801090449", "110105199007013052", "2027/7/31"]]
    register = read_register(write_csv(tmp_path / "rental.csv", table, "utf-8"))
    rows = Rows(default_mapping("rental", register.header), register, PSEUDONYMS)
    row, key, value = rows.convert(*register.rows[0])
    item = to_item("unit", 0, value, "rental")
    assert item.command is not None and len(item.command.tenants) == 2 and str(item.command.planned_end) == "2027-07-31"
    assert key == b"D-9"  # the rental topic is keyed by dwelling


@pytest.mark.parametrize("example", ["grid-office-move-in", "hotel-visitors"])
def test_the_shipped_examples_map_into_messages_the_domain_takes(example, geography):
    """Through the intake's own parser and the domain (in memory, the shipped reference geography)."""
    kind, suffix = {"grid-office-move-in": ("move_in", ".csv"), "hotel-visitors": ("visitor_registration", ".xlsx")
                    }[example]
    register = read_register(EXAMPLES / f"{example}{suffix}")
    rows = Rows(load_mapping(EXAMPLES / f"{example}.yaml", kind), register, PSEUDONYMS)
    outcomes, items = {}, []
    for number, cells in register.rows:
        row, key, value = rows.convert(number, cells)
        if value is None:
            outcomes[number] = row.reason
        else:
            assert key and not privacy.holds_id_number(key.decode())  # never keyed by the ID number
            items.append(to_item("unit", number, value, kind))
    domain = Population({}, geography=geography, pseudonymize=PSEUDONYMS)
    outcomes |= {o.item.position: o.reason for o in domain.process(items).rejects}
    assert outcomes == {"grid-office-move-in": {5: "invalid_id_number", 11: "invalid_date"},
                        "hotel-visitors": {4: "invalid_number", 9: "missing_value"}}[example]


def test_a_report_detail_never_repeats_the_rows_names_or_id_numbers(tmp_path, geography):
    row = Row(7, "id", reason="dwelling_mismatch", detail="registered in 王芳家 not 370614198503120210 (13912345678)",
              stage="intake", personal=("王芳", "370614198503120210"))
    assert safe_detail(row) == "registered in [姓名]家 not [姓名] ([手机号])"  # even an ID with a bad check digit
    table, _ = visitor_register(geography, 3, seed=2)
    workbook = read_register(write_xlsx(tmp_path / "v.xlsx", table, sheet="八月"), "八月")
    assert workbook.sheet == "八月" and isinstance(workbook.rows[1][1][7], datetime)
    with pytest.raises(RegisterError, match="no sheet '九月'"):
        read_register(tmp_path / "v.xlsx", "九月")


@pytest.mark.parametrize(("kind", "row", "command"), [
    ("move_out", {"person.id_number": "370602196211300086", "person.name": "王芳", "dwelling_id": "D-9",
                  "grid_code": "37061400100101", "reason": "left_district", "destination": "110105"}, "MoveOut"),
    ("priority_movement", {"person.id_number": "320106197801090449", "category": "community_correction",
                           "assigned_grid": "37061400100101", "responsible_worker": "W-7", "movement": "sighting",
                           "grid_code": "37061400200101", "place": "码头"}, "PriorityMovement"),
])
def test_every_kind_imports_through_a_header_of_field_names(kind, row, command, tmp_path):
    table = [["occurred_at", *row], ["2026/8/1 10:00", *row.values()]]
    register = read_register(write_csv(tmp_path / f"{kind}.csv", table, "gb18030"))
    _, key, value = Rows(default_mapping(kind, register.header), register, PSEUDONYMS).convert(
        *register.rows[0])
    item = to_item("unit", 0, value, kind)
    assert type(item.command).__name__ == command and item.command.person.id_number == row["person.id_number"]
    assert key and not privacy.holds_id_number(key.decode())  # keyed by the person's pseudonym, never the number
