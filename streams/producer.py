"""Publish intake messages with kafka-python (acks=all), reporting progress and where each seeded bad one landed."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from streams.simulator import SimMessage


@dataclass
class Published:
    count: int = 0
    by_topic: dict[str, int] = field(default_factory=dict)
    # (topic, partition, offset) → (expected reason, original bytes) for every seeded bad message
    bad: dict[tuple[str, int, int], tuple[str, bytes]] = field(default_factory=dict)
    worker_peak_rss_mb: int = 0  # of the intake worker that consumed them, when one was run for them


def kafka_producer(servers: str) -> Any:
    """acks=all, one request in flight (order per partition), a few retries; gives up within 10 s if no broker."""
    from kafka import KafkaProducer

    return KafkaProducer(bootstrap_servers=servers, acks="all", linger_ms=10, batch_size=256 * 1024,
                         max_in_flight_requests_per_connection=1, retries=5, max_block_ms=10_000,
                         request_timeout_ms=10_000)


def publish(producer: Any, messages: Iterable[SimMessage], progress: Callable[[int], None] | None = None,
            every: int = 2000) -> Published:
    result = Published()
    pending_bad = []
    for message in messages:
        future = producer.send(message.topic, key=message.key, value=message.value)
        if message.expected_reject:
            pending_bad.append((future, message))
        result.count += 1
        result.by_topic[message.topic] = result.by_topic.get(message.topic, 0) + 1
        if progress and result.count % every == 0:
            progress(result.count)
    producer.flush()
    for future, message in pending_bad:
        meta = future.get(timeout=30)
        result.bad[(meta.topic, meta.partition, meta.offset)] = (message.expected_reject, message.value)
    if progress:
        progress(result.count)
    return result
