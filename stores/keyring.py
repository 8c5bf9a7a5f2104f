"""Person keys in the event store's own database (SQLite or PostgreSQL), encrypted with the store cipher. New keys
are handed to the recorder (`take_new`) and inserted in the same transaction as the events that use them."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.keyring import MemoryKeyring
from stores.recorders import is_postgres


class NoCipher:
    """Stores configured without encryption (tests) keep person keys as they are."""

    def encrypt(self, data: bytes) -> bytes:
        return data

    def decrypt(self, data: bytes) -> bytes:
        return data


class SqlKeyring(MemoryKeyring):
    """Looks keys up a batch at a time; hands new ones to the recorder (`take_new`)."""

    def __init__(self, recorder: Any, cipher: Any):
        super().__init__()
        self.datastore, self.cipher, self.postgres = recorder.datastore, cipher or NoCipher(), is_postgres(recorder)
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
        else:  # a connection of our own: the checkpoint must run outside any transaction
            with closing(sqlite3.connect(self.datastore.pool.db_name, timeout=30)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
