"""The HTTP API on the real stores: an authorization matrix (every role × every endpoint × a resource inside and
outside its scope), every denial in the access log; Grafana's webhook payload; alert lists and KPIs."""
from __future__ import annotations

import itertools

from gridflow.accounts import ROLES
from gridflow.api import create_app
from tests.integration.alert_world import INSIDE, as_role

_keys = itertools.count()


def fresh_alert(world, inside):
    return world.raise_alert(INSIDE if inside else world.outside, key=str(next(_keys)))


# role → endpoint → (allowed inside, allowed outside)
ACTORS = {"grid_worker", "village", "town", "district", "admin"}
EVERYWHERE = {"district", "admin", "auditor"}
EXPECTED = {
    "list": lambda r: (r != "planner", r in EVERYWHERE),
    "acknowledge": lambda r: (r in ACTORS, r in {"district", "admin"}),
    "note": lambda r: (r in ACTORS, r in {"district", "admin"}),
    "resolve": lambda r: (r in ACTORS, r in {"district", "admin"}),
    "escalate": lambda r: (r in ACTORS, r in {"district", "admin"}),
    "history": lambda r: (r != "planner", r in EVERYWHERE),
    "trail": lambda r: (r in {"liaison", "auditor"}, r == "auditor"),
    "trail_by_handle": lambda r: (r in {"liaison", "auditor"}, r == "auditor"),
    "persons": lambda r: (r in {"liaison", "auditor"}, r == "auditor"),
    "lookup": lambda r: (r == "liaison", False),
    "kpi": lambda r: (r != "liaison", r in EVERYWHERE | {"planner"}),
    "access_log": lambda r: (r == "auditor", r == "auditor"),
    "webhook_with_account_token": lambda r: (False, False),
}


def call(http, world, endpoint, role, inside):
    headers = as_role(world, role)
    grid = INSIDE if inside else world.outside
    if endpoint == "list":
        alert_id = fresh_alert(world, inside)
        response = http.get("/api/alerts?status=all&limit=500", headers=headers)
        if response.status_code != 200:
            return False, response
        return alert_id in {a["alert_id"] for a in response.json()}, response
    if endpoint == "persons":
        response = http.get("/api/priority/persons", headers=headers)
        if response.status_code != 200:
            return False, response
        handle = world.inside_handle if inside else world.outside_handle
        return handle in {p["handle"] for p in response.json()}, response
    if endpoint in ("acknowledge", "note", "resolve", "escalate"):
        body = {"acknowledge": {"note": "seen"}, "note": {"note": "called the landlord"},
                "resolve": {"outcome": "handled"}, "escalate": {"reason": "help"}}
        path = "notes" if endpoint == "note" else endpoint
        response = http.post(f"/api/alerts/{fresh_alert(world, inside)}/{path}", json=body[endpoint],
                             headers=headers)
    elif endpoint == "history":
        response = http.get(f"/api/alerts/{fresh_alert(world, inside)}/history", headers=headers)
    elif endpoint == "trail":
        pseudonym = world.inside_person if inside else world.outside_person
        response = http.get(f"/api/priority/{pseudonym}/trail", params={"reason": "case 2026-118 follow-up"},
                            headers=headers)
    elif endpoint == "trail_by_handle":
        handle = world.inside_handle if inside else world.outside_handle
        response = http.get(f"/api/priority/{handle}/trail", params={"reason": "case 2026-118 follow-up"},
                            headers=headers)
    elif endpoint == "lookup":
        response = http.post("/api/priority/lookup", headers=headers, json={
            "id_number": world.id_numbers[0 if inside else 1], "reason": "case 2026-118 follow-up"})
    elif endpoint == "kpi":
        response = http.get("/api/kpi", params={"grid": grid}, headers=headers)
    elif endpoint == "access_log":
        response = http.get("/api/audit/access", headers=headers)
    else:
        response = http.post("/api/grafana/webhook", json={"alerts": []}, headers=headers)
    return response.status_code == 200, response


def denials_recorded(world):
    recorded = 0
    for notification in world.population.recorder.select_notifications(start=1, limit=10**6):
        if notification.topic.endswith("AccessLog.Recorded"):
            recorded += not world.population.mapper.to_domain_event(notification).allowed
    return recorded


def test_every_role_on_every_endpoint_inside_and_outside_its_scope(world, http):
    denied, wrong = 0, []
    for role, endpoint, inside in itertools.product(ROLES, EXPECTED, (True, False)):
        allowed, response = call(http, world, endpoint, role, inside)
        expected = EXPECTED[endpoint](role)[0 if inside else 1]
        if allowed != expected:
            wrong.append((role, endpoint, "inside" if inside else "outside", response.status_code,
                          response.text[:120]))
        if response.status_code in (401, 403):
            denied += 1
    assert wrong == []
    assert denied > 40 and denials_recorded(world) == denied  # every denial is in the access log


