"""The loop through the API on the real stores: filters and pages for a town, commands applied once by their
command id, a 409 that says (in Chinese and English) that the alert moved, alerts readable as they are (names,
texts from the evidence, SLA, level), and the liaison's way from an alert to a trail, the ID-number look-up and
the operator's `as-of` read — each in the access log."""
from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from domain import commands as c
from gridflow.cli import build_parser, run
from gridflow.config import Config
from gridflow.errors import OperatorError
from gridflow.evaluator import Evaluator
from tests.conftest import T0
from tests.integration.alert_world import INSIDE, as_role
from tests.unit.domain_helpers import Feed, common, person

_keys = itertools.count()


def events_of(world, alert_id):
    return [type(e).__name__ for e in world.population.repository.event_store.get(UUID(alert_id))]


def access_log(world, http):
    world.project()
    return http.get("/api/audit/access", headers=as_role(world, "auditor")).json()


def test_a_town_filters_by_grid_severity_rule_and_state_and_pages_through(world, http, geography):
    town = geography.grids[INSIDE].town_code
    grids = sorted(geography.grids_of_town(town))[:3]
    raised = {}
    for n, (grid, severity, rule) in enumerate(itertools.product(grids, ("red", "yellow"),
                                                                 ("group_rental", "inflow_surge"))):
        raised[world.raise_alert(grid, rule, key=str(n), severity=severity, evidence={"value": n})] = \
            (grid, severity, rule)
    officer = as_role(world, "town")

    def listed(**params):
        response = http.get("/api/alerts", params=params, headers=officer)
        assert response.status_code == 200, response.text
        return [a["alert_id"] for a in response.json()], int(response.headers["X-Total-Count"])

    assert listed(limit=500)[1] == 12
    ids, total = listed(grid=grids[1], severity="red", rule="group_rental")
    assert total == 1 and raised[ids[0]] == (grids[1], "red", "group_rental")
    pages = [listed(limit=5, offset=offset) for offset in (0, 5, 10)]
    assert [len(page) for page, _ in pages] == [5, 5, 2] and {t for _, t in pages} == {12}
    assert sorted(sum((page for page, _ in pages), [])) == sorted(raised)  # every alert once, no overlap
    first = pages[0][0]
    assert [raised[a][1] for a in first] == ["red"] * 5  # the most severe first
    http.post(f"/api/alerts/{first[0]}/acknowledge", json={"note": ""}, headers=officer)
    world.project()
    assert listed(status="acknowledged") == ([first[0]], 1) and listed()[1] == 11
    outside = http.get("/api/alerts", params={"grid": world.outside}, headers=officer)
    assert outside.status_code == 403  # another town's grid: refused, and recorded
    assert http.get("/api/alerts", params={"grid": "nonsense"}, headers=officer).status_code == 422
    assert [(e["account"], e["allowed"]) for e in access_log(world, http) if e["action"] == "list alerts"] == [
        ("town", False)]


def test_a_command_sent_twice_is_applied_once_and_the_answer_says_so(world, http):
    alert_id = world.raise_alert(INSIDE, "over_occupied_dwelling", key="twice")
    worker = as_role(world, "grid_worker")
    steps = [("acknowledge", {"note": "已上门"}), ("notes", {"note": "房东已约谈"}),
             ("resolve", {"outcome": "已迁出两人"})]
    for path, body in steps:
        command = {**body, "command_id": uuid4().hex, "seen_level": "grid"}
        first = http.post(f"/api/alerts/{alert_id}/{path}", json=command, headers=worker)
        again = http.post(f"/api/alerts/{alert_id}/{path}", json=command, headers=worker)
        assert first.status_code == again.status_code == 200, again.text
        assert first.json()["applied"] is True
        assert again.json()["applied"] is False and again.json()["message"]["zh"] == "该操作此前已提交，未重复执行"
    assert events_of(world, alert_id) == ["Raised", "Acknowledged", "NoteAdded", "Resolved"]
    world.project()
    history = http.get(f"/api/alerts/{alert_id}/history", headers=worker).json()
    assert [(h["kind"], h["actor"], h["note"]) for h in history] == [
        ("raised", "", ""), ("acknowledged", "worker", "已上门"), ("note_added", "worker", "房东已约谈"),
        ("resolved", "worker", "已迁出两人")]
    assert history[1]["actor_display"].startswith("网格员") and history[1]["at"].endswith("+00:00")


