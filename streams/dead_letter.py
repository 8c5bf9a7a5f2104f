"""Dead-letter topic: every refused intake message, with its reason code and the original bytes.

The original bytes may hold plaintext ID numbers (the feed's own payload), so they travel AES-GCM encrypted with
the event-store key; `gridflow dead-letters` (or `open_original`) gives them back to whoever holds the key.
Dead letters are published before the batch that refused them is committed, so a crash in between can publish
one twice: readers deduplicate on (topic, partition, offset) of the source, as `read_dead_letters` does.

Every reject gets its dead letter, whatever it holds: a null value (a tombstone) is marked as such; an original too
large for the broker's message limit is kept encrypted beside the event store (`Vault`) and the letter carries a
reference to it; an oversized key is replaced by its SHA-256. The detail is screened for personal data.
"""
from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from domain import privacy
from domain.intake import Outcome
from streams.topics import DEAD_LETTER

# kafka-python's default max_request_size is 1 MiB: letters stay well below it, with room for the envelope.
INLINE_ORIGINAL_LIMIT = 512 * 1024
KEY_LIMIT = 1024


class Vault(Protocol):
    def keep(self, source: str, position: int, encrypted: bytes) -> None: ...

    def fetch(self, source: str, position: int) -> bytes | None: ...


def make_cipher(cipher_key: str) -> AESCipher:
    return AESCipher(Environment(env={"CIPHER_KEY": cipher_key}))


@dataclass(frozen=True)
class RawMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None  # None: a tombstone
    timestamp_ms: int | None = None  # the record's Kafka timestamp (producer's CreateTime, or LogAppendTime)


def dead_letter_value(outcome: Outcome, raw: RawMessage, cipher: AESCipher, vault: Vault | None = None) -> bytes:
    original = raw.value or b""
    encrypted = cipher.encrypt(original)
    letter: dict[str, Any] = {
        "reason": outcome.reason,
        "detail": privacy.mask(outcome.detail),
        "message_id": outcome.item.message_id,
        "source": {"topic": raw.topic, "partition": raw.partition, "offset": raw.offset},
        "rejected_at": datetime.now(UTC).isoformat(),
    }
    if raw.value is None:
        letter["original_null"] = True
    if len(encrypted) * 4 // 3 <= INLINE_ORIGINAL_LIMIT or vault is None:
        letter["original_encrypted"] = base64.b64encode(encrypted).decode()
    else:
        vault.keep(outcome.item.source, raw.offset, encrypted)
        letter["original_ref"] = {"kept_in": "dead_letter_originals", "source": outcome.item.source,
                                  "position": raw.offset,
                                  "bytes": len(original), "sha256": hashlib.sha256(original).hexdigest()}
    return orjson.dumps(letter)


def letter_key(key: bytes | None) -> bytes | None:
    """The original key, or its SHA-256 when it is too large to travel."""
    return key if key is None or len(key) <= KEY_LIMIT else hashlib.sha256(key).hexdigest().encode()


class DeadLetterPublisher:
    def __init__(self, producer: Any, cipher: AESCipher, topic: str = DEAD_LETTER.name, vault: Vault | None = None):
        self.producer, self.cipher, self.topic, self.vault = producer, cipher, topic, vault

    def publish(self, rejects: Iterable[tuple[Outcome, RawMessage]]) -> int:
        """Send and wait for acknowledgement (acks=all) before the caller commits its batch."""
        futures = [self.producer.send(self.topic, key=letter_key(raw.key),
                                      value=dead_letter_value(outcome, raw, self.cipher, self.vault),
                                      headers=[("reason", outcome.reason.encode())])
                   for outcome, raw in rejects]
        if futures:
            self.producer.flush()
            for future in futures:
                future.get(timeout=30)
        return len(futures)


def open_original(letter: dict[str, Any], cipher: AESCipher, vault: Vault | None = None) -> bytes | None:
    """The original bytes (None for a tombstone), from the letter or from the vault it refers to."""
    if letter.get("original_null"):
        return None
    if "original_ref" in letter:
        ref = letter["original_ref"]
        encrypted = vault.fetch(ref["source"], ref["position"]) if vault is not None else None
        if encrypted is None:
            raise LookupError(f"original of {ref['source']}@{ref['position']} is not in this store's vault")
        return cipher.decrypt(encrypted)
    return cipher.decrypt(base64.b64decode(letter["original_encrypted"]))


def read_dead_letters(bootstrap: str, expected: int | None = None, idle_s: float = 3.0,
                      topic: str = DEAD_LETTER.name) -> list[dict[str, Any]]:
    """All dead letters, one per source position. Reads until `expected` are seen (or a minute has passed), else
    until nothing new arrives for `idle_s` (Tansu's end offsets are unreliable, so we do not ask for them)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, group_id=None, consumer_timeout_ms=int(idle_s * 1000))
    letters: dict[tuple[str, int, int], dict[str, Any]] = {}
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and (expected is None or len(letters) < expected):
            got = False
            for record in consumer:
                got = True
                letter = orjson.loads(record.value)
                s = letter["source"]
                letters[(s["topic"], s["partition"], s["offset"])] = letter
                if expected is not None and len(letters) >= expected:
                    return list(letters.values())
            if expected is None and not got:
                break
    finally:
        consumer.close()
    return list(letters.values())
