"""`gridflow grafana push` against a FAKE Grafana: no Grafana server can run here, so a stand-in HTTP server answers
the endpoints of Grafana's documented HTTP API (folders and folder permissions, teams, datasources, dashboards,
the alerting provisioning API) with their documented payloads, keeps what it is sent, and records every request.
The tests check the endpoints and payloads push uses, that a second push changes nothing, --dry-run, adopting
folders that file provisioning made, and one-line errors for a wrong token or no Grafana at all."""
from __future__ import annotations

import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from dashboards.catalogue import BOARDS, FOLDERS
from dashboards.push import PushFailed, push
from gridflow.cli import main

TOKEN = "glsa_fake_service_account_token"
OPS_URL = "https://oncall.example.gov.cn/hooks/gridflow"
ENV = {"CLICKHOUSE_PASSWORD": "ch-secret", "GRIDFLOW_WEBHOOK_TOKEN": "hook-secret",
       "GRIDFLOW_OPERATIONS_ALERT_URL": OPS_URL}


class FakeGrafana:
    """Grafana's HTTP API as documented, kept in memory. Secrets are stored but never returned (as Grafana)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict | None]] = []
        self.ids = itertools.count(1)
        self.teams: list[dict] = []
        self.folders: dict[str, dict] = {}
        self.permissions: dict[str, list[dict]] = {}
        self.datasources: dict[str, dict] = {}
        self.dashboards: dict[str, dict] = {}
        self.rule_groups: dict[tuple[str, str], dict] = {}
        self.contact_points: dict[str, dict] = {}
        self.policy: dict = {"receiver": "grafana-default-email", "group_by": ["grafana_folder", "alertname"]}
        self.routes = [
            ("GET", r"/api/teams/search", self.search_teams), ("POST", r"/api/teams", self.add_team),
            ("GET", r"/api/folders", self.list_folders), ("POST", r"/api/folders", self.create_folder),
            ("GET", r"/api/folders/([^/]+)", self.get_folder), ("PUT", r"/api/folders/([^/]+)", self.update_folder),
            ("GET", r"/api/folders/([^/]+)/permissions", self.get_permissions),
            ("POST", r"/api/folders/([^/]+)/permissions", self.set_permissions),
            ("GET", r"/api/datasources/uid/([^/]+)", self.get_datasource),
            ("POST", r"/api/datasources", self.add_datasource),
            ("PUT", r"/api/datasources/uid/([^/]+)", self.update_datasource),
            ("GET", r"/api/dashboards/uid/([^/]+)", self.get_dashboard),
            ("POST", r"/api/dashboards/db", self.save_dashboard),
            ("GET", r"/api/v1/provisioning/folder/([^/]+)/rule-groups/([^/]+)", self.get_rule_group),
            ("PUT", r"/api/v1/provisioning/folder/([^/]+)/rule-groups/([^/]+)", self.put_rule_group),
            ("GET", r"/api/v1/provisioning/contact-points", self.get_contact_points),
            ("POST", r"/api/v1/provisioning/contact-points", self.add_contact_point),
            ("PUT", r"/api/v1/provisioning/contact-points/([^/]+)", self.update_contact_point),
            ("GET", r"/api/v1/provisioning/policies", lambda body, q: (200, self.policy)),
            ("PUT", r"/api/v1/provisioning/policies", self.set_policy),
        ]

    @property
    def writes(self) -> list[tuple[str, str, dict | None]]:
        return [r for r in self.requests if r[0] != "GET"]

    def handle(self, method: str, url: str, auth: str | None, body: dict | None) -> tuple[int, object]:
        if auth != f"Bearer {TOKEN}":
            return 401, {"message": "invalid API key"}
        parsed = urlparse(url)
        self.requests.append((method, parsed.path, body))
        for verb, pattern, answer in self.routes:
            match = re.fullmatch(pattern, parsed.path)
            if verb == method and match:
                return answer(body, parse_qs(parsed.query), *match.groups())
        return 404, {"message": "Not found"}

    @staticmethod
    def _needs(body: dict | None, *keys: str) -> None:
        missing = [k for k in keys if not (body or {}).get(k)]
        assert not missing, f"the documented payload needs {missing}"

    def search_teams(self, body, q):
        teams = [t for t in self.teams if t["name"] == q.get("name", [""])[0]]
        return 200, {"totalCount": len(teams), "teams": teams, "page": 1, "perPage": 1000}

    def add_team(self, body, q):
        self._needs(body, "name")
        self.teams.append({"id": next(self.ids), "name": body["name"], "memberCount": 0})
        return 200, {"message": "Team created", "teamId": self.teams[-1]["id"]}

    def list_folders(self, body, q):
        return 200, [{"id": f["id"], "uid": f["uid"], "title": f["title"]} for f in self.folders.values()]

    def create_folder(self, body, q):
        self._needs(body, "title")
        if any(f["title"] == body["title"] for f in self.folders.values()):
            return 409, {"message": "a folder with the same name already exists"}
        uid = body.get("uid") or f"auto{next(self.ids)}"
        self.folders[uid] = {"id": next(self.ids), "uid": uid, "title": body["title"], "version": 1}
        return 200, self.folders[uid]

    def get_folder(self, body, q, uid):
        return (200, self.folders[uid]) if uid in self.folders else (404, {"message": "folder not found"})

    def update_folder(self, body, q, uid):
        self._needs(body, "title")
        self.folders[uid].update(title=body["title"], version=self.folders[uid]["version"] + 1)
        return 200, self.folders[uid]

    def get_permissions(self, body, q, uid):
        return 200, [{"folderUid": uid, "permissionName": {1: "View", 2: "Edit", 4: "Admin"}[p["permission"]], **p}
                     for p in self.permissions.get(uid, [{"role": "Viewer", "permission": 1},
                                                          {"role": "Editor", "permission": 2}])]

    def set_permissions(self, body, q, uid):
        self._needs(body, "items")
        assert all({"teamId", "userId", "role"} & set(item) and item["permission"] in (1, 2, 4)
                   for item in body["items"])
        self.permissions[uid] = body["items"]
        return 200, {"message": "Folder permissions updated"}

    def get_datasource(self, body, q, uid):
        if uid not in self.datasources:
            return 404, {"message": "Data source not found"}
        stored = self.datasources[uid]
        return 200, {**{k: v for k, v in stored.items() if k != "secureJsonData"},
                     "secureJsonFields": {k: True for k in stored.get("secureJsonData", {})}}

    def add_datasource(self, body, q):
        self._needs(body, "name", "type", "access")
        self.datasources[body["uid"]] = {"id": next(self.ids), "orgId": 1, "readOnly": False, **body}
        return 200, {"datasource": self.datasources[body["uid"]], "id": self.datasources[body["uid"]]["id"],
                     "message": "Datasource added", "name": body["name"]}

    def update_datasource(self, body, q, uid):
        self._needs(body, "name", "type", "access")
        self.datasources[uid].update(body)
        return 200, {"datasource": self.datasources[uid], "message": "Datasource updated"}

    def get_dashboard(self, body, q, uid):
        if uid not in self.dashboards:
            return 404, {"message": "Dashboard not found"}
        stored = self.dashboards[uid]
        return 200, {"dashboard": stored["dashboard"], "meta": {"folderUid": stored["folderUid"], "slug": uid}}

    def save_dashboard(self, body, q):
        self._needs(body, "dashboard")
        model = body["dashboard"]
        assert model.get("uid") and model.get("title") and body.get("overwrite") is True
        assert body.get("folderUid") in self.folders, "dashboards go into an existing folder"
        old = self.dashboards.get(model["uid"], {"dashboard": {"id": next(self.ids), "version": 0}})["dashboard"]
        self.dashboards[model["uid"]] = {"dashboard": {**model, "id": old["id"], "version": old["version"] + 1},
                                         "folderUid": body["folderUid"]}
        return 200, {"id": old["id"], "uid": model["uid"], "status": "success", "version": old["version"] + 1}

    def get_rule_group(self, body, q, folder, group):
        found = self.rule_groups.get((folder, group))
        return (200, found) if found else (404, {"message": "rule group does not exist"})

    def put_rule_group(self, body, q, folder, group):
        self._needs(body, "rules", "interval")
        assert folder in self.folders and body["title"] == group
        for rule in body["rules"]:
            self._needs(rule, "uid", "title", "condition", "data", "folderUID", "ruleGroup", "noDataState",
                        "execErrState", "for")
            assert rule["folderUID"] == folder and rule["ruleGroup"] == group
        self.rule_groups[(folder, group)] = {**body, "folderUid": folder, "rules": [
            {**rule, "id": next(self.ids), "orgID": 1, "provenance": "api", "updated": "2026-11-26T00:00:00Z"}
            for rule in body["rules"]]}
        return 200, self.rule_groups[(folder, group)]

    def get_contact_points(self, body, q):
        wanted = q.get("name", [None])[0]
        return 200, [{**cp, "settings": {k: ("[REDACTED]" if k == "authorization_credentials" else v)
                                         for k, v in cp["settings"].items()}}
                     for cp in self.contact_points.values() if wanted in (None, cp["name"])]

    def add_contact_point(self, body, q):
        self._needs(body, "name", "type", "settings")
        self.contact_points[body["uid"]] = body
        return 202, body

    def update_contact_point(self, body, q, uid):
        self._needs(body, "name", "type", "settings")
        self.contact_points[uid] = body
        return 202, {"message": "contactpoint updated"}

    def set_policy(self, body, q):
        self._needs(body, "receiver")
        self.policy = body
        return 202, {"message": "policies updated"}


@pytest.fixture
def grafana():
    fake = FakeGrafana()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, payload = fake.handle(self.command, self.path, self.headers.get("Authorization"), body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_port}"
    yield fake
    server.shutdown()
    server.server_close()


def test_push_creates_everything_by_uid_and_a_second_push_changes_nothing(grafana):
    first = push(grafana.url, TOKEN, ENV, say=lambda _: None)
    assert {(c.kind, c.action) for c in first if c.action != "create"} == {("notification policy", "update")}
    assert set(grafana.folders) == {f.uid for f in FOLDERS}
    liaison = grafana.teams[0]["id"]
    for folder in FOLDERS:
        if folder.liaison_only:
            assert grafana.permissions[folder.uid] == [{"teamId": liaison, "permission": 1}]
    assert len(grafana.dashboards) == len(BOARDS)
    assert grafana.dashboards["gridflow-priority"]["folderUid"] == "gridflow-priority"
    rules = {r["labels"]["rule_id"]: r for g in grafana.rule_groups.values() for r in g["rules"]}
    assert rules["priority_left_area"]["folderUID"] == "gridflow-priority-rules"
    assert rules["grid_lodging_load"]["folderUID"] == "gridflow-rules"
    source = grafana.datasources["gridflow-clickhouse"]
    assert source["type"] == "grafana-clickhouse-datasource" and source["secureJsonData"]["password"] == "ch-secret"
    hook = grafana.contact_points["gridflow-webhook"]
    assert hook["type"] == "webhook" and hook["settings"]["authorization_credentials"] == "hook-secret"
    assert grafana.policy["receiver"] == hook["name"]
    # operations rules: a folder of their own, routed by team=operations to the operations webhook
    assert rules["projector_stopped"]["folderUID"] == "gridflow-operations-rules"
    assert rules["projector_stopped"]["labels"]["team"] == "operations"
    ops = grafana.contact_points["gridflow-operations-webhook"]
    assert ops["type"] == "webhook" and ops["settings"]["url"] == OPS_URL
    assert grafana.policy["routes"] == [{"receiver": ops["name"], "object_matchers": [["team", "=", "operations"]],
                                         "group_by": ["rule_id"], "group_wait": "30s", "group_interval": "5m",
                                         "repeat_interval": "1h"}]

    writes = len(grafana.writes)
    second = push(grafana.url, TOKEN, ENV, say=lambda _: None)
    assert {c.action for c in second} == {"unchanged"} and len(second) == len(first)
    assert len(grafana.writes) == writes  # it only read


def test_a_changed_object_is_updated_and_nothing_else(grafana):
    push(grafana.url, TOKEN, ENV, say=lambda _: None)
    grafana.dashboards["gridflow-overview"]["dashboard"]["title"] = "someone edited it"
    grafana.permissions["gridflow-priority"] = [{"role": "Viewer", "permission": 1}]
    changes = push(grafana.url, TOKEN, ENV, say=lambda _: None)
    assert sorted((c.kind, c.action) for c in changes if c.action != "unchanged") == \
        [("dashboard", "update"), ("folder permissions", "update")]
    assert grafana.dashboards["gridflow-overview"]["dashboard"]["title"] == "区级总览"


def test_dry_run_only_reads_and_says_what_would_change(grafana):
    said: list[str] = []
    changes = push(grafana.url, TOKEN, ENV, dry_run=True, say=said.append)
    assert grafana.writes == [] and all(c.action != "unchanged" for c in changes)
    assert "would create dashboard gridflow-overview" in [" ".join(line.split()) for line in said]


def test_folders_that_file_provisioning_made_are_adopted_by_title(grafana):
    grafana.folders["fileprov1"] = {"id": 99, "uid": "fileprov1", "title": "网格预警规则", "version": 1}
    push(grafana.url, TOKEN, ENV, say=lambda _: None)
    assert ("fileprov1", "gridflow") in grafana.rule_groups and "gridflow-rules" not in grafana.folders
    assert {c.action for c in push(grafana.url, TOKEN, ENV, say=lambda _: None)} == {"unchanged"}


def test_a_wrong_token_and_no_grafana_are_one_line_errors(grafana, tmp_path, monkeypatch, capsys):
    with pytest.raises(PushFailed, match="refuses the token"):
        push(grafana.url, "wrong", ENV, say=lambda _: None)
    monkeypatch.setenv("GRIDFLOW_DATA_DIR", str(tmp_path / "gf"))
    for url, why in (("", "it is not set"), ("oncall.example.gov.cn/hook?key=s3cret", "webhook that receives")):
        monkeypatch.setenv("GRIDFLOW_OPERATIONS_ALERT_URL", url)
        assert main(["grafana", "push", "--url", grafana.url, "--token", TOKEN]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and why in err and "s3cret" not in err and "Traceback" not in err, err
    assert grafana.writes == []  # refused before anything was sent
    monkeypatch.delenv("GRIDFLOW_OPERATIONS_ALERT_URL")
    url_file = tmp_path / "operations_alert_url"
    url_file.write_text(OPS_URL + "\n")
    monkeypatch.setenv("GRIDFLOW_OPERATIONS_ALERT_URL_FILE", str(url_file))  # as compose's secret file
    for url, token, expected in ((grafana.url, "wrong", "refuses the token (401)"),
                                 ("http://127.0.0.1:9", TOKEN, "no Grafana answers at http://127.0.0.1:9")):
        assert main(["grafana", "push", "--url", url, "--token", token]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and expected in err and "Traceback" not in err, err
    assert main(["grafana", "push", "--url", grafana.url, "--token", TOKEN, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would create    dashboard gridflow-priority" in out
    assert re.search(r"gridflow grafana push: would change (\d+) of \1 objects", out), out
    assert grafana.writes == []
