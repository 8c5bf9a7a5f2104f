"""Final state two ways: from ClickHouse after the real pipeline, and from applying each message once, in order,
to an in-memory model. Equal results mean the pipeline lost nothing, doubled nothing, and reordering between
topics did not change the outcome."""
from __future__ import annotations

from collections import Counter
from typing import Any

from domain.application import Population
from domain.identity import Pseudonymizer
from domain.model import Lease, Person, PriorityPerson, VisitorStay
from streams.contract import to_item
from streams.topics import KIND_OF_TOPIC


def reference_state(geography: Any, messages: list[Any], pseudonym_key: bytes) -> dict[str, Any]:
    model = Population({}, geography=geography, pseudonymize=Pseudonymizer(pseudonym_key))
    result = model.process([to_item("reference", i, m.value, KIND_OF_TOPIC[m.topic]) for i, m in enumerate(messages)])
    state: dict[str, Any] = {"residents": Counter(), "active_leases": Counter(), "visitors": Counter(),
                             "priority_last_grid": {}}
    created = {n.originator_id for n in model.recorder.select_notifications(start=1, limit=10**7)
               if n.originator_version == 1}
    for aggregate_id in created:
        aggregate = model.repository.get(aggregate_id)
        fold = FOLD.get(type(aggregate))
        if fold is not None:
            fold(aggregate, state)
    return {**{k: dict(v) for k, v in state.items()}, "accepted": result.count("accepted"),
            "rejected": result.count("rejected")}


def _resident(person: Person, state: dict[str, Any]) -> None:
    if person.is_resident:
        state["residents"][person.grid_code] += 1


def _lease(lease: Lease, state: dict[str, Any]) -> None:
    if lease.ended_at is None:
        state["active_leases"][lease.grid_code] += 1


def _stay(stay: VisitorStay, state: dict[str, Any]) -> None:
    if stay.checked_out_at is None:
        state["visitors"][stay.grid_code] += stay.party_size


def _priority(person: PriorityPerson, state: dict[str, Any]) -> None:
    state["priority_last_grid"][person.id.hex] = person.last_grid


FOLD = {Person: _resident, Lease: _lease, VisitorStay: _stay, PriorityPerson: _priority}


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


STATE = ("residents", "active_leases", "visitors", "priority_last_grid")


def assert_state_equal(client: Any, expected: dict[str, Any]) -> None:
    """The read models hold the state an in-order delivery gives (`reference_state`)."""
    actual = pipeline_state(client)
    for key in STATE:
        assert actual[key] == expected[key], key


def assert_same_as_in_order_delivery(stack: Any, geography: Any, messages: list[Any], config: Any) -> None:
    """Every message accepted or refused once, and the state an in-order delivery gives."""
    from projections import queries

    totals = queries.intake_totals(stack.client)
    expected = reference_state(geography, messages, config.pseudonym_key)
    assert totals == {"accepted": expected["accepted"], "duplicates": 0, "rejected": expected["rejected"]}
    assert_state_equal(stack.client, expected)