def test_reads_of_whereabouts_are_recorded_with_their_reason(world, http):
    response = http.get(f"/api/priority/{world.inside_person}/trail", params={"reason": "court order 118"},
                        headers=as_role(world, "liaison"))
    assert response.status_code == 200 and response.json()["trail"][0]["kind"] == "priority_sighting"
    assert http.get(f"/api/priority/{world.inside_person}/trail", headers=as_role(world, "liaison")).status_code \
        == 403  # no stated reason: no glass broken
    world.project()
    log = http.get("/api/audit/access", headers=as_role(world, "auditor")).json()
    reads = [e for e in log if e["action"] == "priority trail"]
    assert [(e["account"], e["allowed"], e["reason"]) for e in reads] == [
        ("liaison", True, "court order 118"), ("liaison", False, "break-the-glass needs a stated reason")]


def test_grafanas_webhook_raises_one_alert_then_resolves_it(world, http):
    firing = {
        "receiver": "gridflow", "status": "firing", "orgId": 1, "version": "1", "groupKey": "{}:{}",
        "truncatedAlerts": 0, "title": "[FIRING:1] scenic load", "state": "alerting", "message": "…",
        "externalURL": "http://grafana:3000/", "groupLabels": {}, "commonAnnotations": {},
        "commonLabels": {"alertname": "scenic load"},
        "alerts": [{"status": "firing", "labels": {"alertname": "scenic load", "rule_id": "scenic_instant_load",
                                                   "grid_code": INSIDE, "severity": "red"},
                    "annotations": {"summary": "Penglai Pavilion at 104 % of instantaneous capacity"},
                    "startsAt": "2026-08-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://grafana:3000/alerting/grafana/x/view", "fingerprint": "c6eadffa33fcdf37",
                    "silenceURL": "", "dashboardURL": "", "panelURL": "", "values": {"B": 9360, "C": 1},
                    "valueString": "[ var='B' value=9360 ]"}],
    }
    hook = {"Authorization": "Bearer webhook-secret"}
    assert http.post("/api/grafana/webhook", json=firing, headers=hook).json() == \
        {"raised": 1, "repeated": 0, "resolved": 0, "unplaced": 0, "ignored": 0}
    world.now[0] = world.now[0].replace(hour=world.now[0].hour + 1)
    again = dict(firing, alerts=[dict(firing["alerts"][0], values={"B": 9500, "C": 1},
                                      startsAt="2026-08-01T10:30:00Z")])
    assert http.post("/api/grafana/webhook", json=again, headers=hook).json()["repeated"] == 1
    world.project()
    worker = as_role(world, "grid_worker")
    alerts = http.get("/api/alerts", headers=worker).json()
    assert [(a["rule_id"], a["severity"], a["source"], a["repeats"]) for a in alerts] == [
        ("scenic_instant_load", "red", "grafana", 1)]
    resolved = dict(firing, status="resolved", alerts=[dict(firing["alerts"][0], status="resolved",
                                                            endsAt="2026-08-01T11:00:00Z")])
    assert http.post("/api/grafana/webhook", json=resolved, headers=hook).json()["resolved"] == 1
    world.project()
    assert http.get("/api/alerts", headers=worker).json() == []
    assert [a["status"] for a in http.get("/api/alerts?status=all", headers=worker).json()] == ["resolved"]


def test_kpis_for_planners_suppress_small_cells(world, http):
    world.raise_alert(INSIDE, key="kpi")
    figures = http.get("/api/kpi", params={"grid": INSIDE}, headers=as_role(world, "planner")).json()
    assert figures["raised"] == "<5" and figures["priority_persons"] == "<5"
    exact = http.get("/api/kpi", params={"grid": INSIDE}, headers=as_role(world, "grid_worker")).json()
    assert exact["raised"] == 1 and exact["open_now"] == 1 and exact["priority_persons"] == 1


def test_grafana_provisioning_points_its_webhook_at_our_route_without_a_grafana_server():
    """No Grafana server runs here: this checks the provisioning file against Grafana's documented shape
    (contactPoints → receivers of type webhook, policies) and that its URL is the route the API serves."""
    from pathlib import Path

    import yaml

    from gridflow.api import Services

    path = Path(__file__).resolve().parents[2] / "dashboards" / "provisioning" / "alerting" / "gridflow.yaml"
    provisioning = yaml.safe_load(path.read_text())
    receiver = provisioning["contactPoints"][0]["receivers"][0]
    assert provisioning["apiVersion"] == 1 and receiver["type"] == "webhook"
    assert receiver["settings"]["authorization_scheme"] == "Bearer"
    assert provisioning["policies"][0]["receiver"] == provisioning["contactPoints"][0]["name"]
    route = "/" + receiver["settings"]["url"].split("/", 3)[3]
    app = create_app(Services(None, None, None, None, lambda: None, "x"))
    assert route in app.openapi()["paths"]
