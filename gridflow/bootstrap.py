"""The one composition root (cosmicpython's bootstrap): `bootstrap(config)` wires the adapters into the rooms and
returns one object the CLI, `serve`, the demo and the tests use. Each part is opened on first use, so a command
opens only what it needs, and an operator's mistake (a wrong URL, an unreachable server, a wrong key) surfaces as
one `OperatorError` naming the cause."""
from __future__ import annotations

import fcntl
import logging
import os
from functools import cached_property
from typing import Any
from urllib.parse import urlparse

from domain.application import Population
from domain.geography import Geography
from domain.identity import Pseudonymizer
from gridflow.config import Config
from gridflow.errors import ClickHouseBusy, OperatorError, explain
from gridflow.reference import load_geography
from projections.projector import Projector
from projections.reference_tables import sync_reference_tables
from projections.schema import open_database
from stores import opening, plug_in, recorder_env
from stores.chain import EventChain
from stores.originals import OriginalsVault
from streams.dead_letter import DeadLetterPublisher, make_cipher
from streams.intake import IntakeHandler
from streams.producer import kafka_producer

log = logging.getLogger("gridflow")
CONNECT_TIMEOUT_S = 5
OPENED_HERE: set[str] = set()  # chdb directories this process holds (its own lock is no obstacle to it)


class Gridflow:
    """The wired system for one configuration."""

    def __init__(self, config: Config, geography: Geography | None = None):
        self.config = config
        if geography is not None:
            self.geography = geography

    @cached_property
    def geography(self) -> Geography:
        return load_geography(self.config.reference_dir)

    @cached_property
    def store(self) -> Population:
        """The event store's application, with its SQL side tables plugged in; checked to open with our key."""
        try:
            env = recorder_env(self.config.event_store_env())
            with opening(env):
                app = plug_in(Population(env, geography=self.geography,
                                         pseudonymize=Pseudonymizer(self.config.pseudonym_key),
                                         priority_categories=self.config.priority_categories))
            first = app.recorder.select_notifications(start=1, limit=1)
        except Exception as e:
            raise OperatorError(explain(e, f"the event store {self.config.event_store_display}")) from e
        if first:
            try:
                app.mapper.to_domain_event(first[0])
            except Exception as e:
                raise OperatorError(f"the cipher key does not open the event store {self.config.event_store_display}"
                                    " (GRIDFLOW_CIPHER_KEY, or keys/cipher.key in the data directory)") from e
        return app

    @cached_property
    def clickhouse(self) -> Any:
        """clickhouse-connect client: embedded chdb (`chdb:///path`) or a server (`http://user:pass@host:8123`),
        with our database created, made the default and given its tables."""
        return sync_reference_tables(self.open_clickhouse(self.config.clickhouse_database), self.geography)

    def open_clickhouse(self, database: str) -> Any:
        import clickhouse_connect

        dsn = self.config.clickhouse_dsn
        url = urlparse(dsn)
        try:
            if url.scheme == "chdb":
                if url.path not in OPENED_HERE:
                    check_not_locked(url.path, self.config.clickhouse_display)
                client = clickhouse_connect.get_client(interface="chdb", path=url.path)
                OPENED_HERE.add(url.path)
            elif url.scheme in ("http", "https"):
                client = clickhouse_connect.get_client(dsn=dsn, connect_timeout=CONNECT_TIMEOUT_S,
                                                       send_receive_timeout=60)
            else:
                raise OperatorError(f"GRIDFLOW_CLICKHOUSE must be chdb:///… or http(s)://…, not {url.scheme}://")
            return open_database(client, database)
        except OperatorError:
            raise
        except Exception as e:
            error = ClickHouseBusy if "Cannot lock file" in str(e) else OperatorError
            raise error(explain(e, f"ClickHouse at {self.config.clickhouse_display}")) from e

    @cached_property
    def chain(self) -> EventChain:
        return EventChain(self.store.recorder)

    @cached_property
    def projector(self) -> Projector:
        return Projector(self.clickhouse, self.store, self.geography, batch_size=self.config.projector_batch_size,
                         chain=self.chain)

    def recovered_projector(self) -> Projector:
        self.projector.recover()
        return self.projector

    def vault(self) -> OriginalsVault:
        return OriginalsVault(self.store.recorder)

    def intake_handler(self, servers: str, cluster_id: str = "") -> IntakeHandler:
        publisher = DeadLetterPublisher(kafka_producer(servers), make_cipher(self.config.cipher_key),
                                        vault=self.vault())
        return IntakeHandler(self.store, publisher, cluster_id)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()


def check_not_locked(path: str, display: str) -> None:
    """Embedded ClickHouse allows one process per data directory and holds an exclusive lock on its status file
    while open; ask that lock first (chdb itself would only print to the terminal and fail obscurely)."""
    status = os.path.join(path, "status")
    if not os.path.exists(status):
        return
    with open(status, "rb") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ClickHouseBusy(explain(RuntimeError("Cannot lock file"), f"ClickHouse at {display}")) from None
        fcntl.flock(f, fcntl.LOCK_UN)


def bootstrap(config: Config, geography: Geography | None = None) -> Gridflow:
    return Gridflow(config, geography)
