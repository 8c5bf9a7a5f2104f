"""Turn a batch of raw Kafka records into one domain batch: parse, apply, dead-letter the rejects, commit."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from domain.application import Population
from domain.intake import BatchResult
from streams.contract import to_item
from streams.dead_letter import DeadLetterPublisher, RawMessage
from streams.topics import KIND_OF_TOPIC

log = logging.getLogger("gridflow.intake")
# Infrastructure gets about two and a half minutes to come back (a database restart, a broker election) before
# the worker gives up on a batch; what a message holds never makes a batch fail (it becomes a reject).
RETRY_DELAYS_S = (0.5, 1, 2, 4, 8, 15, 30, 30, 30, 30)
STATUSES = ("accepted", "duplicate", "redelivered", "rejected")  # what becomes of each message of a batch


def with_retries(handle: Callable[[Sequence[RawMessage]], BatchResult], records: Sequence[RawMessage],
                 delays_s: Sequence[float] = RETRY_DELAYS_S) -> BatchResult:
    """Retry a batch the store or the broker could not take. Whatever still fails is raised to the caller, which
    must not acknowledge the batch."""
    for attempt, delay in enumerate(delays_s, 1):
        try:
            return handle(records)
        except Exception as e:
            log.warning("intake batch failed (attempt %d: %s: %s); retrying in %.1f s", attempt, type(e).__name__,
                        str(e).splitlines()[0][:200] if str(e) else "", delay)
            time.sleep(delay)
    return handle(records)


def published_at(timestamp_ms: int | None) -> datetime | None:
    """A Kafka timestamp as a time; None when the record has none (or one no datetime can hold)."""
    if timestamp_ms is None or timestamp_ms <= 0:
        return None
    try:
        return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        return None


class IntakeHandler:
    """Synchronous and broker-agnostic, so it can be driven by the consumer loop (streams.worker) or by a test.

    Sources are named by cluster, topic and partition: a Kafka cluster rebuilt from scratch starts its offsets
    at 0 again, and under the old names its new messages would be taken for redeliveries and skipped."""

    def __init__(self, population: Population, dead_letters: DeadLetterPublisher, cluster_id: str = ""):
        self.population = population
        self.dead_letters = dead_letters
        self.prefix = f"kafka:{cluster_id}:" if cluster_id else "kafka:"
        self.totals = {**dict.fromkeys(STATUSES, 0), "decided_again": 0}

    def source_of(self, record: RawMessage) -> str:
        return f"{self.prefix}{record.topic}:{record.partition}"

    def handle(self, records: Sequence[RawMessage]) -> BatchResult:
        received_at = datetime.now(UTC)
        raw_at = {(self.source_of(r), r.offset): r for r in records}
        items = [to_item(self.source_of(r), r.offset, r.value, KIND_OF_TOPIC.get(r.topic), received_at,
                         published_at(r.timestamp_ms)) for r in records]

        def publish_rejects(result: BatchResult) -> None:
            self.dead_letters.publish((o, raw_at[(o.item.source, o.item.position)]) for o in result.rejects)

        result = self.population.process(items, before_commit=publish_rejects)
        for status in STATUSES:
            self.totals[status] += result.count(status)
        self.totals["decided_again"] += result.attempts - 1
        return result
