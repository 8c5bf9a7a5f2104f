"""The built-in evaluator: each round records the clock's facts (stays left open past their nights), runs every
alert rule over the read models, raises or counts alerts, and lets the clock escalate those nobody acknowledged in
time. Same Alert aggregate as Grafana's webhook."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from alerting.rules import RULES, Rule
from domain.alert_desk import AlertDesk
from domain.geography import Geography
from gridflow.clock import record_open_stays
from gridflow.pipeline import in_background
from projections import alert_queries, queries
from projections.reference_tables import sync_reference_tables

log = logging.getLogger("gridflow.evaluator")


@dataclass
class Evaluator:
    desk: AlertDesk
    client: Any
    geography: Geography
    clock: Callable[[], datetime]
    capacity_scale: float = 1.0
    rules: tuple[Rule, ...] = RULES
    lock: threading.RLock = field(default_factory=threading.RLock)  # shared with the API

    def __post_init__(self) -> None:
        with self.lock:  # the rules compare with capacities in ClickHouse, at the scale of the data evaluated
            sync_reference_tables(self.client, self.geography, self.capacity_scale)

    def run_once(self) -> dict[str, int]:
        now = self.clock()
        if now.tzinfo is None:  # ClickHouse hands back naive UTC
            now = now.replace(tzinfo=UTC)
        counts = {"findings": 0, "raised": 0, "repeated": 0, "escalated": 0}
        with self.lock:  # the clock's facts first: stays past their nights (seen by the rules next round)
            _, counts["stays_left_open"] = record_open_stays(self.desk.app, self.client, now)
        for rule in self.rules:
            with self.lock:
                findings = rule.findings(self.client, now)
            for finding in findings:
                with self.lock:
                    _, new = self.desk.raise_or_repeat(
                        fingerprint=finding.fingerprint, rule_id=rule.id, severity=finding.severity,
                        grid_code=finding.grid_code, town_code=finding.town_code, summary=finding.summary,
                        evidence=finding.evidence, ack_sla_s=rule.sla_for(finding.severity), at=now, source="gridflow")
                counts["findings"] += 1
                counts["raised" if new else "repeated"] += 1
        with self.lock:
            counts["escalated"] = self.desk.escalate_due(alert_queries.escalation_candidates(self.client), now)
        return counts


@contextmanager
def evaluating(evaluator: Evaluator, every_s: float = 1.0) -> Iterator[threading.Thread]:
    """Run the evaluator in a thread, a round every `every_s`, until the block ends."""
    def rounds(stopped: Callable[[], bool]) -> None:
        while not stopped():
            time.sleep(every_s)
            try:
                evaluator.run_once()
            except Exception:  # a failing rule must not stop the others next round; it is logged
                log.exception("evaluation round failed")

    with in_background(rounds, "gridflow-evaluator") as thread:
        yield thread


def data_clock(client: Any, lock: threading.RLock) -> Callable[[], datetime]:
    """Business time as the data tells it (the latest fact projected): for simulated seasons. Takes the shared
    (re-entrant) lock, so a request already holding it may ask the time."""
    def now() -> datetime:
        with lock:
            return queries.latest_fact_time(client)
    return now
