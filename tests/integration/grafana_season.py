"""One projected demo season for the Grafana checks, built once per test module: a simulated week (with 1 % bad
messages, so rejects exist) stored and projected, the clock's sweep and the built-in evaluator run at its end,
some alerts acknowledged in time, some late, some resolved, the rest escalated, and a few reads of person-level
data in the access log — so every dashboard has something to show."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from domain import commands as c
from domain.alert_desk import AlertDesk
from gridflow.bootstrap import bootstrap
from gridflow.clock import record_open_stays
from gridflow.evaluator import Evaluator
from streams.contract import to_item
from streams.simulator import Simulator
from streams.topics import KIND_OF_TOPIC
from tests.unit.domain_helpers import GRID, LODGING_GRID_LODGING, OTHER_GRID, Feed, common, move_in, person

START, DAYS, SCALE = date(2026, 8, 1), 7, 0.01
CAPACITY_SCALE = SCALE  # capacities at the data's scale: the busiest grids and scenic areas reach their tiers


@dataclass
class Season:
    system: Any
    client: Any
    start: datetime  # business time of the first fact of the week
    end: datetime  # business time of the last fact (the evaluator's "now")
    recorded_end: datetime  # wall-clock time of the last intake record


def build_season(config: Any, geography: Any) -> Season:
    system = bootstrap(config, geography)
    messages = Simulator(geography, start=START, days=DAYS, scale=SCALE, seed=3, bad_share=0.01).messages()
    items = [to_item(f"test:{m.topic}", i, m.value, KIND_OF_TOPIC[m.topic]) for i, m in enumerate(messages)]
    for k in range(0, len(items), 1000):
        system.store.process(items[k:k + 1000])
    system.store.process(_what_the_quiet_rules_look_for())
    projector = system.recovered_projector()
    projector.catch_up()
    client = system.clickhouse
    end = client.query("SELECT max(occurred_at) FROM movements").result_rows[0][0].replace(tzinfo=UTC)
    record_open_stays(system.store, client, end)
    projector.catch_up()
    desk = AlertDesk(system.store)
    Evaluator(desk, client, geography, lambda: end, capacity_scale=CAPACITY_SCALE).run_once()
    projector.catch_up()
    _work_the_alerts(desk, client, end)
    for allowed in (True, False):
        desk.record_access(at=datetime.now(UTC), account="liaison-1", role="liaison", action="trail",
                           resource="priority:demo", allowed=allowed, reason="" if allowed else "outside scope")
    projector.catch_up()
    recorded_end = client.query("SELECT max(recorded_at) FROM intake_ledger").result_rows[0][0]
    return Season(system, client, datetime.combine(START, datetime.min.time(), timezone(timedelta(hours=8))), end,
                  recorded_end.replace(tzinfo=UTC))


def _what_the_quiet_rules_look_for() -> list:
    """A week this small triggers some rules on its own; these facts trigger the others: six tenants under one
    lease (group rental, and an inflow surge in that grid), a priority person last seen 48 days before the end,
    another checking in at a lodging on the last day."""
    feed, last_day = Feed("test:triggers"), datetime(2026, 8, 7, 6, 0, tzinfo=UTC)
    tenants = tuple(person() for _ in range(6))
    commands: list[c.Command] = [c.StartLease(lease_id="LEASE-GROUP", dwelling_id="D-GROUP", grid_code=GRID,
                                              landlord=person(), tenants=tenants,
                                              **common(last_day - timedelta(days=3)))]
    commands += [move_in(t, "D-GROUP", last_day - timedelta(days=2, hours=n), reason="rental") for n, t in
                 enumerate(tenants)]
    commands += [c.PriorityMovement(person=person(), category="community_correction", assigned_grid=OTHER_GRID,
                                    responsible_worker="W1", movement="sighting", grid_code=OTHER_GRID,
                                    **common(datetime(2026, 6, 20, 9, 0, tzinfo=UTC))),
                 c.PriorityMovement(person=person(), category="drug_rehabilitation", assigned_grid=OTHER_GRID,
                                    responsible_worker="W1", movement="lodging_check_in", grid_code=OTHER_GRID,
                                    place=LODGING_GRID_LODGING, **common(last_day))]
    return [feed.item(command) for command in commands]


def _work_the_alerts(desk: AlertDesk, client: Any, end: datetime) -> None:
    from uuid import UUID

    ids = [UUID(a) for (a,) in client.query("SELECT alert_id FROM alerts_current ORDER BY alert_id").result_rows]
    for n, alert_id in enumerate(ids):
        if n % 4 == 0:
            desk.acknowledge(alert_id, by="worker-1", role="grid_worker", note="已核实", at=end + timedelta(minutes=5))
        elif n % 4 == 1:
            desk.acknowledge(alert_id, by="worker-1", role="grid_worker", note="迟到", at=end + timedelta(days=1))
            desk.resolve(alert_id, by="worker-1", outcome="已处置", at=end + timedelta(days=1, hours=1))
    desk.escalate_due(ids, end + timedelta(days=2))  # the rest climb a loop (grid → town)
