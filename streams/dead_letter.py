"""Dead-letter topic: every refused intake message, with its reason code and the original bytes.

The original bytes may hold plaintext ID numbers (the feed's own payload), so they travel AES-GCM encrypted with
the event-store key; `gridflow dead-letters` (or `open_original`) gives them back to whoever holds the key.
Dead letters are published before the batch that refused them is committed, so a crash in between can publish
one twice: readers deduplicate on (topic, partition, offset) of the source, as `read_dead_letters` does.
"""
from __future__ import annotations

import base64
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from domain.application import Outcome
from streams.topics import DEAD_LETTER


def make_cipher(cipher_key: str) -> AESCipher:
    return AESCipher(Environment(env={"CIPHER_KEY": cipher_key}))


@dataclass(frozen=True)
class RawMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


def dead_letter_value(outcome: Outcome, raw: RawMessage, cipher: AESCipher) -> bytes:
    return orjson.dumps({
        "reason": outcome.reason,
        "detail": outcome.detail,
        "message_id": outcome.item.message_id,
        "source": {"topic": raw.topic, "partition": raw.partition, "offset": raw.offset},
        "rejected_at": datetime.now(timezone.utc).isoformat(),
        "original_encrypted": base64.b64encode(cipher.encrypt(raw.value)).decode(),
    })


class DeadLetterPublisher:
    def __init__(self, producer: Any, cipher: AESCipher, topic: str = DEAD_LETTER.name):
        self.producer, self.cipher, self.topic = producer, cipher, topic

    def publish(self, rejects: Iterable[tuple[Outcome, RawMessage]]) -> int:
        """Send and wait for acknowledgement (acks=all) before the caller commits its batch."""
        futures = [self.producer.send(self.topic, key=raw.key, value=dead_letter_value(outcome, raw, self.cipher),
                                      headers=[("reason", outcome.reason.encode())])
                   for outcome, raw in rejects]
        if futures:
            self.producer.flush()
            for future in futures:
                future.get(timeout=30)
        return len(futures)


def open_original(letter: dict[str, Any], cipher: AESCipher) -> bytes:
    return cipher.decrypt(base64.b64decode(letter["original_encrypted"]))


def read_dead_letters(bootstrap: str, expected: int | None = None, idle_s: float = 3.0,
                      topic: str = DEAD_LETTER.name) -> list[dict[str, Any]]:
    """All dead letters, one per source position. Reads until `expected` are seen or nothing new arrives for
    `idle_s` (Tansu's end offsets are unreliable, so we do not ask for them)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, group_id=None, consumer_timeout_ms=int(idle_s * 1000))
    letters: dict[tuple[str, int, int], dict[str, Any]] = {}
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            got = False
            for record in consumer:
                got = True
                letter = orjson.loads(record.value)
                s = letter["source"]
                letters[(s["topic"], s["partition"], s["offset"])] = letter
                if expected is not None and len(letters) >= expected:
                    return list(letters.values())
            if not got or expected is None:
                break
    finally:
        consumer.close()
    return list(letters.values())