def test_a_command_on_an_alert_that_moved_meanwhile_is_a_409_that_says_so(world, http):
    alert_id = world.raise_alert(INSIDE, "group_rental", key="moved")
    world.desk.escalate_due([UUID(alert_id)], world.now[0] + timedelta(seconds=900))  # the clock: SLA passed
    worker = as_role(world, "grid_worker")
    late = http.post(f"/api/alerts/{alert_id}/acknowledge", json={"note": "", "seen_level": "grid",
                                                                  "command_id": "q-1"}, headers=worker)
    assert late.status_code == 409
    assert (late.json()["code"], late.json()["level"]) == ("moved", "town")
    assert late.json()["message"]["zh"] == "该预警已上报至镇街，请刷新后再处理"
    town = as_role(world, "town")
    assert http.post(f"/api/alerts/{alert_id}/resolve", json={"outcome": "镇街已处置", "seen_level": "town"},
                     headers=town).status_code == 200
    closed = http.post(f"/api/alerts/{alert_id}/notes", json={"note": "补充", "seen_level": "town"}, headers=worker)
    assert closed.status_code == 409 and closed.json()["code"] == "closed" and "town" in closed.json()["message"]["zh"]
    assert events_of(world, alert_id) == ["Raised", "Escalated", "Resolved"]


def test_an_alert_reads_as_it_is_names_texts_sla_level_and_the_person_it_is_about(world, http, geography):
    lodging = world.raise_alert(INSIDE, "grid_lodging_load", key="beds", severity="red",
                                evidence={"beds": "100", "value": 155})
    priority = world.raise_priority_alert()
    [row] = [a for a in http.get("/api/alerts", headers=as_role(world, "grid_worker")).json()
             if a["alert_id"] == lodging]
    village = geography.villages[geography.grids[INSIDE].village_code].name
    assert village in row["place"]["zh"] and geography.towns[row["town_code"]].name_en in row["place"]["en"]
    assert row["texts"]["zh"]["summary"] == "网格内住宿游客 155 人，床位 100 张，负荷 155 %"
    assert row["texts"]["en"]["title"] == "Lodged visitors near the grid's beds" and row["texts"]["zh"]["guidance"]
    assert (row["level"], row["sla_remaining_s"]) == ("grid", 900)  # its SLA: 15 minutes from now
    world.now[0] += timedelta(minutes=10)
    [later] = [a for a in http.get("/api/alerts", headers=as_role(world, "grid_worker")).json()
               if a["alert_id"] == lodging]
    assert later["sla_remaining_s"] == 300 and later["sla_due_at"] == row["sla_due_at"]
    liaison = as_role(world, "liaison")
    [alert] = http.get("/api/alerts", headers=liaison).json()
    assert alert["alert_id"] == priority and alert["person"] == world.inside_handle
    trail = http.get(f"/api/priority/{alert['person']}/trail", params={"reason": "预警 核实去向"}, headers=liaison)
    assert trail.status_code == 200 and trail.json()["handle"] == world.inside_handle
    assert trail.json()["trail"][0]["grid_name"]["zh"].startswith(village)


def test_the_liaison_turns_an_id_number_into_a_handle_through_an_audited_look_up(world, http):
    liaison = as_role(world, "liaison")
    found = http.post("/api/priority/lookup", json={"id_number": world.id_numbers[0], "reason": "案件 2026-118"},
                      headers=liaison)
    assert found.status_code == 200 and found.json()["handle"] == world.inside_handle
    wrong = world.id_numbers[0][:17] + ("0" if world.id_numbers[0][17] != "0" else "1")
    refused = http.post("/api/priority/lookup", json={"id_number": wrong, "reason": "案件 2026-118"}, headers=liaison)
    assert refused.status_code == 422 and "check digit" in refused.json()["detail"]
    no_reason = http.post("/api/priority/lookup", json={"id_number": world.id_numbers[0]}, headers=liaison)
    assert no_reason.status_code == 403
    log = [e for e in access_log(world, http) if e["action"] == "priority look-up"]
    assert [(e["allowed"], e["reason"]) for e in log] == [
        (True, "案件 2026-118"), (False, "not a valid ID number: check digit does not match"),
        (False, "break-the-glass needs a stated reason")]
    assert log[0]["resource"] == f"priority person {world.inside_handle}"
    assert not any(world.id_numbers[0][:17] in str(e) for e in log)  # the ID number itself is written nowhere


