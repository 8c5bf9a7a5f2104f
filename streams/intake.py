"""Turn a batch of raw Kafka records into one domain batch: parse, apply, dead-letter the rejects, commit."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from domain.application import BatchResult, Population
from streams.contract import to_item
from streams.dead_letter import DeadLetterPublisher, RawMessage
from streams.topics import KIND_OF_TOPIC

log = logging.getLogger("gridflow.intake")


def source_of(topic: str, partition: int) -> str:
    return f"kafka:{topic}:{partition}"


def with_retries(handle: Callable[[Sequence[RawMessage]], BatchResult], records: Sequence[RawMessage],
                 delays_s: Sequence[float] = (0.5, 1, 2, 4, 8)) -> BatchResult:
    """Retry a batch the store could not take (database restarting, lock timeout). Rejects are not errors:
    they come back as outcomes. Whatever still fails is raised to the caller, which must not acknowledge."""
    for delay in delays_s:
        try:
            return handle(records)
        except Exception:
            log.exception("intake batch failed; retrying in %.1f s", delay)
            time.sleep(delay)
    return handle(records)


class IntakeHandler:
    """Synchronous and broker-agnostic, so it can be driven by faust, by a plain consumer, or by a test."""

    def __init__(self, population: Population, dead_letters: DeadLetterPublisher):
        self.population = population
        self.dead_letters = dead_letters
        self.totals = {"accepted": 0, "duplicate": 0, "redelivered": 0, "rejected": 0}

    def handle(self, records: Sequence[RawMessage]) -> BatchResult:
        raw_at = {(source_of(r.topic, r.partition), r.offset): r for r in records}
        items = [to_item(source_of(r.topic, r.partition), r.offset, r.value, KIND_OF_TOPIC.get(r.topic))
                 for r in records]

        def publish_rejects(result: BatchResult) -> None:
            self.dead_letters.publish((o, raw_at[(o.item.source, o.item.position)]) for o in result.rejects)

        result = self.population.process(items, before_commit=publish_rejects)
        for status in self.totals:
            self.totals[status] += result.count(status)
        return result
