"""Per-person data keys for crypto-shredding: each person's identity (ID number, name, phone) is sealed with a key
of their own inside the (already encrypted) events. Destroying the key makes every copy unreadable, while the
append-only log and all counts stay as they were.

Keys live beside the event store (table `person_keys`), themselves encrypted with the store's cipher, and are
written in the same transaction as the first events that use them (domain.recorders).
"""
from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from typing import Any

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


class SqlKeyring(MemoryKeyring):
    """Keys in the event store's own database (SQLite or PostgreSQL), encrypted with the store cipher. New keys
    are handed to the recorder (`take_new`) and inserted in the same transaction as the events that use them."""

    def __init__(self, datastore: Any, cipher: Any, postgres: bool):
        super().__init__()
        self.datastore, self.cipher, self.postgres = datastore, cipher, postgres
        self.mark = "%s" if self.postgres else "?"
        self.new: dict[str, bytes] = {}
        self.absent: set[str] = set()  # looked up by the last prefetch and not stored: no need to ask again

    def prefetch(self, pseudonyms: Iterable[str]) -> None:
        wanted = [p for p in set(pseudonyms) if p not in self.keys]
        self.absent = set(wanted)
        for lo in range(0, len(wanted), 500):
            chunk = wanted[lo:lo + 500]
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute(f"SELECT pseudonym, key FROM person_keys WHERE pseudonym IN "
                               f"({','.join([self.mark] * len(chunk))})", chunk)
                for row in cursor.fetchall():
                    self.keys[row["pseudonym"]] = self.cipher.decrypt(bytes(row["key"]))
                    self.absent.discard(row["pseudonym"])

    def key_for(self, pseudonym: str) -> bytes:
        if pseudonym not in self.keys and pseudonym not in self.absent:
            self.prefetch([pseudonym])
        if pseudonym not in self.keys:
            self.keys[pseudonym] = self.new[pseudonym] = AESGCM.generate_key(bit_length=128)
        return self.keys[pseudonym]

    def existing_key(self, pseudonym: str) -> bytes | None:
        self.prefetch([pseudonym])
        return self.keys.get(pseudonym)

    def take_new(self) -> list[tuple[str, bytes]]:
        """Rows for the keys created since the last call, for the recorder to insert with the events."""
        rows = [(p, self.cipher.encrypt(k)) for p, k in self.new.items()]
        self.new.clear()
        return rows

    def forget_new(self, rows: list[tuple[str, bytes]]) -> None:
        """The transaction carrying these keys failed: another writer may have stored keys for the same people."""
        for pseudonym, _ in rows:
            self.keys.pop(pseudonym, None)
        self.absent = set()

    def destroy(self, pseudonym: str) -> bool:
        self.keys.pop(pseudonym, None)
        self.new.pop(pseudonym, None)
        with self.datastore.transaction(commit=True) as cursor:
            if not self.postgres:  # this connection overwrites the freed bytes instead of leaving them
                cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute(f"DELETE FROM person_keys WHERE pseudonym = {self.mark}", [pseudonym])
        self._purge_old_copies()
        return True

    def _purge_old_copies(self) -> None:
        """Old row versions survive a DELETE: in PostgreSQL as dead tuples until VACUUM, in SQLite in the
        write-ahead log until a checkpoint."""
        if self.postgres:
            with self.datastore.get_connection() as conn:
                conn.autocommit = True
                try:
                    conn.execute("VACUUM person_keys")
                finally:
                    conn.autocommit = False
        else:
            with self.datastore.get_connection(commit=True) as conn:
                conn._sqlite_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
