"""Reading partitions up to their end, on any Kafka broker. The end is the high watermark a fetch response reports:
Tansu answers ListOffsets(LATEST) wrongly (platform note B1: the last batch's base offset + 1), but its fetch
responses carry the true high watermark. Used to find what an interrupted writer already published, and where a
topic ends before we add to it."""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

Partition = tuple[str, int]  # (topic, partition)


def _consumer(servers: str) -> Any:
    from kafka import KafkaConsumer

    return KafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False, group_id=None,
                         auto_offset_reset="earliest", fetch_max_wait_ms=100, request_timeout_ms=30_000)


def read_to_end(servers: str, starts: dict[Partition, int], timeout_s: float = 60
                ) -> tuple[list[Any], dict[Partition, int]]:
    """(every record from each start offset to the end, the end of each partition). A start past the end (the
    topic was made anew) is read from the partition's beginning; the caller sees it as an end below its start."""
    if not starts:
        return [], {}
    return _read(servers, starts, keep=True, timeout_s=timeout_s)


def ends(servers: str, partitions: Iterable[Partition], timeout_s: float = 60) -> dict[Partition, int]:
    """Where each partition ends now. Reads at most the last batch of each (the broker's own answer for the end
    may fall short of it, never past it)."""
    return _read(servers, dict.fromkeys(partitions, -1), keep=False, timeout_s=timeout_s)[1]


def _read(servers: str, starts: dict[Partition, int], keep: bool, timeout_s: float
          ) -> tuple[list[Any], dict[Partition, int]]:
    from kafka import TopicPartition

    kafka_log = logging.getLogger("kafka")
    level, kafka_log.level = kafka_log.level, logging.ERROR  # an offset reset is expected here, not a warning
    consumer = _consumer(servers)
    try:
        tps = {TopicPartition(topic, partition): start for (topic, partition), start in starts.items()}
        consumer.assign(list(tps))
        for tp, start in tps.items():
            if start < 0:
                consumer.seek_to_end(tp)
            else:
                consumer.seek(tp, start)
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while True:
            for batch in consumer.poll(timeout_ms=200).values():
                if keep:
                    records.extend(batch)
            if all(consumer.highwater(tp) is not None and consumer.position(tp) >= consumer.highwater(tp)
                   for tp in tps):
                return records, {(tp.topic, tp.partition): consumer.highwater(tp) for tp in tps}
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {sorted(starts)} to its end within {timeout_s:.0f} s")
    finally:
        consumer.close()
        kafka_log.level = level
