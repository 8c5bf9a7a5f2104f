"""Grafana, checked without a Grafana server on one projected demo season (module-scoped): every alert rule
gives the same findings through the built-in evaluator and through its Grafana query (macros expanded as the
plugin expands them, rows read as Grafana reads numeric table data, the alert mapped back by our webhook); every
dashboard panel's query runs and returns what its panel type draws; the export writes the files compose mounts."""
import re
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path

import pytest
import yaml

from alerting.macros import QueryContext, expand
from alerting.operations import OPERATIONS_RULES, TEAM
from alerting.rules import RULE_BY_ID, RULES
from dashboards import grid_detail
from dashboards.catalogue import dashboards, export
from dashboards.running import NUMERIC, TEXT, context, run_panels
from domain.alert_desk import AlertDesk
from gridflow.bootstrap import bootstrap
from gridflow.webhook import apply_grafana_payload
from projections.reference_tables import sync_reference_tables
from tests.conftest import make_config
from tests.integration.grafana_season import CAPACITY_SCALE, build_season
from tests.unit.domain_helpers import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def season(tmp_path_factory, geography):
    return build_season(make_config(tmp_path_factory.mktemp("grafana") / "gf"), geography)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    return out, export(out)


def grafana_alerts(rule: dict, client, now: datetime) -> list[dict]:
    """What Grafana alerting does with one provisioned rule at `now`: query A over its relative range, expanded
    by the plugin; a table of strings and one number is "numeric data" (strings → labels); condition B (a
    threshold) decides which instances fire. Returns the firing alerts as the webhook notifier posts them."""
    query, condition = (next(d for d in rule["data"] if d["refId"] == ref) for ref in ("A", rule["condition"]))
    window = query["relativeTimeRange"]
    ctx = QueryContext(now - timedelta(seconds=window["from"]), now - timedelta(seconds=window["to"]))
    result = client.query(expand(query["model"]["rawSql"], ctx))
    types = [t.name for t in result.column_types] or ["String", "String", "String", "String", "UInt8"]
    numbers = [n for n, t in enumerate(types) if NUMERIC.match(t)]
    assert len(numbers) == 1 and all(TEXT.match(t) for n, t in enumerate(types) if n not in numbers), \
        f"{rule['uid']}: Grafana alerts on a table of strings and exactly one number, not {types}"
    evaluator = condition["model"]["conditions"][0]["evaluator"]
    assert condition["model"]["type"] == "threshold" and evaluator["type"] == "gt"
    alerts = []
    for row in result.result_rows:
        labels = {**rule["labels"], **{name: str(row[n]) for n, name in enumerate(result.column_names)
                                        if n not in numbers}}
        value = float(row[numbers[0]])
        if value > evaluator["params"][0]:
            alerts.append({"status": "firing", "labels": labels, "annotations": {"summary": rule["title"]},
                           "startsAt": now.isoformat(), "values": {"A": value, "B": 1},
                           "fingerprint": sha256(repr(sorted(labels.items())).encode()).hexdigest()[:16]})
    return alerts


def test_every_shared_rule_finds_the_same_through_grafana_as_built_in(season, exported, geography):
    provisioned = yaml.safe_load((exported[0] / "provisioning/alerting/rules.yaml").read_text("utf-8"))
    by_rule = {r["labels"]["rule_id"]: r for group in provisioned["groups"] for r in group["rules"]
               if r["labels"].get("team") != TEAM}
    assert set(by_rule) == set(RULE_BY_ID)
    times = [season.end, season.end - timedelta(hours=9, minutes=38), datetime(2026, 8, 1, 5, tzinfo=UTC),
             datetime(2026, 8, 5, 5, tzinfo=UTC), datetime(2026, 8, 3, 7, tzinfo=UTC)]
    compared = {rule.id: 0 for rule in RULES}
    try:
        for scale, now in [(CAPACITY_SCALE, t) for t in times] + [(CAPACITY_SCALE / 2, season.end)]:
            sync_reference_tables(season.client, geography, scale)
            for rule in RULES:
                assert by_rule[rule.id]["data"][0]["model"]["rawSql"] == rule.sql.strip()  # one SQL text
                built_in = {(f.fingerprint, f.grid_code, f.town_code, f.severity)
                            for f in rule.findings(season.client, now)}
                desk = AlertDesk(app(geography))  # a store of its own: what the webhook makes of Grafana's alerts
                payload = {"alerts": grafana_alerts(by_rule[rule.id], season.client, now)}
                assert apply_grafana_payload(desk, geography, payload, now)["raised"] == len(built_in)
                through_grafana = {(a.fingerprint, a.grid_code, a.town_code, a.severity) for a in
                                   (desk.alert(desk.open_alert(fp)) for fp, *_ in built_in)}
                assert through_grafana == built_in, rule.id
                compared[rule.id] += len(built_in)
    finally:
        sync_reference_tables(season.client, geography, CAPACITY_SCALE)
    assert all(compared.values()), f"rules that never fired here prove nothing: {compared}"


