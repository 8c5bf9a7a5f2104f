"""The API as a hostile client would use it: requests generated from its own OpenAPI schema (schemathesis), with
and without valid tokens, never earn a 5xx; the cases the first users hit each answer a 4xx with a short message;
person-level answers are never cached; the docs need no internet; `--clock data` does not deadlock."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridflow.api import create_app
from gridflow.evaluator import data_clock
from gridflow.serving import serving
from tests.conftest import make_config
from tests.integration.alert_world import INSIDE, WEBHOOK_TOKEN, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory, geography):
    world = make_world(make_config(tmp_path_factory.mktemp("api") / "gf"), geography)
    world.raise_alert(INSIDE, key="hostile")
    return world


HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}


def operations(world):
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(world.services))
    return [result.ok() for result in schema.get_all_operations()]


def test_no_generated_request_earns_a_server_error(world):
    """Every operation of the published schema, 40 generated requests each, anonymous or with a district,
    auditor or webhook token (a fresh alert to act on is among the path parameters some of the time)."""
    tokens = [None, world.tokens["district"], world.tokens["auditor"], WEBHOOK_TOKEN]
    alert_id = world.raise_alert(INSIDE, key="generated")
    http = TestClient(create_app(world.services), raise_server_exceptions=False)
    failures = []

    def fuzz(operation) -> None:
        @given(case=operation.as_strategy(), token=st.sampled_from(tokens), real_alert=st.booleans())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case, token, real_alert):
            if real_alert and "alert_id" in (case.path_parameters or {}):
                case.path_parameters["alert_id"] = alert_id
            if token is not None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            body = {} if isinstance(case.body, (dict, list, str, int, float, bool, type(None))) else None
            if body is not None:
                body = {"json": case.body}
            response = http.request(case.method, case.formatted_path, params=case.query,
                                    headers={k: str(v) for k, v in (case.headers or {}).items()}, **(body or {}))
            if response.status_code >= 500:
                failures.append((operation.method, operation.path, response.status_code, response.text[:200]))

        call()

    for operation in operations(world):
        fuzz(operation)
    assert failures == []
    assert len(operations(world)) >= 9


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["alerts", "labels", "fingerprint", "status", "startsAt", "endsAt", "values",
                                         "annotations", "grid_code", "rule_id", "severity", "x"]), inner, max_size=6),
                    max_leaves=20)


def test_no_webhook_body_earns_a_server_error(world):
    """Grafana's side is not in our schema's body: random JSON shaped like its payload, with the right token."""
    http = TestClient(create_app(world.services), raise_server_exceptions=False)
    statuses = []

    @given(body=JSON | st.fixed_dictionaries({"alerts": st.lists(JSON, max_size=3)}))
    @settings(max_examples=150, deadline=None, database=None)
    def post(body):
        statuses.append(http.post("/api/grafana/webhook", json=body, headers=HOOK).status_code)

    post()
    assert max(statuses) < 500 and {200, 422} <= set(statuses)


@pytest.fixture
def http(world):
    return TestClient(create_app(world.services))


def firing(**alert):
    base = {"status": "firing", "fingerprint": "f-1", "labels": {"rule_id": "scenic_instant_load", "grid_code": INSIDE},
            "annotations": {"summary": "load"}, "startsAt": "2026-08-01T10:00:00Z"}
    return {"receiver": "gridflow", "status": "firing", "alerts": [{**base, **alert}]}


def test_the_webhook_checks_its_token_before_it_reads_the_body(http):
    assert http.post("/api/grafana/webhook", content=b"{not json").status_code == 401
    assert http.post("/api/grafana/webhook", content=b"{not json", headers=HOOK).status_code == 400


@pytest.mark.parametrize("payload", [
    [1, 2], {"alerts": {"a": 1}}, {"alerts": ["x"]}, firing(fingerprint=None), firing(fingerprint=""),
    firing(labels=["rule_id"]), firing(labels={"grid_code": 7}), firing(startsAt="yesterday"),
    firing(startsAt=12), firing(status="exploded"), firing(values=[1])])
def test_a_payload_that_is_not_grafanas_is_refused_whole_with_a_reason(http, payload):
    response = http.post("/api/grafana/webhook", json=payload, headers=HOOK)
    assert response.status_code == 422 and len(response.json()["detail"]) < 120


def test_an_alert_for_an_unknown_grid_goes_to_the_district_flagged_as_unplaced(http, world):
    response = http.post("/api/grafana/webhook", json=firing(fingerprint="f-nowhere",
                                                            labels={"rule_id": "x", "grid_code": "99999999999999"}),
                         headers=HOOK)
    assert response.json()["unplaced"] == 1
    world.project()
    district = {"Authorization": f"Bearer {world.tokens['district']}"}
    worker = {"Authorization": f"Bearer {world.tokens['worker']}"}
    placed = [a for a in http.get("/api/alerts", headers=district).json() if a["evidence"].get("unplaced")]
    assert [(a["level"], a["grid_code"]) for a in placed] == [("district", "")]
    assert "99999999999999" in placed[0]["evidence"]["unplaced"]
    assert not [a for a in http.get("/api/alerts", headers=worker).json() if a["evidence"].get("unplaced")]


def test_an_operations_alert_routed_here_by_mistake_is_ignored_not_made_a_grid_alert(http, world):
    response = http.post("/api/grafana/webhook", headers=HOOK, json=firing(
        fingerprint="f-ops", labels={"rule_id": "projector_stopped", "team": "operations", "projector": "main"}))
    assert response.status_code == 200 and response.json()["ignored"] == 1 and response.json()["raised"] == 0
    world.project()
    district = {"Authorization": f"Bearer {world.tokens['district']}"}
    assert not [a for a in http.get("/api/alerts", headers=district).json() if a["rule_id"] == "projector_stopped"]


def test_bad_query_values_are_a_4xx_with_one_line(http, world):
    auditor = {"Authorization": f"Bearer {world.tokens['auditor']}"}
    response = http.get("/api/audit/access", params={"since": "last tuesday"}, headers=auditor)
    assert response.status_code == 422 and "since" in response.json()["detail"]
    assert http.get("/api/alerts", params={"status": "maybe"}, headers=auditor).status_code == 422
    assert http.get("/api/kpi", params={"grid": "nowhere"}, headers=auditor).status_code == 404
    assert http.post("/api/alerts/not-an-id/acknowledge", json={}, headers=auditor).status_code == 404


def test_answers_are_never_cached_and_the_docs_need_no_internet(http, world):
    worker = {"Authorization": f"Bearer {world.tokens['worker']}"}
    assert http.get("/api/alerts", headers=worker).headers["cache-control"] == "no-store"
    assert http.get("/api/me").headers["cache-control"] == "no-store"  # the 401 too
    docs = http.get("/docs").text
    assert "swagger-ui-bundle.js" in docs and "cdn" not in docs.lower() and "https://" not in docs
    script = docs.split('src="', 1)[1].split('"', 1)[0]
    assert http.get(script).status_code == 200


def test_the_data_clock_does_not_deadlock_the_api(world):
    """`gridflow serve --clock data`: every request that holds the services lock and asks the time."""
    world.services.clock = data_clock(world.client, world.services.lock)
    district = {"Authorization": f"Bearer {world.tokens['district']}"}

    def get(url: str) -> int:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=district), timeout=15) as r:
                json.loads(r.read())
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    with serving(world.services) as base, ThreadPoolExecutor(4) as pool:
        alert_id = world.raise_alert(INSIDE, key="clock")
        ack = urllib.request.Request(f"{base}/api/alerts/{alert_id}/acknowledge", data=b'{"note": "seen"}',
                                     headers={**district, "Content-Type": "application/json"}, method="POST")
        answers = list(pool.map(get, [f"{base}/api/kpi", f"{base}/api/alerts"] * 4))
        with urllib.request.urlopen(ack, timeout=15) as r:
            acknowledged = json.loads(r.read())
    assert answers == [200] * 8 and acknowledged["status"] == "acknowledged"
