"""A small world for alert tests on the real stores (SQLite + chdb): two priority persons (one assigned inside the
demo grid worker's grid, one in another town), accounts for every role around that grid, and helpers to raise
alerts and bring ClickHouse up to date."""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from domain import commands as c
from domain.alert_desk import AlertDesk
from domain.identity import make_id_number
from domain.model import PriorityPerson
from gridflow.accounts import Accounts, demo_accounts, token_hash
from gridflow.api import Services
from gridflow.bootstrap import bootstrap
from tests.conftest import T0
from tests.unit.domain_helpers import Feed, common, person

INSIDE = "37061400100101"
WEBHOOK_TOKEN = "webhook-secret"


@dataclass
class World:
    population: Any
    client: Any
    projector: Any
    desk: AlertDesk
    accounts: Accounts
    tokens: dict[str, str]  # account name → token (the accounts keep only hashes)
    services: Services
    outside: str  # a grid in another town
    inside_person: str  # pseudonyms
    outside_person: str
    now: list[datetime]
    id_numbers: tuple[str, str] = ("", "")  # inside, outside: for the liaison's look-up
    system: Any = None  # the wired system whose ClickHouse and projector the world uses

    @property
    def inside_handle(self) -> str:
        """The handle a priority alert carries and the liaison's list shows (the `movements` subject)."""
        return PriorityPerson.create_id(self.inside_person).hex

    @property
    def outside_handle(self) -> str:
        return PriorityPerson.create_id(self.outside_person).hex

    def raise_alert(self, grid: str, rule_id: str = "priority_left_area", key: str = "", severity: str = "orange",
                    evidence: dict | None = None, fingerprint: str = "") -> str:
        alert_id, _ = self.desk.raise_or_repeat(
            fingerprint=fingerprint or f"{rule_id}:{grid}:{key}", rule_id=rule_id, severity=severity, grid_code=grid,
            town_code=self.services.geography.grids[grid].town_code, summary=f"test alert {key}",
            evidence={"key": key} if evidence is None else evidence, ack_sla_s=900, at=self.now[0], source="test")
        self.project()
        return alert_id.hex  # as the API lists it

    def raise_priority_alert(self, inside: bool = True) -> str:
        """As the rule raises it: keyed by the person's handle, the evidence as its SQL returns it."""
        handle = self.inside_handle if inside else self.outside_handle
        return self.raise_alert(INSIDE if inside else self.outside, "priority_left_area",
                                fingerprint=f"priority_left_area:{handle}:grid",
                                evidence={"level": "grid", "level_name": "网格", "left_at": "2026-08-01 10:05",
                                          "value": 1})

    def project(self) -> None:
        self.projector.catch_up()


def make_world(config: Any, geography: Any) -> World:
    population = bootstrap(config, geography).store
    outside = next(code for code, grid in geography.grids.items()
                   if grid.town_code != geography.grids[INSIDE].town_code and grid.valid_to is None)
    feed, pseudonyms, id_numbers = Feed(), [], []
    for n, assigned in enumerate((INSIDE, outside)):  # the same two people in every world (stable handles)
        who = replace(person(), id_number=make_id_number("370614", date(1980, 5, 1), 11 + n))
        id_numbers.append(who.id_number)
        population.process([feed.item(c.PriorityMovement(
            person=who, category="community_correction", assigned_grid=assigned, responsible_worker="W1",
            movement="sighting", grid_code=assigned, **common(T0)))])
        pseudonyms.append(population.pseudonymize(who.id_number))
    system = bootstrap(config, geography)
    client, projector = system.clickhouse, system.recovered_projector()
    projector.catch_up()
    accounts, tokens = demo_accounts(geography, INSIDE)
    now = [T0 + timedelta(hours=1)]
    desk = AlertDesk(population)
    services = Services(desk, client, geography, accounts, lambda: now[0], token_hash(WEBHOOK_TOKEN),
                        threading.RLock())
    return World(population, client, projector, desk, accounts, tokens, services, outside, pseudonyms[0],
                 pseudonyms[1], now, tuple(id_numbers), system)


def as_role(world: World, role: str) -> dict[str, str]:
    """The bearer header of the world's account for `role`."""
    account = next(a for a in world.accounts.by_name.values() if a.role == role)
    return {"Authorization": f"Bearer {world.tokens[account.name]}"}
