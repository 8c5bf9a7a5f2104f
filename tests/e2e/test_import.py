"""`gridflow import` end to end on the real parts: a register file → the intake topics on Tansu → the worker process →
the store → ClickHouse, and the reject report joined back from the intake's ledger and dead letters. One broker,
worker and projector for the module."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from gridflow.pipeline import following, intake_worker, local_stack, wait_until
from imports.registers import move_in_register, visitor_register, write_csv, write_xlsx
from projections import queries
from tests.conftest import make_config

EXAMPLES = Path(__file__).resolve().parents[2] / "imports" / "examples"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, geography):
    from gridflow.runtime import tansu_broker

    root = tmp_path_factory.mktemp("import")
    with tansu_broker(root / "tansu") as servers:
        config = make_config(root / "gf", KAFKA_BOOTSTRAP_SERVERS=servers)
        with local_stack(config, geography) as running, \
                intake_worker(config, servers, config.data_dir / "logs" / "worker.log") as worker, \
                following(running.projector):
            running.worker = worker
            yield running


def gridflow_import(stack, *args: str) -> subprocess.CompletedProcess:
    config = stack.config
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=stack.servers, GRIDFLOW_DATA_DIR=str(config.data_dir),
               GRIDFLOW_EVENT_STORE=config.event_store_url, GRIDFLOW_CIPHER_KEY=config.cipher_key,
               GRIDFLOW_PSEUDONYM_KEY=config.pseudonym_key.decode(), GRIDFLOW_CLICKHOUSE=config.clickhouse_dsn)
    run = subprocess.run([sys.executable, "-m", "gridflow.cli", "import", *args], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert run.stderr.count("[████████████████████] 100%") >= 2  # the rows read, then the intake's verdicts
    return run


def projected(stack) -> dict:
    """ClickHouse once the projector has caught up with the store."""
    head = stack.reader.recorder.max_notification_id() or 0
    wait_until(lambda: stack.projector.position >= head, lambda: f"projected to #{stack.projector.position}",
               timeout_s=120, alive=lambda: stack.worker.poll() is None)
    return {"totals": queries.intake_totals(stack.client), "kinds": queries.movement_counts(stack.client),
            "grids": stack.client.query("SELECT grid_code, residents, visitors_present FROM grid_population FINAL "
                                        "ORDER BY grid_code").result_rows}


def report_rows(prefix: Path) -> tuple[dict[int, str], str]:
    """(row number → reason) from the CSV report, checked equal to the XLSX report; and all the text of both."""
    with prefix.with_name(prefix.name + ".csv").open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    sheet = openpyxl.load_workbook(prefix.with_name(prefix.name + ".xlsx")).active
    in_xlsx = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert in_xlsx == table
    assert table[0][:3] == ["行号 row", "阶段 stage", "原因 reason"]
    return {int(row[0]): row[2] for row in table[1:]}, "\n".join(",".join(row) for row in table)


def assert_no_personal_data(text: str, table: list[list[object]], columns: tuple[int, ...]) -> None:
    for row in table[1:]:
        for column in columns:
            value = str(row[column]).strip().upper()
            if value:
                assert value not in text.upper(), f"row {row[0]}: {table[0][column]} repeated in the report"


def test_a_10000_row_gb18030_register_is_accepted_or_reported_row_by_row_and_a_second_import_changes_nothing(
        stack, geography, tmp_path):
    table, expected = move_in_register(geography, 10_000, seed=21, bad_every=250)
    register = write_csv(tmp_path / "迁入登记.csv", table, "gb18030")
    before = projected(stack)
    first = gridflow_import(stack, str(register), "--kind", "move_in", "--mapping",
                            str(EXAMPLES / "grid-office-move-in.yaml"), "--report", str(tmp_path / "first"))
    after_first = projected(stack)
    rejected, text = report_rows(tmp_path / "first")
    assert rejected == expected  # every seeded bad row, each with its reason, and nothing else
    accepted = after_first["totals"]["accepted"] - before["totals"]["accepted"]
    assert accepted + len(rejected) == 10_000
    assert after_first["kinds"].get("move_in", 0) - before["kinds"].get("move_in", 0) == accepted
    assert f"10000 rows: {accepted} accepted (0 of them imported before), {len(rejected)} rejected" in first.stdout
    assert_no_personal_data(text, table, (1, 3, 4))  # name, ID number, mobile

    second = gridflow_import(stack, str(register), "--kind", "move_in", "--mapping",
                             str(EXAMPLES / "grid-office-move-in.yaml"), "--report", str(tmp_path / "second"))
    after_second = projected(stack)
    assert report_rows(tmp_path / "second")[0] == expected
    assert f"{accepted} accepted ({accepted} of them imported before)" in second.stdout
    assert after_second["kinds"] == after_first["kinds"] and after_second["grids"] == after_first["grids"]
    assert after_second["totals"]["accepted"] == after_first["totals"]["accepted"]
    assert after_second["totals"]["duplicates"] - after_first["totals"]["duplicates"] == accepted


def test_an_xlsx_hotel_register_with_bad_rows_is_reported_row_by_row(stack, geography, tmp_path):
    table, expected = visitor_register(geography, 400, seed=31, bad_every=16)
    workbook = write_xlsx(tmp_path / "住宿登记.xlsx", table, sheet="八月")
    before = projected(stack)
    run = gridflow_import(stack, str(workbook), "--kind", "visitor_registration", "--sheet", "八月", "--mapping",
                          str(EXAMPLES / "hotel-visitors.yaml"), "--report", str(tmp_path / "hotel"))
    after = projected(stack)
    rejected, text = report_rows(tmp_path / "hotel")
    assert rejected == expected and set(expected.values()) == {"invalid_number", "missing_value", "unknown_lodging",
                                                                "invalid_id_number", "schema_violation"}
    accepted = after["totals"]["accepted"] - before["totals"]["accepted"]
    assert accepted + len(rejected) == 400 and f"400 rows: {accepted} accepted" in run.stdout
    check_ins = after["kinds"]["visitor_check_in"] - before["kinds"].get("visitor_check_in", 0)
    assert check_ins == accepted
    assert_no_personal_data(text, table, (2, 4, 5))
    # the bureau corrects the reported rows and imports the register again: only those rows are new
    corrected, _ = visitor_register(geography, 400, seed=31)
    run = gridflow_import(stack, str(write_xlsx(tmp_path / "更正.xlsx", corrected, sheet="八月")), "--kind",
                          "visitor_registration", "--sheet", "八月", "--mapping", str(EXAMPLES / "hotel-visitors.yaml"),
                          "--report", str(tmp_path / "corrected"))
    assert report_rows(tmp_path / "corrected")[0] == {}
    assert f"400 rows: 400 accepted ({accepted} of them imported before), 0 rejected" in run.stdout
    assert projected(stack)["kinds"]["visitor_check_in"] == after["kinds"]["visitor_check_in"] + len(rejected)


MISTAKES = {
    "no such file": (("import", "nowhere.csv", "--kind", "move_in"), "nowhere.csv: no such file"),
    "a column the mapping names is missing": (
        ("import", str(EXAMPLES / "hotel-visitors.xlsx"), "--kind", "move_in", "--mapping",
         str(EXAMPLES / "grid-office-move-in.yaml")), "column '入住日期' is not in the file's header"),
    "no broker": (("import", str(EXAMPLES / "grid-office-move-in.csv"), "--kind", "move_in", "--mapping",
                   str(EXAMPLES / "grid-office-move-in.yaml")), "needs KAFKA_BOOTSTRAP_SERVERS"),
}


@pytest.mark.parametrize("case", MISTAKES)
def test_an_import_mistake_is_one_line_naming_its_cause(case, tmp_path):
    from tests.e2e.test_operator_mistakes import gridflow, one_line

    args, cause = MISTAKES[case]
    assert cause in one_line(gridflow(tmp_path / "data", *args))
