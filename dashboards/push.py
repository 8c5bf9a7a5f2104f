"""`gridflow grafana push`: upsert by uid, over Grafana's HTTP API (grafana-client), everything the catalogue
defines — the liaison team, the folders with their permissions, the ClickHouse datasource, the dashboards, the
alert rule groups, the contact points (gridflow's webhook, the operations webhook) and the notification policy.
Each object is read first and written only when it differs from what gridflow wants, so a second push changes
nothing; a dry run only reads.

Secrets cannot be read back (Grafana returns them redacted), so the datasource password and the webhook token
are sent when their object is created or changed for another reason."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException, GrafanaUnauthorizedError

from dashboards.catalogue import FOLDERS, LIAISON_TEAM, dashboards, folder_permissions, provisioned, rule_groups

SECRET_SETTINGS = ("authorization_credentials", "password")
OPERATIONS_URL = "GRIDFLOW_OPERATIONS_ALERT_URL"  # the operations contact point's webhook (provisioning file)


class PushFailed(Exception):
    """Grafana cannot be reached, refuses the token, or refuses an object; the message is one line."""


@dataclass(frozen=True)
class Change:
    kind: str
    name: str
    action: str  # create | update | unchanged

    def __str__(self) -> str:
        return f"{self.action:<9} {self.kind} {self.name}"


def differs(wanted: Any, current: Any) -> bool:
    """Whether `current` (what Grafana returns) lacks anything of `wanted`; keys Grafana adds are ignored."""
    if isinstance(wanted, dict):
        return not isinstance(current, dict) or any(differs(v, current.get(k)) for k, v in wanted.items())
    if isinstance(wanted, list):
        return not isinstance(current, list) or len(wanted) != len(current) or \
            any(differs(w, c) for w, c in zip(wanted, current, strict=True))
    return wanted != current


def _without(document: dict[str, Any], secrets: tuple[str, ...]) -> dict[str, Any]:
    return {k: (_without(v, secrets) if isinstance(v, dict) else v) for k, v in document.items() if k not in secrets}


class Pusher:
    def __init__(self, api: Any, dry_run: bool = False, say: Callable[[str], None] = print):
        self.api, self.dry_run, self.say = api, dry_run, say
        self.changes: list[Change] = []

    def upsert(self, kind: str, name: str, current: Any, wanted: dict[str, Any], write: Callable[[], Any],
               update: Callable[[], Any] | None = None, compare: dict[str, Any] | None = None) -> None:
        """Record what `wanted` needs against `current` (None: absent) and, unless dry, write it: `write` creates
        (and updates, where Grafana's API has one call for both), `update` changes an existing object."""
        action = "create" if current is None else "update" if differs(compare or wanted, current) else "unchanged"
        change = Change(kind, name, action)
        self.changes.append(change)
        self.say(("would " if self.dry_run and action != "unchanged" else "") + str(change))
        if not self.dry_run and action != "unchanged":
            (update if action == "update" and update else write)()

    def push(self, env: Mapping[str, str]) -> list[Change]:
        team_id = self.team()
        folder_uids = {f.uid: self.folder(f, team_id) for f in FOLDERS}
        self.datasource(provisioned("datasources/clickhouse.yaml", env)["datasources"][0])
        self.dashboards(folder_uids)
        self.rule_groups(folder_uids)
        alerting = provisioned("alerting/gridflow.yaml", env)
        for point in alerting["contactPoints"]:
            self.contact_point(point)
        self.policy({k: v for k, v in alerting["policies"][0].items() if k != "orgId"})
        return self.changes

    def dashboards(self, folder_uids: dict[str, str]) -> None:
        client = self.api.client
        for board, model in dashboards():
            body = {"dashboard": model, "folderUid": folder_uids[board.folder], "overwrite": True,
                    "message": "gridflow grafana push"}
            current = _absent_as_none(lambda uid=model["uid"]: client.GET(f"/dashboards/uid/{uid}"))
            held = current and {"dashboard": current["dashboard"], "folderUid": current["meta"].get("folderUid")}
            self.upsert("dashboard", model["uid"], held, body, lambda b=body: client.POST("/dashboards/db", json=b),
                        compare={"dashboard": model, "folderUid": body["folderUid"]})

    def rule_groups(self, folder_uids: dict[str, str]) -> None:
        """Each group whole, by folder and title (PUT creates or replaces it; rules keep their uids)."""
        client = self.api.client
        for group in rule_groups():
            group = {**group, "folderUid": folder_uids[group["folderUid"]],
                     "rules": [{**r, "folderUID": folder_uids[r["folderUID"]]} for r in group["rules"]]}
            path = f"/v1/provisioning/folder/{group['folderUid']}/rule-groups/{group['title']}"
            current = _absent_as_none(lambda p=path: client.GET(p))
            self.upsert("alert rule group", group["title"], current if current and current.get("rules") else None,
                        group, lambda p=path, g=group: client.PUT(p, json=g))

    def policy(self, policy: dict[str, Any]) -> None:
        client = self.api.client
        self.upsert("notification policy", policy["receiver"], client.GET("/v1/provisioning/policies"), policy,
                    lambda: client.PUT("/v1/provisioning/policies", json=policy))

    def team(self) -> int | None:
        """The liaison team the priority folders admit (its members are Grafana's business); None in a dry run
        that would create it."""
        found = self.api.client.GET("/teams/search", params={"name": LIAISON_TEAM})["teams"]
        self.upsert("team", LIAISON_TEAM, found[0] if found else None, {"name": LIAISON_TEAM},
                    lambda: found.append(self.api.client.POST("/teams", json={"name": LIAISON_TEAM})))
        if not found:
            return None
        return found[0].get("id", found[0].get("teamId"))  # search answers `id`, creation `teamId`

    def folder(self, folder: Any, team_id: int | None) -> str:
        client = self.api.client
        current = _absent_as_none(lambda: client.GET(f"/folders/{folder.uid}"))
        uid = folder.uid
        if current is None:  # one provisioned from files has the same title and a uid of Grafana's choosing
            same = [f for f in client.GET("/folders") if f.get("title") == folder.title]
            current, uid = (same[0], same[0]["uid"]) if same else (None, folder.uid)
        body = {"uid": folder.uid, "title": folder.title}
        self.upsert("folder", f"{uid} {folder.title}", current, {"title": folder.title},
                    lambda: client.POST("/folders", json=body),
                    update=lambda: client.PUT(f"/folders/{uid}", json={"title": folder.title, "overwrite": True}))
        items = folder_permissions(folder, team_id)
        if items is not None:
            now = [] if current is None else client.GET(f"/folders/{uid}/permissions")
            held = sorted((p.get("teamId") or 0, p.get("userId") or 0, p.get("role") or "", p["permission"])
                          for p in now)
            wanted = sorted((p.get("teamId") or 0, 0, "", p["permission"]) for p in items)
            self.upsert("folder permissions", f"{uid} (team {LIAISON_TEAM} only)", {"items": held} if now else None,
                        {"items": wanted}, lambda: client.POST(f"/folders/{uid}/permissions", json={"items": items}))
        return uid

    def datasource(self, source: dict[str, Any]) -> None:
        client = self.api.client
        body = {k: v for k, v in source.items() if k != "orgId"} | {"access": "proxy"}
        current = _absent_as_none(lambda: client.GET(f"/datasources/uid/{body['uid']}"))
        self.upsert("datasource", body["uid"], current, body, lambda: client.POST("/datasources", json=body),
                    update=lambda: client.PUT(f"/datasources/uid/{body['uid']}", json=body),
                    compare=_without(body, ("secureJsonData",)))

    def contact_point(self, point: dict[str, Any]) -> None:
        client = self.api.client
        receiver = point["receivers"][0]
        body = {"uid": receiver["uid"], "name": point["name"], "type": receiver["type"],
                "settings": receiver["settings"], "disableResolveMessage": receiver.get("disableResolveMessage", False)}
        found = [p for p in client.GET("/v1/provisioning/contact-points", params={"name": point["name"]})
                 if p.get("uid") == body["uid"]]
        self.upsert("contact point", body["uid"], found[0] if found else None, body,
                    lambda: client.POST("/v1/provisioning/contact-points", json=body),
                    update=lambda: client.PUT(f"/v1/provisioning/contact-points/{body['uid']}", json=body),
                    compare=_without(body, SECRET_SETTINGS))


def _absent_as_none(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except GrafanaClientError as e:
        if e.status_code == 404:
            return None
        raise


def push(url: str, token: str, env: Mapping[str, str], dry_run: bool = False,
         say: Callable[[str], None] = print, timeout_s: float = 10) -> list[Change]:
    check_operations_url(env.get(OPERATIONS_URL, ""))
    api = GrafanaApi.from_url(url, credential=token, timeout=timeout_s)
    try:
        return Pusher(api, dry_run, say).push(env)
    except GrafanaUnauthorizedError:
        raise PushFailed(f"Grafana at {url} refuses the token (401): check --token") from None
    except GrafanaClientError as e:
        hint = " (the token's role must be Admin)" if e.status_code == 403 else ""
        raise PushFailed(f"Grafana at {url} refused a request ({e.status_code}){hint}: "
                         f"{_first_line(e.message)}") from None
    except GrafanaException as e:
        raise PushFailed(f"Grafana at {url} failed: {_first_line(str(e))}") from None
    except OSError as e:  # niquests' connection errors are OSErrors: refused, unknown host, TLS
        raise PushFailed(f"no Grafana answers at {url}: {_first_line(str(e))}") from None


def check_operations_url(url: str) -> None:
    """Operations alerts need somewhere to go; the URL is not repeated (a chat robot's carries its token)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PushFailed(f"{OPERATIONS_URL} (or {OPERATIONS_URL}_FILE) must be the http(s) URL of the webhook that "
                         "receives operations alerts" + ("" if url else ": it is not set"))


def _first_line(text: str) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")[:200]
