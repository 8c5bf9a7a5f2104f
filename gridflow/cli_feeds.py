"""`gridflow feeds`: the governed feeds to other departments — list them with their lag, run the publisher, write
their published JSON Schemas (the parser and error handling live in gridflow.cli)."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from gridflow.bootstrap import Gridflow
from gridflow.cli_args import COUNT
from gridflow.errors import OperatorError, explain


def catalogue(system: Gridflow, args: argparse.Namespace) -> list[Any]:
    """The feed catalogue (--catalogue, GRIDFLOW_FEEDS_CATALOGUE, or the shipped one), validated whole."""
    from feeds.catalogue import SHIPPED, CatalogueError, load_catalogue

    path = args.catalogue or (Path(os.environ["GRIDFLOW_FEEDS_CATALOGUE"])
                              if os.environ.get("GRIDFLOW_FEEDS_CATALOGUE") else None)
    try:
        return load_catalogue(path, system.geography)
    except CatalogueError as e:
        raise OperatorError(f"feed catalogue {path or SHIPPED}: {e}") from None


def open_positions(system: Gridflow) -> Any:
    """Feed positions beside the event store: a file next to SQLite, a table in PostgreSQL."""
    from feeds.positions import PostgresPositions, SqlitePositions

    url = urlparse(system.config.event_store_url)
    try:
        if url.scheme == "sqlite":
            return SqlitePositions(Path(unquote(url.path)))
        return PostgresPositions(system.config.event_store_url)
    except Exception as e:
        raise OperatorError(explain(e, f"the feed positions beside {system.config.event_store_display}")) from e


def publisher(system: Gridflow, feeds: list[Any], servers: str, batch_size: int) -> Any:
    from feeds.publisher import FeedPublisher
    from feeds.reading import LogReader

    keys = {f.department: system.config.feed_key(f.department) for f in feeds}
    return FeedPublisher(feeds, LogReader(system.store, system.geography), open_positions(system), keys, servers,
                         batch_size=batch_size)


def cmd_feeds(system: Gridflow, args: argparse.Namespace) -> int:
    """List the feeds: topic, granularity, scope, the position published and the lag behind the store."""
    feeds = catalogue(system, args)
    positions = open_positions(system)
    try:
        saved = positions.load()
    finally:
        positions.close()
    head = system.store.recorder.max_notification_id() or 0
    print(f"{'topic':<32}{'granularity':<13}{'position':>10}{'lag':>10}  {'updated (UTC)':<26}scope")
    for feed in feeds:
        at = saved.get(feed.department)
        position = at.position if at else 0
        print(f"{feed.topic:<32}{feed.granularity:<13}{position:>10}{head - position:>10}  "
              f"{(at.updated_at if at else '-'):<26}{feed.scope}")
    print(f"event store head: #{head}; lag in notifications", file=sys.stderr)
    return 0


def cmd_publish(system: Gridflow, args: argparse.Namespace) -> int:
    from feeds.positions import PublisherBusy
    from gridflow.cli_intake import needs_broker
    from gridflow.pipeline import progress

    feeds = catalogue(system, args)
    servers = needs_broker(system, "gridflow feeds publish")
    running = publisher(system, feeds, servers, args.batch_size)
    try:
        try:
            running.start()
        except PublisherBusy as e:
            raise OperatorError(str(e)) from None
        lag = running.lag()
        print(f"feeds: {', '.join(f.topic for f in feeds)}; behind the store by {max(lag.values())} notifications",
              file=sys.stderr)
        if not args.follow:
            running.catch_up(lambda n: progress(f"published {running.published} messages ({n} notifications)"))
            progress(f"published {running.published} messages; every feed is at #{running.reader.head()}",
                     final=True)
            return 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            running.follow(stop.is_set)
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        running.close()


def cmd_schemas(system: Gridflow, args: argparse.Namespace) -> int:
    from feeds.catalogue import SCHEMAS, write_schemas

    written = write_schemas(catalogue(system, args), args.out or SCHEMAS)
    print("\n".join(str(p) for p in written))
    return 0


def add_commands(sub: Any) -> None:
    feeds = sub.add_parser("feeds", help="governed feeds to other departments: list them with their lag")
    feeds.add_argument("--catalogue", type=Path, help="feed catalogue YAML (default: GRIDFLOW_FEEDS_CATALOGUE or "
                                                      "the shipped feeds/catalogue.yaml)")
    feeds.set_defaults(func=cmd_feeds)
    feeds_sub = feeds.add_subparsers(dest="feeds_command")
    publish = feeds_sub.add_parser("publish", help="publish every feed from the event store (needs "
                                                   "KAFKA_BOOTSTRAP_SERVERS)")
    publish.add_argument("--follow", action="store_true", help="keep following the notification log")
    publish.add_argument("--batch-size", type=COUNT, default=2000, help="notifications per batch")
    publish.set_defaults(func=cmd_publish)
    schemas = feeds_sub.add_parser("schemas", help="write each feed's JSON Schemas")
    schemas.add_argument("--out", type=Path, help="directory (default: feeds/schemas/ of the installed package)")
    schemas.set_defaults(func=cmd_schemas)
    for parser in (publish, schemas):
        parser.add_argument("--catalogue", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