def test_the_liaison_lists_priority_persons_of_his_town_without_names_or_id_numbers(world, http):
    response = http.get("/api/priority/persons", headers=as_role(world, "liaison"))
    [person] = response.json()
    assert response.headers["X-Total-Count"] == "1"
    assert set(person) == {"handle", "category", "assigned_grid", "assigned_grid_name", "last_seen_grid",
                           "last_seen_grid_name", "last_seen_at", "last_visit_at", "days_since_visit"}
    assert (person["handle"], person["category"], person["assigned_grid"], person["last_seen_grid"]) == (
        world.inside_handle, "community_correction", INSIDE, INSIDE)
    assert person["last_visit_at"] is None and person["days_since_visit"] is None  # seen, never visited
    assert [e["resource"] for e in access_log(world, http) if e["action"] == "list priority persons"] == [
        "1 priority persons"]


def test_me_gives_the_district_time_zone_and_a_wrong_zone_is_one_line(world, http, tmp_path):
    me = http.get("/api/me", headers=as_role(world, "town")).json()
    assert me["timezone"] == "Asia/Shanghai" and len(me["grids"]) > 50 and me["grids"][0]["zh"].endswith("网格")
    assert {r["id"] for r in me["rules"]} >= {"group_rental", "priority_left_area"}
    assert http.get("/api/me", headers=as_role(world, "district")).json()["towns"][0]["zh"] == "登州街道"
    with pytest.raises(OperatorError, match="GRIDFLOW_TIMEZONE: 'Asia/Penglai' is not a time zone"):
        Config.from_env({"GRIDFLOW_DATA_DIR": str(tmp_path), "GRIDFLOW_TIMEZONE": "Asia/Penglai"})


def test_as_of_for_a_person_needs_a_reason_and_is_in_the_access_log(world, http, capsys):
    base = ["as-of", "--at", "2026-08-02T00:00:00+08:00", "--person-pseudonym", world.inside_person]
    assert run(world.system, build_parser().parse_args(base)) == 2
    assert "--person-pseudonym needs --reason" in capsys.readouterr().err
    assert run(world.system, build_parser().parse_args([*base, "--reason", "court order 118"])) == 0
    assert '"last_seen"' in capsys.readouterr().out
    [entry] = [e for e in access_log(world, http) if e["action"] == "as-of person"]
    assert (entry["role"], entry["resource"], entry["reason"], entry["allowed"]) == (
        "operator", f"person {world.inside_person}", "court order 118", True)


def test_the_rules_own_priority_alert_leads_the_liaison_to_the_persons_trail(world, http, geography):
    """No alert made by hand: the person is sighted in another town, the domain derives the departure, the
    built-in evaluator's rule raises the alert, and the handle the alert carries opens the person's trail."""
    who = replace(person(), id_number=world.id_numbers[0])  # the person assigned to the worker's grid
    world.population.process([Feed("test:sightings").item(c.PriorityMovement(
        person=who, category="community_correction", assigned_grid=INSIDE, responsible_worker="W1",
        movement="sighting", grid_code=world.outside, **common(T0 + timedelta(minutes=30))))])
    world.project()
    Evaluator(world.desk, world.client, geography, lambda: world.now[0]).run_once()
    world.project()
    liaison = as_role(world, "liaison")
    raised = [a for a in http.get("/api/alerts", headers=liaison).json() if a["rule_id"] == "priority_left_area"]
    assert raised and {a["person"] for a in raised} == {world.inside_handle}
    trail = http.get(f"/api/priority/{raised[0]['person']}/trail", params={"reason": "预警 核实去向"},
                     headers=liaison)
    assert trail.status_code == 200 and trail.json()["handle"] == world.inside_handle
    assert world.outside in {sighting["grid_code"] for sighting in trail.json()["trail"]}
