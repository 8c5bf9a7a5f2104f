"""Final state two ways: from ClickHouse after the real pipeline, and from applying each message once, in order,
to an in-memory model. Equal results mean the pipeline lost nothing, doubled nothing, and reordering between
topics did not change the outcome."""
from __future__ import annotations

from collections import Counter
from typing import Any

from domain import commands as c
from domain.application import Population
from domain.identity import Pseudonymizer
from domain.model import Lease, Person, PriorityPerson, VisitorStay
from streams.contract import to_item
from streams.topics import KIND_OF_TOPIC


def reference_state(geography: Any, messages: list[Any], pseudonym_key: bytes) -> dict[str, Any]:
    model = Population({}, geography=geography, pseudonymize=Pseudonymizer(pseudonym_key))
    items = [to_item("reference", i, m.value, KIND_OF_TOPIC[m.topic]) for i, m in enumerate(messages)]
    result = model.process(items)
    people, leases, stays, priority = set(), set(), set(), set()
    for item in items:
        command = item.command
        if isinstance(command, (c.MoveIn, c.MoveOut)):
            people.add(model.pseudonymize(command.person.id_number))
        elif isinstance(command, c.StartLease):
            leases.add(command.lease_id)
        elif isinstance(command, c.CheckIn):
            stays.add(command.stay_id)
        elif isinstance(command, c.PriorityMovement):
            priority.add(model.pseudonymize(command.person.id_number))
    residents, active_leases, visitors = Counter(), Counter(), Counter()
    for pseudonym in people:
        person = model.repository.get(Person.create_id(pseudonym))
        if person.is_resident:
            residents[person.grid_code] += 1
    for lease_id in leases:
        lease = _get(model, Lease.create_id(lease_id))
        if lease is not None and lease.ended_at is None:
            active_leases[lease.grid_code] += 1
    for stay_id in stays:
        stay = _get(model, VisitorStay.create_id(stay_id))
        if stay is not None and stay.checked_out_at is None:
            visitors[stay.grid_code] += stay.party_size
    last_grid = {}
    for pseudonym in priority:
        found = _get(model, PriorityPerson.create_id(pseudonym))
        if found is not None:
            last_grid[found.id.hex] = found.last_grid
    return {"residents": dict(residents), "active_leases": dict(active_leases), "visitors": dict(visitors),
            "priority_last_grid": last_grid, "accepted": result.count("accepted"),
            "rejected": result.count("rejected")}


def _get(model: Population, aggregate_id: Any) -> Any:
    try:
        return model.repository.get(aggregate_id)
    except Exception:
        return None


def pipeline_state(client: Any) -> dict[str, Any]:
    def pairs(sql: str) -> dict[str, int]:
        return {k: int(v) for k, v in client.query(sql).result_rows if int(v) != 0}

    return {
        "residents": pairs("SELECT grid_code, residents FROM grid_population FINAL"),
        "active_leases": pairs("SELECT grid_code, active_leases FROM active_leases"),
        "visitors": pairs("SELECT grid_code, sum(visitors_delta) FROM movements GROUP BY grid_code"),
        "priority_last_grid": dict(client.query(
            "SELECT subject, argMax(grid_code, (occurred_at, notification_id)) FROM movements "
            "WHERE kind LIKE 'priority_%' GROUP BY subject").result_rows),
    }