def test_operations_rules_fire_on_a_stopped_projector_a_backlog_a_silent_day_and_a_feed_refused(exported, config,
                                                                                                 geography):
    """The operations rules as Grafana runs them (provisioned file, plugin macros, threshold), on tables written by
    hand: each fires in the situation it names, with the labels the summary uses, and stays quiet beside it."""
    provisioned = yaml.safe_load((exported[0] / "provisioning/alerting/rules.yaml").read_text("utf-8"))
    group = next(g for g in provisioned["groups"] if g["name"] == "gridflow-operations")
    assert group["folder"] == "运维告警" and {r["labels"]["rule_id"] for r in group["rules"]} == \
        {r.id for r in OPERATIONS_RULES} and all(r["labels"]["team"] == TEAM for r in group["rules"])
    by_rule = {r["labels"]["rule_id"]: r for r in group["rules"]}
    client = bootstrap(config, geography).clickhouse
    t = datetime(2026, 8, 3, 2, 0, tzinfo=UTC)  # 10:00 in the district
    client.insert("projection_position", [["main", 1_000, t - timedelta(minutes=10), "", 50_000],
                                          ["spare", 7, t - timedelta(seconds=30), "", 7]],
                  ["projector", "position", "updated_at", "chain_digest", "store_head"])
    ledger = [(f"kafka:gridflow.intake.{feed}:0", n, t - timedelta(minutes=5), waited_s)
              for feed, n, waited_s in (("rental", 100, 2), ("move-in", 1_000, 290), ("visitor", 10, 0),
                                        ("scenic-gate", 4, 430))]
    client.insert("intake_ledger", [[i, at, source, 0, n, n, 0, 0, waited_s * 1000]
                                    for i, (source, n, at, waited_s) in enumerate(ledger)],
                  ["notification_id", "recorded_at", "source", "first_position", "last_position", "accepted",
                   "duplicates", "rejected", "waited_ms"])
    rejects = [("rental", "schema_violation")] * 40 + [("rental", "invalid_id_number")] * 20 + \
        [("move-in", "invalid_id_number")] * 60 + [("visitor", "malformed_json")] * 10
    client.insert("intake_rejects", [[100, seq, t - timedelta(minutes=3), f"kafka:gridflow.intake.{feed}:1", seq, "",
                                       reason] for seq, (feed, reason) in enumerate(rejects)],
                  ["notification_id", "seq", "recorded_at", "source", "position", "message_id", "reason"])

    def firing(rule_id: str, now: datetime) -> list[dict]:
        return [{k: v for k, v in a["labels"].items() if k not in ("rule_id", "team")} | {"value": a["values"]["A"]}
                for a in grafana_alerts(by_rule[rule_id], client, now)]

    assert firing("projector_stopped", t) == [{"projector": "main", "value": 600}]
    assert firing("projector_stopped", t - timedelta(minutes=6)) == []  # 4 minutes: not yet
    assert firing("projection_backlog", t) == [{"projector": "main", "value": 49_000}]
    assert by_rule["projection_backlog"]["for"] == "5m"
    assert firing("reject_surge", t) == [{"feed": "rental", "value": 60}]
    assert firing("intake_lag", t) == [{"feed": "scenic-gate", "value": 7}]  # move-in's 290 s is within 5 minutes
    assert firing("intake_lag", t + timedelta(minutes=6)) == []  # out of its 10-minute window
    assert firing("reject_surge", t + timedelta(minutes=45)) == []  # out of its window
    assert firing("intake_silent", t) == []
    assert firing("intake_silent", t + timedelta(minutes=45)) == [{"component": "intake", "value": 50}]
    assert firing("intake_silent", t + timedelta(minutes=24, seconds=50)) == []  # 29 minutes 50 seconds
    assert firing("intake_silent", t + timedelta(hours=13, minutes=45)) == []  # 23:45 in the district: night
    morning = datetime(2026, 8, 4, 0, 0, 30, tzinfo=UTC)  # 08:00:30: the night is not counted as silence
    assert firing("intake_silent", morning) == []
    assert firing("intake_silent", morning + timedelta(minutes=30)) == [{"component": "intake", "value": 30}]


