"""`gridflow` commands of the intake side: demo, worker, project, topics, dead-letters, forget-person,
sweep-stays, reference (the parser and error handling live in gridflow.cli)."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from gridflow.bootstrap import Gridflow
from gridflow.cli_args import PORT, SHARE, aware_datetime, iso_date, season_options
from gridflow.errors import OperatorError, explain


def needs_broker(system: Gridflow, command: str) -> str:
    """Services talk to a running broker (checked within seconds); only the demo and tests start their own."""
    from gridflow.runtime import wait_for_kafka

    servers = system.config.kafka_bootstrap
    if not servers:
        raise OperatorError(f"{command} needs KAFKA_BOOTSTRAP_SERVERS (only the demo starts a broker of its own)")
    try:
        wait_for_kafka(servers, timeout_s=10)
    except Exception as e:
        raise OperatorError(explain(e, f"Kafka at {servers}")) from e
    return servers


def cmd_demo(system: Gridflow, args: argparse.Namespace) -> int:
    from gridflow.demo import run_demo

    if args.start + timedelta(days=args.days) > date.today():
        raise OperatorError(f"the simulated season ({args.start} + {args.days} days) must lie in the past: the "
                            "intake refuses messages dated more than a day ahead")
    run_demo(system, days=args.days, scale=args.scale, seed=args.seed, start=args.start, bad_share=args.bad_share,
             json_path=args.json, serve=args.serve, port=args.port)
    return 0


def cmd_worker(system: Gridflow, args: argparse.Namespace) -> int:
    from gridflow.runtime import cluster_id
    from streams.worker import WorkerSettings, run

    servers = needs_broker(system, "gridflow worker")
    handler = system.intake_handler(servers, cluster_id(servers))
    settings = WorkerSettings(servers, group_id=os.environ.get("GRIDFLOW_GROUP_ID", "gridflow-intake"),
                              batch_size=system.config.batch_size)
    run(settings, handler)
    return 0


def cmd_project(system: Gridflow, args: argparse.Namespace) -> int:
    """Follow the event store into ClickHouse (the projector service)."""
    projector = system.recovered_projector()
    print(f"projector: resuming after notification #{projector.position}", file=sys.stderr)
    if not args.follow:
        print(f"projector: {projector.catch_up()} notifications projected", file=sys.stderr)
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        projector.follow(stop.is_set)
    except KeyboardInterrupt:
        pass
    return 0


def cmd_dead_letters(system: Gridflow, args: argparse.Namespace) -> int:
    """List dead letters: reason, detail, source position; with --original, the decrypted original bytes."""
    from streams.dead_letter import make_cipher, open_original, read_dead_letters

    servers = needs_broker(system, "gridflow dead-letters")
    cipher = make_cipher(system.config.cipher_key)
    letters = read_dead_letters(servers)
    for letter in sorted(letters, key=lambda x: x["rejected_at"]):
        s = letter["source"]
        kept = " (original kept beside the store)" if "original_ref" in letter else ""
        print(f"{letter['rejected_at']}  {letter['reason']:<20} {s['topic']}:{s['partition']}@{s['offset']}  "
              f"{letter['message_id'] or '-'}  {letter['detail']}{kept}")
        if args.original:
            original = open_original(letter, cipher, system.vault())
            print("    " + ("(null: a tombstone)" if original is None else original.decode("utf-8", errors="replace")))
    print(f"{len(letters)} dead letters", file=sys.stderr)
    return 0


def cmd_forget_person(system: Gridflow, args: argparse.Namespace) -> int:
    """Crypto-shred one person: destroy their key, record a tombstone; projections unlink their rows."""
    from domain.errors import InvalidIdNumber
    from domain.identity import validate_id_number

    store = system.store
    if args.id_number:
        try:
            pseudonym = store.pseudonymize(validate_id_number(args.id_number))
        except InvalidIdNumber as e:
            raise OperatorError(f"not a valid ID number: {e}") from None
    else:
        pseudonym = args.pseudonym.strip().lower()
    if not store.is_known(pseudonym):
        print(f"{pseudonym}: no such person in this store; nothing was changed", file=sys.stderr)
        return 1
    if not store.forget(pseudonym, reason=args.reason, requested_by=args.by):
        print(f"{pseudonym}: already forgotten", file=sys.stderr)
        return 1
    print(f"{pseudonym}: key destroyed, tombstone recorded at #{store.recorder.max_notification_id()}; "
          "projections unlink the person's rows when they reach it")
    return 0


def cmd_sweep_stays(system: Gridflow, args: argparse.Namespace) -> int:
    """Record stays left open past their declared nights as of a business time (default: now)."""
    from gridflow.clock import record_open_stays

    projector = system.recovered_projector()
    projector.catch_up()
    as_of = args.as_of or datetime.now(UTC)
    candidates, recorded = record_open_stays(system.store, system.clickhouse, as_of)
    projector.catch_up()
    print(f"as of {as_of.isoformat()}: {candidates} stays past their nights, {recorded} recorded as left open")
    return 0


def cmd_topics(system: Gridflow, args: argparse.Namespace) -> int:
    from streams.topics import ALL, ensure_topics

    if system.config.kafka_bootstrap:
        print("created: " + (", ".join(ensure_topics(needs_broker(system, "gridflow topics"))) or "none"))
    print(f"{'topic':<28}{'kind':<22}{'partitions':>10}  key")
    for t in ALL:
        print(f"{t.name:<28}{t.kind or '(rejects)':<22}{t.partitions:>10}  {t.key}")
    return 0


def cmd_reference(system: Gridflow, args: argparse.Namespace) -> int:
    from domain.geography import InvalidGeography
    from gridflow.reference import load_geography

    try:
        print(load_geography(args.dir).shape())
    except (InvalidGeography, OSError) as e:
        raise OperatorError(f"reference data {args.dir or '(shipped)'}: {e}") from None
    return 0


def add_commands(sub: Any) -> None:
    demo = sub.add_parser("demo", help="stream a simulated season end to end and summarise per town")
    season_options(demo, 7, 0.05)
    demo.add_argument("--start", type=iso_date, default=date(2026, 8, 1))
    demo.add_argument("--bad-share", type=SHARE, default=0.01, help="share of seeded bad messages (0–0.5)")
    demo.add_argument("--json", type=Path, help="also write the summary as JSON here")
    demo.add_argument("--serve", action=argparse.BooleanOptionalAction, default=True,
                      help="afterwards serve the grid-worker page and API until Ctrl-C (default: yes)")
    demo.add_argument("--port", type=PORT, default=8080, help="port for the page (0: any free port)")
    demo.set_defaults(func=cmd_demo)
    sub.add_parser("worker", help="run the intake worker (needs KAFKA_BOOTSTRAP_SERVERS)").set_defaults(
        func=cmd_worker)
    project = sub.add_parser("project", help="project the event store into ClickHouse (once, or --follow)")
    project.add_argument("--follow", action="store_true", help="keep following the notification log")
    project.set_defaults(func=cmd_project)
    dead = sub.add_parser("dead-letters", help="list refused messages with their reason codes")
    dead.add_argument("--original", action="store_true", help="also print the decrypted original bytes")
    dead.set_defaults(func=cmd_dead_letters)
    forget = sub.add_parser("forget-person", help="crypto-shred one person's personal data (PIPL erasure)")
    who = forget.add_mutually_exclusive_group(required=True)
    who.add_argument("--id-number", help="the person's ID number (validated, then pseudonymised)")
    who.add_argument("--pseudonym", help="the person's pseudonym")
    forget.add_argument("--reason", required=True, help="why (recorded in the tombstone)")
    forget.add_argument("--by", required=True, help="who asked / who acts (recorded in the tombstone)")
    forget.set_defaults(func=cmd_forget_person)
    sweep = sub.add_parser("sweep-stays", help="record visitor stays left open past their declared nights")
    sweep.add_argument("--as-of", type=aware_datetime, help="business time, ISO 8601 (default: now)")
    sweep.set_defaults(func=cmd_sweep_stays)
    sub.add_parser("topics", help="create the intake topics (if a broker is configured) and list them").set_defaults(
        func=cmd_topics)
    reference = sub.add_parser("reference", help="load and validate reference geography")
    reference.add_argument("--dir", type=Path, help="an operator's CSV directory (default: shipped Penglai)")
    reference.set_defaults(func=cmd_reference)
