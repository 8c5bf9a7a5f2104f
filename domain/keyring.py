"""Per-person data keys for crypto-shredding: each person's identity (ID number, name, phone) is sealed with a key
of their own inside the (already encrypted) events. Destroying the key makes every copy unreadable, while the
append-only log and all counts stay as they were.

Keys live beside the event store (stores.keyring: table `person_keys`), themselves encrypted with the store's
cipher, and are written in the same transaction as the first events that use them; in memory here.
"""
from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORGOTTEN = {"id_number": "", "name": "", "phone": "", "forgotten": True}


def seal(key: bytes, identity: dict[str, str]) -> str:
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, json.dumps(identity).encode(), None)).decode()


def unseal(key: bytes, sealed: str) -> dict[str, str]:
    raw = base64.b64decode(sealed)
    return json.loads(AESGCM(key).decrypt(raw[:12], raw[12:], None))


class MemoryKeyring:
    """Keys in memory (tests, in-memory stores)."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}

    def prefetch(self, pseudonyms: Iterable[str]) -> None:
        pass

    def key_for(self, pseudonym: str) -> bytes:
        if pseudonym not in self.keys:
            self.keys[pseudonym] = AESGCM.generate_key(bit_length=128)
        return self.keys[pseudonym]

    def existing_key(self, pseudonym: str) -> bytes | None:
        return self.keys.get(pseudonym)

    def take_new(self) -> list[tuple[str, bytes]]:
        return []

    def forget_new(self, rows: list[tuple[str, bytes]]) -> None:
        pass

    def destroy(self, pseudonym: str) -> bool:
        return self.keys.pop(pseudonym, None) is not None
