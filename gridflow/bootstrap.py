"""The one place that wires adapters into the rooms (cosmicpython's bootstrap): config → ready objects."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

from domain.application import Population
from domain.chain import EventChain
from domain.geography import Geography
from domain.identity import Pseudonymizer
from gridflow.config import Config
from gridflow.reference import load_geography
from projections.projector import Projector, open_database
from streams.dead_letter import DeadLetterPublisher, make_cipher
from streams.intake import IntakeHandler

log = logging.getLogger("gridflow")


def geography(config: Config) -> Geography:
    return load_geography(config.reference_dir)


def population(config: Config, geo: Geography | None = None) -> Population:
    return Population(config.event_store_env(), geography=geo or geography(config),
                      pseudonymize=Pseudonymizer(config.pseudonym_key),
                      priority_categories=config.priority_categories)


def clickhouse(config: Config, database: str | None = None) -> Any:
    """clickhouse-connect client: embedded chdb (`chdb:///path`) or a server (`http://user:pass@host:8123`),
    with our database (or `database`) created, made the default and given its tables."""
    import clickhouse_connect

    url = urlparse(config.clickhouse_dsn)
    if url.scheme == "chdb":
        client = clickhouse_connect.get_client(interface="chdb", path=url.path)
    elif url.scheme in ("http", "https"):
        client = clickhouse_connect.get_client(dsn=config.clickhouse_dsn)
    else:
        raise ValueError(f"GRIDFLOW_CLICKHOUSE must be chdb:///… or http(s)://…, not {url.scheme}://")
    return open_database(client, database or config.clickhouse_database)


def kafka_producer(bootstrap: str) -> Any:
    from kafka import KafkaProducer

    return KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=10, batch_size=256 * 1024,
                         max_in_flight_requests_per_connection=1, retries=5)


def intake_handler(config: Config, bootstrap: str, pop: Population | None = None) -> IntakeHandler:
    publisher = DeadLetterPublisher(kafka_producer(bootstrap), make_cipher(config.cipher_key))
    return IntakeHandler(pop or population(config), publisher)


def projector(config: Config, client: Any, pop: Population | None = None, geo: Geography | None = None) -> Projector:
    geo = geo or geography(config)
    pop = pop or Population(config.event_store_env(), geography=geo)
    return Projector(client, pop, geo, batch_size=config.projector_batch_size, chain=EventChain(pop.recorder))


def read_side(config: Config) -> tuple[Geography, Any, Population, Projector]:
    """Geography, ClickHouse client, the store's application and a recovered projector over them."""
    geo = geography(config)
    client = clickhouse(config)
    store = population(config, geo)
    follower = projector(config, client, store, geo)
    follower.recover()
    return geo, client, store, follower
