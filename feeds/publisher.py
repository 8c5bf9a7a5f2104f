"""The feed publisher: follows the event store's notification log and publishes every feed of the catalogue to its
topic, neither losing nor repeating a message across a crash.

Per batch: read the log once, make each feed's messages, send them (idempotent producer, acks=all, one request in
flight: a partition holds a prefix of what was sent to it), then save every feed's position with the offsets its
partitions reached. A crash between the send and the save leaves messages past the saved offsets; on start the
publisher reads them (up to the high watermark a fetch reports — Tansu's ListOffsets is wrong), re-forms that
batch exactly (its end travels in a header, message ids are derived from the batch), sends only the messages that
are missing, and saves. Kafka transactions would do this on a full Kafka, but Tansu hands aborted transactional
records to read_committed consumers (measured), so a consumer there would see an aborted batch and its retry."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import orjson

from domain.identity import Pseudonymizer
from feeds.catalogue import Feed
from feeds.messages import BATCH_HEADER, FeedMessage, feed_messages
from feeds.positions import FeedPosition
from feeds.reading import Item, LogReader
from streams.tail import read_to_end
from streams.topics import TopicSpec, ensure_topics

log = logging.getLogger("gridflow.feeds")
RETRY_DELAYS_S = (0.5, 1, 2, 5, 10, 20, 30)


def feed_producer(servers: str) -> Any:
    """Idempotent (a retried send is not written twice), acks=all, one request in flight (order per partition)."""
    from kafka import KafkaProducer

    return KafkaProducer(bootstrap_servers=servers, acks="all", enable_idempotence=True, linger_ms=20,
                         batch_size=256 * 1024, max_in_flight_requests_per_connection=1, max_block_ms=10_000,
                         request_timeout_ms=10_000)


def topic_spec(feed: Feed) -> TopicSpec:
    key = "the department's pseudonym of the person" if feed.granularity == "events" else "grid or scenic area code"
    return TopicSpec(feed.topic, None, feed.partitions, key, feed.retention_days)


class FeedPublisher:
    def __init__(self, feeds: list[Feed], reader: LogReader, positions: Any, keys: dict[str, bytes], servers: str,
                 producer: Any = None, batch_size: int = 2000):
        self.feeds, self.reader, self.positions, self.servers = feeds, reader, positions, servers
        self.pseudonymizers = {f.department: Pseudonymizer(keys[f.department]) for f in feeds}
        self.own_producer = producer is None
        self.producer = producer if producer is not None else feed_producer(servers)
        self.batch_size = batch_size
        self.state: dict[str, FeedPosition] = {}
        self.published = 0  # messages sent by this process

    # -- start-up -------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Take the lock, create missing topics, load positions, finish any batch a crash interrupted."""
        self.positions.lock()
        ensure_topics(self.servers, tuple(topic_spec(f) for f in self.feeds))
        self.recover()

    def recover(self) -> None:
        saved = self.positions.load()
        self.state = {f.department: saved.get(f.department) or FeedPosition(f.department) for f in self.feeds}
        for feed in self.feeds:
            self._finish_interrupted(feed)

    def _finish_interrupted(self, feed: Feed) -> None:
        position = self.state[feed.department]
        starts = {(feed.topic, p): position.offsets.get(p, 0) for p in range(feed.partitions)}
        records, ends = read_to_end(self.servers, starts)
        if any(ends[tp] < start for tp, start in starts.items()):
            log.warning("feed %s: %s holds less than was published to it (a new cluster or topic): publishing the "
                        "feed again from the start", feed.department, feed.topic)
            self.state[feed.department] = FeedPosition(feed.department, 0, {p: 0 for p in range(feed.partitions)})
            self.positions.save([self.state[feed.department]])
            return
        position.offsets = {partition: end for (_, partition), end in ends.items()}
        if not records:
            return
        present = {orjson.loads(r.value)["message_id"] for r in records}
        last = max(int(dict(r.headers)[BATCH_HEADER]) for r in records)
        items = self._read_range(position.position, last)
        missing = [m for m in self._messages(feed, items, last, self._erased(items)) if m.message_id not in present]
        log.warning("feed %s: a batch up to #%d was interrupted after %d of its messages; sending the other %d",
                    feed.department, last, len(present), len(missing))
        self._send(missing, last)
        position.position = last
        self.positions.save([position])

    def _read_range(self, after: int, stop: int) -> list[Item]:
        items: list[Item] = []
        while after < stop:
            more, after = self.reader.read(after, self.batch_size, stop=stop)
            items.extend(more)
        return items

    # -- one batch ------------------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Publish the next batch of the log to every feed; return how many notifications it covered."""
        low = min(p.position for p in self.state.values())
        items, last = self.reader.read(low, self.batch_size)
        if last <= low:
            return 0
        erased = self._erased(items)
        messages = []
        for feed in self.feeds:
            after = self.state[feed.department].position
            if after < last:
                messages += self._messages(feed, [i for i in items if i.notification_id > after], last, erased)
        self._send(messages, last)
        for position in self.state.values():
            position.position = max(position.position, last)
        self.positions.save(list(self.state.values()))
        return last - low

    def _erased(self, items: list[Item]) -> set[str]:
        return self.reader.erased({i.pseudonym for i in items if i.pseudonym and i.table == "movements"})

    def _messages(self, feed: Feed, items: list[Item], last: int, erased: set[str]) -> list[FeedMessage]:
        return feed_messages(feed, items, last, self.pseudonymizers[feed.department], erased)

    def _send(self, messages: list[FeedMessage], last: int) -> None:
        """Send and wait for every acknowledgement; note the offset each partition reached."""
        headers = [(BATCH_HEADER, str(last).encode())]
        futures = [(m.topic, self.producer.send(m.topic, key=m.key, value=m.value, headers=headers))
                   for m in messages]
        self.producer.flush()
        of_topic = {f.topic: self.state[f.department] for f in self.feeds}
        for topic, future in futures:
            sent = future.get(timeout=30)
            offsets = of_topic[topic].offsets
            offsets[sent.partition] = max(offsets.get(sent.partition, 0), sent.offset + 1)
        self.published += len(messages)

    # -- loops ----------------------------------------------------------------------------------------------
    def lag(self) -> dict[str, int]:
        head = self.reader.head()
        return {department: head - p.position for department, p in self.state.items()}

    def catch_up(self, progress: Callable[[int], None] = lambda _: None) -> int:
        total = 0
        while n := self.run_once():
            total += n
            progress(total)
        return total

    def follow(self, stop: Callable[[], bool], idle_sleep_s: float = 0.2) -> None:
        """Keep publishing; when the broker or the store fails, wait, then start again from the saved positions
        (finishing the batch the failure interrupted)."""
        failures = 0
        while not stop():
            try:
                if failures:
                    self._new_producer()
                    self.recover()
                n = self.run_once()
                failures = 0
            except Exception as e:
                delay = RETRY_DELAYS_S[min(failures, len(RETRY_DELAYS_S) - 1)]
                failures += 1
                log.warning("feed publisher waiting %g s: %s: %s", delay, type(e).__name__, str(e)[:200])
                _sleep_unless(stop, delay)
                continue
            if n == 0:
                time.sleep(idle_sleep_s)

    def _new_producer(self) -> None:
        """After a failure: nothing the old producer still holds may be sent after the topic's tail was read."""
        if self.own_producer:
            self.producer.close(timeout=10)
            self.producer = feed_producer(self.servers)

    def close(self) -> None:
        self.producer.close()
        self.positions.close()


def _sleep_unless(stop: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop():
        time.sleep(0.05)
