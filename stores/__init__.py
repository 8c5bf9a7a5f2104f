"""Persistence adapters of the event store: the recorders that write side tables in the events' transaction,
person keys, the message ledger, dead-letter originals too large for the broker, and the event chain."""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from stores.keyring import SqlKeyring
from stores.ledger import SqlLedger
from stores.recorders import RECORDER_FOR, stored_originator_ids


def recorder_env(env: dict[str, str]) -> dict[str, str]:
    """eventsourcing settings with our recorders, which write person keys and the message ledger with events, and
    our transcoder (orjson underneath, the library's JSON format on disk)."""
    env = dict(env)
    if env.get("PERSISTENCE_MODULE") in RECORDER_FOR:
        env.setdefault("APPLICATION_RECORDER_TOPIC", RECORDER_FOR[env["PERSISTENCE_MODULE"]])
    env.setdefault("TRANSCODER_TOPIC", "stores.transcoder:OrjsonTranscoder")
    return env


def plug_in(app: Any) -> Any:
    """Give an application built on `recorder_env` its SQL keyring, ledger and bulk existence query."""
    recorder = app.recorder
    if f"{type(recorder).__module__}:{type(recorder).__name__}" in RECORDER_FOR.values():
        app.keyring = SqlKeyring(recorder, app.mapper.cipher)
        app.ledger = SqlLedger(recorder)
        app.stored_ids = lambda ids: stored_originator_ids(recorder, ids)
    return app


def opening(env: dict[str, str]) -> AbstractContextManager[None]:
    """Where an application built on `env` makes its tables as it opens: one process at a time on PostgreSQL."""
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
        from stores.postgres import tables_made_one_at_a_time

        return tables_made_one_at_a_time(env)
    return nullcontext()