def test_health_checks_the_operations_rules_once_and_says_which_hold(config, geography, tmp_path, capsys):
    """`gridflow health`: exit 0 on a fresh system (nothing has stopped: nothing ever ran), 1 with the rule and its
    summary when the projector's row has gone stale."""
    from gridflow.cli import build_parser, run

    system = bootstrap(config, geography)
    t = datetime(2026, 8, 3, 2, 0, tzinfo=UTC)
    assert run(system, build_parser().parse_args(["health", "--at", t.isoformat()])) == 0
    out = capsys.readouterr().out
    assert out.count("正常 OK") == len(OPERATIONS_RULES) and "FIRING" not in out
    system.clickhouse.insert("projection_position", [["main", 10, t - timedelta(minutes=7), "", 10]],
                             ["projector", "position", "updated_at", "chain_digest", "store_head"])
    assert run(system, build_parser().parse_args(["health", "--at", t.isoformat()])) == 1
    captured = capsys.readouterr()
    assert "投影程序停止（projector_stopped）：触发 FIRING\n  投影程序 main 已 420 秒未写入" in captured.out
    assert captured.out.count("正常 OK") == len(OPERATIONS_RULES) - 1
    assert f"health: 1 of {len(OPERATIONS_RULES)} operations rules firing" in captured.err


MAY_BE_EMPTY = {"投影异常", "目前离开责任区域"}  # nothing of the kind in the demo week


def test_every_panel_query_runs_and_gives_its_panel_what_it_draws(season):
    grid, town = season.client.query(  # a grid with lodgings and an over-occupied dwelling: every panel has a say
        "SELECT a.grid_code, a.town_code FROM alerts_current AS a JOIN ref_grids AS g ON g.code = a.grid_code "
        "WHERE g.beds > 0 AND a.rule_id = 'over_occupied_dwelling' GROUP BY a.grid_code, a.town_code "
        "ORDER BY count() DESC, a.grid_code LIMIT 1").result_rows[0]
    ranges = {"business": context(season.start, season.end + timedelta(days=2)),
              "recorded": context(season.recorded_end - timedelta(hours=1), season.recorded_end + timedelta(hours=1))}
    panels = 0
    for board, model in dashboards():
        chosen = {"town": town, "grid": grid} if model["uid"] == grid_detail.UID else None  # else All / first
        for result in run_panels(season.client, model, ranges[board.clock], chosen):
            assert result.problems() == [], (model["title"], result.title, result.sql)
            assert "$" not in result.sql, (result.title, result.sql)
            if result.title not in MAY_BE_EMPTY:
                assert result.rows, f"{model['title']} / {result.title} is empty on the demo season"
            panels += 1
    assert panels >= 35


def test_export_writes_what_compose_mounts_and_the_committed_copies_are_current(exported):
    out, written = exported
    boards = [p for p in written if p.suffix == ".json"]
    assert len(boards) >= 6 and any("gridflow-priority/" in str(p) for p in boards)
    for path in written:
        committed = ROOT / "dashboards" / path.relative_to(out)
        assert committed.exists() and committed.read_text("utf-8") == path.read_text("utf-8"), \
            f"{committed} is stale: run `gridflow grafana export dashboards`"
    providers = yaml.safe_load((out / "provisioning/dashboards/gridflow.yaml").read_text("utf-8"))["providers"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))["services"]["grafana"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in compose["volumes"]}
    for provider in providers:
        mount = next(m for m in mounts if provider["options"]["path"].startswith(m))
        assert (ROOT / mounts[mount] / Path(provider["options"]["path"]).relative_to(mount)).is_dir()
    assert mounts["/etc/grafana/provisioning"] == "./dashboards/provisioning"
    # the plugin comes from a mounted directory at a pinned version, never from the internet at start
    environment = compose["environment"]
    assert "GF_INSTALL_PLUGINS" not in environment and environment["GF_PLUGINS_PREINSTALL_DISABLED"] == "true"
    assert mounts["/var/lib/grafana/plugins"] == "./deploy/grafana/plugins" and re.fullmatch(
        r"grafana/grafana:\d+\.\d+\.\d+", compose["image"])
    assert "grafana-clickhouse-datasource 4.20.0" in (ROOT / "deploy/grafana/plugins/README.md").read_text("utf-8")


def test_preview_draws_every_dashboard_from_the_same_sql(season, tmp_path):
    """Through the command line: one PNG per dashboard, real pictures (not blank), Chinese in a CJK font."""
    import matplotlib.image

    from gridflow.cli import build_parser, run

    out = tmp_path / "preview"
    args = build_parser().parse_args(["grafana", "preview", str(out), "--days", "6"])
    assert run(season.system, args) == 0
    pictures = sorted(out.glob("*.png"))
    assert [p.stem for p in pictures] == sorted(model["uid"] for _, model in dashboards())
    for picture in pictures:
        pixels = matplotlib.image.imread(picture)
        height, width = pixels.shape[:2]
        drawn = (pixels[..., :3] < 0.9).any(axis=-1).mean()  # share of pixels that are not (near) white
        assert width >= 1400 and height >= 400 and 0.02 < drawn < 0.9, (picture.name, width, height, drawn)


def test_preview_of_nothing_projected_is_one_line(config, geography, tmp_path, capsys):
    from gridflow.bootstrap import bootstrap
    from gridflow.cli import build_parser, run

    assert run(bootstrap(config, geography), build_parser().parse_args(["grafana", "preview", str(tmp_path)])) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nothing projected yet" in err
